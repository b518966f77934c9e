"""Rotation rules: show, set, history, explain."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from widget_server.cli.common import UsageError, emit
from widget_server.core.settings import Settings
from widget_server.counting.replay import explain_selection, explanation_text, parse_moment
from widget_server.network.database import ensure_secret_keys, rotation_key
from widget_server.network.rules import history as rules_history
from widget_server.network.rules import load_document, render, set_rules
from widget_server.storage import Storage


async def _rules_document(args: argparse.Namespace) -> Any:
    path = Path(args.file)
    try:
        return load_document(path)
    except OSError as exc:
        raise UsageError(f"cannot read rules file {args.file!r}: {exc.strerror}") from None


async def cmd_rules_show(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    theme = await storage.get_theme(args.theme)
    current = await storage.get_rule_set(theme.id)
    data = {
        "theme": theme.slug,
        "version": current.version if current else 0,
        "author": current.author if current else None,
        "created_at": current.created_at if current else None,
        "rules": current.rules if current else {},
    }
    header = (
        f"# {theme.slug}: version {current.version} by {current.author} at {current.created_at}"
        if current
        else f"# {theme.slug}: no rules set, the defaults apply (docs/rotation.md)"
    )
    emit(args, data, f"{header}\n{render(data['rules'])}")
    return 0


async def cmd_rules_set(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    document = await _rules_document(args)
    change = await set_rules(
        storage, args.theme, document, args.author, expected_version=args.if_version
    )
    data = {
        "theme": change.theme.slug,
        "previous_version": change.previous.version if change.previous else 0,
        "version": change.current.version,
        "diff": change.diff,
    }
    text = (change.diff or "(no changes to the document)") + (
        f"\nRules of {change.theme.slug} are now at version {change.current.version}."
    )
    emit(args, data, text)
    return 0


async def cmd_rules_history(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    versions = await rules_history(storage, args.theme)
    data = [
        {"version": r.version, "author": r.author, "created_at": r.created_at, "diff": diff}
        for r, diff in versions
    ]
    text = "\n\n".join(
        f"version {r.version} by {r.author} at {r.created_at}\n{diff or '(unchanged)'}"
        for r, diff in versions
    )
    emit(args, data, text or f"No rule changes for {args.theme} yet: the defaults apply.")
    return 0


async def cmd_explain(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    keys = await ensure_secret_keys(storage, settings, create=False)
    at = parse_moment(args.at, time.time())
    report = await explain_selection(
        storage, rotation_key(keys), args.member, args.theme, at, args.placement
    )
    emit(args, report, explanation_text(report))
    return 0
