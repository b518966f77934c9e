"""``theme edit --intro/--intro-en``: the CLI sets the theme page's introduction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import CLI


def test_theme_edit_sets_the_intro_and_names_a_bad_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = CLI(tmp_path / "x.db", capsys)
    cli.ok("init")
    cli.ok("theme", "add", "hochzeit", "--name-de", "Hochzeit")
    out = cli.ok(
        "theme", "edit", "hochzeit", "--intro", "Wir  feiern.\n\n\nZusammen.", "--json"
    ).out
    assert json.loads(out)["intro_de"] == "Wir feiern.\n\nZusammen."
    cli.ok("theme", "edit", "hochzeit", "--intro-en", "We celebrate.")
    assert cli.query("SELECT intro_de, intro_en FROM themes") == [
        ("Wir feiern.\n\nZusammen.", "We celebrate.")
    ]
    bad = cli("theme", "edit", "hochzeit", "--intro-en", "x" * 3001)
    assert bad.code != 0 and "intro_en" in bad.err and "3001" in bad.err
    actions = cli.query(
        "SELECT action, detail FROM audit_log WHERE action LIKE 'theme.%' ORDER BY id"
    )
    assert [a for a, _ in actions] == ["theme.edit", "theme.edit"]
    assert "intro_en" in actions[1][1]
