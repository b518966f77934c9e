"""``widget-server member import FILE``: many members from a CSV or JSON file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from widget_server.cli.common import UsageError, emit
from widget_server.core.settings import Settings
from widget_server.network.member_import import FORMATS, import_members, read_records
from widget_server.storage import Storage

# Files with at least this many rows report progress on stderr.
PROGRESS_FROM = 1_000
ERRORS_SHOWN = 50  # in the text output; --json lists them all


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="CSV with a header row, or JSON (docs/members-import.md)")
    parser.add_argument(
        "--format", choices=FORMATS, help="csv or json; default: by the file's extension"
    )
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows and report the bad ones (default: all or nothing)",
    )


def file_format(path: str, given: str | None) -> str:
    if given:
        return given
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the format of {path!r}: use --format csv or --format json")
    return suffix


def show_progress(stage: str, done: int, total: int) -> None:
    print(f"{stage} {done}/{total} rows", file=sys.stderr, flush=True)


async def cmd_member_import(args: argparse.Namespace, storage: Storage, settings: Settings) -> int:
    fmt = file_format(args.file, args.format)
    try:
        text = Path(args.file).read_text(encoding="utf-8-sig")  # noqa: ASYNC240  (read once)
    except OSError as exc:
        raise UsageError(f"cannot read member file {args.file!r}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{args.file!r} is not UTF-8 text (byte {exc.start})") from None
    records = read_records(text, fmt)
    report = await import_members(
        storage,
        records,
        skip_invalid=args.skip_invalid,
        progress=show_progress if len(records) >= PROGRESS_FROM else None,
    )
    failed = bool(report.errors) and not args.skip_invalid
    lines = [str(e) for e in report.errors[:ERRORS_SHOWN]]
    if len(report.errors) > ERRORS_SHOWN:
        lines.append(f"… and {len(report.errors) - ERRORS_SHOWN} more bad rows (--json lists all)")
    if failed:
        lines.append(
            f"{len(report.errors)} of {report.rows} rows are invalid: nothing imported"
            " (--skip-invalid imports the good rows)."
        )
    else:
        lines.append(
            f"{report.imported} member{'' if report.imported == 1 else 's'} imported"
            + (f", {report.skipped} invalid rows skipped." if report.skipped else ".")
        )
    if getattr(args, "json", False):
        emit(args, report.as_dict(), "")
        if failed:
            print("\n".join(lines), file=sys.stderr)
    elif failed:
        print("\n".join(lines), file=sys.stderr)
    else:
        print("\n".join(lines))
    return 2 if failed else 0
