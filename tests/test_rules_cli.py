"""Coordinators change rotation rules and API keys from the shell."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

from widget_server.cli import main


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args), environ={"WIDGET_DATABASE_URL": f"sqlite:///{db}"})
    return code, out.getvalue(), err.getvalue()


def test_cli_rules_set_show_history_and_explain(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert cli(db, "init")[0] == 0
    assert cli(db, "theme", "add", "hochzeit", "--name-de", "Hochzeit")[0] == 0
    for slug in ("a", "b", "c", "d"):
        code, _, err = cli(
            db,
            "member",
            "add",
            slug,
            "--name",
            slug.upper(),
            "--website",
            f"https://{slug}.example",
            "--theme",
            "hochzeit",
        )
        assert code == 0, err
    rules = tmp_path / "rules.yaml"
    rules.write_text("strategy: fixed\norder: [d, c, b]\npartners: {max: 2}\n")
    code, out, _ = cli(db, "rules", "set", "hochzeit", str(rules), "--author", "anna")
    assert code == 0
    assert '+  "strategy": "fixed"' in out
    assert "version 1" in out

    code, out, _ = cli(db, "rules", "show", "hochzeit", "--json")
    shown = json.loads(out)
    assert (shown["version"], shown["author"]) == (1, "anna")
    assert shown["rules"]["order"] == ["d", "c", "b"]

    bad = tmp_path / "bad.json"
    bad.write_text('{"order": ["d", "zz"]}')
    code, _, err = cli(db, "rules", "set", "hochzeit", str(bad))
    assert code == 2
    assert "order[1]" in err and "'zz'" in err
    code, _, err = cli(db, "rules", "set", "hochzeit", str(rules), "--if-version", "0")
    assert code == 1 and "version 1" in err

    code, out, _ = cli(db, "rules", "history", "hochzeit", "--json")
    assert [v["version"] for v in json.loads(out)] == [1]

    code, out, _ = cli(db, "explain", "a", "hochzeit", "--json")
    report = json.loads(out)
    assert [s["member"] for s in report["shown"]] == ["d", "c"]
    code, out, _ = cli(db, "explain", "a", "hochzeit")
    assert "strategy fixed" in out and "1. d, 2. c" in out
    assert cli(db, "explain", "a", "hochzeit", "--at", "yesterday")[0] == 2


def test_cli_api_keys_are_shown_once_and_can_be_revoked(tmp_path: Path) -> None:
    db = tmp_path / "keys.db"
    cli(db, "init")
    cli(db, "member", "add", "a", "--name", "A", "--website", "https://a.example")
    code, out, _ = cli(db, "key", "create", "--scope", "member:a", "--name", "CMS", "--json")
    created = json.loads(out)
    assert created["key"].startswith(created["key_id"] + ".")
    code, out, _ = cli(db, "key", "list", "--json")
    listed = json.loads(out)
    assert listed[0]["key_id"] == created["key_id"]
    assert created["key"] not in out  # the secret is never shown again
    assert cli(db, "key", "revoke", created["key_id"])[0] == 0
    assert json.loads(cli(db, "key", "list", "--json")[1])[0]["revoked_at"]
    code, _, err = cli(db, "key", "create", "--scope", "member:nobody")
    assert code == 2 and "'nobody'" in err
    assert cli(db, "key", "create", "--scope", "admin")[0] == 2
