"""The code snapshot: the script plus glob matches, pruned and capped."""

from __future__ import annotations

from pathlib import Path

import pytest
from capture_helpers import write

from tracklog.sdk.capture.code import collect_code, glob_regex


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("*.py", "a.py", True),
        ("*.py", "pkg/a.py", False),
        ("**/*.py", "a.py", True),
        ("**/*.py", "pkg/sub/a.py", True),
        ("pkg/**", "pkg/sub/a.txt", True),
        ("conf/*.y?ml", "conf/a.yaml", True),
        ("conf/*.y?ml", "conf/a.yml", False),
        ("[ab].py", "b.py", True),
        ("[!ab].py", "b.py", False),
        ("a+b.py", "a+b.py", True),
        ("a+b.py", "aab.py", False),
    ],
)
def test_glob_regex(pattern: str, path: str, matches: bool) -> None:
    assert bool(glob_regex(pattern).match(path)) is matches


def test_script_and_globs(tmp_path: Path) -> None:
    work = tmp_path / "work"
    write(
        work,
        {
            "train.py": "print('train')\n",
            "model/net.py": "x = 1\n",
            "model/__pycache__/net.cpython-311.pyc": b"\0",
            "model/__pycache__/cached.py": "no\n",
            ".hidden/secret.py": "no\n",
            "venv/pyvenv.cfg": "home = /usr\n",
            "venv/lib/site.py": "no\n",
            "node_modules/x/index.py": "no\n",
            "store/run.py": "no\n",
            "conf/base.yaml": "lr: 1\n",
            "big.py": "#" * 5000 + "\n",
        },
    )
    (work / "link.py").symlink_to(tmp_path / "outside.py")
    (tmp_path / "outside.py").write_text("no\n")
    info = collect_code(
        work,
        work / "train.py",
        ("**/*.py", "conf/*.yaml"),
        exclude=[work / "store"],
        max_file_bytes=1000,
    )
    names = [name for _, name in info.files]
    assert names == ["code/train.py", "code/conf/base.yaml", "code/model/net.py"]
    assert info.files[0][0] == work / "train.py"
    assert any("over 1000 bytes" in n and "big.py" in n for n in info.notes)


def test_script_outside_the_work_dir_and_file_cap(tmp_path: Path) -> None:
    write(tmp_path / "w", {f"m{i}.py": "x\n" for i in range(5)})
    write(tmp_path, {"elsewhere/run.py": "x\n"})
    info = collect_code(tmp_path / "w", tmp_path / "elsewhere/run.py", ("*.py",), max_files=3)
    assert [n for _, n in info.files] == ["code/run.py", "code/m0.py", "code/m1.py"]
    assert any("only the first 3 saved" in n for n in info.notes)


def test_no_script(tmp_path: Path) -> None:
    assert collect_code(tmp_path, None).files == []
