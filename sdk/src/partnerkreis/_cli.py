"""``python -m partnerkreis``: a few API calls from the shell.

    python -m partnerkreis snippet blumenhaus hochzeit-heide          # the paste code
    python -m partnerkreis snippet blumenhaus hochzeit-heide --json   # the placement

The key and server come from ``PARTNERKREIS_API_KEY`` and
``PARTNERKREIS_BASE_URL`` (``--base-url`` overrides the server; a key is best
not typed on a command line, where other users' ``ps`` sees it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

import httpx

from ._client import Client
from ._exceptions import ConfigurationError, PartnerkreisError


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="python -m partnerkreis",
        description="The Partnerkreis API from the shell"
        " (key and server: PARTNERKREIS_API_KEY, PARTNERKREIS_BASE_URL).",
    )
    main.add_argument("--base-url", help="the server, e.g. https://partner.example.org")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    snippet = commands.add_parser(
        "snippet",
        help="print a member's paste-ready embed code for a theme",
        description="Print what MEMBER pastes into its website to show THEME's partner block"
        " (creates the placement, or returns the existing one for equal options).",
    )
    snippet.add_argument("member", metavar="MEMBER", help="the member's slug")
    snippet.add_argument("theme", metavar="THEME", help="the theme's slug")
    snippet.add_argument("--lang", choices=["de", "en"], help="fix the block's language")
    snippet.add_argument("--layout", choices=["cards", "list", "compact"], help="fix its layout")
    snippet.add_argument("--scheme", choices=["light", "dark", "auto"], help="fix its colours")
    snippet.add_argument("--max-partners", type=int, metavar="N", help="show at most N partners")
    snippet.add_argument(
        "--show",
        metavar="KINDS",
        help="what the block shows besides partners, e.g. partners,offer,event",
    )
    snippet.add_argument(
        "--iframe", action="store_true", help="the variant without JavaScript (an <iframe>)"
    )
    snippet.add_argument("--json", action="store_true", help="print the whole placement as JSON")
    return main


def main(
    argv: Sequence[str] | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    stdout = out or sys.stdout
    stderr = err or sys.stderr
    args = parser().parse_args(argv)
    try:
        with Client(base_url=args.base_url, transport=transport) as client:
            placement = client.placements.create(
                args.member,
                theme=args.theme,
                lang=args.lang,
                layout=args.layout,
                scheme=args.scheme,
                max_partners=args.max_partners,
                show=args.show,
            )
    except ConfigurationError as exc:
        print(f"partnerkreis: {exc}", file=stderr)
        return 2
    except PartnerkreisError as exc:
        print(f"partnerkreis: {exc}", file=stderr)
        return 1
    if args.json:
        print(json.dumps(dict(placement.raw), ensure_ascii=False, indent=2), file=stdout)
    else:
        print(placement.snippet_iframe if args.iframe else placement.snippet_html, file=stdout)
    return 0
