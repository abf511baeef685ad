"""``tracklog runs export`` and ``tracklog runs import``."""

from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import Invoke, MakeRun


def test_export_import_round_trip(invoke: Invoke, make_run: MakeRun, tmp_path: Path) -> None:
    a = make_run(name="alpha", config={"lr": 0.1}, metrics={"loss": [3.0, 2.0, 1.0]})
    b = make_run(name="beta", metrics={"acc": [0.5, 0.9]})
    out = tmp_path / "export"
    result = invoke("runs", "export", a[:8], b, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"exported {a} (alpha)" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([a, b])

    refused = invoke("runs", "import", str(out))
    assert refused.exit_code == 1
    assert "exists already" in refused.output and "--new-id" in refused.output

    target = tmp_path / "other.db"
    done = invoke("--uri", f"sqlite:///{target}", "runs", "import", str(out))
    assert done.exit_code == 0, done.output
    assert f"imported {a}" in done.output and f"imported {b}" in done.output
    shown = invoke("--uri", f"sqlite:///{target}", "runs", "show", a, "--json")
    assert json.loads(shown.output)["config"] == {"lr": 0.1}

    again = tmp_path / "again"
    assert (
        invoke("--uri", f"sqlite:///{target}", "runs", "export", a, "--out", str(again)).exit_code
        == 0
    )
    assert (again / a / "run.json").read_text() == (out / a / "run.json").read_text()

    fresh = invoke("runs", "import", str(out / a), "--new-id")
    assert fresh.exit_code == 0, fresh.output
    assert fresh.output.startswith("imported ") and a not in fresh.output


def test_import_corrupt_folder_names_file(
    invoke: Invoke, make_run: MakeRun, tmp_path: Path
) -> None:
    a = make_run(name="alpha", metrics={"loss": [1.0]})
    out = tmp_path / "export"
    invoke("runs", "export", a, "--out", str(out))
    (out / a / "metrics.parquet").write_bytes(b"PAR1 garbage")
    result = invoke("runs", "import", str(out), "--new-id")
    assert result.exit_code == 1
    assert "metrics.parquet" in result.output and "error:" in result.output
    assert invoke("runs", "ls").output.count("alpha") == 1


def test_export_unknown_run(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("runs", "export", "nosuchrun", "--out", str(tmp_path / "x"))
    assert result.exit_code == 1
    assert "nosuchrun" in result.output
