"""How many requests a real `oneplan serve` answers: reads and ETag edits, with an API token.

    .venv/bin/python bench/api_requests.py [--seconds 10] [--clients 4] [--workers 1] [--url ...]

Starts `oneplan serve` on a free port of 127.0.0.1 over a scratch SQLite file (or the database
at ``--url``, which it migrates), makes an administrator and a token, stores a few plan versions
and scenarios, then runs ``--clients`` threads for ``--seconds`` each of three mixes in turn:
``GET /plan-versions`` (a page), ``GET /me``, and a scenario edit (GET for the ETag, then POST
an assumption with If-Match). Prints requests per second and the median and 95th-percentile
latency of each mix.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

CLI = "from oneplan.cli.main import app; app()"
PASSWORD = "correct horse battery staple"
ASSUMPTION = {"kind": "demand_change", "target_level": "total", "value": 1, "unit": "percent"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def run(
    mix: Callable[[httpx.Client, int], int], base: str, token: str, args: argparse.Namespace
) -> None:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + args.seconds

    def client(number: int) -> None:
        mine: list[float] = []
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=30) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                calls = mix(http, number)
                mine.extend([(time.perf_counter() - started) / calls] * calls)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95)] if ms else float("nan")
    print(
        f"{mix.__name__:>12}: {len(ms) / args.seconds:7,.0f} requests/s, "
        f"median {statistics.median(ms):6.1f} ms, p95 {p95:6.1f} ms"
    )


def page(http: httpx.Client, _: int) -> int:
    assert http.get("/plan-versions?limit=20").status_code == 200
    return 1


def me(http: httpx.Client, _: int) -> int:
    assert http.get("/me").status_code == 200
    return 1


def edit(http: httpx.Client, number: int) -> int:
    path = f"/scenarios/bench {number}"
    etag = http.get(path).headers["etag"]
    answer = http.post(f"{path}/assumptions", json=ASSUMPTION, headers={"If-Match": etag})
    assert answer.status_code == 200, answer.text
    return 2


def store_versions(url: str, count: int) -> None:
    """``count`` small demand plan versions, for the listing to page through."""
    import pandas as pd

    from oneplan.config import Settings
    from oneplan.db.session import create_db_engine, unit_of_work
    from oneplan.services.actor import Actor
    from oneplan.services.versions.store import save_version

    engine = create_db_engine(url, Settings(database_url=url, user="bench"))
    frame = pd.DataFrame({"item": ["A"] * 12, "period": range(12), "quantity": 1.0})
    with unit_of_work(engine) as session:
        for number in range(count):
            save_version(
                session, Actor.administrator("bench"), cycle=f"2027-{number % 12 + 1:02d}",
                kind="demand", name=f"bench {number}", frames={"consensus": frame},
                settings={}, summary={"total_units": 12.0}, input_hash=str(number),
            )  # fmt: skip
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {
            **os.environ,
            "ONEPLAN_DATABASE_URL": args.url or f"sqlite:///{Path(folder) / 'bench.db'}",
            "ONEPLAN_USER": "bench",
            "ONEPLAN_PORT": str(port),
            "ONEPLAN_WORKERS": str(args.workers),
        }
        command = [sys.executable, "-c", CLI]
        subprocess.run([*command, "db", "upgrade"], env=env, cwd=folder, check=True)
        store_versions(env["ONEPLAN_DATABASE_URL"], 50)
        subprocess.run(
            [*command, "user", "create", "bench", "--role", "admin", "--password-stdin"],
            input=PASSWORD + "\n", text=True, env=env, cwd=folder, check=True,
        )  # fmt: skip
        server = subprocess.Popen(
            [*command, "serve"], env=env, cwd=folder,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/ready").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            login = {"name": "bench", "password": PASSWORD}
            with httpx.Client(base_url=base, timeout=60) as browser:
                csrf = browser.post("/auth/login", json=login).json()["csrf_token"]
                made = browser.post(
                    "/me/tokens", json={"label": "bench"}, headers={"X-CSRF-Token": csrf}
                )
                token = made.json()["token"]
            bearer = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=bearer, timeout=120) as http:  # first: imports
                for number in range(args.clients):
                    http.post("/scenarios", json={"name": f"bench {number}"})
            kind = env["ONEPLAN_DATABASE_URL"].split(":")[0]
            print(f"oneplan serve, {args.workers} worker(s), {args.clients} clients, {kind}")
            for mix in (page, me, edit):
                run(mix, base, token, args)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
