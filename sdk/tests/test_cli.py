"""``python -m partnerkreis snippet MEMBER THEME``: the paste code, via the placements API."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import httpx
import pytest

from partnerkreis._cli import main

from .conftest import API_KEY, BASE_URL, FakeAPI, problem

SNIPPET = (
    '<script async src="https://partner.example.org/embed.js"></script>\n'
    '<div data-partnerkreis="TOKEN"></div>'
)
PLACEMENT = {
    "id": 7,
    "member": "blumenhaus",
    "theme": "hochzeit-heide",
    "layout": None,
    "lang": "en",
    "scheme": None,
    "max_partners": 3,
    "token": "TOKEN",
    "snippet_html": SNIPPET,
    "snippet_iframe": '<iframe src="https://partner.example.org/w/TOKEN.html"></iframe>',
}


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTNERKREIS_API_KEY", API_KEY)
    monkeypatch.setenv("PARTNERKREIS_BASE_URL", BASE_URL)


def run(api: FakeAPI, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), transport=api.transport, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_snippet_prints_the_paste_code() -> None:
    api = FakeAPI(httpx.Response(201, json=PLACEMENT))
    code, out, _ = run(api, "snippet", "blumenhaus", "hochzeit-heide", "--lang", "en")
    assert code == 0
    assert out == SNIPPET + "\n"
    assert api.last.method == "POST"
    assert api.last.url.path == "/api/v1/members/blumenhaus/placements"
    assert api.body() == {"theme": "hochzeit-heide", "lang": "en"}


def test_snippet_json_and_iframe() -> None:
    api = FakeAPI(httpx.Response(200, json={**PLACEMENT, "extra": 1}))
    code, out, _ = run(api, "snippet", "blumenhaus", "hochzeit-heide", "--json")
    assert code == 0
    assert json.loads(out)["token"] == "TOKEN"
    assert json.loads(out)["extra"] == 1
    _, out, _ = run(api, "snippet", "blumenhaus", "hochzeit-heide", "--iframe")
    assert out.startswith("<iframe")


def test_snippet_errors_go_to_stderr_with_exit_codes() -> None:
    api = FakeAPI(problem(404, "not-found", "there is no member 'nobody'"))
    code, out, err = run(api, "snippet", "nobody", "hochzeit-heide")
    assert (code, out) == (1, "")
    assert "there is no member 'nobody'" in err


def test_missing_configuration_exits_2(no_env: None) -> None:
    code, _, err = run(FakeAPI(httpx.Response(500)), "snippet", "a", "b")
    assert code == 2
    assert "PARTNERKREIS_" in err


def test_python_dash_m_runs_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "partnerkreis", "snippet", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "MEMBER" in done.stdout and "--json" in done.stdout
