"""C1 run-context capture: what capture adds to ``init()``, and what the system sampler costs.

In a git repository of 1,000 files with uncommitted work, with about 300 installed
distributions, ``tracklog.init`` runs in fresh processes with capture on (the defaults) and off
(``TRACKLOG_CAPTURE=0``), interleaved; the difference of the medians is capture's cost. Then
the system sampler runs at a short interval and its CPU time per sample is scaled to the default
10 s interval.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import common

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "capture"))
from capture_helpers import make_big_project

CHILD = """
import json, sys, time
import tracklog
begin = time.perf_counter()
run = tracklog.init(project="capture", dir=sys.argv[1])
init_s = time.perf_counter() - begin
run.finish()  # the one-shot captures run on a thread of their own: filed once it ends
meta = tracklog.Api().run(run.id).metadata
capture = meta.get("capture", {})
print(json.dumps({"init_s": init_s, "capture_ms": capture.get("ms", {}),
                  "notes": capture.get("notes", []),
                  "packages": meta.get("packages", {}).get("count")}))
"""

GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def init_once(repo: Path, env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(repo)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"init failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sampler_cost(samples: int) -> float:
    """CPU seconds of the sampler thread per sample (psutil import and first reading apart)."""
    from tracklog.sdk.capture.system import SystemSampler

    sampler = SystemSampler(lambda s: None, interval_s=0.1).start()
    deadline = time.monotonic() + 120
    while sampler.samples < samples and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    return sampler.cpu_seconds / max(sampler.samples, 1)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--n", type=int, default=7, help="fresh processes per setting")
    p.add_argument("--packages", type=int, default=300)
    args = p.parse_args()
    os.environ.update(GIT_ENV)
    repo, site = make_big_project(args.workdir, args.packages)
    path = os.pathsep.join(x for x in (os.environ.get("PYTHONPATH"), str(site)) if x)
    env = {**os.environ, "PYTHONPATH": path}
    env.setdefault("TRACKLOG_URI", f"sqlite:///{args.workdir / 'store' / 'tracklog.db'}")
    (args.workdir / "store").mkdir(parents=True, exist_ok=True)
    env.pop("TRACKLOG_CAPTURE", None)
    off_env = {**env, "TRACKLOG_CAPTURE": "0"}
    init_once(repo, off_env)  # creates the store, warms the file cache
    on, off, parts = [], [], []
    for _ in range(args.n):
        off.append(float(init_once(repo, off_env)["init_s"]))  # type: ignore[arg-type]
        res = init_once(repo, env)
        on.append(float(res["init_s"]))  # type: ignore[arg-type]
        parts.append(res)
    last = parts[-1]
    per_sample = sampler_cost(30)
    common.emit(
        {
            "init_off_s": statistics.median(off),
            "init_on_s": statistics.median(on),
            "capture_added_s": statistics.median(on) - statistics.median(off),
            "capture_all_s": statistics.median(
                float(r["capture_ms"].get("total", 0)) / 1000
                for r in parts  # type: ignore[union-attr]
            ),
            "packages": last["packages"],
            "notes": len(last["notes"]),  # type: ignore[arg-type]
            "sampler_ms_per_sample": per_sample * 1000,
            "sampler_core_pct": per_sample / 10.0 * 100,
        }
    )


if __name__ == "__main__":
    main()
