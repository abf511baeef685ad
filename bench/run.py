"""Benchmark driver: run the workloads on tracklog and its peers, write docs/benchmarks.md.

Usage (from the repository root, with the dev venv active)::

    python bench/run.py                      # everything, 3 repeats
    python bench/run.py --only peers --quick # scaled-down smoke run of the peers
    python bench/run.py --only tracklog      # re-measure tracklog, keep stored peer numbers

Each repeat of each case runs in a fresh subprocess in a fresh dir under ``bench/.work/``.
Peers run in their own venvs under ``bench/.venvs/`` (created on first use). Raw results are
kept in ``bench/results.json`` (``bench/.work/results-quick.json`` for ``--quick``); cases not
selected by ``--only`` keep their stored results, so the report always shows the full matrix.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
sys.path[:0] = [str(BENCH), str(BENCH / "workloads")]

from common import parse_result  # noqa: E402

import cases as cases_mod  # noqa: E402
import report  # noqa: E402
import venvs  # noqa: E402

TIMEOUT_S = 3600
BASE_ENV = {  # keep every tracker offline, quiet and inside the work dir
    "DO_NOT_TRACK": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "WANDB_MODE": "offline",
    "WANDB_SILENT": "true",
    "PYTHONHASHSEED": "0",
}


def parse_args() -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeats", type=int, default=None, help="repeats per case (3; 1 if --quick)")
    p.add_argument(
        "--only",
        default=None,
        help="comma-separated: tracklog | peers | a peer | W1 … W9 | R1 … R3 | W2-100k | R3-10M",
    )
    p.add_argument("--quick", action="store_true", help="scaled-down smoke run")
    p.add_argument("--out", type=Path, default=None, help="report path (docs/benchmarks.md)")
    p.add_argument("--fresh", action="store_true", help="forget stored results of other cases")
    p.add_argument("--keep", action="store_true", help="keep the work dirs under bench/.work")
    p.add_argument(
        "--report-only", action="store_true", help="only re-render the report from stored results"
    )
    args = p.parse_args()
    if args.repeats is None:
        args.repeats = 1 if args.quick else 3
    if args.out is None:
        args.out = WORK / "benchmarks-quick.md" if args.quick else ROOT / "docs/benchmarks.md"
    return args


def log(msg: str) -> None:
    """Progress output (stderr, so stdout stays clean)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def interpreter(tracker: str) -> str:
    """Python to run a tracker's workloads with: the dev venv for tracklog, else the peer's."""
    return sys.executable if tracker == "tracklog" else str(venvs.venv_python(tracker))


def compile_sources() -> None:
    """Byte-compile the working tree (into its ``__pycache__`` folders, which git ignores), as
    pip does at install: tracklog is measured as users run it. Without this, a shell with
    ``PYTHONDONTWRITEBYTECODE`` set compiles every tracklog module from source in every
    process, ~40 ms of each ``init()`` on the 2-core machine. Peers' venvs are compiled by pip."""
    for folder in (ROOT / "src", BENCH / "workloads"):
        compileall.compile_dir(folder, quiet=1)


def case_env(case: cases_mod.Case, workdir: Path) -> dict[str, str]:
    """Environment of one repeat: HOME and caches in the work dir, tracker stores set."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(BASE_ENV)
    env.update(case.env)
    env["HOME"] = str(home)
    env["TRACKIO_DIR"] = str(workdir / "store")
    env["TRACKLOG_URI"] = f"sqlite:///{workdir / 'store' / 'tracklog.db'}"
    if case.tracker == "tracklog":
        env["PYTHONPATH"] = str(ROOT / "src")  # measure the working tree even if not installed
    return env


def run_once(case: cases_mod.Case, rep: int, keep: bool) -> dict[str, Any]:
    """Run one repeat of a case in a fresh process and dir; return its result or error."""
    slug = re.sub(r"[^a-z0-9]+", "-", case.label.lower()).strip("-")
    workdir = WORK / f"{case.workload}-{slug}-{rep}"
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "store").mkdir(parents=True)
    script = str(BENCH / "workloads" / case.script)
    if case.workload == "W3":  # the driver's Python times the tracker's interpreter
        cmd = [sys.executable, script, "--python", interpreter(case.tracker), *case.args]
    else:
        cmd = [interpreter(case.tracker), script, "--workdir", str(workdir), *case.args]
    env = case_env(case, workdir)
    load1 = os.getloadavg()[0]
    if case.workload == "W3" and case.tracker != "tracklog":
        env.pop("PYTHONPATH", None)
    t0 = time.perf_counter()
    timeout = min(case.timeout_s, TIMEOUT_S)
    # A session of its own, so that whatever the case started (servers, clients) can be killed
    # with it, also when it crashes or times out.
    proc = subprocess.Popen(
        cmd,
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        res = parse_result(out)
        if proc.returncode != 0 or res is None:
            tail = (err or out)[-4000:]
            res = {"error": f"exit code {proc.returncode}", "stderr": tail}
    except subprocess.TimeoutExpired:
        kill_session(proc.pid, signal.SIGTERM)  # lets the workload stop its server
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            out, err = "", ""
        res = {"error": f"timed out after {timeout} s", "stderr": (err or "")[-4000:]}
    finally:
        kill_session(proc.pid, signal.SIGKILL)  # anything the case left running
        proc.wait()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    res["wall_s"] = time.perf_counter() - t0
    res["load1"] = load1
    return res


def kill_session(pid: int, sig: int) -> None:
    """Send ``sig`` to every process of the session (process group) that ``pid`` leads."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def tracker_version(tracker: str) -> str:
    """Installed version of a peer, or tracklog's version plus the git revision."""
    if tracker != "tracklog":
        return venvs.installed_version(tracker)
    code = "import importlib.metadata as m; print(m.version('tracklog'))"
    ver = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    rev = subprocess.run(
        ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
    )
    version = ver.stdout.strip() or "not installed"
    return f"{version} (git {rev.stdout.strip() or 'no commits'})"


def load_results(path: Path, machine: dict[str, Any], fresh: bool) -> dict[str, Any]:
    """Stored results of earlier runs on the same machine (empty when --fresh or none)."""
    if fresh or not path.is_file():
        return {}
    data = json.loads(path.read_text())
    same = {k: data.get("machine", {}).get(k) for k in ("cpu", "cores")}
    if same != {k: machine[k] for k in ("cpu", "cores")}:
        log(f"ignoring {path}: measured on another machine")
        return {}
    return data.get("cases", {})


def main() -> None:
    """Run the selected cases and write the report."""
    args = parse_args()
    command = "python bench/run.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    selected = cases_mod.select(cases_mod.all_cases(args.quick), args.only, list(venvs.PEERS))
    machine = report.machine_info()
    results_path = WORK / "results-quick.json" if args.quick else BENCH / "results.json"
    stored = load_results(results_path, machine, args.fresh)
    if args.report_only:
        write_report(args, stored, machine)
        return
    WORK.mkdir(exist_ok=True)
    compile_sources()
    t_start = time.perf_counter()

    broken: dict[str, str] = {}
    for peer in sorted({c.tracker for c in selected} - {"tracklog"}):
        try:
            venvs.ensure_venv(peer, log=log)
        except Exception as e:  # keep going: its cases become error rows
            broken[peer] = str(e)
    versions = {t: tracker_version(t) for t in {c.tracker for c in selected} - set(broken)}

    today = dt.date.today().isoformat()
    runs: dict[str, list[dict[str, Any]]] = {c.key: [] for c in selected}
    for rep in range(args.repeats):  # interleave cases so slow drift hits all of them
        for c in selected:
            if c.max_repeats is not None and rep >= c.max_repeats:
                continue
            if c.tracker in broken:
                res = {"error": "venv setup failed", "stderr": broken[c.tracker]}
            else:
                n = min(args.repeats, c.max_repeats or args.repeats)
                log(f"{c.key} repeat {rep + 1}/{n}")
                res = run_once(c, rep, args.keep)
            if "error" in res:
                log(f"  FAILED: {res['error']}: {res['stderr'].strip().splitlines()[-1:]}")
            runs[c.key].append(res)
    for c in selected:
        stored[c.key] = {
            "workload": c.workload,
            "tracker": c.tracker,
            "label": c.label,
            "note": c.note,
            "version": versions.get(c.tracker, "?"),
            "date": today,
            "command": command,
            "runs": runs[c.key],
        }
    elapsed = time.perf_counter() - t_start
    results_path.write_text(json.dumps({"machine": machine, "cases": stored}, indent=1) + "\n")
    write_report(args, stored, machine)
    log(f"done in {elapsed / 60:.1f} min; results in {results_path}")


def write_report(args: argparse.Namespace, stored: dict[str, Any], machine: dict[str, Any]) -> None:
    """Render the stored results (in matrix order) to ``args.out``."""
    order = [c.key for c in cases_mod.all_cases(args.quick)]
    ordered = {k: stored[k] for k in order if k in stored}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report.render(ordered, machine, args.quick))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
