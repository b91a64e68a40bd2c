"""Jobs over HTTP on both databases: a supply planner queues a supply run and follows it to
its end, a viewer is refused, a queued job is cancelled, the log comes a page at a time, an
unknown job is a 404, and a change made with a log-in session needs its CSRF token."""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.app import create_app
from oneplan.config import Settings
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Role
from oneplan.worker import Worker

from .conftest import PASSWORD, People


def test_a_supply_planner_queues_a_supply_run_and_follows_it_to_its_end(
    engine: sa.Engine, prepare: Any, api: TestClient, people: People, api_settings: Settings
) -> None:
    prepare.import_demo(engine)
    prepare.store_consensus(engine)
    people.add("sam", Role.supply_planner)
    asked = api.post("/jobs", json={"kind": "supply"}, headers=people.as_("sam"))
    assert asked.status_code == 202, asked.text
    job = asked.json()
    assert job["state"] == "queued" and job["owner"] == "sam" and job["kind"] == "supply"
    assert asked.headers["Location"] == f"/jobs/{job['id']}"

    assert Worker(engine, api_settings).run_once() == (job["id"], JobState.succeeded)
    done = api.get(asked.headers["Location"], headers=people.as_("sam")).json()
    assert done["state"] == "succeeded" and done["progress"] == 1.0
    assert done["result"]["versions"]["supply"] >= 1
    lines = api.get(f"/jobs/{job['id']}/log", headers=people.as_("sam")).json()
    assert lines[0]["line"].startswith("queued by sam")
    assert lines[-1]["line"] == "succeeded: 1 step(s)"
    page = api.get("/jobs?state=succeeded&kind=supply", headers=people.as_("sam")).json()
    assert page["total"] == 1 and [j["id"] for j in page["items"]] == [job["id"]]


def test_the_servers_own_workers_run_a_queued_job(
    engine: sa.Engine, prepare: Any, people: People, api_settings: Settings
) -> None:
    prepare.import_demo(engine)
    prepare.store_consensus(engine)
    people.add("sam", Role.supply_planner)
    app = create_app(api_settings, engine, worker_threads=1)
    with TestClient(app, base_url="http://testserver") as client:
        asked = client.post("/jobs", json={"kind": "supply"}, headers=people.as_("sam"))
        assert asked.status_code == 202, asked.text
        location = asked.headers["Location"]
        deadline = time.monotonic() + 120
        state = "queued"
        while state in {"queued", "running"} and time.monotonic() < deadline:
            time.sleep(0.2)
            state = client.get(location, headers=people.as_("sam")).json()["state"]
        assert state == "succeeded"


def test_a_viewer_may_follow_jobs_but_not_queue_one(api: TestClient, people: People) -> None:
    people.add("vera", Role.viewer)
    refused = api.post("/jobs", json={"kind": "supply"}, headers=people.as_("vera"))
    assert refused.status_code == 403
    assert "vera (viewer) may not run supply" in refused.json()["detail"]
    assert api.get("/jobs", headers=people.as_("vera")).json()["total"] == 0
    assert api.post("/jobs", json={"kind": "supply"}).status_code == 401


def test_a_queued_job_is_cancelled_by_its_owner_only_once(api: TestClient, people: People) -> None:
    people.add("sam", Role.supply_planner)
    people.add("sue", Role.supply_planner)
    job = api.post("/jobs", json={"kind": "supply"}, headers=people.as_("sam")).json()
    other = api.post(f"/jobs/{job['id']}/cancel", headers=people.as_("sue"))
    assert other.status_code == 403 and "only its owner (sam)" in other.json()["detail"]
    cancelled = api.post(f"/jobs/{job['id']}/cancel", headers=people.as_("sam"))
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    again = api.post(f"/jobs/{job['id']}/cancel", headers=people.as_("root"))
    assert again.status_code == 409


def test_the_log_comes_a_page_at_a_time_after_the_last_line_read(
    api: TestClient, people: People
) -> None:
    people.add("sam", Role.supply_planner)
    job = api.post("/jobs", json={"kind": "supply"}, headers=people.as_("sam")).json()
    api.post(f"/jobs/{job['id']}/cancel", headers=people.as_("sam"))
    log = f"/jobs/{job['id']}/log"
    everything = api.get(log, headers=people.as_("sam")).json()
    assert len(everything) >= 1
    first = api.get(f"{log}?limit=1", headers=people.as_("sam")).json()
    assert first == everything[:1]
    rest = api.get(f"{log}?after={first[0]['id']}", headers=people.as_("sam")).json()
    assert rest == everything[1:]
    assert api.get(f"{log}?after={everything[-1]['id']}", headers=people.as_("sam")).json() == []
    assert api.get(f"{log}?after=-1", headers=people.as_("sam")).status_code == 422


def test_an_unknown_job_or_kind_is_a_404_and_bad_parameters_a_422(
    api: TestClient, people: People
) -> None:
    people.add("sam", Role.supply_planner)
    sam = people.as_("sam")
    for path in ("/jobs/999", "/jobs/999/log"):
        missing = api.get(path, headers=sam)
        assert missing.status_code == 404 and "no job #999" in missing.json()["detail"]
    assert api.post("/jobs/999/cancel", headers=sam).status_code == 404
    unknown = api.post("/jobs", json={"kind": "everything"}, headers=sam)
    assert unknown.status_code == 404 and "the kinds are" in unknown.json()["detail"]
    bad = api.post("/jobs", json={"kind": "demand", "parameters": {"horizon": 0}}, headers=sam)
    assert bad.status_code == 422
    assert api.get("/jobs", headers=sam).json()["total"] == 0


def test_a_job_asked_for_with_a_log_in_session_needs_the_csrf_token(
    api: TestClient, people: People
) -> None:
    people.add("sam", Role.supply_planner, password=PASSWORD)
    _, csrf = people.log_in("sam")
    assert api.post("/jobs", json={"kind": "supply"}).status_code == 403
    asked = api.post("/jobs", json={"kind": "supply"}, headers=csrf)
    assert asked.status_code == 202
    cancel = f"/jobs/{asked.json()['id']}/cancel"
    assert api.post(cancel).status_code == 403
    assert api.post(cancel, headers=csrf).status_code == 200
    assert api.get("/jobs").json()["total"] == 1  # reading needs no token
