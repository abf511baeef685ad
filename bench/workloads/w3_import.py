"""W3 import time: wall time of ``python -c "import M"`` minus ``python -c "pass"``.

Runs both commands ``--n`` times, interleaved, with the given interpreter and prints medians.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time

import common


def wall(cmd: list[str]) -> float:
    """Wall-clock seconds of one command (which must succeed)."""
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--python", required=True, help="interpreter to time")
    p.add_argument("--module", required=True, help="module to import")
    p.add_argument("--n", type=int, default=10, help="runs of each command")
    args = p.parse_args()
    wall([args.python, "-c", f"import {args.module}"])  # warm the OS file cache once
    imp, base = [], []
    for _ in range(args.n):
        base.append(wall([args.python, "-c", "pass"]))
        imp.append(wall([args.python, "-c", f"import {args.module}"]))
    b, i = statistics.median(base), statistics.median(imp)
    common.emit({"pass_s": b, "import_total_s": i, "import_s": i - b})


if __name__ == "__main__":
    main()
