"""The program, interpreter, machine and ML framework versions a run started on."""

from __future__ import annotations

import contextlib
import getpass
import os
import platform
import socket
import sys
from pathlib import Path
from typing import Any

from tracklog.store.validation import MAX_JSON_STRING

# Versions are read from installed metadata, never by importing the (heavy) packages.
FRAMEWORKS = {
    "torch": ("torch",),
    "jax": ("jax",),
    "jaxlib": ("jaxlib",),
    "tensorflow": ("tensorflow", "tensorflow-cpu", "tensorflow-macos", "tf-nightly"),
    "transformers": ("transformers",),
}


def _stored_args(args: list[str], notes: list[str]) -> list[str]:
    """Command-line arguments as run metadata may hold them: one longer than a stored string
    (an inline JSON config, say) is cut, with a note, rather than failing the run's start."""
    out = []
    for arg in args:
        if len(arg) > MAX_JSON_STRING:
            notes.append(f"a {len(arg)}-character argument is cut to {MAX_JSON_STRING}")
            arg = arg[:MAX_JSON_STRING]
        out.append(arg)
    return out


def collect_environment(workdir: str | os.PathLike[str] | None = None) -> tuple[dict, list[str]]:
    """A JSON-able description of this process and machine, and notes on what is missing."""
    notes: list[str] = []
    info: dict[str, Any] = {
        "argv": _stored_args(sys.argv, notes),
        # orig_argv keeps the interpreter and its options (``python -m pkg``): what to re-run.
        "command": _stored_args(getattr(sys, "orig_argv", [sys.executable, *sys.argv]), notes),
        "script": script_path(),
        "cwd": str(Path(workdir).absolute()) if workdir is not None else os.getcwd(),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "os": _os_info(),
        "hostname": socket.gethostname(),
        "user": _user(),
        "pid": os.getpid(),
        "cpu": {"model": cpu_model(), "count": os.cpu_count()},
        "memory_total_bytes": total_memory(),
        "frameworks": framework_versions(),
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpu"]["usable"] = len(os.sched_getaffinity(0))  # what a container lets us use
    gpu = gpu_info(notes)
    if gpu is not None:
        info["gpu"] = gpu
    return info, notes


def script_path() -> str | None:
    """The absolute path of the script being run, or None (``-c``, a REPL, a notebook)."""
    main = sys.modules.get("__main__")
    candidate = getattr(main, "__file__", None) or (sys.argv[0] if sys.argv else "")
    if not candidate or candidate in ("-c", "-m", "-"):
        return None
    path = Path(candidate)
    return str(path.absolute()) if path.is_file() else None


def _os_info() -> dict[str, Any]:
    u = platform.uname()
    info: dict[str, Any] = {"system": u.system, "release": u.release, "machine": u.machine}
    if u.system == "Linux":
        with contextlib.suppress(OSError):
            info["distribution"] = platform.freedesktop_os_release().get("PRETTY_NAME")
    elif u.system == "Darwin":
        info["distribution"] = "macOS " + platform.mac_ver()[0]
    elif u.system == "Windows":
        info["distribution"] = "Windows " + platform.version()
    return info


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no $USER and no passwd entry (some containers)
        return None


def cpu_model() -> str | None:
    """The CPU's marketing name, where the OS tells it cheaply."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                # x86 says "model name"; some ARM kernels only "Hardware" or "Processor".
                if key.strip() in ("model name", "Hardware", "Processor", "cpu model"):
                    return value.strip() or None
    except OSError:
        pass
    if sys.platform == "darwin":
        import subprocess

        try:
            out = subprocess.run(
                ["sysctl", "-n", "machdep.cpu.brand_string"],
                capture_output=True,
                text=True,
                timeout=2,
            )
            if out.returncode == 0 and out.stdout.strip():
                return out.stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return platform.processor() or None


def total_memory() -> int | None:
    """Physical memory in bytes (sysconf; psutil where sysconf does not know)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        pass
    try:
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:
        return None


def framework_versions() -> dict[str, str]:
    """Installed versions of the major ML frameworks (only those installed)."""
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for key, dists in FRAMEWORKS.items():
        for dist in dists:
            try:
                found[key] = version(dist)
            except PackageNotFoundError:
                continue
            except Exception:  # broken metadata must not break capture
                continue
            if found[key]:
                break
            del found[key]  # a folder without metadata names no version
    return found


def gpu_info(notes: list[str]) -> dict[str, Any] | None:
    """NVIDIA GPUs via nvidia-ml-py (``pynvml``), or None with a note saying why not."""
    try:
        import pynvml
    except ImportError:
        if _driver_present():
            notes.append("NVIDIA driver present but nvidia-ml-py is not installed: no GPU info")
        return None
    except Exception as exc:  # a broken install
        notes.append(f"GPU info: importing pynvml failed: {exc}")
        return None
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound / DriverNotLoaded
        # nvidia-ml-py is often installed on machines without GPUs: only a driver that is
        # there but unusable is worth a note.
        if _driver_present():
            notes.append(f"GPU info: NVML not available ({exc})")
        return None
    try:
        count = pynvml.nvmlDeviceGetCount()
        devices = []
        for i in range(count):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            device: dict[str, Any] = {"name": _text(pynvml.nvmlDeviceGetName(handle))}
            with contextlib.suppress(Exception):
                device["memory_total_bytes"] = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
            with contextlib.suppress(Exception):
                device["uuid"] = _text(pynvml.nvmlDeviceGetUUID(handle))
            devices.append(device)
        info: dict[str, Any] = {
            "count": count,
            "names": [d["name"] for d in devices],
            "devices": devices,
            "driver": _text(pynvml.nvmlSystemGetDriverVersion()),
        }
        try:
            cuda = int(pynvml.nvmlSystemGetCudaDriverVersion())
            info["cuda_version"] = f"{cuda // 1000}.{cuda % 1000 // 10}"  # 12040 -> "12.4"
        except Exception:
            pass
        return info
    except Exception as exc:
        notes.append(f"GPU info: NVML query failed: {exc}")
        return None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def _driver_present() -> bool:
    """Whether an NVIDIA kernel driver is loaded (Linux; elsewhere we cannot tell cheaply)."""
    return os.path.exists("/proc/driver/nvidia/version")


def _text(value: Any) -> str:
    # Older pynvml releases return bytes.
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
