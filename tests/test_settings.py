"""Settings from the environment: defaults, parsing, refusals, secrets kept out of repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from widget_server.core.settings import DEFAULT_DATABASE_URL, SETTINGS_HELP, Settings


def keys(settings: Settings) -> list[str]:
    return [str(k) for k in settings.secret_keys]


# -- defaults -------------------------------------------------------------------------------


def test_defaults_without_any_variable() -> None:
    settings = Settings.from_environ({})
    assert settings == Settings()
    assert settings.database_url == DEFAULT_DATABASE_URL == "sqlite:///partnerkreis.db"
    assert settings.database_url_given is False
    assert settings.secret_keys == ()  # never a built-in key
    assert settings.public_url is None
    assert settings.snapshot_interval == 1.0
    assert settings.ledger_interval == 60.0
    assert settings.click_token_max_age == 86_400
    assert settings.debug is False
    assert settings.log_level == "info"


def test_help_table_names_every_variable_read() -> None:
    import re

    import widget_server.core.settings as module

    source = Path(module.__file__).read_text()
    read = set(re.findall(r'text(?:\(|, )\s*"(WIDGET_[A-Z_]+)"', source))
    assert "WIDGET_DATABASE_URL" in read  # the pattern finds what it should
    assert {name for name, _, _ in SETTINGS_HELP} == read


# -- parsing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a,b", ["a", "b"]),  # newest last, in the order given
        ("old-key,new-key,newest-key", ["old-key", "new-key", "newest-key"]),
        (" a , b ", ["a", "b"]),
        ("a,,b", ["a", "b"]),
        ("single", ["single"]),
        ("", []),
    ],
)
def test_secret_keys_are_comma_separated(raw: str, expected: list[str]) -> None:
    assert keys(Settings.from_environ({"WIDGET_SECRET_KEYS": raw})) == expected


def test_numbers_are_cast() -> None:
    settings = Settings.from_environ(
        {
            "WIDGET_SNAPSHOT_INTERVAL": "0.5",
            "WIDGET_LEDGER_INTERVAL": "60",
            "WIDGET_CLICK_TOKEN_MAX_AGE": "3600",
        }
    )
    assert settings.snapshot_interval == 0.5
    assert isinstance(settings.snapshot_interval, float)
    assert settings.ledger_interval == 60
    assert isinstance(settings.ledger_interval, float)
    assert settings.click_token_max_age == 3600
    assert isinstance(settings.click_token_max_age, int)


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("false", False), ("0", False)]
)
def test_debug_is_a_boolean(raw: str, expected: bool) -> None:
    assert Settings.from_environ({"WIDGET_DEBUG": raw}).debug is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("debug", "debug"), ("WARNING", "warning"), ("Error", "error"), ("info", "info")],
)
def test_log_level_is_case_insensitive(raw: str, expected: str) -> None:
    assert Settings.from_environ({"WIDGET_LOG_LEVEL": raw}).log_level == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://widgets.example", "https://widgets.example"),
        ("https://widgets.example/", "https://widgets.example"),
        ("http://localhost:8000/partner/", "http://localhost:8000/partner"),
        ("", None),
    ],
)
def test_public_url_loses_its_trailing_slash(raw: str, expected: str | None) -> None:
    assert Settings.from_environ({"WIDGET_PUBLIC_URL": raw}).public_url == expected


def test_database_url_given_is_only_set_when_the_variable_is() -> None:
    given = Settings.from_environ({"WIDGET_DATABASE_URL": "sqlite:///other.db"})
    assert (given.database_url, given.database_url_given) == ("sqlite:///other.db", True)
    assert Settings.from_environ({"WIDGET_DATABASE_URL": ""}).database_url_given is False


def test_env_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "widget.env"
    env_file.write_text(
        "WIDGET_LEDGER_INTERVAL=120\nWIDGET_LOG_LEVEL=debug\nWIDGET_SECRET_KEYS=from-file\n"
    )
    settings = Settings.from_environ(
        {"WIDGET_ENV_FILE": str(env_file), "WIDGET_LOG_LEVEL": "error"}
    )
    assert settings.ledger_interval == 120
    assert settings.log_level == "error"
    assert keys(settings) == ["from-file"]


def test_process_environment_is_read_when_no_mapping_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WIDGET_LEDGER_INTERVAL", "77")
    monkeypatch.delenv("WIDGET_ENV_FILE", raising=False)
    assert Settings.from_environ().ledger_interval == 77


def test_with_changes_returns_a_changed_copy() -> None:
    settings = Settings()
    changed = settings.with_changes(ledger_interval=120)
    assert (settings.ledger_interval, changed.ledger_interval) == (60.0, 120)


# -- refusals -------------------------------------------------------------------------------


BAD_VALUES = [
    ("WIDGET_LEDGER_INTERVAL", "0"),
    ("WIDGET_LEDGER_INTERVAL", "-300"),
    ("WIDGET_LEDGER_INTERVAL", "five"),
    ("WIDGET_LEDGER_INTERVAL", "0.5"),
    ("WIDGET_SNAPSHOT_INTERVAL", "0"),
    ("WIDGET_SNAPSHOT_INTERVAL", "-1"),
    ("WIDGET_SNAPSHOT_INTERVAL", "soon"),
    ("WIDGET_SNAPSHOT_INTERVAL", "nan"),  # would make the poller sleep forever
    ("WIDGET_SNAPSHOT_INTERVAL", "1e-9"),  # would make the poller burn a CPU
    ("WIDGET_SNAPSHOT_INTERVAL", "0.01"),
    ("WIDGET_SNAPSHOT_INTERVAL", "inf"),
    ("WIDGET_LEDGER_INTERVAL", "1e12"),
    ("WIDGET_FLUSH_INTERVAL", "1e-9"),
    ("WIDGET_FLUSH_INTERVAL", "3600"),
    ("WIDGET_CLICK_TOKEN_MAX_AGE", "99999999999"),
    ("WIDGET_CLICK_TOKEN_MAX_AGE", "59"),
    ("WIDGET_CLICK_TOKEN_MAX_AGE", "a day"),
    ("WIDGET_PUBLIC_URL", "ftp://x"),
    ("WIDGET_PUBLIC_URL", "widgets.example"),
    ("WIDGET_PUBLIC_URL", "javascript:alert(1)"),
    ("WIDGET_LOG_LEVEL", "loud"),
    ("WIDGET_LOG_LEVEL", "trace"),
    ("WIDGET_DEBUG", "maybe"),
    ("WIDGET_COUNTING", "sometimes"),
    ("WIDGET_PUBLIC_URL", "https://"),
]


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_bad_value_raises_value_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_environ({name: value})


@pytest.mark.parametrize(("name", "value"), BAD_VALUES)
def test_every_bad_value_is_one_plain_sentence_of_the_same_shape(name: str, value: str) -> None:
    # "NAME must be ..., got 'value'": never Starlette's "Config '...' has value ...".
    with pytest.raises(ValueError) as caught:
        Settings.from_environ({name: value})
    message = str(caught.value)
    assert message.startswith(f"{name} must ")
    assert "got " in message
    assert "Config '" not in message
    assert "Not a valid" not in message
    assert "\n" not in message


def test_a_missing_env_file_is_refused_by_name(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    with pytest.raises(ValueError) as caught:
        Settings.from_environ({"WIDGET_ENV_FILE": str(missing)})
    assert str(caught.value) == f"WIDGET_ENV_FILE must name an existing file, got {str(missing)!r}"
    with pytest.raises(ValueError, match="WIDGET_ENV_FILE"):
        Settings.from_environ({"WIDGET_ENV_FILE": str(tmp_path)})  # a directory is no file


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WIDGET_LEDGER_INTERVAL", "1"),
        ("WIDGET_LEDGER_INTERVAL", "86400"),
        ("WIDGET_SNAPSHOT_INTERVAL", "0.1"),
        ("WIDGET_SNAPSHOT_INTERVAL", "3600"),
        ("WIDGET_FLUSH_INTERVAL", "0.05"),
        ("WIDGET_FLUSH_INTERVAL", "60"),
        ("WIDGET_CLICK_TOKEN_MAX_AGE", "60"),
        ("WIDGET_CLICK_TOKEN_MAX_AGE", "2592000"),
        ("WIDGET_PUBLIC_URL", "http://x"),
    ],
)
def test_values_at_the_limits_are_accepted(name: str, value: str) -> None:
    Settings.from_environ({name: value}).validate()


def test_validate_checks_settings_made_in_code() -> None:
    with pytest.raises(ValueError, match="WIDGET_LEDGER_INTERVAL"):
        Settings(ledger_interval=0).validate()
    with pytest.raises(ValueError, match="WIDGET_PUBLIC_URL"):
        Settings(public_url="ftp://x").validate()


# -- secrets --------------------------------------------------------------------------------


def test_secret_keys_do_not_appear_in_repr_or_str() -> None:
    settings = Settings.from_environ(
        {"WIDGET_SECRET_KEYS": "first-very-secret-key,second-very-secret-key"}
    )
    assert keys(settings) == ["first-very-secret-key", "second-very-secret-key"]
    for text in (repr(settings), str(settings), repr(settings.secret_keys)):
        assert "first-very-secret-key" not in text
        assert "second-very-secret-key" not in text


@pytest.mark.parametrize(("raw", "expected"), [("pending", "pending"), (" Active ", "active")])
def test_new_members_is_pending_or_active(raw: str, expected: str) -> None:
    assert Settings.from_environ({}).new_members == "pending"
    assert Settings.from_environ({"WIDGET_NEW_MEMBERS": raw}).new_members == expected


def test_new_members_refuses_anything_else() -> None:
    with pytest.raises(ValueError, match="WIDGET_NEW_MEMBERS"):
        Settings.from_environ({"WIDGET_NEW_MEMBERS": "paused"})
