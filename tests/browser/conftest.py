"""A real browser on a real server: Debian's Chromium driven by Playwright against
`oneplan serve` on 127.0.0.1 over the demo company, with one user per role.

`make test` installs the ``chromium`` package when it is missing (Playwright cannot download
browsers here); without it these tests fail under CI and are skipped elsewhere. Screenshots go
to ``ONEPLAN_SCREENSHOTS`` when it is set (``make screenshots`` sets docs/screenshots).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CLI = "from oneplan.cli.main import app; app()"
PASSWORD = "a long journey password"
#: name, role, scope options of `oneplan user create`
PEOPLE = (
    ("ada", "admin", []),
    ("dora", "demand_planner", []),
    ("saul", "sales", ["--family", "HOS"]),
    ("suki", "supply_planner", []),
    ("finn", "finance", []),
    ("eve", "executive", []),
    ("vic", "viewer", []),
)
SCREEN = {"width": 1366, "height": 768}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _oneplan(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", CLI, *args],
        input=stdin,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"oneplan {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Site:
    base: str
    env: dict[str, str]
    folder: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo company, planned, with one user per role and the cycle open, served."""
    folder = tmp_path_factory.mktemp("site")
    port = _free_port()
    env = {
        **os.environ,
        "ONEPLAN_DATABASE_URL": f"sqlite:///{folder / 'oneplan.db'}",
        "ONEPLAN_USER": "ada",
        "ONEPLAN_PORT": str(port),
    }
    for at, (name, role, scope) in enumerate(PEOPLE):
        if at == 1:  # the first is the administrator; scopes name families the data brings
            _oneplan(env, folder, "demo-data", "demo-company")
            _oneplan(env, folder, "cycle", "run", "demo-company")
        login = ("--password-stdin",)
        _oneplan(
            env,
            folder,
            "user",
            "create",
            name,
            "--role",
            role,
            *scope,
            *login,
            stdin=PASSWORD + "\n",
        )
    log = (folder / "server.log").open("w")  # a file, not a pipe: a full pipe stops a server
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve"],
        env=env,
        cwd=folder,
        stdout=log,
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
                pytest.fail(f"the server did not start:\n{(folder / 'server.log').read_text()}")
            time.sleep(0.2)
        yield Site(base, env, folder)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def chromium_path() -> str:
    found = shutil.which("chromium")
    if found is None:
        message = "Debian's chromium is not installed (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


class Person:
    """One person's browser tab, logged in."""

    def __init__(self, browser: Browser, site: Site, name: str) -> None:
        self.name, self.site = name, site
        self.context = browser.new_context(viewport=SCREEN)  # type: ignore[arg-type]
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(30_000)
        self.page.goto(f"{site.base}/app/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{site.base}/app/")

    def go(self, path: str) -> Page:
        self.page.goto(f"{self.site.base}/app{path}")
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shoot(self, name: str) -> None:
        """Keep a picture of the page as the person sees it (docs/screenshots)."""
        folder = os.environ.get("ONEPLAN_SCREENSHOTS")
        if folder:
            self.page.wait_for_timeout(500)  # charts draw after the page settles
            self.page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def people(browser: Browser, site: Site) -> Iterator[dict[str, Person]]:
    logged_in: dict[str, Person] = {}

    class Lazy(dict[str, Person]):
        def __missing__(self, name: str) -> Person:
            logged_in[name] = Person(browser, site, name)
            self[name] = logged_in[name]
            return logged_in[name]

    yield Lazy()
    for person in logged_in.values():
        person.close()
