"""The rules editor: knobs and document, messages at the field, versions, the live preview."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.admin_helpers import assert_invalid, make_account, post, signed_in, token
from widget_server.network.rules import set_rules
from widget_server.storage import SQLiteStorage

pytestmark = pytest.mark.asyncio

URL = "/admin/themes/hochzeit/rules"
NAMES = {
    "brautmoden": "Brautmoden Carstens",
    "catering": "Küstenküche Boie",
    "blumen": "Blumenhaus am Markt",
    "scheune": "Festscheune Wulfshof",
    "fotos": "Fotografie Brandt",
}


@pytest_asyncio.fixture
async def admin(
    network: dict[str, int], storage: SQLiteStorage, client: httpx.AsyncClient
) -> AsyncIterator[httpx.AsyncClient]:
    await make_account(storage)
    await signed_in(client)
    yield client


def knob_form(**changes: str) -> dict[str, str]:
    """The knob form as the page sends it with default rules (checkboxes unticked)."""
    data = {
        "form": "knobs",
        "version": "0",
        "base": "{}",
        "strategy": "fair-exchange",
        "partners.max": "3",
        "partners.min": "1",
        "fairness.alpha": "0.8",
        "fairness.beta": "1",
        "fairness.half_life_days": "14",
        "region.mode": "off",
        "caps.max_share": "1",
        "fallback": "directory",
        "links.label": "",
        "rotation.granularity": "bucket",
    }
    data.update(changes)
    return data


def preview_of(html: str) -> dict[str, tuple[list[str], list[str]]]:
    """Host -> (partners shown now, partners with the draft), from the preview."""
    out = {}
    for host, body in re.findall(
        r"<h3>Auf der Website von (.*?)</h3>(.*?)</li>\s*(?=<li class=\"preview-host\"|</ul>)",
        html,
        re.S,
    ):
        columns = re.findall(r'<div class="preview-col[^"]*">(.*?)</div>', body, re.S)
        lists = [re.findall(r"<li>([^<]+)", c) for c in columns]
        out[host] = (lists[0], lists[1] if len(lists) > 1 else [])
    return out


async def test_the_editor_shows_the_knobs_the_document_and_what_three_hosts_show(
    admin: httpx.AsyncClient,
) -> None:
    page = await admin.get(URL)
    assert page.status_code == 200
    for input_id in ("f-strategy", "f-partners-max", "f-fairness-alpha", "f-document"):
        assert f'<label for="{input_id}">' in page.text
    hosts = preview_of(page.text)
    assert len(hosts) == 3
    for host, (now, draft) in hosts.items():
        assert len(now) == 3 and host not in now and draft == []


async def test_a_knob_saves_a_new_version_with_only_what_changed(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    response = await post(
        admin,
        URL,
        {**knob_form(**{"partners.max": "2", "fairness.alpha": "1,0"}), "action": "save"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{URL}?done=rules_saved"
    stored = await storage.get_rule_set((await storage.get_theme("hochzeit")).id)
    assert stored is not None
    assert stored.version == 1 and stored.author == "admin:koordination"
    assert stored.rules == {"partners": {"max": 2}, "fairness": {"alpha": 1.0}}
    page = await admin.get(response.headers["location"])
    assert "Die Regeln wurden als neue Version gespeichert." in page.text
    assert "Version 1, geändert von admin:koordination" in page.text


async def test_the_document_saves_yaml_as_a_new_version(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    document = "strategy: fixed\norder: [scheune, catering, blumen]\nlinks:\n  label: Anzeige\n"
    response = await post(
        admin, URL, {"form": "document", "version": "0", "document": document, "action": "save"}
    )
    assert response.status_code == 303
    stored = await storage.get_rule_set((await storage.get_theme("hochzeit")).id)
    assert stored is not None and stored.rules == {
        "strategy": "fixed",
        "order": ["scheune", "catering", "blumen"],
        "links": {"label": "Anzeige"},
    }
    page = await admin.get(URL)
    assert "strategy: fixed" in page.text
    assert re.search(r'<option value="fixed" selected>', page.text)  # the knobs follow


@pytest.mark.parametrize(
    ("changes", "input_id", "message"),
    [
        ({"partners.max": "20"}, "f-partners-max", "20 liegt nicht zwischen 1 und 12"),
        ({"partners.max": "drei"}, "f-partners-max", "„drei“ ist keine ganze Zahl"),
        ({"fairness.alpha": "1.5"}, "f-fairness-alpha", "1.5 liegt nicht zwischen 0 und 1"),
        ({"partners.min": "5"}, "f-partners-min", "ist mehr als das Maximum"),
        ({"links.label": "x" * 40}, "f-links-label", "30"),
    ],
)
async def test_a_bad_knob_is_reported_at_its_field_and_nothing_is_saved(
    admin: httpx.AsyncClient,
    storage: SQLiteStorage,
    changes: dict[str, str],
    input_id: str,
    message: str,
) -> None:
    response = await post(admin, URL, {**knob_form(**changes), "action": "save"})
    assert response.status_code == 422
    assert_invalid(response.text, input_id, message)
    assert await storage.list_rule_sets((await storage.get_theme("hochzeit")).id) == []
    typed = next(iter(changes.values()))
    assert f'value="{typed}"' in response.text  # what was typed stays in the field


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            "pins:\n  - member: blumen\n    position: 9\n",
            "pins[0].position: 9 liegt nicht zwischen",
        ),
        ("weights:\n  niemand: 2\n", "weights.niemand: 'niemand' ist kein Mitglied des Themas"),
        ("strategy: [unclosed\n", "line 2"),
        ("- a list\n", "muss ein Objekt sein"),
        ("partners:\n  maximum: 3\n", "partners.maximum: ist kein bekanntes Feld"),
    ],
)
async def test_a_bad_document_is_reported_at_the_document_and_nothing_is_saved(
    admin: httpx.AsyncClient, storage: SQLiteStorage, document: str, message: str
) -> None:
    for action in ("save", "preview"):
        response = await post(
            admin, URL, {"form": "document", "version": "0", "document": document, "action": action}
        )
        assert response.status_code == 422
        assert_invalid(response.text, "f-document", message)
        assert document.split("\n")[0] in response.text  # the text stays as typed
    assert await storage.list_rule_sets((await storage.get_theme("hochzeit")).id) == []


async def test_a_stale_save_is_refused(admin: httpx.AsyncClient, storage: SQLiteStorage) -> None:
    await set_rules(storage, "hochzeit", {"strategy": "weighted"}, "cli")
    response = await post(
        admin, URL, {"form": "document", "version": "0", "document": "{}", "action": "save"}
    )
    assert response.status_code == 409
    assert_invalid(response.text, "f-document", "Jemand anderes hat die Regeln")
    versions = await storage.list_rule_sets((await storage.get_theme("hochzeit")).id)
    assert [v.version for v in versions] == [1]


async def test_the_preview_shows_the_draft_beside_the_current_block_without_saving(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    first = "strategy: fixed\norder: [scheune, catering, blumen, fotos, brautmoden]\n"
    second = "strategy: fixed\norder: [fotos, brautmoden, blumen, catering, scheune]\n"
    shown = []
    for document in (first, second):
        response = await post(
            admin,
            URL,
            {"form": "document", "version": "0", "document": document, "action": "preview"},
        )
        assert response.status_code == 200
        assert "Entwurf, nicht gespeichert" in response.text
        shown.append(preview_of(response.text))
    assert len(shown[0]) == 3
    expected = {
        0: [NAMES[s] for s in ("scheune", "catering", "blumen", "fotos", "brautmoden")],
        1: [NAMES[s] for s in ("fotos", "brautmoden", "blumen", "catering", "scheune")],
    }
    for n, hosts in enumerate(shown):
        for host, (now, draft) in hosts.items():
            assert draft == [name for name in expected[n] if name != host][:3], (n, host)
            assert len(now) == 3
    assert shown[0] != shown[1]  # the preview changes with the rules
    assert await storage.list_rule_sets((await storage.get_theme("hochzeit")).id) == []


async def test_the_knob_preview_fills_the_document_with_the_draft(
    admin: httpx.AsyncClient,
) -> None:
    response = await post(admin, URL, {**knob_form(**{"partners.max": "2"}), "action": "preview"})
    assert response.status_code == 200
    hosts = preview_of(response.text)
    assert all(len(draft) == 2 for _, draft in hosts.values())
    textarea = re.search(r'<textarea id="f-document"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert textarea and "partners:\n  max: 2" in textarea.group(1)


async def test_the_preview_endpoint_answers_with_the_fragment_for_the_script(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    csrf = await token(admin, URL)
    response = await admin.post(
        f"{URL}/preview",
        data={"csrf": csrf, "form": "document", "version": "0", "document": "partners: {max: 1}"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="preview"')
    assert "<html" not in response.text
    assert all(len(draft) == 1 for _, draft in preview_of(response.text).values())
    bad = await admin.post(
        f"{URL}/preview", data={"csrf": csrf, "form": "document", "document": "partners: 5"}
    )
    assert bad.status_code == 422 and "preview-invalid" in bad.text
    assert await storage.list_rule_sets((await storage.get_theme("hochzeit")).id) == []


async def test_the_editor_lists_earlier_versions_with_their_diff(
    admin: httpx.AsyncClient, storage: SQLiteStorage
) -> None:
    await set_rules(storage, "hochzeit", {"strategy": "weighted"}, "cli")
    await set_rules(storage, "hochzeit", {"strategy": "round-robin"}, "api:pkr_x")
    page = await admin.get(URL)
    versions = re.findall(r"<strong>Version (\d+)</strong> · ([^ ]+) ·", page.text)
    assert versions == [("2", "api:pkr_x"), ("1", "cli")]
    assert "+  &#34;strategy&#34;: &#34;round-robin&#34;" in page.text
