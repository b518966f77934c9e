"""``widget-server simulate``: several themes, traffic per day, events, both baselines beside."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from widget_server.cli import main
from widget_server.cli.simulate import add_arguments, cmd_simulate
from widget_server.core.errors import ValidationError
from widget_server.core.settings import Settings
from widget_server.counting.traffic import EventSpec, parse_event, parse_traffic_plan
from widget_server.network.services import add_theme, set_membership_status
from widget_server.storage import SQLiteStorage

MEMBERS = {"scheune", "catering", "brautmoden", "blumen", "fotos"}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    parser.add_argument("--json", action="store_true")
    return parser.parse_args(list(argv))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30:pause:blumen", EventSpec(30, "pause", "blumen")),
        ("0:join:fotos", EventSpec(0, "join", "fotos")),
        ("12:traffic:scheune:3", EventSpec(12, "traffic", "scheune", 3.0)),
        ("5:traffic:scheune:0.5", EventSpec(5, "traffic", "scheune", 0.5)),
    ],
)
def test_an_event_argument(text: str, expected: EventSpec) -> None:
    assert parse_event(text, MEMBERS) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30:pause", r"'30:pause' is not DAY:KIND:MEMBER\[:FACTOR\]"),
        ("x:pause:blumen", r"day 'x' is not a whole number"),
        ("-1:pause:blumen", r"day '-1' is not a whole number >= 0"),
        ("3:explode:blumen", r"kind 'explode' is not one of join, pause"),
        ("3:pause:niemand", r"unknown member 'niemand'"),
        ("3:traffic:blumen", r"a traffic event needs a FACTOR"),
        ("3:traffic:blumen:viel", r"'viel' is not a number"),
        ("3:traffic:blumen:-2", r"'-2' is negative"),
        ("3:pause:blumen:2", r"only a traffic event takes a factor, not 'pause'"),
    ],
)
def test_a_bad_event_argument_names_the_bad_value(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_event(text, MEMBERS)


def test_traffic_files_per_day_in_csv_and_json() -> None:
    csv = "day,member,views\n0,scheune,400\n0,blumen,20\n30,blumen,60\n"
    plan = parse_traffic_plan(csv, "t.csv", MEMBERS)
    assert plan.views == {"scheune": 400.0, "blumen": 20.0}
    assert plan.schedule == {30: {"blumen": 60.0}}
    document = {
        "views": {"scheune": 400, "blumen": 20},
        "days": {"30": {"blumen": 60}},
        "events": [
            {"day": 10, "kind": "pause", "member": "fotos"},
            {"day": 20, "kind": "traffic", "member": "scheune", "factor": 3},
        ],
    }
    plan = parse_traffic_plan(json.dumps(document), "t.json", MEMBERS)
    assert plan.views == {"scheune": 400.0, "blumen": 20.0}
    assert plan.schedule == {30: {"blumen": 60.0}}
    assert plan.events == (
        EventSpec(10, "pause", "fotos"),
        EventSpec(20, "traffic", "scheune", 3.0),
    )
    # The steady formats still read as before.
    assert parse_traffic_plan('{"blumen": 5}', "t.json", MEMBERS).views == {"blumen": 5.0}


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("t.csv", "day,member,views\n0,blumen,5\nx,fotos,1\n", r"t\.csv line 3: day 'x'"),
        ("t.csv", "day,member,views\n0,niemand,5\n", r"line 2: unknown member 'niemand'"),
        ("t.csv", "day,member,views\n0,blumen,-5\n", r"line 2: .*'-5' is negative"),
        ("t.csv", "day,member,views\n0,blumen,5\n0,blumen,6\n", r"line 3: .*listed twice"),
        ("t.json", '{"views": {"blumen": "viele"}}', r"views: blumen: .*'viele' is not a number"),
        ("t.json", '{"views": {}, "dayz": {}}', r"unknown key 'dayz'"),
        ("t.json", '{"days": {"3": {"niemand": 1}}}', r"days: 3: niemand: unknown member"),
        ("t.json", '{"events": [{"day": 1, "kind": "nap", "member": "blumen"}]}', r"events\[0\]"),
    ],
)
def test_a_bad_traffic_file_names_the_bad_value(name: str, text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_traffic_plan(text, name, MEMBERS)


def test_the_example_traffic_file_in_the_docs_reads() -> None:
    path = Path(__file__).parent.parent / "docs" / "simulate-traffic.json"
    plan = parse_traffic_plan(path.read_text("utf-8"), path.name)
    assert plan.views and plan.events


@pytest.mark.asyncio
async def test_two_themes_with_events_show_the_engine_beside_both_baselines(
    storage: SQLiteStorage,
    settings: Settings,
    network: dict[str, int],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    await add_theme(storage, slug="feier", name_de="Feier", name_en="Party")
    for slug in ("catering", "fotos", "blumen"):
        await set_membership_status(storage, slug, "feier", "active")
    traffic = tmp_path / "traffic.csv"
    traffic.write_text(
        "day,member,views\n0,scheune,90\n0,catering,60\n0,brautmoden,30\n0,blumen,20\n"
        "0,fotos,15\n12,fotos,45\n",
        "utf-8",
    )
    args = parse(
        "hochzeit", "feier", "--traffic", str(traffic), "--days", "20", "--start", "2027-01-15",
        "--event", "8:pause:blumen", "--event", "10:resume:blumen", "--set", "alpha=1", "--json",
    )  # fmt: skip
    assert await cmd_simulate(args, storage, settings) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["themes"] == ["hochzeit", "feier"]
    assert [s["strategy"] for s in data["strategies"]] == ["engine", "equal", "credit"]
    for report in data["strategies"]:
        assert {
            "min_ratio", "max_ratio", "in_band", "gini", "out_of_band", "at_bound",
            "blocks", "short_blocks", "empty_blocks", "days_until_in_band",
        } <= set(report)  # fmt: skip
        assert [e["event"] for e in report["days_until_in_band"]] == [
            "day 8 pause blumen",
            "day 10 resume blumen",
        ]
        assert report["blocks"] > 0
    for member in data["members"]:
        assert set(member["ratio_by_strategy"]) == {"engine", "equal", "credit"}
        assert member["ratio_by_strategy"]["engine"] == member["ratio"]
    engine = data["strategies"][0]
    assert engine["in_band"] >= data["strategies"][1]["in_band"]


@pytest.mark.asyncio
async def test_the_text_output_has_the_comparison_and_the_events(
    storage: SQLiteStorage,
    settings: Settings,
    network: dict[str, int],
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = parse("hochzeit", "--days", "12", "--views", "200", "--event", "6:traffic:fotos:3")
    assert await cmd_simulate(args, storage, settings) == 0
    out = capsys.readouterr().out
    assert "equal rotation" in out and "1:1 credit" in out
    assert "day 6 traffic fotos: engine" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--event", "3:nap:blumen"], "--event: kind 'nap' is not one of"),
        (["--event", "99:pause:blumen"], "--event: day 99 is not before --days 10"),
        (["--event", "3:pause:niemand"], "--event: unknown member 'niemand'"),
    ],
)
def test_bad_simulator_input_exits_2_naming_the_value(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"WIDGET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    for command in (
        ["init"],
        ["theme", "add", "hochzeit", "--name-de", "Hochzeit", "--name-en", "Wedding"],
        ["member", "add", "blumen", "--name", "Blumen", "--website", "https://b.example/",
         "--theme", "hochzeit"],
    ):  # fmt: skip
        assert main(command, environ=dict(environ)) == 0
    capsys.readouterr()
    assert main(["simulate", "hochzeit", "--days", "10", *argv], environ=dict(environ)) == 2
    assert message in capsys.readouterr().err
