"""Saved reports: named filters over cases, with CSV export and an optional DataFrame.

A :class:`SavedReport` filters by taxonomy level, status, owner, case type and creation or
update dates; :meth:`SavedReport.run` takes any iterable of cases (a list, a worklist, a
storage repository's query results) and :meth:`SavedReport.run_on` pages through any storage
adapter's case repository; both return a :class:`Report`. Sensitive documentation
values appear masked in every column.

Complexity: a run is O(n) for n cases; exports are O(rows × columns).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from casekit.cases import Case, Owner
from casekit.classification.case import ClassifiedCase
from casekit.clock import as_utc
from casekit.errors import ValidationError
from casekit.notebook import to_dataframe

if TYPE_CHECKING:
    import pandas as pd

    from casekit.storage.ports import CaseRepository

__all__ = ["COLUMNS", "Report", "SavedReport"]

COLUMNS = (
    "Case Number",
    "Case Type",
    "Record Type",
    "Category",
    "Sub-Category",
    "Disposition",
    "Child Disposition",
    "Status",
    "Owner",
    "Subject",
    "Documentation",
    "Created",
    "Updated",
)
"""The columns of every report, in order."""


def _names(value: Iterable[str] | str) -> frozenset[str]:
    return frozenset((value,)) if isinstance(value, str) else frozenset(value)


def _owners(value: Iterable[Owner] | Owner) -> frozenset[Owner]:
    return frozenset((value,)) if isinstance(value, Owner) else frozenset(value)


def _moment(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value, what="report date bound")


def _inside(moment: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or moment >= start) and (end is None or moment < end)


@attrs.frozen(slots=True)
class SavedReport:
    """A named filter over cases. Every filter left empty matches everything.

    Taxonomy filters (``record_types`` ... ``child_dispositions``) match classified cases
    only. Date ranges include their start and exclude their end.

    Attributes:
        name: The report's name.
        folder: Where it is filed.
        record_types: Record types to include.
        categories: Categories to include.
        sub_categories: Sub-categories to include.
        dispositions: Dispositions to include.
        child_dispositions: Child dispositions to include.
        statuses: Status display names to include.
        owners: Owners to include.
        case_types: Case type names to include.
        created_from: Cases created at or after.
        created_before: Cases created before.
        updated_from: Cases last updated at or after.
        updated_before: Cases last updated before.

    Raises:
        ValidationError: A naive date bound, or a range that ends before it starts.
    """

    name: str
    folder: str = "Unfiled Public Reports"
    record_types: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    sub_categories: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    dispositions: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    child_dispositions: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    statuses: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    owners: frozenset[Owner] = attrs.field(default=frozenset(), converter=_owners)
    case_types: frozenset[str] = attrs.field(default=frozenset(), converter=_names)
    created_from: datetime | None = attrs.field(default=None, converter=_moment)
    created_before: datetime | None = attrs.field(default=None, converter=_moment)
    updated_from: datetime | None = attrs.field(default=None, converter=_moment)
    updated_before: datetime | None = attrs.field(default=None, converter=_moment)

    def __attrs_post_init__(self) -> None:
        for start, end, what in (
            (self.created_from, self.created_before, "created"),
            (self.updated_from, self.updated_before, "updated"),
        ):
            if start is not None and end is not None and end < start:
                raise ValidationError(
                    f"report {self.name!r}: {what} range {start.isoformat()}.."
                    f"{end.isoformat()} ends before it starts"
                )

    def _taxonomy_filters(self) -> tuple[tuple[str, frozenset[str]], ...]:
        return tuple(
            (level, wanted)
            for level, wanted in (
                ("record_type", self.record_types),
                ("category", self.categories),
                ("sub_category", self.sub_categories),
                ("disposition", self.dispositions),
                ("child_disposition", self.child_dispositions),
            )
            if wanted
        )

    def matches(self, case: Case[Any]) -> bool:
        """True when ``case`` passes every filter. O(1)."""
        levels = self._taxonomy_filters()
        if levels:
            classification = getattr(case, "classification", None)
            if classification is None:
                return False
            if any(getattr(classification, lv) not in wanted for lv, wanted in levels):
                return False
        return (
            (not self.statuses or str(case.status.value) in self.statuses)
            and (not self.owners or case.roles.owner in self.owners)
            and (not self.case_types or type(case).case_type in self.case_types)
            and _inside(case.created_at, self.created_from, self.created_before)
            and _inside(case.updated_at, self.updated_from, self.updated_before)
        )

    def run(self, cases: Iterable[Case[Any]]) -> Report:
        """Run the report over ``cases`` (any iterable, e.g. a repository's query results)."""
        chosen = [case for case in cases if self.matches(case)]
        return Report(self.name, tuple(_row(case) for case in chosen))

    def run_on(self, repository: CaseRepository, *, page_size: int = 500) -> Report:
        """Run the report against a storage adapter's case repository, page by page.

        The filters the repository can apply (one case type, one status, one owner, the
        update range) are pushed down to its query; the rest are applied here.

        Complexity: O(n) for the n cases the pushed-down filters let through.
        """
        query: dict[str, Any] = {
            "updated_from": self.updated_from,
            "updated_to": self.updated_before,
            "limit": page_size,
        }
        for key, values in (
            ("case_type", self.case_types),
            ("status", self.statuses),
            ("owner", self.owners),
        ):
            if len(values) == 1:
                query[key] = next(iter(values))
        return self.run(_pages(repository, query))


def _pages(repository: CaseRepository, query: dict[str, Any]) -> Iterator[Case[Any]]:
    after: str | None = None
    while True:
        page = repository.query(after=after, **query)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after


def _row(case: Case[Any]) -> tuple[str, ...]:
    classification = None
    subject = documentation = ""
    if isinstance(case, ClassifiedCase):
        classification = case.classification
        if case.documentation is not None:
            subject, documentation = case.documentation.subject, case.documentation.text
    levels = classification.path if classification is not None else ("",) * 5
    return (
        case.id,
        type(case).case_type,
        *levels,
        str(case.status.value),
        str(case.roles.owner),
        subject,
        documentation,
        case.created_at.isoformat(),
        case.updated_at.isoformat(),
    )


@attrs.frozen(slots=True)
class Report:
    """The result of running a saved report: one row per matching case.

    Attributes:
        name: The report's name.
        rows: One tuple of strings per case, in :data:`COLUMNS` order.
    """

    name: str
    rows: tuple[tuple[str, ...], ...]
    columns: tuple[str, ...] = COLUMNS

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def case_ids(self) -> tuple[str, ...]:
        """The ids of the cases in the report, in order."""
        return tuple(row[0] for row in self.rows)

    def to_records(self) -> list[dict[str, str]]:
        """The rows as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self, out: TextIO | None = None) -> str:
        """Write the report as CSV (header first) to ``out``, and return the text written."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows(self.rows)
        text = buffer.getvalue()
        if out is not None:
            out.write(text)
        return text

    def to_dataframe(self) -> pd.DataFrame:
        """The report as a pandas DataFrame.

        Raises:
            MissingExtra: pandas is not installed.
        """
        return to_dataframe(self.rows, what=f"report {self.name!r}", columns=self.columns)
