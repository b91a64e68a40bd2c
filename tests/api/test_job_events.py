"""Following a job over server-sent events on both databases: one event per change of the
job, one at its end, and the stream closes when the job ends; an unknown job is a 404 before
any stream begins, and a stream that waits too long closes by itself."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from oneplan.api.routes import jobs
from oneplan.config import Settings
from oneplan.services.jobs.schemas import JobState
from oneplan.services.permissions import Role
from oneplan.worker import Worker

from .conftest import People


def events_of(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of an event stream; comment lines are left out."""
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.splitlines() if not line.startswith(":")
        )
        if fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "POLL_SECONDS", 0.05)


def test_a_job_is_followed_from_the_queue_to_its_end(
    engine: sa.Engine, api: TestClient, people: People, api_settings: Settings
) -> None:
    people.add("vera", Role.viewer)
    job = api.post("/jobs", json={"kind": "ping"}, headers=people.as_("vera")).json()

    def run_later() -> None:
        time.sleep(0.5)
        Worker(engine, api_settings).run_once()

    worker = threading.Thread(target=run_later)
    worker.start()
    answer = api.get(f"/jobs/{job['id']}/events", headers=people.as_("vera"))
    worker.join()
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = events_of(answer.text)
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "progress" and events[0][1]["state"] == "queued"
    assert kinds[-1] == "end" and kinds.count("end") == 1
    assert events[-1][1]["state"] == JobState.succeeded and events[-1][1]["progress"] == 1.0
    assert events[-2][1] == events[-1][1]  # the last change, then the end
    changes = [tuple(data[k] for k in jobs.WATCHED) for _, data in events[:-1]]
    assert len(changes) == len(set(changes)) >= 2  # one event per change, never a repeat
    versions = [data["version"] for _, data in events[:-1]]
    assert versions == sorted(versions)


def test_a_finished_job_gives_its_state_and_its_end_at_once(
    engine: sa.Engine, api: TestClient, people: People, api_settings: Settings
) -> None:
    people.add("vera", Role.viewer)
    job = api.post("/jobs", json={"kind": "ping"}, headers=people.as_("vera")).json()
    assert Worker(engine, api_settings).run_once() == (job["id"], JobState.succeeded)
    answer = api.get(f"/jobs/{job['id']}/events", headers=people.as_("vera"))
    assert [kind for kind, _ in events_of(answer.text)] == ["progress", "end"]


def test_an_unknown_job_is_a_404_and_a_stranger_a_401(api: TestClient, people: People) -> None:
    people.add("vera", Role.viewer)
    missing = api.get("/jobs/999/events", headers=people.as_("vera"))
    assert missing.status_code == 404 and "no job #999" in missing.json()["detail"]
    assert api.get("/jobs/999/events").status_code == 401


def test_a_job_no_worker_takes_ends_the_stream_after_its_time(
    api: TestClient, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "FOLLOW_SECONDS", 0.3)
    monkeypatch.setattr(jobs, "KEEP_ALIVE_SECONDS", 0.1)
    people.add("vera", Role.viewer)
    job = api.post("/jobs", json={"kind": "ping"}, headers=people.as_("vera")).json()
    answer = api.get(f"/jobs/{job['id']}/events", headers=people.as_("vera"))
    assert [kind for kind, _ in events_of(answer.text)] == ["progress"]
    assert ": still running" in answer.text
