"""The README's main command, timed: the demo company's whole cycle, first run and second run.

    .venv/bin/python bench/demo_cycle.py [--items 150]

Runs `oneplan demo-data` and `oneplan cycle run` in a scratch folder with its own SQLite file,
twice, as a user would, and prints the wall time of each run and of each step (from the cycle's
own table). The second run finds the data unchanged and reuses the forecast.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ONEPLAN = Path(sys.executable).with_name("oneplan")
STEP_ROW = re.compile(r"^│ (\w+)\s+│\s+([\d.]+) │", re.M)


def run(folder: Path, items: int) -> tuple[float, dict[str, float]]:
    env = {
        **os.environ,
        "ONEPLAN_DATABASE_URL": f"sqlite:///{folder / 'oneplan.db'}",
        "COLUMNS": "200",
    }
    started = time.perf_counter()
    for command in (
        ["demo-data", "demo-company", "--items", str(items)],
        ["cycle", "run", "demo-company"],
    ):
        done = subprocess.run(
            [str(ONEPLAN), *command],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    seconds = time.perf_counter() - started
    return seconds, {name: float(s) for name, s in STEP_ROW.findall(done.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        results = [run(folder, args.items) for _ in range(2)]
    steps = list(results[0][1])
    print(f"{'run':<8}{'total s':>9}" + "".join(f"{s:>11}" for s in steps))
    for label, (total, by_step) in zip(("first", "second"), results, strict=True):
        print(f"{label:<8}{total:>9.1f}" + "".join(f"{by_step.get(s, 0):>11.1f}" for s in steps))


if __name__ == "__main__":
    main()
