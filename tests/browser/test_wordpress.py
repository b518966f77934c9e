"""The WordPress plugin in a real WordPress: Debian's ``wordpress`` package on MariaDB.

The test sets up its own WordPress (a copy of the package's PHP next to a wp-config.php of
its own, its own database on the MariaDB server at 127.0.0.1:3306, dropped afterwards),
serves it with ``php -S``, completes the installation, and then does in Chromium what a
shop owner does: log in, upload the plugin ZIP the Partnerkreis server offers (Plugins →
Add New → Upload Plugin), activate it, add the block "Partnerkreis" to a new page in the
block editor, paste the embed code from the portal, see the live preview, publish. A
visitor then sees the partner block and a click on a partner reaches the partner's site.
The shortcode, fed the whole pasted embed code, is checked on a second page.

With ``WIDGET_DOCS_SCREENSHOTS=DIR`` it saves the screenshots the WordPress guide shows.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DemoServer, free_port, wait_for
from tests.browser.snippet_helpers import (
    ROOT,
    TOWN,
    assert_shows_partners,
    blocks_in,
    missing_engine,
)
from widget_server.demo import data as demo_data
from widget_server.demo.seed import site_url

pytestmark = pytest.mark.browser

WORDPRESS = Path(os.environ.get("WIDGET_TEST_WORDPRESS", "/usr/share/wordpress"))
MARIADB = ("127.0.0.1", 3306)
PHP = shutil.which("php")
SHOTS = os.environ.get("WIDGET_DOCS_SCREENSHOTS")
ADMIN, PASSWORD = "ladenbesitz", secrets.token_urlsafe(12)


@dataclass
class WordPress:
    base: str
    root: Path


def php(code: str) -> str:
    assert PHP is not None
    done = subprocess.run(
        [PHP, "-r", code], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def database(statement: str) -> None:
    """One statement on the MariaDB server as root (through PHP's mysqli, as WordPress talks)."""
    host, port = MARIADB
    php(
        f"mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);"
        f"$db = new mysqli('{host}', 'root', '', '', {port}); $db->query('{statement}');"
    )


def requirements() -> None:
    if PHP is None or not (WORDPRESS / "wp-includes" / "version.php").exists():
        missing_engine("WordPress needs php-cli and Debian's wordpress package")
    if "mysqli" not in php("echo implode(' ', get_loaded_extensions());").split():
        missing_engine("PHP's mysqli extension is missing (apt-get install php-mysql)")
    try:
        database("SELECT 1")
    except AssertionError as error:
        missing_engine(f"no MariaDB server at {MARIADB[0]}:{MARIADB[1]}: {error}")


def wordpress_copy(root: Path, base: str, db: str) -> None:
    """The package's WordPress with our wp-config.php: PHP that reads its config from
    next to itself must be a copy (__DIR__ resolves links); the library is linked."""
    root.mkdir()
    for entry in WORDPRESS.iterdir():
        if entry.name == "wp-admin":
            shutil.copytree(entry, root / entry.name)
        elif entry.name == "wp-includes":
            (root / entry.name).symlink_to(entry)
        elif entry.suffix == ".php" and entry.name != "wp-config.php":
            shutil.copy(entry, root / entry.name)
    content = root / "wp-content"
    for folder in ("plugins", "themes", "uploads", "upgrade"):
        (content / folder).mkdir(parents=True)
    for theme in (WORDPRESS / "wp-content" / "themes").iterdir():
        (content / "themes" / theme.name).symlink_to(theme)
    (content / "languages").symlink_to(WORDPRESS / "wp-content" / "languages")
    salts = "".join(
        f"define('{name}', '{secrets.token_hex(32)}');\n"
        for name in [
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        ]
    )
    (root / "wp-config.php").write_text(
        "<?php\n"
        f"define('DB_NAME', '{db}');\ndefine('DB_USER', 'root');\ndefine('DB_PASSWORD', '');\n"
        f"define('DB_HOST', '{MARIADB[0]}:{MARIADB[1]}');\ndefine('DB_CHARSET', 'utf8mb4');\n"
        "define('DB_COLLATE', '');\n"
        f"{salts}$table_prefix = 'wp_';\n"
        f"define('WP_HOME', '{base}');\ndefine('WP_SITEURL', '{base}');\n"
        f"define('WP_CONTENT_DIR', '{content}');\ndefine('WP_CONTENT_URL', '{base}/wp-content');\n"
        "define('FS_METHOD', 'direct');\n"
        # Nothing leaves this machine: no update checks, no cron, no outgoing requests.
        "define('WP_HTTP_BLOCK_EXTERNAL', true);\ndefine('AUTOMATIC_UPDATER_DISABLED', true);\n"
        "define('DISABLE_WP_CRON', true);\ndefine('WP_DEBUG', false);\n"
        "if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');\n"
        "require_once ABSPATH . 'wp-settings.php';\n"
    )


@pytest.fixture(scope="module")
def wordpress(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WordPress]:
    requirements()
    assert PHP is not None
    db = "pk_test_" + secrets.token_hex(6)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    root = tmp_path_factory.mktemp("wordpress") / "site"
    wordpress_copy(root, base, db)
    database(f"CREATE DATABASE {db} CHARACTER SET utf8mb4")
    log = root.parent / "php.log"
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(database, f"DROP DATABASE IF EXISTS {db}")
        out = cleanup.enter_context(log.open("w"))
        server = subprocess.Popen(
            [PHP, "-d", "upload_max_filesize=8M", "-S", f"127.0.0.1:{port}", "-t", str(root)],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            # The block editor sends requests in parallel: serve them in parallel.
            env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
            # Its own process group: the workers outlive a SIGTERM to the parent alone.
            start_new_session=True,
        )
        cleanup.callback(server.wait, 15)
        cleanup.callback(os.killpg, server.pid, signal.SIGTERM)
        wait_for(f"{base}/wp-admin/install.php", server)
        # The installer's form, as its page posts it.
        done = httpx.post(
            f"{base}/wp-admin/install.php?step=2",
            data={
                "weblog_title": "Optik Ehlers",
                "user_name": ADMIN,
                "admin_password": PASSWORD,
                "admin_password2": PASSWORD,
                "pw_weak": "1",
                "admin_email": "laden@optik-ehlers.example",
                "blog_public": "0",
                "language": "",
            },
            timeout=120,
        )
        assert done.status_code == 200 and "wp-login.php" in done.text, done.text[-2000:]
        yield WordPress(base, root)


def shot(page: Page, name: str) -> None:
    """A screenshot for docs/wordpress.md (only when asked for: they are committed)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        target = Path(SHOTS) / f"wordpress-{name}.png"
        page.screenshot(path=str(target))
        # 64 colours: a third of the size, still sharp for screenshots of a UI.
        Image.open(target).convert("RGB").quantize(colors=64).save(target, optimize=True)


def log_in(page: Page, wp: WordPress) -> None:
    page.goto(f"{wp.base}/wp-login.php")
    page.fill("#user_login", ADMIN)
    page.fill("#user_pass", PASSWORD)
    page.click("#wp-submit")
    page.wait_for_url("**/wp-admin/**")


def upload_plugin(page: Page, wp: WordPress, demo: DemoServer) -> None:
    """Plugins → Add New → Upload Plugin, with the ZIP downloaded from the server."""
    download = httpx.get(f"{demo.base}/downloads/partnerkreis-wordpress.zip", follow_redirects=True)
    assert download.status_code == 200, download.text
    name = download.headers["content-disposition"].split('filename="')[1].rstrip('"')
    zip_path = wp.root.parent / name
    zip_path.write_bytes(download.content)

    page.goto(f"{wp.base}/wp-admin/plugin-install.php")
    page.get_by_role("button", name="Upload Plugin").click()
    page.set_input_files("input[name=pluginzip]", str(zip_path))
    shot(page, "1-upload")
    page.get_by_role("button", name="Install Now").click()
    expect(page.get_by_text("Plugin installed successfully.")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Activate Plugin").click()
    expect(page.get_by_text("Plugin activated.")).to_be_visible()
    expect(page.locator("tr[data-slug=partnerkreis].active")).to_have_count(1)


def new_page_with_block(page: Page, wp: WordPress, code: str) -> str:
    """A new page in the block editor with the block "Partnerkreis"; published. Its URL."""
    page.goto(f"{wp.base}/wp-admin/post-new.php?post_type=page")
    # The editor greets a new user with a guide: close it as a user would.
    guide = page.get_by_role("dialog", name="Welcome to the block editor")
    with contextlib.suppress(AssertionError):
        expect(guide).to_be_visible(timeout=10_000)
        guide.get_by_role("button", name="Close").click()
    page.get_by_role("textbox", name="Add title").fill("Unsere Partner")
    page.get_by_role("button", name="Toggle block inserter").click()
    page.get_by_role("searchbox").fill("Partnerkreis")
    page.get_by_role("option", name="Partnerkreis").click()
    # The block asks for the code; the preview then shows the real block.
    page.locator(".partnerkreis-code textarea").fill(code)
    # (The preview is rendered by WordPress on php -S: seconds on a busy machine.)
    preview = page.wait_for_selector(
        "iframe.partnerkreis-preview", state="attached", timeout=60_000
    )
    frame = preview.content_frame()
    assert frame is not None
    frame.wait_for_selector("a.pk-link", timeout=30_000)
    assert len(frame.query_selector_all("a.pk-link")) == 3
    shot(page, "2-block")
    page.get_by_role("button", name="Publish", exact=True).click()
    panel = page.locator(".editor-post-publish-panel")
    panel.get_by_role("button", name="Publish", exact=True).click()
    expect(panel.get_by_text("is now live")).to_be_visible(timeout=30_000)
    url: str = page.evaluate("() => wp.data.select('core/editor').getPermalink()")
    return url


def test_plugin_installs_and_shows_the_block_in_a_real_wordpress(
    wordpress: WordPress, demo_server: DemoServer, browser: Browser
) -> None:
    snippet = demo_server.snippet("optik-ehlers", TOWN)
    admin = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = admin.new_page()
        log_in(page, wordpress)
        upload_plugin(page, wordpress, demo_server)
        block_page = new_page_with_block(page, wordpress, snippet["html"])
        # The shortcode with the whole pasted code, and with the bare token (the server
        # then comes from the settings), on two more pages (through WordPress's REST API,
        # as the editor saves).
        shortcode_pages: list[str] = page.evaluate(
            """(codes) => Promise.all(codes.map(code => wp.apiFetch({
                 path: '/wp/v2/pages', method: 'POST', data: {
                 title: 'Shortcode', status: 'publish',
                 content: '<!-- wp:shortcode -->\\n' + code + '\\n<!-- /wp:shortcode -->'}})
                 .then(p => p.link)))""",
            [
                f"[partnerkreis]{snippet['html']}[/partnerkreis]",
                f'[partnerkreis token="{snippet["token"]}"]',
            ],
        )
        # The settings page speaks the user's language: English, then German.
        page.goto(f"{wordpress.base}/wp-admin/options-general.php?page=partnerkreis")
        expect(page.get_by_role("heading", name="Partnerkreis settings")).to_be_visible()
        page.goto(f"{wordpress.base}/wp-admin/profile.php")
        page.select_option("#locale", "de_DE")
        page.get_by_role("button", name="Update Profile").click()
        page.goto(f"{wordpress.base}/wp-admin/options-general.php?page=partnerkreis")
        expect(page.get_by_role("heading", name="Partnerkreis-Einstellungen")).to_be_visible()
        page.get_by_label("Server").fill(demo_server.base)
        shot(page, "4-settings")
        page.get_by_role("button", name="Änderungen speichern").click()
        expect(page.get_by_text("Einstellungen gespeichert.")).to_be_visible()
    finally:
        admin.close()

    visitor = browser.new_context(viewport={"width": 1000, "height": 800})
    try:
        page = visitor.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        for url in (*shortcode_pages, block_page):
            page.goto(url)
            [block] = blocks_in(page)
            assert_shows_partners(block, demo_server.base)
            assert block["token"] == snippet["token"]
        page.locator("[data-partnerkreis]").scroll_into_view_if_needed()
        shot(page, "3-page")
        # A click on a partner goes through the counted link to the partner's website:
        # in the demo network that is the partner's demo page, which loads.
        link = page.locator("[data-partnerkreis] a.pk-link").first
        name = link.locator(".pk-name").text_content()
        slug = next(m["slug"] for m in demo_data.MEMBERS if m["name"] == name)
        website = site_url(demo_server.base, slug)
        with page.expect_request(lambda r: r.url.rstrip("/") == website.rstrip("/")) as request:
            link.click()
        redirected_from = request.value.redirected_from
        assert redirected_from is not None
        assert redirected_from.url.startswith(f"{demo_server.base}/c/")
        page.wait_for_url(website)
        expect(page).to_have_title(re.compile(re.escape(name or "?")))
        assert errors == []
    finally:
        visitor.close()


def test_readme_names_the_wordpress_version_it_was_tested_with() -> None:
    """ "Tested up to" is the WordPress the test above runs (major.minor, as WordPress reads it)."""
    version_php = WORDPRESS / "wp-includes" / "version.php"
    if not version_php.exists():
        missing_engine("Debian's wordpress package is not installed")
    found = re.search(r"\$wp_version = '(\d+\.\d+)", version_php.read_text())
    assert found is not None
    readme = (ROOT / "snippets" / "wordpress" / "partnerkreis" / "readme.txt").read_text()
    assert f"Tested up to: {found.group(1)}\n" in readme
    assert "Requires at least: 6.1\n" in readme  # block.json "render" and the block API v2
