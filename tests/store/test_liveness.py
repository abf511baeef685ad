"""Liveness of a run's owner: real processes, alive, zombie, reaped, and a pid's start time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from tracklog.store.liveness import process_alive, process_started

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


@pytest.fixture
def child() -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(SLEEPER)
    yield proc
    proc.kill()
    proc.wait()


def test_the_start_time_is_psutils_in_ms_since_the_epoch(child: subprocess.Popen[bytes]) -> None:
    started = process_started(child.pid)
    assert started == round(psutil.Process(child.pid).create_time() * 1000)
    assert started <= time.time() * 1000


def test_a_live_process_is_alive_with_its_start_time(child: subprocess.Popen[bytes]) -> None:
    started = process_started(child.pid)
    assert started is not None
    assert process_alive(child.pid) and process_alive(child.pid, started)


def test_a_pid_with_another_start_time_is_a_reused_pid(child: subprocess.Popen[bytes]) -> None:
    started = process_started(child.pid)
    assert started is not None
    assert not process_alive(child.pid, started - 60_000)
    assert not process_alive(child.pid, started + 60_000)


def test_a_killed_process_is_dead_before_and_after_it_is_reaped() -> None:
    proc = subprocess.Popen(SLEEPER)
    started = process_started(proc.pid)
    proc.kill()
    # Not reaped yet: a zombie until wait(); wait for the kill to land, not for a time.
    deadline = time.monotonic() + 60
    while psutil.Process(proc.pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the killed child never became a zombie"
        time.sleep(0.02)
    assert not process_alive(proc.pid, started) and not process_alive(proc.pid)
    proc.wait()
    assert not process_alive(proc.pid, started) and not process_alive(proc.pid)
    assert process_started(proc.pid) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ticks were recorded on Linux")
def test_a_start_time_recorded_as_linux_ticks_still_matches(
    child: subprocess.Popen[bytes],
) -> None:
    """Runs recorded by earlier versions hold clock ticks since boot (field 22 of stat)."""
    with open(f"/proc/{child.pid}/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    assert process_alive(child.pid, ticks)
    assert not process_alive(child.pid, ticks - 60 * os.sysconf("SC_CLK_TCK"))


def test_impossible_pids_are_not_alive() -> None:
    assert not process_alive(-5) and not process_alive(2**70)
    assert process_started(-5) is None and process_started(2**70) is None
