"""``casekit report``: one self-contained HTML file of a stored demo run, with charts.

The report is drawn from the database alone: `run_demo` stores the run's
figures, its agents and its queue waits as documents (collection ``demo``), and
`load_report_data` reads them back. `render_report` draws five charts with
matplotlib (the ``report`` extra; four for a run stored before the demo forecast its ladder
and absences) and embeds them as base64 PNGs beside the dashboard's
tables, so the file opens anywhere, offline, with nothing beside it.

Usage::

    from casekit.demo.report import write_report

    write_report("casekit-demo.db", "report.html")
"""

from __future__ import annotations

import base64
import html
import io
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from casekit.demo.dashboard import case_sla_text, dashboard_sections, money_text
from casekit.demo.office import LANGUAGES, ROLES
from casekit.errors import MissingExtra, NotFound
from casekit.money import DEFAULT_LOCALE, Money
from casekit.storage import SQLiteStorage, Storage

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

__all__ = ["ReportData", "load_report_data", "render_report", "write_report"]

logger = logging.getLogger(__name__)

_COLLECTION = "demo"
_INSTALL_HINT = 'pip install "casekit[report]"'
# One colour per primary skill (matplotlib's tab10), in the office's role order.
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")
_ROLE_ORDER = tuple(dict.fromkeys(ROLES))


@attrs.frozen
class ReportData:
    """What a report is drawn from: the three documents a demo run stores.

    Attributes:
        figures: The run's figures (``DemoResult.figures``).
        agents: One mapping per agent: ``id``, ``skills``, ``offers``, ``accepts``,
            ``declines``, ``timeouts``, ``finished``, ``occupancy``.
        waits: Each routed step's queue waits, in minutes, sorted.
        source: Where the run was read from (a database path), shown in the header.
    """

    figures: Mapping[str, Any]
    agents: Sequence[Mapping[str, Any]]
    waits: Mapping[str, Sequence[float]]
    source: str


def load_report_data(storage: Storage, *, source: str | None = None) -> ReportData:
    """Read the last demo run stored in ``storage``.

    Args:
        storage: A storage a demo run was written to.
        source: How to name the database in the report and in errors; by default the
            SQLite file's path, or the storage's class name.

    Returns:
        The run's figures, agents and queue waits.

    Raises:
        NotFound: The storage holds no demo run (the message names the database).
    """
    name = source or str(getattr(storage, "path", type(storage).__name__))
    with storage.unit_of_work() as uow:
        docs = {key: uow.documents.get(_COLLECTION, key) for key in ("figures", "agents", "waits")}
    figures = docs["figures"]
    if figures is None:
        raise NotFound(
            f"{name} holds no demo run (no document 'figures' in collection "
            f"'{_COLLECTION}'); run `casekit demo --db {name}` first"
        )
    agents = docs["agents"]
    waits = docs["waits"]
    return ReportData(
        figures=dict(figures.body),
        agents=list(agents.body.get("agents", [])) if agents is not None else [],
        waits=dict(waits.body) if waits is not None else {},
        source=name,
    )


def write_report(db_path: str | Path, output: str | Path, *, locale: str = DEFAULT_LOCALE) -> Path:
    """Render the demo run stored in the SQLite file ``db_path`` to the HTML file ``output``.

    Args:
        db_path: A SQLite database written by ``casekit demo``; it is only read.
        output: Where to write the report (overwritten; its folder must exist).
        locale: How to write money (see [`casekit.money.Money.format`][]).

    Returns:
        The path written.

    Raises:
        NotFound: ``db_path`` does not exist or holds no demo run.
        MissingExtra: matplotlib is not installed.
        ValidationError: An unknown locale.
    """
    _require_matplotlib()
    Money.zero("USD").format(locale)  # an unknown locale is refused before any work
    db = Path(db_path)
    if not db.is_file():
        # SQLiteStorage would create an empty database here; a report of nothing helps nobody.
        raise NotFound(f"no database at {db}; run `casekit demo --db {db}` first")
    with SQLiteStorage(db) as storage:
        data = load_report_data(storage, source=str(db))
    out = Path(output)
    out.write_text(render_report(data, locale=locale), encoding="utf-8")
    logger.info("wrote the report of %s to %s", db, out)
    return out


def render_report(data: ReportData, *, locale: str = DEFAULT_LOCALE) -> str:
    """Render ``data`` as one self-contained HTML document.

    Inline CSS, the charts as base64-embedded PNGs (matplotlib, Agg backend), the dashboard's
    tables and a header with the run's parameters; no external resource of any kind. A small
    inline script sets ``document.body.dataset.chartsLoaded`` to the number of charts the
    browser decoded, once the page has loaded.

    Args:
        data: From `load_report_data`.
        locale: How to write money (see [`casekit.money.Money.format`][]).

    Returns:
        The HTML text.

    Raises:
        MissingExtra: matplotlib is not installed.
        ValidationError: An unknown locale.
    """
    _require_matplotlib()
    figures = data.figures
    charts = [
        _occupancy_chart(data.agents, figures["routing"].get("occupancy")),
        _waits_chart(data.waits, figures["stages"]),
        _breaches_chart(
            figures["daily"], figures.get("start"), figures.get("end"), figures["applications"]
        ),
        _corrections_chart(figures["money"], locale),
    ]
    forecast = figures.get("forecast")  # absent from a run stored before the demo had one
    if forecast is not None:
        charts.append(_forecast_chart(forecast))
    params = figures["params"]
    title = f"casekit demo report: {params['days']} working days"
    body = [
        f"<header><h1>{_e(title)}</h1>",
        _params_table(data),
        "</header>",
        "<main>",
        '<section class="charts">',
        *(_figure_html(*chart) for chart in charts),
        "</section>",
        '<section class="tables">',
        *(_table_html(*section) for section in dashboard_sections(dict(figures), locale=locale)),
        "</section>",
        "</main>",
    ]
    return _PAGE.format(title=_e(title), body="\n".join(body))


# --- charts -------------------------------------------------------------------------------

Chart = tuple[str, str, str, str]
"""``(slug, title, caption, base64 PNG)``."""


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401, PLC0415  optional: the report extra
    except ImportError as error:
        raise MissingExtra(
            f"casekit report draws its charts with matplotlib: {_INSTALL_HINT}"
        ) from error


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    # The object-oriented API on an Agg canvas: no pyplot, so no global figure registry and
    # no backend selection that a caller's GUI backend could interfere with.
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    yield fig


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _empty(fig: Figure, text: str) -> None:
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="#555")


def _primary_skill(skills: Mapping[str, int]) -> str:
    """The agent's work skill: highest level first, then the office's role order."""
    work = [s for s in skills if s not in LANGUAGES] or list(skills) or ["none"]

    return min(work, key=lambda skill: (-skills.get(skill, 0), *_role_rank(skill), skill))


def _role_rank(skill: str) -> tuple[int]:
    return (_ROLE_ORDER.index(skill) if skill in _ROLE_ORDER else len(_ROLE_ORDER),)


def _occupancy_chart(agents: Sequence[Mapping[str, Any]], mean: float | None) -> Chart:
    ranked = sorted(agents, key=lambda a: (-a["occupancy"], a["id"]))
    primary = [_primary_skill(a["skills"]) for a in ranked]
    kinds = sorted(set(primary), key=lambda s: (*_role_rank(s), s))
    colour = {kind: _PALETTE[i % len(_PALETTE)] for i, kind in enumerate(kinds)}
    with _figure(11, 4.2) as fig:
        if not ranked:
            _empty(fig, "no agents stored")
        else:
            ax = fig.add_subplot()
            positions = range(len(ranked))
            ax.bar(
                positions,
                [a["occupancy"] for a in ranked],
                color=[colour[p] for p in primary],
                width=0.8,
            )
            ax.set_xticks(list(positions), [a["id"] for a in ranked], rotation=90, fontsize=7)
            ax.set_ylabel("occupancy (share of time on shift busy)")
            ax.set_ylim(0, 1)
            ax.yaxis.set_major_formatter("{x:.0%}")
            if mean is not None:
                ax.axhline(mean, color="#333", linestyle="--", linewidth=1)
            from matplotlib.patches import Patch  # noqa: PLC0415

            handles: list[Artist] = [
                Patch(color=colour[k], label=k.replace("_", " ")) for k in kinds
            ]
            if mean is not None:
                from matplotlib.lines import Line2D  # noqa: PLC0415

                handles.append(
                    Line2D([], [], color="#333", linestyle="--", label=f"mean {mean:.0%}")
                )
            ax.legend(handles=handles, title="primary skill", loc="upper right", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        png = _png(fig)
    caption = (
        f"{len(ranked)} agents, busiest first, coloured by primary skill (highest skill level, "
        "languages aside). Occupancy is the share of an agent's time on shift spent on work."
    )
    return ("occupancy", "Load per agent", caption, png)


def _waits_chart(
    waits: Mapping[str, Sequence[float]], stages: Sequence[Mapping[str, Any]]
) -> Chart:
    names = [s["stage"] for s in stages if s["stage"] in waits] or list(waits)
    with _figure(11, 3.6) as fig:
        if not any(waits.get(n) for n in names):
            _empty(fig, "no queue waits stored")
        else:
            axes = fig.subplots(1, len(names), sharey=False, squeeze=False)[0]
            # Waits run from seconds to hours: logarithmic bins, from 0.01 minutes (the
            # stored precision) to the longest wait.
            longest = max(max(waits[n], default=0.01) for n in names)
            low, high = 0.01, max(longest, 0.1)
            count = 40
            bins = [low * (high / low) ** (i / count) for i in range(count + 1)]
            for index, (ax, name) in enumerate(zip(axes, names, strict=True)):
                values = [max(w, low) for w in waits[name]]
                ax.hist(values, bins=bins, color=_PALETTE[index % len(_PALETTE)], alpha=0.85)
                ax.set_xscale("log")
                ax.set_title(f"{name} ({len(values):,} waits)", fontsize=10)
                ax.set_xlabel("wait in queue (minutes, log scale)")
                if values:
                    # The figures the dashboard table shows, so chart and table agree.
                    stored = next((s for s in stages if s["stage"] == name), {})
                    median = max(stored.get("median_wait_min", _quantile(values, 0.5)), low)
                    p90 = max(stored.get("p90_wait_min", _quantile(values, 0.9)), low)
                    ax.axvline(median, color="#222", linewidth=1, label=f"median {median:.1f}")
                    ax.axvline(
                        p90, color="#222", linestyle=":", linewidth=1, label=f"p90 {p90:.1f}"
                    )
                    ax.legend(fontsize=8, loc="upper left")
                ax.grid(axis="y", alpha=0.3)
            axes[0].set_ylabel("work items")
        png = _png(fig)
    caption = (
        "How long work waited in each step's queue before an agent accepted it; "
        "waits under 0.01 minutes are drawn at 0.01."
    )
    return ("waits", "Queue wait distribution per step", caption, png)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _day(stamp: object) -> date | None:
    try:
        return datetime.fromisoformat(str(stamp)).date()
    except ValueError:
        return None


def _every_day(recorded: Sequence[str], start: object = None, end: object = None) -> list[date]:
    """Every calendar day of a run, weekends and days without events too: a continuous axis.

    From the run's start (or its first recorded day) to its end (or its last recorded day).
    """
    days = [date.fromisoformat(d) for d in recorded]
    first = min([d for d in (_day(start), *days) if d is not None], default=None)
    last = max([d for d in (_day(end), *days) if d is not None], default=None)
    if first is None or last is None:
        return []
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


_BREACH_KEYS = ("step SLA breached", "case SLA breached", "priority raised")


def _breaches_series(
    daily: Mapping[str, Mapping[str, int]], start: object = None, end: object = None
) -> tuple[list[date], dict[str, list[int]]]:
    """The breaches chart's axis (every day of the run) and its counts per series."""
    days = _every_day(sorted(daily), start, end) if daily else []
    keys = [d.isoformat() for d in days]
    return days, {k: [daily.get(d, {}).get(k, 0) for d in keys] for k in _BREACH_KEYS}


def _breaches_chart(
    daily: Mapping[str, Mapping[str, int]],
    start: object = None,
    end: object = None,
    apps: Mapping[str, Any] | None = None,
) -> Chart:
    series = (
        ("step SLA breached", "step SLA breaches", "#ff7f0e"),
        ("case SLA breached", "case SLA breaches (escalated to Urgent)", "#d62728"),
        ("priority raised", "priority raised by aging", "#7f7f7f"),
    )
    days, counts = _breaches_series(daily, start, end)
    totals = {key: sum(counts[key]) for key, _, _ in series}
    with _figure(11, 3.8) as fig:
        if not days:
            _empty(fig, "no days recorded")
        else:
            ax = fig.add_subplot()
            for index, day in enumerate(days):
                if day.weekday() >= 5:  # the office is closed: SLA clocks stop
                    ax.axvspan(index - 0.5, index + 0.5, color="#eeeeee", zorder=0)
            width = 0.8 / len(series)
            for index, (key, label, colour) in enumerate(series):
                offset = (index - (len(series) - 1) / 2) * width
                ax.bar(
                    [i + offset for i in range(len(days))],
                    counts[key],
                    width=width,
                    color=colour,
                    label=f"{label} ({totals[key]:,})",
                )
            ax.set_xticks(
                list(range(len(days))),
                [f"{d:%a %d %b}" for d in days],
                rotation=30,
                ha="right",
                fontsize=8,
            )
            ax.set_xlim(-0.5, len(days) - 0.5)
            ax.set_ylabel("per day")
            ax.legend(fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        png = _png(fig)
    caption = (
        "Per simulated day, weekends shaded: steps that waited past their step SLA; "
        f"applications past {case_sla_text(apps or {})}, each escalated to Urgent by the SLA "
        "monitor; and queued work whose priority the router raised as it aged. SLA clocks "
        "run in the office's working hours (Monday to Friday, 08:00–17:00 UTC)."
    )
    return ("breaches", "SLA breaches over time", caption, png)


def _every_month(months: Sequence[str]) -> list[str]:
    """Every month (``YYYY-MM``) from the first of ``months`` to the last: a continuous axis."""
    if not months:
        return []
    first, last = min(months), max(months)
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _corrections_series(money: Mapping[str, Any]) -> tuple[list[str], list[int]]:
    """The corrections chart's axis (every month, empty ones too) and its counts."""
    by_month: Mapping[str, int] = money.get("corrections_by_month", {})
    months = _every_month(sorted(by_month))
    return months, [by_month.get(m, 0) for m in months]


def _corrections_chart(money: Mapping[str, Any], locale: str = DEFAULT_LOCALE) -> Chart:
    months, counts = _corrections_series(money)
    with _figure(11, 3.4) as fig:
        if not months:
            _empty(fig, "no payment correction cases in this run")
        else:
            ax = fig.add_subplot()
            bars = ax.bar(months, counts, color="#9467bd", width=0.6)
            ax.bar_label(bars, fontsize=8)
            ax.set_xlabel("month the corrected period starts in")
            ax.set_ylabel("correction cases")
            ax.set_ylim(0, max(counts) * 1.15 + 0.5)
            ax.grid(axis="y", alpha=0.3)
        png = _png(fig)
    caption = (
        f"{money.get('correction_cases', 0):,} payment correction cases from "
        f"{money.get('reassessments', 0):,} reassessments, by the month the corrected period "
        "starts in (months without one shown empty). "
        f"Overpayments: {money.get('overpayments', 0):,} totalling "
        f"{money_text(money, 'overpaid_total', locale)}; underpayments: "
        f"{money.get('underpayments', 0):,} totalling "
        f"{money_text(money, 'underpaid_total', locale)}."
    )
    return ("corrections", "Corrections by month", caption, png)


def _forecast_chart(forecast: Mapping[str, Any]) -> Chart:
    """Per step, each variant's mean wait and SLA breaches, side by side."""
    names = list(forecast["variants"])
    runs = [forecast["runs"][name] for name in names]
    stages = list(runs[0]["stages"])
    width = 0.8 / len(names)
    with _figure(11, 3.6) as fig:
        axes = fig.subplots(1, 2, squeeze=False)[0]
        for ax, key, label in (
            (axes[0], "mean_wait_min", "mean wait (minutes)"),
            (axes[1], "sla_breaches", "SLA breaches"),
        ):
            for index, (name, run) in enumerate(zip(names, runs, strict=True)):
                values = [run["stages"][stage][key] for stage in stages]
                positions = [n + (index - (len(names) - 1) / 2) * width for n in range(len(stages))]
                ax.bar(positions, values, width, label=name, color=_PALETTE[index % len(_PALETTE)])
            ax.set_xticks(range(len(stages)), stages)
            ax.set_ylabel(label)
            ax.grid(axis="y", alpha=0.3)
        axes[0].legend(fontsize=8)
        png = _png(fig)
    case = ", ".join(
        f"{name} {run['case_sla_breaches']:,}" for name, run in zip(names, runs, strict=True)
    )
    caption = (
        "The same office simulated on the same seed — the same applications at the same "
        "instants with the same handling times — without the escalation ladder, without the "
        f"absences, and without either; over the case SLA: {case}. One seed: a change in "
        "who takes what can move later waits either way, so a small difference may be the "
        "knock-on of routing rather than the change itself."
    )
    return ("forecast", "Forecast: the ladder's and the absences' effect", caption, png)


# --- HTML ---------------------------------------------------------------------------------


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _when(stamp: object) -> str:
    try:
        return datetime.fromisoformat(str(stamp)).strftime("%a %d %b %Y %H:%M %Z").strip()
    except ValueError:
        return str(stamp)


def _params_table(data: ReportData) -> str:
    figures = data.figures
    params = figures["params"]
    rows = [
        ("database", data.source),
        ("working days", params.get("days")),
        ("staff", params.get("staff")),
        ("existing benefits", params.get("existing")),
        ("seed", params.get("seed")),
        ("simulated", f"{_when(figures.get('start'))} → {_when(figures.get('end'))}"),
        ("wall time", f"{figures.get('wall_seconds', 0):.1f} s"),
    ]
    if "forecast_wall_seconds" in figures:  # runs stored before the forecast have none
        rows.append(("of which the forecast", f"{figures['forecast_wall_seconds']:.1f} s"))
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="params">{cells}</table>'


def _figure_html(slug: str, title: str, caption: str, png: str) -> str:
    return (
        f'<figure id="chart-{_e(slug)}"><h2>{_e(title)}</h2>'
        f'<img class="chart" alt="{_e(title)}" src="data:image/png;base64,{png}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _table_html(title: str, headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headings)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<div class="table"><h2>{_e(title)}</h2>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


# The Content-Security-Policy lets the browser itself refuse anything not in the file.
_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
  max-width: 1160px; padding: 1.5rem; color: #222; background: #fafafa; }}
h1 {{ font-size: 1.6rem; margin: 0 0 .75rem; }}
h2 {{ font-size: 1.15rem; margin: 0 0 .5rem; }}
table {{ border-collapse: collapse; font-size: .9rem; background: #fff; }}
th, td {{ border: 1px solid #ddd; padding: .3rem .6rem; text-align: right; }}
th:first-child, td:first-child {{ text-align: left; }}
thead th {{ background: #f0f0f0; }}
table.params th {{ background: #f0f0f0; text-align: left; font-weight: 600; }}
table.params td {{ text-align: left; }}
figure {{ margin: 1.5rem 0; padding: 1rem; background: #fff; border: 1px solid #e3e3e3; }}
img.chart {{ max-width: 100%; height: auto; display: block; }}
figcaption {{ font-size: .85rem; color: #555; margin-top: .4rem; }}
.tables {{ display: flex; flex-wrap: wrap; gap: 1.5rem; }}
.table {{ flex: 0 1 auto; }}
</style>
</head>
<body>
{body}
<script>
window.addEventListener("load", function () {{
  var loaded = 0;
  document.querySelectorAll("img.chart").forEach(function (img) {{
    if (img.complete && img.naturalWidth > 0) {{ loaded += 1; }}
  }});
  document.body.dataset.chartsLoaded = String(loaded);
}});
</script>
</body>
</html>
"""
