"""``casekit report``: one self-contained HTML file of a stored demo run, with charts.

The report is drawn from the database alone: `run_demo` stores the run's
figures, its agents and its queue waits as documents (collection ``demo``), and
`load_report_data` reads them back. `render_report` draws four charts with
matplotlib (the ``report`` extra) and embeds them as base64 PNGs beside the dashboard's
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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from casekit.demo.dashboard import dashboard_sections
from casekit.demo.office import LANGUAGES, ROLES
from casekit.errors import MissingExtra, NotFound
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


def write_report(db_path: str | Path, output: str | Path) -> Path:
    """Render the demo run stored in the SQLite file ``db_path`` to the HTML file ``output``.

    Args:
        db_path: A SQLite database written by ``casekit demo``; it is only read.
        output: Where to write the report (overwritten; its folder must exist).

    Returns:
        The path written.

    Raises:
        NotFound: ``db_path`` does not exist or holds no demo run.
        MissingExtra: matplotlib is not installed.
    """
    _require_matplotlib()
    db = Path(db_path)
    if not db.is_file():
        # SQLiteStorage would create an empty database here; a report of nothing helps nobody.
        raise NotFound(f"no database at {db}; run `casekit demo --db {db}` first")
    with SQLiteStorage(db) as storage:
        data = load_report_data(storage, source=str(db))
    out = Path(output)
    out.write_text(render_report(data), encoding="utf-8")
    logger.info("wrote the report of %s to %s", db, out)
    return out


def render_report(data: ReportData) -> str:
    """Render ``data`` as one self-contained HTML document.

    Inline CSS, the charts as base64-embedded PNGs (matplotlib, Agg backend), the dashboard's
    tables and a header with the run's parameters; no external resource of any kind. A small
    inline script sets ``document.body.dataset.chartsLoaded`` to the number of charts the
    browser decoded, once the page has loaded.

    Args:
        data: From `load_report_data`.

    Returns:
        The HTML text.

    Raises:
        MissingExtra: matplotlib is not installed.
    """
    _require_matplotlib()
    figures = data.figures
    charts = [
        _occupancy_chart(data.agents, figures["routing"].get("occupancy")),
        _waits_chart(data.waits, figures["stages"]),
        _breaches_chart(figures["daily"]),
        _corrections_chart(figures["money"]),
    ]
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
        *(_table_html(*section) for section in dashboard_sections(dict(figures))),
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


def _breaches_chart(daily: Mapping[str, Mapping[str, int]]) -> Chart:
    series = (
        ("step SLA breached", "step SLA breaches", "#ff7f0e"),
        ("case SLA breached", "case SLA breaches (escalated to Urgent)", "#d62728"),
        ("priority raised", "priority raised by aging", "#7f7f7f"),
    )
    days = sorted(daily)
    totals = {key: sum(daily[d].get(key, 0) for d in days) for key, _, _ in series}
    with _figure(11, 3.8) as fig:
        if not days:
            _empty(fig, "no days recorded")
        else:
            ax = fig.add_subplot()
            width = 0.8 / len(series)
            for index, (key, label, colour) in enumerate(series):
                offset = (index - (len(series) - 1) / 2) * width
                ax.bar(
                    [i + offset for i in range(len(days))],
                    [daily[d].get(key, 0) for d in days],
                    width=width,
                    color=colour,
                    label=f"{label} ({totals[key]:,})",
                )
            ax.set_xticks(list(range(len(days))), days, rotation=30, ha="right", fontsize=8)
            ax.set_ylabel("per day")
            ax.legend(fontsize=8)
            ax.grid(axis="y", alpha=0.3)
        png = _png(fig)
    caption = (
        "Per simulated day: steps that waited past their step SLA; applications past the "
        "8-hour case SLA, each escalated to Urgent by the SLA monitor; and queued work whose "
        "priority the router raised as it aged."
    )
    return ("breaches", "SLA breaches over time", caption, png)


def _corrections_chart(money: Mapping[str, Any]) -> Chart:
    by_month: Mapping[str, int] = money.get("corrections_by_month", {})
    months = sorted(by_month)
    with _figure(11, 3.4) as fig:
        if not months:
            _empty(fig, "no payment correction cases in this run")
        else:
            ax = fig.add_subplot()
            counts = [by_month[m] for m in months]
            bars = ax.bar(months, counts, color="#9467bd", width=0.6)
            ax.bar_label(bars, fontsize=8)
            ax.set_xlabel("month the corrected period starts in")
            ax.set_ylabel("correction cases")
            ax.set_ylim(0, max(counts) * 1.15 + 0.5)
            ax.grid(axis="y", alpha=0.3)
        png = _png(fig)
    cur = money.get("currency", "")
    caption = (
        f"{money.get('correction_cases', 0):,} payment correction cases from "
        f"{money.get('reassessments', 0):,} reassessments. "
        f"Overpayments: {money.get('overpayments', 0):,} totalling {cur} "
        f"{money.get('overpaid_total', '0')}; underpayments: {money.get('underpayments', 0):,} "
        f"totalling {cur} {money.get('underpaid_total', '0')}."
    )
    return ("corrections", "Corrections by month", caption, png)


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
