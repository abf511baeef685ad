"""The environment capture: JSON-able, correct for this interpreter, never importing frameworks."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from capture_helpers import make_site

from tracklog.sdk.capture.environment import collect_environment


def test_describes_this_process(tmp_path: Path) -> None:
    info, notes = collect_environment(tmp_path)
    assert json.loads(json.dumps(info)) == info
    assert info["cwd"] == str(tmp_path)
    assert info["python"]["version"] == platform.python_version()
    assert info["python"]["implementation"] == platform.python_implementation()
    assert info["argv"] == sys.argv
    assert info["cpu"]["count"] == os.cpu_count()
    assert info["memory_total_bytes"] > 0
    assert info["os"]["system"] == platform.system()
    assert info["hostname"] and info["pid"] == os.getpid()
    try:
        import pynvml  # noqa: F401
    except ImportError:
        assert "gpu" not in info  # no nvidia-ml-py: no GPU info, and no failure
    assert all(isinstance(n, str) for n in notes)


_CHILD = """
import json, sys
from tracklog.sdk.capture.environment import collect_environment
info, notes = collect_environment()
print(json.dumps({"info": info, "torch_imported": "torch" in sys.modules}))
"""


def test_script_command_and_framework_versions_in_a_child(tmp_path: Path) -> None:
    """Run as a script with a (metadata-only) torch installed: its version is read, never
    imported; the command is what re-runs the script."""
    site = make_site(tmp_path / "site", 0)
    for name, version in (("torch", "2.9.1+cu124"), ("transformers", "4.50.0")):
        (site / f"{name}-{version}.dist-info").mkdir()
        (site / f"{name}-{version}.dist-info" / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
    (site / "jax-0.5.0.dist-info").mkdir()  # no metadata file: left out, not a failure
    script = tmp_path / "train.py"
    script.write_text(_CHILD)
    # The site first, then the tracklog under test ($PYTHONPATH of a working tree).
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, str(script), "--lr", "0.1"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    info = out["info"]
    assert info["frameworks"] == {"torch": "2.9.1+cu124", "transformers": "4.50.0"}
    assert out["torch_imported"] is False
    assert info["script"] == str(script)
    assert info["argv"] == [str(script), "--lr", "0.1"]
    assert info["command"] == [sys.executable, str(script), "--lr", "0.1"]
    assert info["cwd"] == str(tmp_path)


def test_no_script_for_dash_c() -> None:
    code = "import json; from tracklog.sdk.capture.environment import script_path as s; print(s())"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "None"


def test_gpu_info_degrades_without_a_driver() -> None:
    """With nvidia-ml-py installed but no NVIDIA driver: no GPU info, no noise, no failure."""
    pytest.importorskip("pynvml")
    if os.path.exists("/proc/driver/nvidia/version"):
        pytest.skip("this machine has an NVIDIA driver: see test_gpu_info_with_a_driver")
    info, notes = collect_environment()
    assert "gpu" not in info
    assert not any("GPU" in n for n in notes), notes


def test_gpu_info_with_a_driver() -> None:
    pytest.importorskip("pynvml")
    if not os.path.exists("/proc/driver/nvidia/version"):
        pytest.skip("no NVIDIA driver here")
    info, _ = collect_environment()
    gpu = info["gpu"]
    assert gpu["count"] >= 1 and len(gpu["names"]) == gpu["count"]
    assert gpu["driver"] and gpu["cuda_version"].count(".") == 1


def test_an_argument_too_long_for_run_metadata_is_cut_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracklog.store.validation import MAX_JSON_STRING, json_value

    inline = "{" + "x" * MAX_JSON_STRING + "}"  # an inline JSON config, say
    monkeypatch.setattr(sys, "argv", ["train.py", "--config", inline])
    monkeypatch.setattr(sys, "orig_argv", [sys.executable, "train.py", "--config", inline])
    info, notes = collect_environment(tmp_path)
    json_value(info, "metadata")  # storable: a run's start does not fail on it
    assert info["argv"][:2] == ["train.py", "--config"]
    assert info["argv"][2] == inline[:MAX_JSON_STRING] == info["command"][3]
    assert any(f"{len(inline)}-character argument" in n for n in notes)
