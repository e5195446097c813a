"""The terminal dashboard printed after a demo run (rich tables, or plain text without rich)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from casekit.money import DEFAULT_LOCALE, Money

__all__ = [
    "access_sections",
    "case_sla_text",
    "dashboard_sections",
    "escalation_sections",
    "money_text",
    "render_dashboard",
]

Section = tuple[str, Sequence[str], list[Sequence[str]]]
"""``(title, column headings, rows)``."""


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def money_text(money: Mapping[str, Any], key: str, locale: str = DEFAULT_LOCALE) -> str:
    """A stored amount written like every amount casekit shows ([`Money.format`][]).

    ``money[key]`` is a decimal string in ``money["currency"]``.
    """
    return Money(str(money.get(key, "0")), money["currency"]).format(locale)


def case_sla_text(apps: Mapping[str, Any]) -> str:
    """The case SLA a run used, e.g. ``"2 working hours"``."""
    hours = apps.get("sla_hours")
    return "the case SLA" if hours is None else f"{hours:g} working hours"


def dashboard_sections(figures: dict[str, Any], *, locale: str = DEFAULT_LOCALE) -> list[Section]:
    """The dashboard's tables, as plain data (the report and the tests use them too).

    Args:
        figures: A run's figures.
        locale: How to write money (see [`casekit.money.Money.format`][]).

    Raises:
        ValidationError: An unknown locale.
    """
    cases: list[Sequence[str]] = [
        (case_type, status, f"{count:,}")
        for key, count in figures["cases_by_status"].items()
        for case_type, status in [key.split("|", 1)]
    ]
    routing = figures["routing"]
    events = routing["events"]
    apps = figures["applications"]
    fairness: list[Sequence[str]] = [
        ("offers made", f"{events.get('offered', 0):,}"),
        ("accepted", f"{events.get('accepted', 0):,}"),
        ("declined", f"{events.get('declined', 0):,}"),
        ("timed out", f"{events.get('offer timed out', 0):,}"),
        ("withdrawn (went offline)", f"{events.get('withdrawn', 0):,}"),
        ("queued in Awaiting Assignment", f"{events.get('queued', 0):,}"),
        ("mean occupancy", _pct(routing["occupancy"])),
        ("Jain's index of occupancy", f"{routing['jain']:.3f}"),
        ("occupancy spread (max − min)", f"{routing['spread']:.3f}"),
    ]
    waits: list[Sequence[str]] = [
        (
            s["stage"],
            f"{s['entered']:,}",
            f"{s['median_wait_min']:.1f}",
            f"{s['mean_wait_min']:.1f}",
            f"{s['p90_wait_min']:.1f}",
            _pct(s["service_level"]),
            f"{s['sla_breaches']:,}",
        )
        for s in figures["stages"]
    ]
    sla: list[Sequence[str]] = [
        ("applications arrived", f"{apps['arrived']:,}"),
        ("through all three steps", f"{apps['finished']:,}"),
        (
            "approved / denied / in progress",
            f"{apps['approved']:,} / {apps['denied']:,} / "
            f"{apps['arrived'] - apps['approved'] - apps['denied']:,}",
        ),
        (
            "mean turnaround",
            "–" if apps["mean_turnaround_h"] is None else f"{apps['mean_turnaround_h']:.1f} h",
        ),
        (f"over the case SLA ({case_sla_text(apps)})", f"{apps['sla_breaches']:,}"),
        ("escalated to Urgent (SLA missed)", f"{apps['escalated']:,}"),
        ("priority raised by aging", f"{events.get('priority raised', 0):,}"),
    ]
    money = figures["money"]
    finance: list[Sequence[str]] = [
        ("active benefits", f"{money['active_benefits']:,}"),
        ("payments issued", f"{money['payments']:,} ({money_text(money, 'paid_total', locale)})"),
        ("reassessments", f"{money['reassessments']:,}"),
        (
            "overpayments",
            f"{money['overpayments']:,} ({money_text(money, 'overpaid_total', locale)})",
        ),
        (
            "underpayments",
            f"{money['underpayments']:,} ({money_text(money, 'underpaid_total', locale)})",
        ),
        ("payment correction cases", f"{money['correction_cases']:,}"),
    ]
    sections: list[Section] = [
        ("Cases by status", ("case type", "status", "cases"), cases),
        ("Routing and fairness", ("measure", "value"), fairness),
        (
            "Queue waits (minutes)",
            ("step", "entered", "median", "mean", "p90", "within SLA", "SLA breaches"),
            waits,
        ),
        ("Applications and SLAs", ("measure", "value"), sla),
        ("Benefits, payments and corrections", ("measure", "value"), finance),
    ]
    access = figures.get("access")  # absent from a database written before the demo had one
    if access is not None:
        sections.extend(access_sections(access))
    sections.extend(escalation_sections(figures))
    return sections


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def escalation_sections(figures: Mapping[str, Any]) -> list[Section]:
    """The ladder's rungs applied, what the absences moved, and the forecast without them.

    Each is left out for a database written before the demo had it.
    """
    sections: list[Section] = []
    ladder = figures.get("ladder")
    if ladder is not None:
        rungs: list[Sequence[str]] = [
            (
                stage["stage"],
                f"{r['rung']}",
                f"{r['after_min']:g} min",
                r["does"],
                f"{r['applied']:,}",
            )
            for stage in ladder["ladders"]
            for r in stage["rungs"]
        ]
        rungs.append(
            (
                "all",
                "",
                "",
                f"supervisor told {ladder['supervisor_told']:,} times",
                f"{ladder['applied']:,}",
            )
        )
        sections.append(
            (
                "Escalation ladder (working time)",
                ("step", "rung", "after", "does", "applied"),
                rungs,
            )
        )
    absences = figures.get("absences")
    if absences is not None:
        handed = {batch["agent"]: batch["cases"] for batch in absences["reassigned"]}
        away: list[Sequence[str]] = [
            (
                w["agent"],
                w["kind"],
                _when(w["starts"]),
                _when(w["ends"]),
                w["delegate"],
                f"{w['moved']['delegated']:,}",
                f"{w['moved']['returned']:,}",
                f"{w['moved']['kept']:,}",
                f"{handed[w['agent']]:,}" if w["agent"] in handed else "–",
            )
            for w in absences["windows"]
        ]
        sections.append(
            (
                "Absences: steps held when they began, and open cases handed over",
                ("who", "absence", "from", "to", "work goes to", "delegated", "returned", "kept",
                 "cases reassigned"),
                away,
            )
        )  # fmt: skip
    forecast = figures.get("forecast")
    if forecast is not None:
        sections.append(_forecast_section(forecast))
    return sections


def _forecast_section(forecast: Mapping[str, Any]) -> Section:
    names = forecast["variants"]
    runs = [forecast["runs"][name] for name in names]
    rows: list[Sequence[str]] = []
    for stage in runs[0]["stages"]:
        for key, label in (
            ("mean_wait_min", "mean wait (min)"),
            ("p90_wait_min", "p90 wait (min)"),
            ("sla_breaches", "SLA breaches"),
        ):
            values = [run["stages"][stage][key] for run in runs]
            rows.append(
                (
                    f"{stage} {label}",
                    *(f"{v:,.2f}" if isinstance(v, float) else f"{v:,}" for v in values),
                )
            )
    rows.extend(
        [
            ("over the case SLA", *(f"{run['case_sla_breaches']:,}" for run in runs)),
            (
                "mean turnaround (h)",
                *(
                    "–" if run["mean_turnaround_h"] is None else f"{run['mean_turnaround_h']:.2f}"
                    for run in runs
                ),
            ),
            ("mean occupancy", *(_pct(run["occupancy"]) for run in runs)),
            ("Jain's index of occupancy", *(f"{run['jain']:.3f}" for run in runs)),
            ("rungs applied", *(f"{run['rungs_applied']:,}" for run in runs)),
            ("steps moved by absences", *(f"{sum(run['moved'].values()):,}" for run in runs)),
        ]
    )
    return (
        "Forecast: the same office without the ladder or the absences (same seed, same cases)",
        ("measure", *names),
        rows,
    )


def access_sections(access: Mapping[str, Any]) -> list[Section]:
    """The access tables: denials by permission and role, break-the-glass, the access log."""
    denied: list[Sequence[str]] = [
        (row["permission"], row["role"], f"{row['count']:,}") for row in access["denied"]
    ]
    denied.append(("all", "", f"{sum(row['count'] for row in access['denied']):,}"))
    glass: list[Sequence[str]] = [
        (
            grant["who"],
            grant["case"],
            grant["reason"],
            f"{grant['minutes']} min, to {grant['expires_at'][:16].replace('T', ' ')}",
            grant["supervisor"] or "–",
        )
        for grant in access["grants"]
    ]
    reads = access["reads"]
    log: list[Sequence[str]] = [
        ("investigations opened (sensitivity 4)", f"{access['investigations']:,}"),
        (
            f"reads logged (sensitivity ≥ {access['log_from_sensitivity']})",
            f"{sum(reads.values()):,}",
        ),
        *((f"  {how}", f"{count:,}") for how, count in reads.items()),
        ("break-the-glass grants", f"{len(access['grants']):,}"),
        ("supervisors told (outbox)", f"{access['notified']:,}"),
    ]
    return [
        ("Access denied", ("permission", "role", "denials"), denied),
        ("Break-the-glass access", ("who", "case", "reason", "for", "supervisor told"), glass),
        ("Access log", ("measure", "value"), log),
    ]


def _title(figures: dict[str, Any]) -> str:
    p = figures["params"]
    return (
        f"casekit demo: {p['days']} working days, {p['staff']} staff, "
        f"{p['existing']} existing benefits, seed {p['seed']} "
        f"({figures.get('wall_seconds', 0):.1f} s)"
    )


def render_dashboard(
    figures: dict[str, Any], out: TextIO, *, plain: bool = False, locale: str = DEFAULT_LOCALE
) -> None:
    """Print the dashboard to ``out``: rich tables when rich is installed, else plain text."""
    sections = dashboard_sections(figures, locale=locale)
    if not plain:
        try:
            from rich.console import Console  # noqa: PLC0415  (optional: the demo extra)
            from rich.table import Table  # noqa: PLC0415
        except ImportError:
            plain = True
    if plain:
        out.write(_title(figures) + "\n")
        for title, headings, rows in sections:
            widths = [
                max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h))
                for i, h in enumerate(headings)
            ]
            out.write(f"\n{title}\n")
            out.write("  ".join(str(h).ljust(w) for h, w in zip(headings, widths, strict=True)))
            out.write("\n")
            for row in rows:
                out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
                out.write("\n")
        return
    console = Console(file=out, width=100)
    console.rule(_title(figures))
    for title, headings, rows in sections:
        table = Table(title=title, title_justify="left", expand=False)
        for number, heading in enumerate(headings):
            table.add_column(heading, justify="left" if number == 0 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
