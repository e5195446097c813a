"""``casekit report``: one self-contained HTML file whose five charts load in a browser."""

from __future__ import annotations

import base64
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from casekit.demo import run_demo
from casekit.demo.dashboard import dashboard_sections
from casekit.demo.report import (
    ReportData,
    _breaches_series,
    _corrections_series,
    _primary_skill,
    load_report_data,
    render_report,
    write_report,
)
from casekit.errors import MissingExtra, NotFound
from casekit.money import Money
from casekit.storage import SQLiteStorage

pytest.importorskip("matplotlib")

CHARTS = ("occupancy", "waits", "breaches", "corrections", "forecast")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with SQLiteStorage(path) as storage:
        run_demo(storage, days=2, existing=50)
    return path


@pytest.fixture(scope="module")
def report(demo_db: Path) -> Path:
    return write_report(demo_db, demo_db.with_name("report.html"))


@pytest.fixture(scope="module")
def text(report: Path) -> str:
    return report.read_text(encoding="utf-8")


def test_write_report_returns_the_file_it_wrote(report: Path, text: str) -> None:
    assert report.name == "report.html"
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")


def test_the_report_loads_nothing_from_outside_the_file(text: str) -> None:
    assert 'src="http' not in text
    assert "<link" not in text
    assert "url(" not in text
    assert "@import" not in text
    sources = re.findall(r'\bsrc="([^"]*)"', text)
    assert sources, "no embedded image found"
    assert all(s.startswith("data:image/png;base64,") for s in sources)
    # The browser is told to refuse anything that is not in the file.
    assert "default-src 'none'" in text


def test_the_report_has_the_five_charts_as_embedded_pngs(text: str) -> None:
    images = re.findall(r'<img class="chart" alt="[^"]*" src="data:image/png;base64,([^"]+)"', text)
    assert len(images) == len(CHARTS)
    for image in images:
        assert base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n")
    for slug in CHARTS:
        assert f'id="chart-{slug}"' in text
    for title in (
        "Load per agent",
        "Queue wait distribution per step",
        "SLA breaches over time",
        "Corrections by month",
    ):
        assert f"<h2>{title}</h2>" in text


def test_the_report_has_the_dashboard_tables_and_the_run_parameters(
    demo_db: Path, text: str
) -> None:
    with SQLiteStorage(demo_db) as storage:
        data = load_report_data(storage)
    assert data.source == str(demo_db)
    for title, headings, rows in dashboard_sections(dict(data.figures)):
        assert f"<h2>{html.escape(title)}</h2>" in text
        for heading in headings:
            assert f"<th>{html.escape(heading)}</th>" in text
        for row in rows:
            assert "".join(f"<td>{html.escape(cell)}</td>" for cell in row) in text
    assert "<h2>Break-the-glass access</h2>" in text  # the access sections are there too
    assert "<td>duty-manager-1</td>" in text
    assert "<th>working days</th><td>2</td>" in text
    assert "<th>existing benefits</th><td>50</td>" in text
    assert f"<td>{html.escape(str(demo_db))}</td>" in text
    # The over- and underpayment totals are in the corrections chart's caption.
    money = data.figures["money"]
    for key in ("overpaid_total", "underpaid_total"):
        shown = Money(money[key], "USD").format()
        assert shown.startswith("$")
        assert f"totalling {html.escape(shown)}" in text


def test_render_report_copes_with_an_empty_run(demo_db: Path) -> None:
    with SQLiteStorage(demo_db) as storage:
        data = load_report_data(storage)
    figures = dict(data.figures)
    figures["daily"] = {}
    figures["money"] = {**figures["money"], "corrections_by_month": {}}
    empty = ReportData(figures=figures, agents=[], waits={}, source="empty")
    text = render_report(empty)
    assert text.count('<img class="chart"') == len(CHARTS)


def test_a_run_stored_before_the_forecast_is_reported_without_it(demo_db: Path) -> None:
    with SQLiteStorage(demo_db) as storage:
        data = load_report_data(storage)
    newer = ("ladder", "absences", "forecast", "forecast_wall_seconds")
    older = {key: value for key, value in data.figures.items() if key not in newer}
    text = render_report(
        ReportData(figures=older, agents=data.agents, waits=data.waits, source="old")
    )
    assert text.count('<img class="chart"') == len(CHARTS) - 1
    assert 'id="chart-forecast"' not in text
    assert "Forecast" not in text


def test_the_forecast_chart_names_every_variant(text: str) -> None:
    assert 'id="chart-forecast"' in text
    for name in ("without either", "ladder only", "absences only", "this run"):
        assert name in text


@pytest.mark.parametrize(
    ("skills", "primary"),
    [
        ({"chaser": 1}, "chaser"),
        ({"spanish": 1, "case_manager": 1}, "case_manager"),  # languages aside
        ({"reviewer": 1, "case_manager": 1}, "case_manager"),  # tie: the office's role order
        ({"reviewer": 2, "case_manager": 1}, "reviewer"),  # the higher level wins
        ({"somali": 1}, "somali"),
    ],
)
def test_agents_are_coloured_by_their_primary_skill(skills: dict[str, int], primary: str) -> None:
    assert _primary_skill(skills) == primary


def test_a_database_without_a_demo_run_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    with SQLiteStorage(path) as storage, pytest.raises(NotFound, match=re.escape(str(path))):
        load_report_data(storage)
    with pytest.raises(NotFound, match="holds no demo run"):
        write_report(path, tmp_path / "out.html")
    assert not (tmp_path / "out.html").exists()


def test_a_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(NotFound, match="no database at"):
        write_report(path, tmp_path / "out.html")
    assert not path.exists()


def test_without_matplotlib_the_error_names_the_extra(
    demo_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(MissingExtra, match=re.escape('pip install "casekit[report]"')):
        write_report(demo_db, tmp_path / "out.html")
    with pytest.raises(ImportError):  # MissingExtra is an ImportError too
        write_report(demo_db, tmp_path / "out.html")


# --- in a real browser --------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    if os.environ.get("CI") == "true":
        pytest.fail("no chromium, chromium-browser or google-chrome on PATH (CI needs one)")
    pytest.skip("no chromium, chromium-browser or google-chrome on PATH")


def _run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--virtual-time-budget=5000",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_chromium_loads_all_five_charts(report: Path, tmp_path: Path) -> None:
    done = _run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body[^>]*>", done.stdout)
    assert body is not None, done.stdout[:2000]
    assert f'data-charts-loaded="{len(CHARTS)}"' in body.group(0)


def test_chromium_screenshot_of_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    done = _run_chromium(
        tmp_path,
        "--hide-scrollbars",
        f"--screenshot={shot}",
        "--window-size=1280,2400",
        report.as_uri(),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # A blank 1280x2400 page compresses to a few kilobytes; charts and tables do not.
    assert shot.stat().st_size > 50_000


def test_the_breaches_chart_has_every_day_of_the_run_weekends_included() -> None:
    daily = {"2026-03-06": {"case SLA breached": 2}, "2026-03-09": {"step SLA breached": 1}}
    days, counts = _breaches_series(daily, "2026-03-02T00:00:00+00:00", "2026-03-10T20:00+00:00")
    assert [f"{d:%a %d}" for d in days] == [
        "Mon 02", "Tue 03", "Wed 04", "Thu 05", "Fri 06", "Sat 07", "Sun 08", "Mon 09", "Tue 10",
    ]  # fmt: skip
    assert counts["case SLA breached"] == [0, 0, 0, 0, 2, 0, 0, 0, 0]
    assert counts["step SLA breached"] == [0, 0, 0, 0, 0, 0, 0, 1, 0]
    assert _breaches_series({}) == ([], {k: [] for k in counts})


def test_the_corrections_chart_has_every_month_empty_ones_included() -> None:
    money = {"corrections_by_month": {"2025-11": 3, "2026-01": 24, "2026-03": 2}}
    assert _corrections_series(money) == (
        ["2025-11", "2025-12", "2026-01", "2026-02", "2026-03"],
        [3, 0, 24, 0, 2],
    )
    assert _corrections_series({}) == ([], [])


def test_the_report_writes_money_in_the_locale_asked_for(demo_db: Path, tmp_path: Path) -> None:
    page = write_report(demo_db, tmp_path / "de.html", locale="de_DE")
    with SQLiteStorage(demo_db) as storage:
        money = load_report_data(storage).figures["money"]
    shown = Money(money["overpaid_total"], "USD").format("de_DE")
    assert f"totalling {html.escape(shown)}" in page.read_text(encoding="utf-8")
