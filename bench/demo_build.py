"""Time and memory to build the demo company at several sizes.

Run: .venv/bin/python bench/demo_build.py [items ...]
Each size is built twice in a fresh process: once timed, once under tracemalloc for the peak of
memory allocated while building (numpy and pandas report to tracemalloc); the process's peak
resident size is printed too.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
import tracemalloc

SIZES = (150, 2_000, 20_000)


def measure(items: int) -> dict[str, float]:
    from oneplan.demo import build_demo_company

    started = time.perf_counter()
    tables = build_demo_company(items=items)
    seconds = time.perf_counter() - started
    rows = sum(len(t) for t in tables.values())
    history = len(tables["sales_history"])
    del tables
    tracemalloc.start()
    build_demo_company(items=items)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "items": items,
        "seconds": seconds,
        "rows": rows,
        "history": history,
        "peak_mb": peak / 2**20,
        "rss_mb": rss,
    }


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(measure(int(sys.argv[2]))))
        return
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    print(
        f"{'items':>8} {'seconds':>8} {'all rows':>10} {'history rows':>13} "
        f"{'peak MiB':>9} {'max RSS MiB':>12}"
    )
    for items in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(items)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout)
        print(
            f"{r['items']:>8,} {r['seconds']:>8.2f} {r['rows']:>10,} {r['history']:>13,} "
            f"{r['peak_mb']:>9.0f} {r['rss_mb']:>12.0f}"
        )


if __name__ == "__main__":
    main()
