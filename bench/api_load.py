"""How a real `oneplan serve` holds up under a planning team: 50 people reading plans and
writing demand overrides at the same time, each with their own API token and role.

    oneplan demo-data company --items 1500 && oneplan cycle run company   # once, in a folder
    .venv/bin/python bench/api_load.py --url sqlite:////path/oneplan.db [--seconds 120]
        [--users 50] [--think 1.0] [--workers 1]

``--url`` is a database that holds the demo company after a cycle run (SQLite or
``postgresql+psycopg://...``). The script adds the simulated users and a token for each (kept
from run to run), starts `oneplan serve` on a free port of 127.0.0.1, and runs one client thread
per user for ``--seconds``. Each user waits a random think time (exponential, mean ``--think``
seconds) between two requests and picks what to do by role:

- demand planners and sales managers, scoped to one family: that family's demand plan and its
  layers, its financial plan rows and budget variance, the unmet demand; and now and then a
  demand override on their family (POST), read back for its ETag (GET) and withdrawn with
  If-Match (DELETE): the edit flow of docs/api.md;
- supply planners: binding constraints, unmet demand, utilisation, the list of plan versions;
- finance and executives (whole company): the financial plan by quarter and by family, the
  margin bridge, the demand plan of every family, the list of plan versions.

Prints the requests made, the answers by status (4xx by code, 5xx), and the p50/p95/p99
latency of reads (GET) and writes (POST, DELETE), overall and per request kind. The server's
output goes to ``serve.log`` in ``--log-dir`` (default: a scratch folder).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

CLI = "from oneplan.cli.main import app; app()"
ADMIN = "load-admin"
#: The team: role, how many of 50, scoped to one family or not.
TEAM = [("demand_planner", 20, True), ("sales", 10, True), ("supply_planner", 8, False),
        ("finance", 7, False), ("executive", 5, False)]  # fmt: skip
#: Of a demand planner's or sales manager's turns, how many write an override (and withdraw it).
WRITE_SHARE = {"demand_planner": 0.15, "sales": 0.10}


@dataclass
class User:
    name: str
    role: str
    family: str | None
    token: str = ""


@dataclass
class Tally:
    """Every answer's latency by (read or write, request kind), and the statuses."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    latencies: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    samples: dict[int, str] = field(default_factory=dict)

    def add(self, kind: str, method: str, seconds: float, answer: httpx.Response) -> None:
        side = "read" if method == "GET" else "write"
        with self.lock:
            self.latencies.setdefault((side, kind), []).append(seconds * 1000)
            self.statuses[answer.status_code] += 1
            if answer.status_code >= 400:
                self.samples.setdefault(answer.status_code, f"{kind}: {answer.text[:300]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def make_team(url: str, count: int) -> tuple[list[User], list[str]]:
    """The ``count`` users (made if missing) with a fresh token each, and the months planned."""
    import sqlalchemy as sa

    from oneplan.config import Settings
    from oneplan.db.models import Family
    from oneplan.db.session import create_db_engine, unit_of_work
    from oneplan.db.users import User as UserRow
    from oneplan.services.actor import Actor
    from oneplan.services.permissions import Grant, Role
    from oneplan.services.users.service import create_user
    from oneplan.services.users.tokens import create_token

    engine = create_db_engine(url, Settings(database_url=url, user=ADMIN))
    admin = Actor.administrator(ADMIN)
    with unit_of_work(engine) as session:
        families = sorted(session.scalars(sa.select(Family.code)))
        known = set(session.scalars(sa.select(UserRow.name)))
        if ADMIN not in known:
            create_user(session, admin, ADMIN, grants=[Grant(Role.admin)])
        team: list[User] = []
        for role, share, scoped in TEAM:
            for n in range(round(share * count / 50)):
                family = families[(len(team) + n) % len(families)] if scoped else None
                team.append(User(f"load-{role.replace('_', '-')}-{n + 1:02d}", role, family))
        for user in team:
            if user.name not in known:
                scope = frozenset({user.family}) if user.family else frozenset()
                create_user(session, admin, user.name, grants=[Grant(Role(user.role), scope)])
            user.token = create_token(session, admin, user.name, "load", days=1).token
    engine.dispose()
    return team, families


def turn(
    http: httpx.Client, user: User, months: list[str], rng: random.Random, tally: Tally
) -> None:
    """One thing ``user`` does: a read, or an override written, read back and withdrawn."""

    def call(kind: str, method: str, path: str, **options: object) -> httpx.Response:
        started = time.perf_counter()
        answer = http.request(method, path, **options)  # type: ignore[arg-type]
        tally.add(kind, method, time.perf_counter() - started, answer)
        return answer

    family = user.family
    if family is not None and rng.random() < WRITE_SHARE.get(user.role, 0.0):
        body = {
            "level": "family",
            "member": family,
            "period": rng.choice(months),
            "kind": "relative",
            "value": rng.choice([-3, 2, 5]),
            "reason": "load test",
        }
        made = call("override: create", "POST", "/demand/overrides", json=body)
        if made.status_code != 201:
            return
        number = made.json()[0]["id"]
        shown = call("override: show", "GET", f"/demand/overrides/{number}")
        if shown.status_code == 200:
            tag = shown.headers["etag"]
            call("override: withdraw", "DELETE", f"/demand/overrides/{number}",
                 params={"reason": "load test"}, headers={"If-Match": tag})  # fmt: skip
        return
    reads: list[tuple[str, str]]
    if family is not None:
        reads = [
            ("demand plan, family", f"/demand/plan?level=family&member={family}"),
            ("demand plan, items", "/demand/plan?level=item&limit=100"),
            ("demand layers", f"/demand/plan/family/layers?member={family}"),
            ("finance plan, family", f"/finance/plan?level=family&family={family}"),
            ("budget variance", f"/finance/budget-variance?family={family}"),
            ("unmet demand", "/supply/unmet-demand?limit=20"),
        ]
    elif user.role == "supply_planner":
        reads = [
            ("binding constraints", "/supply/binding-constraints?limit=20"),
            ("unmet demand", "/supply/unmet-demand?limit=20"),
            ("utilisation", "/supply/utilisation?limit=100"),
            ("plan versions", "/plan-versions?limit=20"),
        ]
    else:
        reads = [
            ("finance plan, quarters", "/finance/plan?grain=quarter"),
            ("finance plan, families", "/finance/plan?level=family"),
            ("margin bridge", "/finance/bridges/margin"),
            ("demand plan, families", "/demand/plan?level=family"),
            ("plan versions", "/plan-versions?limit=20"),
        ]
    kind, path = rng.choice(reads)
    call(kind, "GET", path)


def simulate(base: str, team: list[User], months: list[str], args: argparse.Namespace) -> Tally:
    tally = Tally()
    stop = time.monotonic() + args.seconds

    def person(number: int, user: User) -> None:
        rng = random.Random(number)
        headers = {"Authorization": f"Bearer {user.token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            time.sleep(rng.uniform(0, args.think))  # not all at once
            while time.monotonic() < stop:
                try:
                    turn(http, user, months, rng, tally)
                except httpx.HTTPError as error:
                    with tally.lock:
                        tally.failures[type(error).__name__] += 1
                time.sleep(rng.expovariate(1 / args.think) if args.think > 0 else 0)

    threads = [threading.Thread(target=person, args=pair) for pair in enumerate(team)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally


def percentiles(ms: list[float]) -> str:
    ms = sorted(ms)

    def at(share: float) -> float:
        return ms[min(len(ms) - 1, int(len(ms) * share))]

    return f"{len(ms):7,d}  p50 {at(0.50):7.1f}  p95 {at(0.95):7.1f}  p99 {at(0.99):7.1f} ms"


def report(tally: Tally, args: argparse.Namespace, url: str) -> None:
    total = sum(tally.statuses.values())
    kind = url.split(":")[0].split("+")[0]
    print(f"oneplan serve, {kind}, {args.workers} worker(s), {args.users} users, "
          f"think {args.think} s, {args.seconds:.0f} s: {total:,d} requests, "
          f"{total / args.seconds:.1f}/s")  # fmt: skip
    codes = sorted(tally.statuses.items())
    print("  answers: " + ", ".join(f"{code}: {n:,d}" for code, n in codes))
    errors_5xx = sum(n for code, n in codes if code >= 500)
    errors_4xx = {code: n for code, n in codes if 400 <= code < 500}
    print(f"  4xx: {errors_4xx or 'none'}; 5xx: {errors_5xx}; no answer: "
          f"{dict(tally.failures) or 'none'}")  # fmt: skip
    for code, sample in sorted(tally.samples.items()):
        print(f"    {code} e.g. {sample}")
    for side in ("read", "write"):
        ms = [x for (s, _), values in tally.latencies.items() if s == side for x in values]
        if ms:
            print(f"  {side + 's':<24}{percentiles(ms)}")
    for (side, name), values in sorted(tally.latencies.items()):
        print(f"    {side:<5} {name:<24}{percentiles(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the demo company's database, cycle run")
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between requests")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-dir", type=Path, default=None)
    args = parser.parse_args()
    team, _ = make_team(args.url, args.users)
    args.users = len(team)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.log_dir or Path(scratch)
        port = free_port()
        env = {**os.environ, "ONEPLAN_DATABASE_URL": args.url, "ONEPLAN_USER": ADMIN,
               "ONEPLAN_PORT": str(port), "ONEPLAN_WORKERS": str(args.workers)}  # fmt: skip
        with open(folder / "serve.log", "w") as log:
            server = subprocess.Popen(
                [sys.executable, "-c", CLI, "serve"], env=env, cwd=scratch,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
            months = warm_up(base, team)
            report(simulate(base, team, months, args), args, args.url)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)


def warm_up(base: str, team: list[User]) -> list[str]:
    """Each worker's first requests import the routes' modules; the months of the demand plan."""
    headers = {"Authorization": f"Bearer {team[0].token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
        answer = http.get(f"/demand/plan?level=family&member={team[0].family}")
        answer.raise_for_status()
        months = sorted({row["period"][:7] for row in answer.json()["items"]})
        for user in team:
            for path in ("/finance/plan?grain=quarter", "/supply/unmet-demand?limit=1"):
                http.get(path, headers={"Authorization": f"Bearer {user.token}"})
    return months[:6]


if __name__ == "__main__":
    main()
