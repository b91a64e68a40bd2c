"""How fast the command line starts: `oneplan --help` and the light commands.

    .venv/bin/python bench/startup.py [--runs 15]

Builds a scratch SQLite database holding the demo company (its import is in the audit trail),
then runs each command ``--runs`` times in a fresh process, as a user's shell would, and prints
the median and slowest wall time and the median CPU time (user + system), which other work on
the machine barely moves. Bound: under 0.5 s for `--help`, `plan list` and `audit`.
"""

from __future__ import annotations

import argparse
import os
import resource
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


def timed(command: list[str], env: dict[str, str], folder: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run in a fresh process; the CPU time
    barely moves when other work shares the machine, the wall time does."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([str(ONEPLAN), *command], cwd=folder, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


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
        print(f"{'command':<24} {'median s':>9} {'slowest s':>10} {'median CPU s':>13}")
        for command in COMMANDS:
            timed(command, env, folder)  # the first run warms the file cache
            walls, cpus = zip(*(timed(command, env, folder) for _ in range(args.runs)), strict=True)
            name = "oneplan " + " ".join(command)
            print(
                f"{name:<24} {statistics.median(walls):>9.3f} {max(walls):>10.3f} "
                f"{statistics.median(cpus):>13.3f}"
            )


if __name__ == "__main__":
    main()
