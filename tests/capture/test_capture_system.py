"""System metrics: a real sampler thread, a real process tree."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from tracklog.sdk.capture.system import SystemSampler

pytest.importorskip("psutil")

EXPECTED = {
    "system/cpu_percent",
    "system/proc_cpu_percent",
    "system/proc_rss_mb",
    "system/proc_count",
    "system/memory_percent",
    "system/memory_used_mb",
}


# An idle parent and its busy child: the sampler watches the parent, so the CPU it reports can
# only be the child's (a descendant's), and no share of a core needs to be reached.
TREE = """
import subprocess, sys
busy = "import sys\\nprint('busy', flush=True)\\nwhile True: pass"
subprocess.run([sys.executable, "-c", busy])
"""


def test_samples_with_the_process_tree() -> None:
    samples: list[dict[str, float]] = []
    busy_seen = threading.Event()

    def record(sample: dict[str, float]) -> None:
        samples.append(sample)
        if len(samples) >= 3 and sample["system/proc_cpu_percent"] > 0:
            busy_seen.set()

    parent = subprocess.Popen(
        [sys.executable, "-c", TREE], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"busy\n"
        sampler = SystemSampler(record, interval_s=0.3, pid=parent.pid).start()
        try:
            # However loaded the machine, the child runs now and then: wait for it to show.
            assert busy_seen.wait(120), samples
        finally:
            sampler.stop()
    finally:
        os.killpg(parent.pid, signal.SIGKILL)  # the parent and its busy child
        parent.wait()
    assert sampler.notes == []
    for sample in samples:
        assert set(sample) >= EXPECTED
        assert all(k.startswith("system/") for k in sample)
        assert all(isinstance(v, (int, float)) for v in sample.values())
        assert 0 <= sample["system/cpu_percent"] <= 100
        assert 0 < sample["system/memory_percent"] < 100
        assert sample["system/proc_count"] == 2  # the parent and its busy child
        assert sample["system/proc_rss_mb"] > 5
    if "system/disk_read_mb_s" in samples[-1]:
        assert samples[-1]["system/disk_read_mb_s"] >= 0


def test_stop_wakes_the_sampler_from_its_wait() -> None:
    sampler = SystemSampler(lambda s: None, interval_s=3600).start()
    deadline = time.monotonic() + 120
    while not sampler.setup_cpu_seconds and not sampler.notes:  # set up: going into its wait
        assert time.monotonic() < deadline, "the sampler never set up"
        time.sleep(0.01)
    sampler.stop(timeout_s=120)  # were it not woken, it would sleep on for an hour
    assert sampler._thread is not None and not sampler._thread.is_alive()
    assert sampler.samples == 0


def test_a_failing_callback_is_noted_once_and_sampling_goes_on() -> None:
    calls: list[int] = []

    def broken(sample: dict[str, float]) -> None:
        calls.append(1)
        raise RuntimeError("run finished")

    sampler = SystemSampler(broken, interval_s=0.1).start()
    deadline = time.monotonic() + 120
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    assert len(calls) >= 3
    assert sampler.notes == ["system metrics: callback failed: RuntimeError('run finished')"]


def test_the_sampler_accounts_its_own_cpu_time() -> None:
    """The sampler thread's CPU time per sample (what bench case C1 reports; the 1% target is
    checked there, not here: timings on a shared machine are noise)."""
    sampler = SystemSampler(lambda s: None, interval_s=0.1).start()
    deadline = time.monotonic() + 120
    while sampler.samples < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    per_sample = sampler.cpu_seconds / sampler.samples
    share = per_sample / 10.0
    print(
        f"system sampler: {per_sample * 1000:.2f} ms CPU per sample = {share:.4%} of a core at 10 s"
    )
    assert sampler.samples >= 20 and sampler.cpu_seconds > 0


def test_gpu_series_when_a_gpu_is_there() -> None:
    """Runs only where nvidia-ml-py and an NVIDIA driver are present (the device machine)."""
    pytest.importorskip("pynvml")
    import os

    if not os.path.exists("/proc/driver/nvidia/version"):
        pytest.skip("no NVIDIA driver here")
    got: list[dict[str, float]] = []
    sampler = SystemSampler(got.append, interval_s=0.2).start()
    deadline = time.monotonic() + 120
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    sampler.stop()
    assert got, sampler.notes
    for key in ("utilization_percent", "memory_used_mb", "temperature_c"):
        assert f"system/gpu0/{key}" in got[0]
