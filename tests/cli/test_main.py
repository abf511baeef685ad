"""The root group: help, version, and the one-line error rule."""

from __future__ import annotations

from cli_helpers import Invoke

from tracklog import __version__


def test_no_command_prints_help_not_an_error(invoke: Invoke) -> None:
    for args in ((), ("runs",)):
        result = invoke(*args)
        assert "Usage:" in result.output and "error:" not in result.output


def test_version_and_missing_argument(invoke: Invoke) -> None:
    assert invoke("--version").stdout.strip().endswith(__version__)
    result = invoke("runs", "show")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: Missing argument 'RUN_ID'. (see 'tracklog runs show --help')"
    )
