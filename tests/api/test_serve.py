"""End to end: a real `oneplan serve` on 127.0.0.1 (a free port), the first administrator made
with `oneplan user create`, then log-in, CSRF, a token and an ETag edit over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import PASSWORD

CLI = "from oneplan.cli.main import app; app()"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {
        **os.environ,
        "ONEPLAN_DATABASE_URL": f"sqlite:///{tmp_path / 'oneplan.db'}",
        "ONEPLAN_USER": "alice",
        "ONEPLAN_PORT": str(port),
    }
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            CLI,
            "user",
            "create",
            "alice",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the server did not start:\n{output}")
            time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_real_server_from_log_in_to_an_etag_edit(server: str) -> None:
    base = server
    with httpx.Client(base_url=base) as browser:
        assert browser.get("/me").status_code == 401
        logged = browser.post("/auth/login", json={"name": "alice", "password": PASSWORD})
        assert logged.status_code == 200, logged.text
        assert "HttpOnly" in logged.headers["set-cookie"]
        csrf = {"X-CSRF-Token": logged.json()["csrf_token"]}
        assert browser.get("/me").json()["user"]["name"] == "alice"
        assert browser.post("/me/tokens", json={"label": "script"}).status_code == 403
        token = browser.post("/me/tokens", json={"label": "script"}, headers=csrf).json()["token"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as script:
        made = script.post("/users", json={"name": "bob", "grants": [{"role": "viewer"}]})
        assert made.status_code == 201, made.text
        etag = script.get("/users/bob").headers["etag"]
        granted = script.post(
            "/users/bob/grants", json={"role": "finance"}, headers={"If-Match": etag}
        )
        assert granted.status_code == 200
        stale = script.post(
            "/users/bob/grants", json={"role": "executive"}, headers={"If-Match": etag}
        )
        assert stale.status_code == 412
        assert stale.headers["content-type"] == "application/problem+json"
        assert script.get("/audit/verify").json()["broken"] is None
        assert "server" not in {name.lower() for name in script.get("/health").headers}
