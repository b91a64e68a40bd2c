"""Time to a usable page in a real browser, for every page of the web application.

    .venv/bin/python bench/web_pages.py [--items 1500] [--repeat 10] [--folder DIR]

Builds the demo company with ``--items`` items in a scratch folder (``oneplan demo-data``, then
``oneplan cycle run``; kept in ``--folder`` for the next run when given), opens a cycle, makes an
administrator, starts `oneplan serve` on a free port of 127.0.0.1, logs in with Debian's
Chromium (Playwright) at 1366 x 768 and loads each page ``--repeat`` times. "Usable" is the moment
the page's content is built in the browser (its ``page-ready`` marker is in the document), from
the start of the navigation. Prints the median and 95th percentile per page, in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from playwright.sync_api import sync_playwright

CLI = "from oneplan.cli.main import app; app()"
PASSWORD = "a long benchmark password"
PAGES = (
    "/",
    "/cycle",
    "/data",
    "/demand",
    "/demand?level=family&node=HOS",
    "/supply",
    "/finance",
    "/scenarios",
    "/executive",
    "/audit",
    "/admin",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def oneplan(env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-c", CLI, *args],
        input=stdin,
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )


def prepare(folder: Path, items: int, env: dict[str, str]) -> None:
    if (folder / "oneplan.db").exists():
        return
    started = time.perf_counter()
    oneplan(
        env,
        folder,
        "user",
        "create",
        "ada",
        "--role",
        "admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    oneplan(env, folder, "demo-data", "company", "--items", str(items), "--no-history")
    oneplan(env, folder, "cycle", "run", "company")
    print(f"demo company with {items} items built in {time.perf_counter() - started:.0f} s")


def measure(base: str, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {page: [] for page in PAGES}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "chromium",
            args=["--no-sandbox", "--disable-gpu"],
        )
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(f"{base}/app/login")
        page.fill("input[name=name]", "ada")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/app/")
        for _ in range(repeat):
            for path in PAGES:
                started = time.perf_counter()
                answer = page.goto(f"{base}/app{path}", wait_until="commit")
                if answer is not None and answer.status == 404:
                    continue  # a page this version does not have
                page.wait_for_selector("[data-testid=page-ready]", state="attached", timeout=60_000)
                timings[path].append(1000 * (time.perf_counter() - started))
        browser.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="oneplan-web-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {
        **os.environ,
        "ONEPLAN_DATABASE_URL": f"sqlite:///{folder / 'oneplan.db'}",
        "ONEPLAN_USER": "ada",
        "ONEPLAN_PORT": str(port),
    }
    prepare(folder, args.items, env)
    server = subprocess.Popen(
        [sys.executable, "-c", CLI, "serve"],
        env=env,
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        timings = measure(base, args.repeat)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    print(f"time to a usable page, {args.items} items, {args.repeat} loads each (ms)")
    print(f"{'page':38} {'p50':>7} {'p95':>7}")
    for path, values in timings.items():
        if not values:
            continue
        p50, p95 = np.percentile(values, [50, 95])
        print(f"{path:38} {p50:7.0f} {p95:7.0f}")


if __name__ == "__main__":
    main()
