"""Installed packages as requirements.txt, and conda export (through a stand-in ``conda``)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from importlib import metadata
from pathlib import Path

import pytest
from capture_helpers import make_site

from tracklog.sdk.capture import CaptureSettings, capture_all
from tracklog.sdk.capture.packages import (
    collect_packages,
    conda_export,
    installed,
    normalize,
)


def test_matches_importlib_metadata_for_this_environment() -> None:
    """The fast folder-name path gives what parsing every METADATA file gives."""
    expected: dict[str, str] = {}
    for dist in metadata.distributions():
        expected.setdefault(normalize(dist.metadata["Name"]), dist.version)
    got = {d.name: d.version for d in installed()}
    assert got == expected


def test_requirements_text_is_sorted_name_equals_version() -> None:
    info = collect_packages()
    lines = [ln for ln in info.requirements.splitlines() if not ln.startswith("#")]
    assert len(lines) == info.count > 10
    names = [ln.split("==")[0].split(" @ ")[0] for ln in lines]
    assert names == sorted(names)
    assert any(ln.startswith("pytest==") for ln in lines)
    tracklog_line = next(ln for ln in lines if ln.startswith("tracklog"))
    # An editable install is pinned, and says where it came from.
    assert tracklog_line.startswith(f"tracklog=={metadata.version('tracklog')}")


def test_layouts_direct_references_and_broken_folders(tmp_path: Path) -> None:
    site = make_site(tmp_path / "site", 3)
    vcs = site / "from_git-0.1.dist-info"
    vcs.mkdir()
    (vcs / "direct_url.json").write_text(
        json.dumps(
            {
                "url": "https://bob:tok@example.com/o/r.git",
                "vcs_info": {"vcs": "git", "commit_id": "abc123"},
            }
        )
    )
    local = site / "local_dir-2.0.dist-info"
    local.mkdir()
    (local / "direct_url.json").write_text(
        json.dumps({"url": "file:///src/local", "dir_info": {"editable": True}})
    )
    egg = site / "Old.Style_Pkg.egg-info"  # no version in the name: read PKG-INFO
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: Old.Style_Pkg\nVersion: 0.9\n")
    (site / "nameless.egg-info").mkdir()  # empty: no metadata at all
    shadowed = tmp_path / "later"
    make_site(shadowed, 1)  # same name as site's first: the earlier path entry wins
    notes: list[str] = []
    dists = {d.name: d for d in installed([str(site), str(shadowed)], notes)}
    assert dists["fakepkg-000"].version == "1.0.0"
    assert dists["from-git"].line == "from-git @ git+https://example.com/o/r.git@abc123"
    assert dists["local-dir"].line == "local-dir==2.0  # editable install from file:///src/local"
    assert dists["old-style-pkg"].line == "old-style-pkg==0.9"
    assert any("nameless.egg-info" in n for n in notes)
    assert len(dists) == 6


def _stub_conda(folder: Path, body: str) -> None:
    """A stand-in ``conda`` executable (conda itself is not installed in the test env)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "conda"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def test_conda_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stub_conda(tmp_path / "bin", 'echo "name: demo"\necho "prefix: $4"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("CONDA_PREFIX", "/opt/envs/demo")
    text, notes = conda_export()
    assert text == "name: demo\nprefix: /opt/envs/demo\n" and notes == []
    # capture_all runs it in the background and hands it over through late().
    cap = capture_all(CaptureSettings.resolve({"git": False, "environment": False}), tmp_path)
    assert cap.metadata["packages"]["conda"] is True
    late = cap.late(timeout_s=30)
    assert late is not None and late.texts == {"conda.yaml": text}


def test_conda_failures_become_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sleep = shutil.which("sleep")
    monkeypatch.setenv("CONDA_PREFIX", "/opt/envs/demo")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))
    monkeypatch.delenv("CONDA_EXE", raising=False)
    assert conda_export() == (
        None,
        ["conda: CONDA_PREFIX is set but no conda executable was found"],
    )
    _stub_conda(tmp_path / "bad", "echo 'EnvironmentLocationNotFound: nope' >&2\nexit 1\n")
    monkeypatch.setenv("PATH", str(tmp_path / "bad"))
    text, notes = conda_export()
    assert text is None and notes == [
        "conda: 'conda env export' failed: EnvironmentLocationNotFound: nope"
    ]
    _stub_conda(tmp_path / "slow", f"exec {sleep} 30\n")
    monkeypatch.setenv("PATH", str(tmp_path / "slow"))
    text, notes = conda_export(timeout_s=0.5)
    assert text is None and "took more than 0.5 s" in notes[0]


def test_not_under_conda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    assert conda_export() == (None, [])
