"""The WordPress plugin the server offers as a ZIP (serving/plugin.py, /downloads/...)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import httpx
import pytest

from widget_server.serving.plugin import PLUGIN_DIR, build_plugin_zip, plugin_version

SOURCE = Path(__file__).resolve().parents[1] / "snippets" / "wordpress" / "partnerkreis"


def test_the_package_reaches_the_plugin_source_in_snippets() -> None:
    # widget_server/data/wordpress-plugin links to snippets/wordpress/partnerkreis: one copy.
    assert PLUGIN_DIR.resolve() == SOURCE.resolve()


def test_zip_holds_the_plugin_folder_and_is_the_same_for_the_same_version(tmp_path: Path) -> None:
    plugin = build_plugin_zip()
    assert plugin.version == plugin_version() == "1.1.0"
    assert plugin.filename == "partnerkreis-wordpress-1.1.0.zip"
    names = zipfile.ZipFile(io.BytesIO(plugin.body)).namelist()
    for needed in ("partnerkreis.php", "block.json", "editor.js", "editor.asset.php", "readme.txt"):
        assert f"partnerkreis/{needed}" in names
    assert "partnerkreis/includes/widget.php" in names
    assert all(name.startswith("partnerkreis/") for name in names)
    assert build_plugin_zip().body == plugin.body  # no timestamps or order of the disk

    # Editor backups and other stray files in the folder are not shipped.
    copy = tmp_path / "partnerkreis"
    copy.mkdir()
    for path in SOURCE.iterdir():
        if path.is_file():
            (copy / path.name).write_bytes(path.read_bytes())
    (copy / "partnerkreis.php~").write_text("backup")
    (copy / ".DS_Store").write_text("junk")
    stray = zipfile.ZipFile(io.BytesIO(build_plugin_zip(copy).body)).namelist()
    assert "partnerkreis/partnerkreis.php" in stray
    assert not [n for n in stray if n.endswith(("~", ".DS_Store"))]


@pytest.mark.asyncio
async def test_server_offers_the_current_plugin_zip(client: httpx.AsyncClient) -> None:
    plugin = build_plugin_zip()
    latest = await client.get("/downloads/partnerkreis-wordpress.zip")
    assert latest.status_code == 307
    assert latest.headers["location"] == f"/downloads/{plugin.filename}"

    got = await client.get(latest.headers["location"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == f'attachment; filename="{plugin.filename}"'
    assert got.content == plugin.body
    again = await client.get(
        latest.headers["location"], headers={"If-None-Match": got.headers["etag"]}
    )
    assert again.status_code == 304

    for wrong in ("partnerkreis-wordpress-0.9.0.zip", "..%2Fsecrets", "x.zip"):
        missing = await client.get(f"/downloads/{wrong}")
        assert missing.status_code == 404, wrong
        assert missing.headers["content-type"].startswith("application/problem+json")
