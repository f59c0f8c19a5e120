"""Settings resolved once from flags and environment, refusing bad values with a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal_core import InvalidSetting, Settings


def test_defaults_are_always_mode_and_a_ten_second_lock_timeout(tmp_path: Path) -> None:
    settings = Settings.from_env(journal=str(tmp_path / "j.jsonl"), environ={})
    assert (settings.durability, settings.lock_timeout) == ("always", 10.0)
    assert settings.journal_path == tmp_path / "j.jsonl"


def test_environment_sets_durability_and_lock_timeout(tmp_path: Path) -> None:
    environ = {
        "TASK_JOURNAL_PATH": str(tmp_path / "j.jsonl"),
        "TASK_JOURNAL_DURABILITY": "flush",
        "TASK_JOURNAL_LOCK_TIMEOUT": "2.5",
    }
    settings = Settings.from_env(environ=environ)
    assert (settings.journal_path, settings.durability, settings.lock_timeout) == (
        tmp_path / "j.jsonl",
        "flush",
        2.5,
    )


def test_durability_argument_wins_over_the_environment(tmp_path: Path) -> None:
    environ = {"TASK_JOURNAL_DURABILITY": "flush"}
    settings = Settings.from_env(str(tmp_path / "j.jsonl"), durability="always", environ=environ)
    assert settings.durability == "always"


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        pytest.param({"TASK_JOURNAL_DURABILITY": "sometimes"}, "durability", id="durability"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "soon"}, "LOCK_TIMEOUT", id="timeout-text"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "-1"}, "LOCK_TIMEOUT", id="timeout-negative"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "nan"}, "LOCK_TIMEOUT", id="timeout-nan"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "inf"}, "LOCK_TIMEOUT", id="timeout-inf"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "0"}, "LOCK_TIMEOUT", id="timeout-zero"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "1e10"}, "LOCK_TIMEOUT", id="timeout-1e10"),
        pytest.param({"TASK_JOURNAL_LOCK_TIMEOUT": "3600.5"}, "LOCK_TIMEOUT", id="timeout-over-1h"),
    ],
)
def test_bad_setting_is_refused_naming_it(
    tmp_path: Path, environ: dict[str, str], name: str
) -> None:
    with pytest.raises(InvalidSetting) as refused:
        Settings.from_env(str(tmp_path / "j.jsonl"), environ=environ)
    assert name in str(refused.value)


def test_a_lock_timeout_of_an_hour_is_the_longest_accepted(tmp_path: Path) -> None:
    environ = {"TASK_JOURNAL_LOCK_TIMEOUT": "3600"}
    settings = Settings.from_env(str(tmp_path / "j.jsonl"), environ=environ)
    assert settings.lock_timeout == 3600.0
