"""A disk that fills up while the writer flushes must not corrupt the store.

The child process caps its own file size (RLIMIT_FSIZE), which makes SQLite's writes fail just
as they do on a full disk; the parent then checks the store with SQLite's integrity check.
"""

from __future__ import annotations

import getpass
import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import tracklog
from tracklog.cli.main import cli
from tracklog.sdk import rescue
from tracklog.sdk.writer import PendingBatch
from tracklog.store.records import SeriesPoints
from tracklog.store.tracking import Store

CHILD = textwrap.dedent(
    """
    import resource, signal, sys
    import tracklog

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    run = tracklog.init(project="full", config={"lr": 0.1})
    print(run.id, flush=True)
    for i in range(2000):
        run.log({"early": float(i)})
    run._writer.flush()
    limit = max(f.stat().st_size for f in __import__("pathlib").Path(sys.argv[1]).iterdir())
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit + 8192, limit + 8192))
    for i in range(200_000):
        run.log({"late": float(i), "noise": float(i) * 1.37})
    run.finish()
    """
)


def test_full_disk_while_flushing_keeps_the_store_intact(local_store: str, tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, local_store],
        capture_output=True,
        env=os.environ.copy(),
        timeout=240,
    )
    run_id = proc.stdout.decode().split()[0]
    stderr = proc.stderr.decode()
    assert "were not written because the store failed" in stderr, stderr
    assert "Traceback" not in stderr.split("tracklog:")[0], stderr
    db = Path(local_store) / "tracklog.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    run = tracklog.Api().run(run_id)
    assert run.config == {"lr": 0.1}
    assert run.series("early").values.tolist() == [float(i) for i in range(2000)]
    assert run.status == "FAILED" and "they are lost" in (run.error or "")  # not FINISHED


# -- a real full filesystem: a small tmpfs the test fills -------------------------------------

LOGGER = textwrap.dedent(
    """
    import os, random, signal, sys
    from pathlib import Path
    import tracklog

    # Ctrl-C raises KeyboardInterrupt, as in a script started from a terminal. A test run in
    # the background (a shell's `pytest &`) hands its children SIGINT ignored, and Python
    # keeps an ignored SIGINT ignored: the test's Ctrl-C would be lost.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    disk = Path(sys.argv[1])
    run = tracklog.init(project="full")
    print(run.id, flush=True)
    for i in range(100):
        run.log({"loss": float(i)})
    run._writer.flush()
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    for size in (1 << 16, 1 << 12):  # until not even a page is left
        try:
            while True:
                os.write(fd, b"x" * size)
        except OSError:
            pass
    os.close(fd)
    rng = random.Random(0)  # values that do not compress, so the store needs new pages
    for i in range(100, int(sys.argv[2])):
        run.log({"loss": rng.random(), "acc": rng.random()})
    run.finish()
    """
)
POINTS = 30_000  # loss points logged (acc has 100 fewer)
# A child that has not ended by then hangs (it ends in seconds, or retries for 600 s when it
# misses the test's Ctrl-C): it is killed and the test fails instead of waiting for it.
HANG_S = 180


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs of this test's own, to fill up (needs root, as in CI's container)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode != 0:  # a container without the right to mount
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def _log_to_full_disk(
    disk: Path, env: dict[str, str], on_retry: Callable[[subprocess.Popen[str]], object]
) -> str:
    """Run :data:`LOGGER` with its store on ``disk``; call ``on_retry`` with the process when it
    says it retries. Returns its run id, a line break and its stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-c", LOGGER, str(disk), str(POINTS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TRACKLOG_URI": str(disk / "store"), **env},
    )
    assert proc.stdout is not None and proc.stderr is not None
    watchdog = threading.Timer(HANG_S, proc.kill)  # ends the reads below if the child hangs
    watchdog.start()
    lines = []
    try:
        run_id = proc.stdout.readline().strip()
        for line in proc.stderr:  # the marker is printed once the child is in the retry loop
            lines.append(line)
            if "retrying for up to" in line:
                on_retry(proc)
        code = proc.wait()
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert code != -signal.SIGKILL, f"the child hung for {HANG_S} s:\n" + "".join(lines)
    # 1: the points are lost; -SIGINT: Python's end after an uncaught KeyboardInterrupt
    assert code in (0, 1, -signal.SIGINT), "".join(lines)
    return run_id + "\n" + "".join(lines)


def _all_points(store: str, run_id: str) -> None:
    run = tracklog.Api(store).run(run_id)
    assert run.status == "FINISHED" and run.error is None
    assert len(run.series("loss")) == POINTS and len(run.series("acc")) == POINTS - 100


def test_space_back_within_the_retry_window_loses_nothing(disk: Path) -> None:
    out = _log_to_full_disk(
        disk, {"TRACKLOG_FINISH_RETRY": "600"}, on_retry=lambda _: (disk / "filler").unlink()
    )
    run_id, err = out.split("\n", 1)
    assert "retrying for up to 600 s" in err and "rescue" not in err, err
    _all_points(str(disk / "store"), run_id)


def test_a_disk_that_stays_full_saves_a_journal_elsewhere(disk: Path, tmp_path: Path) -> None:
    fallback = tmp_path / "rescue"
    env = {"TRACKLOG_FINISH_RETRY": "0.5", "TRACKLOG_RESCUE_DIR": str(fallback)}
    run_id, err = _log_to_full_disk(disk, env, on_retry=lambda _: None).split("\n", 1)
    command = re.search(r"`(tracklog sync (\S+) --uri \S+)`", err)
    assert command is not None, err
    assert Path(command.group(2)).parent == fallback
    count = re.search(r"(\d+) points were not written .* \(loss: (\d+), acc: (\d+)\)", err)
    assert count is not None, err
    assert int(count.group(1)) == int(count.group(2)) + int(count.group(3))
    assert "database or disk is full" in err
    (disk / "filler").unlink()  # space is back: the printed command applies the rest
    synced = CliRunner().invoke(cli, command.group(1).split()[1:], catch_exceptions=False)
    assert synced.exit_code == 0, synced.output
    _all_points(str(disk / "store"), run_id)


def test_ctrl_c_while_finish_retries_still_saves_the_journal(disk: Path, tmp_path: Path) -> None:
    env = {"TRACKLOG_FINISH_RETRY": "600", "TRACKLOG_RESCUE_DIR": str(tmp_path / "rescue")}
    out = _log_to_full_disk(disk, env, on_retry=lambda proc: proc.send_signal(signal.SIGINT))
    run_id, err = out.split("\n", 1)
    assert "KeyboardInterrupt" in err  # the interrupt goes on once the journal is saved
    command = re.search(r"`(tracklog sync \S+ --uri \S+)`", err)
    assert command is not None, err
    (disk / "filler").unlink()
    synced = CliRunner().invoke(cli, command.group(1).split()[1:], catch_exceptions=False)
    assert synced.exit_code == 0, synced.output
    _all_points(str(disk / "store"), run_id)


def test_when_no_place_takes_the_journal_the_loss_is_counted_per_series(
    disk: Path, tmp_path: Path
) -> None:
    places = {"TRACKLOG_RESCUE_DIR": disk / "rescue", "XDG_CACHE_HOME": disk / "cache"}
    for folder in places.values():
        folder.mkdir()
    # The temporary folder is not on the full disk (Python skips a $TMPDIR it cannot write),
    # but a file stands where the journal's folder would go.
    places["TMPDIR"] = tmp_path / "tmp"
    places["TMPDIR"].mkdir()
    (places["TMPDIR"] / f"tracklog-rescue-{getpass.getuser()}").write_text("in the way")
    env = {k: str(v) for k, v in places.items()} | {"TRACKLOG_FINISH_RETRY": "0"}
    run_id, err = _log_to_full_disk(disk, env, on_retry=lambda _: None).split("\n", 1)
    lost = re.search(r"(\d+) points \(loss: (\d+), acc: (\d+)\) were not written", err)
    assert lost is not None and "they are lost" in err, err
    for folder in [disk / "store" / "offline", *places.values()]:
        assert str(folder) in err  # each place tried is named with its error
    (disk / "filler").unlink()
    stored = {st.key: st.count for st in Store(str(disk / "store")).series_stats(run_id)}
    assert stored.get("loss", 0) + int(lost.group(2)) == POINTS
    assert stored.get("acc", 0) + int(lost.group(3)) == POINTS - 100
    assert int(lost.group(1)) == int(lost.group(2)) + int(lost.group(3))


@pytest.mark.parametrize("text", ["soon", "-1", "inf", "nan"])
def test_a_bad_retry_setting_warns_and_keeps_the_default(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv(rescue.RETRY_ENV, text)
    with pytest.warns(UserWarning, match="TRACKLOG_FINISH_RETRY must be a number"):
        assert rescue.retry_seconds() == rescue.DEFAULT_RETRY_S
    monkeypatch.setenv(rescue.RETRY_ENV, "0")
    assert rescue.retry_seconds() == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chown needs root")
def test_a_temporary_folder_of_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    place = rescue.folders(tmp_path / "full")[-1]
    assert place.parent == tmp_path
    place.mkdir()
    os.chown(place, 4242, 4242)  # made by someone else, who could read what lands there
    batch = PendingBatch("b1", [SeriesPoints("loss", "", *([np.arange(3)] * 3))])
    with pytest.raises(OSError, match="belongs to another user"):
        rescue.write_journal([place], "r-rescue", "r", [batch], {})
    assert not (place / "r-rescue").exists()
    os.chown(place, os.getuid(), os.getgid())
    assert rescue.write_journal([place], "r-rescue", "r", [batch], {}) == place / "r-rescue"
