"""How fast the command line starts: `oneplan --help` and the light commands.

    .venv/bin/python bench/startup.py [--runs 15]

Builds a scratch SQLite database holding the demo company and one stored plan version, then
runs each command ``--runs`` times in a fresh process, as a user's shell would, and prints the
median and the slowest wall time. Bound: under 0.5 s for `--help`, `plan list` and `audit`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONEPLAN = Path(sys.executable).with_name("oneplan")
COMMANDS = [
    ["--help"],
    ["version"],
    ["plan", "list"],
    ["audit"],
    ["scenario", "list"],
    ["demand", "--help"],
]


def timed(command: list[str], env: dict[str, str], folder: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(ONEPLAN), *command], cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        env = {**os.environ, "ONEPLAN_DATABASE_URL": f"sqlite:///{folder / 'oneplan.db'}"}
        for setup in (["demo-data", "demo"], ["import", "demo"]):
            subprocess.run(
                [str(ONEPLAN), *setup], cwd=folder, env=env, check=True, capture_output=True
            )
        print(f"{'command':<24} {'median s':>9} {'slowest s':>10}")
        for command in COMMANDS:
            timed(command, env, folder)  # the first run warms the file cache
            times = [timed(command, env, folder) for _ in range(args.runs)]
            name = "oneplan " + " ".join(command)
            print(f"{name:<24} {statistics.median(times):>9.3f} {max(times):>10.3f}")


if __name__ == "__main__":
    main()
