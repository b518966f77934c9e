"""Admin pages with figures and history: overview, stats, simulator, audit log, portal CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import make_account, post, signed_in
from tests.conftest import SECRET, Clock
from widget_server.cli import main
from widget_server.core.models import CounterRow
from widget_server.core.signing import Signer
from widget_server.counting.events import day_of
from widget_server.network.portal_links import read_portal_token
from widget_server.network.rules import set_rules
from widget_server.storage import SQLiteStorage
from widget_server.web.endpoints.admin import stats as admin_stats

pytestmark = pytest.mark.asyncio
HOSTILE = "<img src=x onerror=alert(1)> & Co"


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, clock: Clock, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    """Signed in, with a week of counts in the wedding theme and a hostile member name."""
    theme = await storage.get_theme("hochzeit")
    members = {m.slug: m for m in await storage.list_members()}
    hostile = members["fotos"]
    await storage.update_member(
        dataclasses.replace(hostile, name=HOSTILE)  # straight to storage
    )
    today = day_of(clock())
    rows = []
    for back in range(7):
        day = today - timedelta(days=back)
        for host, partner, n in (
            ("scheune", "blumen", 30),
            ("blumen", "scheune", 10),
            ("catering", "fotos", 5),
        ):
            h, p = members[host].id, members[partner].id
            rows.append(CounterRow(day, theme.id, h, p, "viewed", n + back, float(n)))
            rows.append(CounterRow(day, theme.id, h, 0, "viewed", n + back))
        rows.append(
            CounterRow(day, theme.id, members["scheune"].id, members["blumen"].id, "clicked", 2)
        )
    await storage.add_counts(rows)
    await make_account(storage)
    await signed_in(client)
    yield client


def svgs(html: str) -> list[ET.Element]:
    return [ET.fromstring(s) for s in re.findall(r"<svg xmlns=.*?</svg>", html, re.S)]


async def test_the_stats_page_draws_given_against_received_balance_and_time(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/stats?theme=hochzeit")
    assert page.status_code == 200
    charts = svgs(page.text)
    assert len(charts) == 3
    titles = [c.find("{http://www.w3.org/2000/svg}title").text for c in charts]  # type: ignore[union-attr]
    assert titles == [
        "Geben und Nehmen im Thema Hochzeit",
        "Bilanz im Thema Hochzeit",
        "Verlauf im Thema Hochzeit",
    ]
    assert HOSTILE not in page.text  # escaped everywhere
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; Co" in page.text
    table = re.search(r"<table class=\"data\">.*?</table>", page.text, re.S)
    assert table and "Festscheune Wulfshof" in table.group(0)
    assert '<th scope="row">Blumenhaus am Markt</th>' in page.text


async def test_a_large_themes_stats_show_its_biggest_givers_and_name_the_full_list(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``STATS_SHOWN`` members the charts and their tables show those who gave the
    most partner views, in that order, and say how many there are and where all are."""
    from widget_server.web.endpoints.admin import figures

    whole = (await admin.get("/admin/stats?theme=hochzeit")).text
    assert "Alle Mitglieder: widget-server stats" not in whole
    monkeypatch.setattr(figures, "STATS_SHOWN", 2)
    page = (await admin.get("/admin/stats?theme=hochzeit")).text
    tables = re.findall(r'<table class="data">.*?</table>', page, re.S)
    exchange = re.findall(r'<th scope="row">([^<]*)</th>', tables[0])
    balance = re.findall(r'<th scope="row">([^<]*)</th>', tables[1])
    # scheune gave 30 a day, blumen 10 (catering 5): the two biggest, biggest first.
    assert exchange == balance == ["Festscheune Wulfshof", "Blumenhaus am Markt"]
    note = page.split('<p class="fineprint">Hier und unten:', 1)[1].split("</p>", 1)[0]
    listed = len(
        re.findall(
            r'<th scope="row">', re.findall(r'<table class="data">.*?</table>', whole, re.S)[0]
        )
    )
    assert f"die 2 Mitglieder mit den meisten gegebenen Partneransichten von {listed}" in note
    assert "Alle Mitglieder: widget-server stats --theme hochzeit" in note
    assert len(svgs(page)) == 3


async def test_the_stats_period_can_be_chosen_and_bad_dates_are_reported(
    admin: httpx.AsyncClient, clock: Clock
) -> None:
    today = day_of(clock())
    one_day = await admin.get(f"/admin/stats?theme=hochzeit&from={today}&to={today}")
    assert one_day.status_code == 200
    assert re.search(
        r'<span class="tile-number">45</span> <span class="tile-label">gesehene', one_day.text
    )
    bad = await admin.get("/admin/stats?theme=hochzeit&from=gestern")
    assert bad.status_code == 422
    assert 'id="f-from-error"' in bad.text and "ist kein Datum" in bad.text


async def test_a_member_page_charts_its_history(admin: httpx.AsyncClient) -> None:
    page = await admin.get("/admin/members/blumen")
    [chart] = svgs(page.text)
    assert chart.get("role") == "img"
    assert len(chart.findall(".//{http://www.w3.org/2000/svg}circle")) == 60  # 30 days x 2


async def test_the_simulator_runs_the_theme_and_charts_ratio_and_exposure(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    form = await admin.get("/admin/themes/hochzeit/simulate")
    assert form.status_code == 200 and not svgs(form.text)
    result = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=20&views=300&alpha=1")
    assert result.status_code == 200
    charts = svgs(result.text)
    assert len(charts) == 2
    assert "Festscheune Wulfshof" in result.text
    assert re.search(r'<span class="tile-number">1</span> <span class="tile-label">α', result.text)
    # The engine beside both baselines, in the page's language.
    for strategy in ("engine", "equal", "credit"):
        assert f'<tr data-strategy="{strategy}">' in result.text
    assert "Gleiche Zufallsrotation" in result.text and "1:1-Guthabentausch" in result.text
    assert await storage.list_rule_sets((await storage.get_theme("hochzeit")).id) == []


async def test_the_simulator_reads_only_its_themes_part_of_the_network(
    admin: httpx.AsyncClient, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It read the whole network and built every theme's pool on the event loop: at
    # 100,000 members a 15 s page, the widget held for seconds.  Now the theme's part,
    # as `widget-server simulate` reads it.
    whole: list[str] = []
    kind = type(storage)  # the app's storage is of the same kind (both databases)
    original = kind.load_network

    async def load_network(self: SQLiteStorage, **options: Any) -> object:
        whole.append("load_network")
        return await original(self, **options)

    monkeypatch.setattr(kind, "load_network", load_network)
    asked: list[object] = []
    played = admin_stats.compare

    def compare(*args: Any, **kwargs: Any) -> Any:
        asked.append(kwargs.get("niceness"))
        return played(*args, **kwargs)

    monkeypatch.setattr(admin_stats, "compare", compare)
    result = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=7&views=300")
    assert asked == [10]  # the strategies' processes behind the server's answers
    assert result.status_code == 200 and len(svgs(result.text)) == 2
    assert "Festscheune Wulfshof" in result.text  # the theme's members, by name
    assert whole == []


async def test_the_admin_pages_never_read_every_member_or_membership(
    admin: httpx.AsyncClient, storage: SQLiteStorage, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each of them read the whole network's members or memberships (and the dashboard
    # counted them in Python): 1-30 s per page at 100,000 members, the widget held
    # meanwhile.  Counts come from the database, lists a page or a theme at a time.
    whole: list[str] = []
    kind = type(storage)  # the app's storage is of the same kind (both databases)
    for name in ("list_members", "list_memberships"):
        original = getattr(kind, name)

        async def recorded(
            self: SQLiteStorage, _o: object = original, _n: str = name, **filters: object
        ) -> object:
            if not any(v is not None for v in filters.values()):
                whole.append(_n)
            return await _o(self, **filters)  # type: ignore[operator]

        monkeypatch.setattr(kind, name, recorded)
    members = await storage.list_members(status="active")
    hostile = next(m for m in members if m.name == HOSTILE)
    await storage.set_member_status(hostile.id, "pending")
    pages = (
        "/admin/",
        "/admin/members",
        "/admin/themes",
        "/admin/stats?theme=hochzeit",
        "/admin/categories",
    )
    for page in pages:
        response = await admin.get(page)
        assert response.status_code == 200, page
    assert whole == []
    dashboard = (await admin.get("/admin/")).text
    tiles = dict(re.findall(r'status=([a-z]+)"><span class="tile-number">(\d+)</span>', dashboard))
    assert tiles["active"] == str(len(members) - 1) and tiles["pending"] == "1"
    pending = dashboard.split('id="pending-title"', 1)[1].split("</section>", 1)[0]
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; Co" in pending and "<img src=x" not in pending
    listed = [
        m for s in ("active", "pending", "paused") for m in await storage.list_members(status=s)
    ]
    used = {m.category for m in listed if m.category}
    assert used  # the wedding network's members have categories
    page = (await admin.get("/admin/categories")).text
    for slug in used:
        count = sum(m.category == slug for m in listed)
        assert re.search(
            rf"<code>{slug}</code></td><td>[^<]*</td><td class=\"num\">{count}</td>", page
        )


async def test_the_pages_that_grow_with_the_network_are_rendered_off_the_event_loop(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A card per theme: at 2,000 themes Jinja took 0.6-1 s for the dashboard and the
    # theme list, and the widget waited for it (a 200-member page of the list, 40 ms).
    from widget_server.web.endpoints.admin import base

    rendered: dict[str, bool] = {}
    loop_thread = threading.get_ident()
    original = base.render

    def render(request: object, template: str, *args: object, **kwargs: object) -> object:
        rendered[template] = threading.get_ident() != loop_thread
        return original(request, template, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(base, "render", render)
    for page in ("/admin/", "/admin/themes", "/admin/members"):
        assert (await admin.get(page)).status_code == 200
    assert rendered == {"dashboard.html": True, "themes.html": True, "members.html": True}


async def test_the_pages_that_list_every_theme_sort_them_off_the_event_loop(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 themes' collation keys are some 15 ms of the widget's loop per page.
    from widget_server.web.endpoints.admin import base

    sorted_on: list[bool] = []
    loop_thread = threading.get_ident()
    original = base.sorted_german

    def watched(*args: Any, **kwargs: Any) -> Any:
        sorted_on.append(threading.get_ident() == loop_thread)
        return original(*args, **kwargs)

    monkeypatch.setattr(base, "sorted_german", watched)
    pages = ("/admin/", "/admin/stats", "/admin/members/new", "/admin/applications")
    for page in pages:
        assert (await admin.get(page)).status_code == 200, page
    assert sorted_on == [False] * len(pages)


async def test_the_simulators_result_and_the_stats_are_made_off_the_event_loop(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A theme of 100 members: its charts and page held the widget for tens of ms.
    from widget_server.web.endpoints.admin import base, stats

    off_loop: dict[str, bool] = {}
    loop_thread = threading.get_ident()
    render, figures = base.render, stats.simulation_figures

    def rendered(request: object, template: str, *args: object, **kwargs: object) -> object:
        off_loop[template] = threading.get_ident() != loop_thread
        return render(request, template, *args, **kwargs)  # type: ignore[arg-type]

    def drawn(*args: object, **kwargs: object) -> object:
        off_loop["figures"] = threading.get_ident() != loop_thread
        return figures(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(base, "render", rendered)
    monkeypatch.setattr(stats, "simulation_figures", drawn)
    page = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=7&views=100")
    assert page.status_code == 200 and svgs(page.text)
    assert off_loop == {"simulate.html": True, "figures": True}
    # The stats page lists every theme in its choice of theme.
    assert (await admin.get("/admin/stats?theme=hochzeit")).status_code == 200
    assert off_loop["stats.html"]


@pytest.mark.parametrize(
    ("query", "input_id"),
    [
        ("days=1000", "f-days"),
        ("views=-3", "f-views"),
        ("zipf=x", "f-zipf"),
        ("alpha=2", "f-alpha"),
    ],
)
async def test_bad_simulator_inputs_are_reported(
    admin: httpx.AsyncClient, query: str, input_id: str
) -> None:
    response = await admin.get(f"/admin/themes/hochzeit/simulate?run=1&{query}")
    assert response.status_code == 422
    assert f'id="{input_id}-error"' in response.text
    assert not svgs(response.text)


async def test_a_theme_too_large_for_the_pages_simulator_is_sent_to_the_command_line(
    admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Members times days past ``SIM_MEMBER_DAYS``: no run (it would take minutes and
    three processes), the most days that fit, or none, and the command that runs it."""
    from widget_server.web.endpoints.admin import stats

    def no_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated")

    monkeypatch.setattr(stats, "compare", no_run)
    monkeypatch.setattr(stats, "SIM_MEMBER_DAYS", 50)
    response = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=60")
    assert response.status_code == 422 and not svgs(response.text)
    error = response.text.split('id="f-days-error"', 1)[1].split("</p>", 1)[0]
    said = re.search(r"(\d+) Mitglieder: hier höchstens (\d+) Tage", error)
    assert said is not None
    members, most = int(said.group(1)), int(said.group(2))
    assert members >= 5 and most == 50 // members >= 7
    assert "widget-server simulate hochzeit --days 60" in error
    monkeypatch.setattr(stats, "SIM_MEMBER_DAYS", 6 * members)  # under the 7 days' minimum
    response = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=7")
    assert response.status_code == 422
    assert f"{members} Mitglieder sind zu viele für eine Simulation hier" in response.text
    english = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=7&lang=en")
    assert f"{members} members are too many to simulate here" in english.text
    monkeypatch.undo()
    done = await admin.get("/admin/themes/hochzeit/simulate?run=1&days=7&views=100")
    assert done.status_code == 200 and len(svgs(done.text)) == 2


async def test_the_audit_log_lists_rule_and_member_changes_with_who_and_what(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await post(admin, "/admin/members/blumen/status", {"action": "pause"})
    await set_rules(storage, "hochzeit", {"strategy": "weighted"}, "cli")
    await post(
        admin,
        "/admin/themes/hochzeit/rules",
        {"form": "document", "version": "1", "document": "strategy: fixed", "action": "save"},
    )
    page = await admin.get("/admin/audit")
    assert page.status_code == 200
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">.*?</tr>", page.text, re.S)
    assert len(rows) == 3
    text = " ".join(re.sub(r"<[^>]+>", " ", r) for r in rows)
    assert "admin:koordination" in text and "cli" in text
    assert "Regeln geändert" in text and "Mitglied pausiert" in text
    assert "member:blumen" in text and "theme:hochzeit" in text
    assert "active → paused" in text
    only = await admin.get("/admin/audit?subject=member:blumen")
    assert len(re.findall(r"<td class=\"nowrap\">", only.text)) == 1
    home = await admin.get("/admin/")
    assert "Mitglied pausiert" in home.text


async def test_the_overview_counts_members_and_lists_pending_ones(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get("/admin/")
    assert re.search(
        r'<span class="tile-number">5</span>\s*<span class="tile-label">aktive', page.text
    )
    assert "Niemand wartet auf Freigabe." in page.text


async def test_the_portal_link_command_prints_a_signed_expiring_link(
    network: dict[str, int],
    storage: SQLiteStorage,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    environ = {"WIDGET_DATABASE_URL": database_url, "WIDGET_SECRET_KEYS": SECRET}
    args = ["portal-link", "blumen", "--days", "3", "--base-url", "https://pk.example", "--json"]
    code = await asyncio.to_thread(main, args, environ)
    out = capsys.readouterr()
    assert code == 0, out.err
    data = json.loads(out.out)
    assert data["member"] == "blumen"
    assert data["url"].startswith("https://pk.example/portal/")
    token = data["url"].rsplit("/", 1)[1]
    member = await storage.get_member("blumen")
    signer = Signer([SECRET])
    import time

    assert read_portal_token(signer, token, time.time()) == member.id
    assert date.fromisoformat(data["expires"][:10]) >= date.today()
    environ["WIDGET_PUBLIC_URL"] = "https://pk.example"
    assert await asyncio.to_thread(main, ["portal-link", "blumen", "--days", "0"], environ) == 2
    assert "between 1 and 30" in capsys.readouterr().err
    assert await asyncio.to_thread(main, ["portal-link", "niemand"], environ) == 1


async def test_the_stats_page_flags_bursts_refused_by_the_daily_caps(
    admin: httpx.AsyncClient, storage: SQLiteStorage, clock: Clock
) -> None:
    theme = await storage.get_theme("hochzeit")
    fotos = await storage.get_member("fotos")  # its name is the hostile string
    quiet = (await admin.get("/admin/stats?theme=hochzeit")).text
    assert "Auffälliger Verkehr" not in quiet
    today = day_of(clock())
    await storage.add_capped([(today, theme.id, fotos.id, 57)])
    page = (await admin.get("/admin/stats?theme=hochzeit")).text
    section = page[page.index("Auffälliger Verkehr") :]
    assert "57" in section and today.isoformat() in section
    assert HOSTILE not in page  # escaped, like everywhere else
    english = (await admin.get("/admin/stats?theme=hochzeit&lang=en")).text
    assert "Unusual traffic" in english
