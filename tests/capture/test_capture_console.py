"""Console capture, mostly in real child processes: what the terminal shows, what the log keeps."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracklog
from run_files import wait_for_text
from tracklog.sdk.capture.console import ConsoleCapture, _LineLog


def run_child(body: str, log: Path) -> subprocess.CompletedProcess[str]:
    """Run ``body`` in a child Python with ``capture`` set up; its output decoded as it is
    (``text=True`` would turn each ``\\r`` into a newline)."""
    code = textwrap.dedent(
        f"""
        import sys
        from tracklog.sdk.capture.console import ConsoleCapture
        capture = ConsoleCapture({str(log)!r})
        """
    ) + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_tee_in_a_child_process(tmp_path: Path) -> None:
    log = tmp_path / "out" / "output.log"
    done = run_child(
        """
        import logging, os
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
        print("before start")
        capture.start()
        print("hello")
        print("to stderr", file=sys.stderr)
        for pct in (0, 50, 100):  # a progress bar redrawn with carriage returns
            sys.stdout.write(f"\\rprogress {pct:3d}%")
            sys.stdout.flush()
        sys.stdout.write("\\n")
        print("windows line\\r")
        sys.stdout.buffer.write("bytes ✓\\n".encode())
        sys.stdout.flush()
        logging.info("a log record")  # its handler was made before start()
        os.write(1, b"straight to fd 1\\n")  # below the Python level: not captured
        sys.stdout.write("unfinished")
        capture.stop()
        print("\\nafter stop")
        logging.info("after stop too")
        """,
        log,
    )
    assert done.returncode == 0, done.stderr
    # The terminal (here a pipe: not a TTY) still gets everything, \\r included.
    assert "before start\nhello\n" in done.stdout
    assert "\rprogress   0%\rprogress  50%\rprogress 100%\n" in done.stdout
    assert "straight to fd 1" in done.stdout and "after stop" in done.stdout
    assert "to stderr" in done.stderr and "INFO a log record" in done.stderr
    stdout_lines = [
        "hello\n",
        "progress 100%\n",
        "windows line\n",
        "bytes ✓\n",
    ]
    text = log.read_text(encoding="utf-8")
    for line in stdout_lines:
        assert line in text
    assert "to stderr\n" in text and "INFO a log record\n" in text
    assert text.endswith("unfinished\n")
    assert text.count("\n") == 7, text
    for absent in ("before start", "progress  50%", "\r", "straight to fd", "after stop"):
        assert absent not in text


def test_log_is_streamed_line_by_line(tmp_path: Path) -> None:
    """A line is in output.log as soon as it is printed, while the child still runs."""
    log = tmp_path / "output.log"
    go_on = tmp_path / "go-on"
    code = textwrap.dedent(
        f"""
        import os, time
        from tracklog.sdk.capture.console import ConsoleCapture
        capture = ConsoleCapture({str(log)!r}).start()
        print("first line")
        deadline = time.monotonic() + 30
        while not os.path.exists({str(go_on)!r}) and time.monotonic() < deadline:
            time.sleep(0.02)
        print("second line")
        capture.stop()
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if log.exists() and log.read_text() == "first line\n":
                break
            time.sleep(0.02)
        assert log.read_text() == "first line\n"
        assert child.poll() is None  # still running
        go_on.touch()
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert log.read_text() == "first line\nsecond line\n"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_stays_a_terminal(tmp_path: Path) -> None:
    import pty

    leader, follower = pty.openpty()
    code = textwrap.dedent(
        f"""
        import sys
        from tracklog.sdk.capture.console import ConsoleCapture
        with ConsoleCapture({str(tmp_path / "o.log")!r}):
            print("isatty", sys.stdout.isatty(), sys.stdout.fileno())
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=follower, stderr=follower)
    os.close(follower)
    chunks = []
    try:
        while True:
            try:
                data = os.read(leader, 1024)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        child.wait(30)
    assert b"isatty True 1" in b"".join(chunks)
    assert (tmp_path / "o.log").read_text() == "isatty True 1\n"


def test_start_stop_restore_the_streams(tmp_path: Path) -> None:
    before_out, before_err = sys.stdout, sys.stderr
    capture = ConsoleCapture(tmp_path / "o.log").start()
    tee = sys.stdout
    assert tee is not before_out and capture.active
    assert capture.start() is capture and sys.stdout is tee  # a second start is a no-op
    print("inside")
    capture.stop()
    capture.stop()
    assert sys.stdout is before_out and sys.stderr is before_err
    tee.write("a stale reference still works, but is no longer logged\n")
    assert (tmp_path / "o.log").read_text() == "inside\n"


def test_stream_replaced_during_the_run_is_left_alone(tmp_path: Path) -> None:
    before = sys.stdout
    capture = ConsoleCapture(tmp_path / "o.log", stderr=False).start()
    theirs = io.StringIO()
    sys.stdout = theirs
    try:
        capture.stop()
        assert sys.stdout is theirs
        assert capture.notes == ["console: sys.stdout was replaced during the run; left as is"]
    finally:
        sys.stdout = before


def test_a_full_disk_never_breaks_printing(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full to fail writes")
    done = run_child(
        """
        capture = ConsoleCapture("/dev/full").start()
        print("still printed")
        capture.stop()
        print("notes:", capture.notes)
        """,
        tmp_path / "unused.log",
    )
    assert done.returncode == 0, done.stderr
    assert "still printed" in done.stdout
    assert "output.log stopped early" in done.stdout


def _collapse(chunks: list[str], path: Path) -> str:
    log = _LineLog(open(path, "w", encoding="utf-8", newline=""))  # noqa: SIM115 (closed below)
    for chunk in chunks:
        log.feed("stdout", chunk)
    log.close()
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "logged"),
    [
        ("a\rb\n", "b\n"),
        ("abc\r\n", "abc\n"),
        ("\rstart over\n", "start over\n"),
        ("10%\r50%\r100%\r\ndone\n", "100%\ndone\n"),
        ("x\r\r\ry\n", "y\n"),
        ("one\ntwo\rTWO\nthree", "one\nTWO\nthree\n"),
        ("\n\n", "\n\n"),
        ("tail\r", "tail\n"),
    ],
)
def test_carriage_returns_collapse(tmp_path: Path, written: str, logged: str) -> None:
    assert _collapse([written], tmp_path / "o.log") == logged


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\r\n", max_size=40), st.lists(st.integers(0, 40), max_size=6))
def test_collapse_ignores_how_writes_are_split(text: str, cuts: list[int]) -> None:
    import tempfile

    bounds = sorted({0, len(text), *(c for c in cuts if c <= len(text))})
    chunks = [text[a:b] for a, b in itertools.pairwise(bounds)]
    with tempfile.TemporaryDirectory() as folder:
        whole = _collapse([text], Path(folder) / "a")
        split = _collapse(chunks, Path(folder) / "b")
    assert whole == split
    assert "\r" not in whole


def test_output_log_is_uploaded_while_the_run_runs(tmp_path: Path) -> None:
    """The console log reaches the store before finish(), and the final upload is complete."""
    run = tracklog.init(
        project="console",
        dir=tmp_path,
        settings={"console_interval_s": 0.1, "system_metrics": False, "packages": False},
    )
    try:
        print("first line while running", flush=True)
        api = tracklog.Api(str(tmp_path / "tracklog"))
        text = wait_for_text(api, run.id, "output.log", "first line while running", tmp_path)
        assert "first line while running" in text
        print("last line", flush=True)
    finally:
        run.finish()
    final = api.run(run.id).download("output.log", tmp_path / "final").read_text()
    assert final.splitlines()[-2:] == ["first line while running", "last line"]
