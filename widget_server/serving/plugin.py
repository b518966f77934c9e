"""The WordPress plugin as a ZIP, built from its source folder (snippets/wordpress/).

The server offers it for download (``/downloads/partnerkreis-wordpress-VERSION.zip``):
a shop owner uploads it under Plugins → Add New → Upload Plugin.  The archive is
built in memory from the files as shipped (the folder is package data, reached
through ``widget_server/data/wordpress-plugin``), with fixed timestamps and a
fixed order, so the same plugin version always gives the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

PLUGIN_DIR = Path(__file__).parents[1] / "data" / "wordpress-plugin"
FOLDER = "partnerkreis"  # the folder WordPress unpacks it into: wp-content/plugins/partnerkreis
_STAMP = (2024, 1, 1, 0, 0, 0)
_SHIPPED = re.compile(r"[a-z0-9._/-]+\.(php|js|json|txt)")


@dataclass(frozen=True)
class PluginZip:
    version: str
    body: bytes
    etag: str

    @property
    def filename(self) -> str:
        return f"partnerkreis-wordpress-{self.version}.zip"


def plugin_version(source: Path = PLUGIN_DIR) -> str:
    """The ``Version:`` of the plugin header, e.g. ``1.1.0``."""
    header = (source / "partnerkreis.php").read_text(encoding="utf-8")
    found = re.search(r"^ \* Version:\s+([0-9][0-9.]*)\s*$", header, re.M)
    if found is None:
        raise ValueError(f"no 'Version:' in the plugin header of {source / 'partnerkreis.php'}")
    return found.group(1)


def shipped_files(source: Path = PLUGIN_DIR) -> list[str]:
    """The plugin's files, relative and sorted (sources only: no editor backups)."""
    names = sorted(p.relative_to(source).as_posix() for p in source.rglob("*") if p.is_file())
    return [n for n in names if _SHIPPED.fullmatch(n)]


def build_plugin_zip(source: Path = PLUGIN_DIR) -> PluginZip:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in shipped_files(source):
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=_STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (source / name).read_bytes())
    body = out.getvalue()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return PluginZip(plugin_version(source), body, etag)


@functools.cache
def plugin_zip() -> PluginZip:
    """The shipped plugin's ZIP, built once per process."""
    return build_plugin_zip()
