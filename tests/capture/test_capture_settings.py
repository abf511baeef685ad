"""Capture settings: init(settings=...) over TRACKLOG_CAPTURE_* over defaults, and bad input."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tracklog.errors import InvalidValueError
from tracklog.sdk.capture.settings import CaptureSettings, env_var

DOCS = Path(__file__).resolve().parents[2] / "docs" / "capture.md"


def test_defaults() -> None:
    s = CaptureSettings.resolve(None, {})
    assert s == CaptureSettings()
    assert s.git and s.diff and s.packages and s.console and s.system_metrics and not s.code
    assert s.system_interval_s == 10.0


def test_environment_variables() -> None:
    env = {
        "TRACKLOG_CAPTURE_GIT": "off",
        "TRACKLOG_CAPTURE_CONSOLE": "0",
        "TRACKLOG_CAPTURE_SYSTEM_METRICS": "False",
        "TRACKLOG_CAPTURE_CODE": "yes",
        "TRACKLOG_CAPTURE_SYSTEM_INTERVAL_S": "2.5",
        "TRACKLOG_CAPTURE_DIFF_MAX_BYTES": " 1000 ",
        "TRACKLOG_CAPTURE_ENVIRONMENT": "",  # empty means unset
    }
    s = CaptureSettings.resolve(None, env)
    assert (s.git, s.console, s.system_metrics, s.code) == (False, False, False, True)
    assert s.system_interval_s == 2.5 and s.diff_max_bytes == 1000 and s.environment


def test_init_settings_win_over_the_environment() -> None:
    s = CaptureSettings.resolve({"git": True, "diff_max_bytes": 5}, {"TRACKLOG_CAPTURE_GIT": "0"})
    assert s.git is True and s.diff_max_bytes == 5


def test_master_switch_turns_everything_off() -> None:
    for s in (
        CaptureSettings.resolve({"enabled": False}, {}),
        CaptureSettings.resolve({"git": True}, {"TRACKLOG_CAPTURE": "0"}),
    ):
        switches = [s.environment, s.git, s.diff, s.packages, s.code, s.console, s.system_metrics]
        assert not any(switches)


def test_code_glob_turns_code_on_unless_code_is_off() -> None:
    s = CaptureSettings.resolve(None, {"TRACKLOG_CAPTURE_CODE_GLOB": "**/*.py, conf/*.yaml"})
    assert s.code and s.code_glob == ("**/*.py", "conf/*.yaml")
    assert CaptureSettings.resolve({"code_glob": "*.py"}, {}).code
    assert not CaptureSettings.resolve({"code_glob": "*.py", "code": False}, {}).code


def test_a_settings_object_passes_through() -> None:
    s = CaptureSettings(git=False)
    assert CaptureSettings.resolve(s, {"TRACKLOG_CAPTURE_GIT": "1"}) is s


@pytest.mark.parametrize(
    ("settings", "env", "message"),
    [
        ({"gti": False}, {}, "unknown capture setting 'gti'"),
        ({"git": "no"}, {}, "settings['git'] must be True or False"),
        ({"system_interval_s": 0}, {}, "settings['system_interval_s'] must be between"),
        ({"system_interval_s": "10"}, {}, "settings['system_interval_s'] must be a number"),
        ({"console_interval_s": -1}, {}, "settings['console_interval_s'] must be between"),
        (None, {"TRACKLOG_CAPTURE_CONSOLE_INTERVAL_S": "x"}, "must be a number of seconds"),
        ({"diff_max_bytes": -1}, {}, "settings['diff_max_bytes'] must be a whole number"),
        ({"diff_max_bytes": 1.5}, {}, "settings['diff_max_bytes'] must be a whole number"),
        ({"code_glob": "/etc/*"}, {}, "settings['code_glob']: '/etc/*' must be relative"),
        ({"code_glob": "../x/*.py"}, {}, "must be relative to the working directory"),
        ({"code_glob": [""]}, {}, "settings['code_glob'] must be a glob"),
        (None, {"TRACKLOG_CAPTURE_GIT": "maybe"}, "TRACKLOG_CAPTURE_GIT must be one of"),
        (None, {"TRACKLOG_CAPTURE": "nope"}, "TRACKLOG_CAPTURE must be one of"),
        (None, {"TRACKLOG_CAPTURE_SYSTEM_INTERVAL_S": "10s"}, "TRACKLOG_CAPTURE_SYSTEM_INTERVAL_S"),
        (None, {"TRACKLOG_CAPTURE_SYSTEM_INTERVAL_S": "0.01"}, "between 0.1 and 86400"),
        (None, {"TRACKLOG_CAPTURE_DIFF_MAX_BYTES": "1MB"}, "TRACKLOG_CAPTURE_DIFF_MAX_BYTES must"),
        (["git"], {}, "settings must be a dict"),
    ],
)
def test_bad_values_name_the_setting(settings: object, env: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidValueError, match=re.escape(message)):
        CaptureSettings.resolve(settings, env)  # type: ignore[arg-type]


def test_docs_table_lists_every_setting() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for field in dataclasses.fields(CaptureSettings):
        row = f"| `{field.name}` | `{env_var(field.name)}` |"
        assert row in text, f"docs/capture.md has no row {row!r}"
