"""System metrics: a daemon thread that samples CPU, memory, disk, network and GPUs.

Each sample is a dict of ``system/...`` keys handed to a callback. The process tree is this
process and all its descendants (data loader workers, launched subprocesses). GPU metrics need
nvidia-ml-py; without it, or without an NVIDIA driver, they are simply absent.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

DEFAULT_INTERVAL_S = 10.0
_MB = 1024 * 1024

Sample = dict[str, float]


class SystemSampler:
    """Call ``callback(sample)`` every ``interval_s`` seconds from a daemon thread.

    ``start()`` returns at once (psutil is imported in the thread); ``stop()`` wakes the thread
    and waits for it. ``cpu_seconds``/``samples`` say what the sampling itself cost.
    """

    def __init__(
        self,
        callback: Callable[[Sample], Any],
        interval_s: float = DEFAULT_INTERVAL_S,
        *,
        pid: int | None = None,
        disk_path: str | os.PathLike[str] | None = None,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self.callback = callback
        self.interval_s = float(interval_s)
        self.pid = os.getpid() if pid is None else pid
        self.disk_path = os.fspath(disk_path) if disk_path is not None else os.getcwd()
        self.notes: list[str] = []
        self.samples = 0
        self.cpu_seconds = 0.0  # CPU time of this thread spent sampling (setup not included)
        self.setup_cpu_seconds = 0.0  # importing psutil/pynvml and the first readings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> SystemSampler:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._main, name="tracklog-system-metrics", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop sampling; returns as soon as a sample in progress has finished."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)

    def _main(self) -> None:
        begin = time.thread_time()
        try:
            probe = _Probe(self.pid, self.disk_path, self.notes)
        except Exception as exc:  # psutil missing or broken: no system metrics, no crash
            self.notes.append(f"system metrics: {exc}")
            return
        finally:
            self.setup_cpu_seconds = time.thread_time() - begin
        callback_failed = False
        try:
            while not self._stop.wait(self.interval_s):
                begin = time.thread_time()
                sample = probe.sample()
                self.cpu_seconds += time.thread_time() - begin
                self.samples += 1
                try:
                    self.callback(sample)
                except Exception as exc:  # the run may be finishing: keep going, note once
                    if not callback_failed:
                        self.notes.append(f"system metrics: callback failed: {exc!r}")
                        callback_failed = True
        finally:
            probe.close()


class _Probe:
    """Reads the counters; rates are per second since the previous sample."""

    def __init__(self, pid: int, disk_path: str, notes: list[str]) -> None:
        try:
            import psutil
        except ImportError:
            raise RuntimeError("psutil is not installed; no system metrics") from None
        self.psutil = psutil
        self.notes = notes
        self.root = psutil.Process(pid)
        self.disk_path = disk_path
        self.procs: dict[int, Any] = {}  # kept so cpu_percent() measures since the last call
        psutil.cpu_percent(None)  # the first call only sets the baseline
        self._tree_cpu()
        self.last = time.monotonic()
        self.disk = self._disk_counters()
        self.net = self._net_counters()
        self.gpus = _Gpus(notes)

    def sample(self) -> Sample:
        ps = self.psutil
        now = time.monotonic()
        elapsed = max(now - self.last, 1e-6)
        self.last = now
        s: Sample = {"system/cpu_percent": ps.cpu_percent(None)}
        cpu, rss, count = self._tree_cpu()
        s["system/proc_cpu_percent"] = cpu  # of one core: 200 means two cores busy
        s["system/proc_rss_mb"] = rss / _MB
        s["system/proc_count"] = count
        mem = ps.virtual_memory()
        s["system/memory_percent"] = mem.percent
        s["system/memory_used_mb"] = (mem.total - mem.available) / _MB
        with contextlib.suppress(OSError):
            s["system/disk_percent"] = ps.disk_usage(self.disk_path).percent
        disk = self._disk_counters()
        if disk is not None and self.disk is not None:
            s["system/disk_read_mb_s"] = max(0, disk[0] - self.disk[0]) / _MB / elapsed
            s["system/disk_write_mb_s"] = max(0, disk[1] - self.disk[1]) / _MB / elapsed
        self.disk = disk
        net = self._net_counters()
        if net is not None and self.net is not None:
            s["system/net_recv_mb_s"] = max(0, net[0] - self.net[0]) / _MB / elapsed
            s["system/net_sent_mb_s"] = max(0, net[1] - self.net[1]) / _MB / elapsed
        self.net = net
        s.update(self.gpus.sample(set(self.procs)))
        return s

    def _tree_cpu(self) -> tuple[float, float, int]:
        """CPU % and RSS summed over the process and its descendants."""
        ps = self.psutil
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except ps.Error:
            tree = [self.root]
        cpu = rss = 0.0
        alive: dict[int, Any] = {}
        for proc in tree:
            # Reuse the Process object measured last time, or its CPU % would restart at 0
            # (psutil's == also compares start times, so a reused pid is a new process).
            cached = self.procs.get(proc.pid)
            if cached is not None and cached == proc:
                proc = cached
            try:
                with proc.oneshot():
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss
            except ps.Error:  # exited in between
                continue
            alive[proc.pid] = proc
        self.procs = alive
        return cpu, rss, len(alive)

    def _disk_counters(self) -> tuple[int, int] | None:
        try:
            c = self.psutil.disk_io_counters()
        except (OSError, RuntimeError):
            return None
        return None if c is None else (c.read_bytes, c.write_bytes)

    def _net_counters(self) -> tuple[int, int] | None:
        try:
            c = self.psutil.net_io_counters()
        except (OSError, RuntimeError):
            return None
        return None if c is None else (c.bytes_recv, c.bytes_sent)

    def close(self) -> None:
        self.gpus.close()


class _Gpus:
    """Per-GPU readings via NVML; empty without nvidia-ml-py or an NVIDIA driver."""

    def __init__(self, notes: list[str]) -> None:
        self.nvml: Any = None
        self.handles: list[Any] = []
        try:
            import pynvml
        except ImportError:
            return
        try:
            pynvml.nvmlInit()
            self.handles = [
                pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())
            ]
            self.nvml = pynvml
        except Exception as exc:
            if os.path.exists("/proc/driver/nvidia/version"):
                notes.append(f"system metrics: NVML failed, no GPU metrics: {exc}")

    def sample(self, pids: set[int]) -> Sample:
        nv = self.nvml
        s: Sample = {}
        if nv is None:
            return s
        for i, h in enumerate(self.handles):
            k = f"system/gpu{i}/"
            # Each reading is optional: consumer cards lack power, MIG slices lack utilisation.
            try:
                u = nv.nvmlDeviceGetUtilizationRates(h)
                s[k + "utilization_percent"] = float(u.gpu)
                s[k + "memory_utilization_percent"] = float(u.memory)
            except Exception:
                pass
            try:
                m = nv.nvmlDeviceGetMemoryInfo(h)
                s[k + "memory_used_mb"] = m.used / _MB
                s[k + "memory_percent"] = 100.0 * m.used / m.total if m.total else 0.0
            except Exception:
                pass
            with contextlib.suppress(Exception):
                s[k + "temperature_c"] = float(
                    nv.nvmlDeviceGetTemperature(h, nv.NVML_TEMPERATURE_GPU)
                )
            with contextlib.suppress(Exception):  # NVML reports milliwatts
                s[k + "power_w"] = nv.nvmlDeviceGetPowerUsage(h) / 1000.0
            try:
                used = sum(
                    p.usedGpuMemory or 0
                    for p in nv.nvmlDeviceGetComputeRunningProcesses(h)
                    if p.pid in pids
                )
                s[k + "proc_memory_used_mb"] = used / _MB
            except Exception:
                pass
        return s

    def close(self) -> None:
        if self.nvml is not None:
            with contextlib.suppress(Exception):
                self.nvml.nvmlShutdown()
            self.nvml = None
