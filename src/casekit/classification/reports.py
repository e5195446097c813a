"""Saved reports: named filters over cases, with CSV export and an optional DataFrame.

A [`SavedReport`][] filters by taxonomy level, status, owner, case type and creation or
update dates; [`SavedReport.run`][] takes any iterable of cases (a list, a worklist, a
storage repository's query results) and [`SavedReport.run_on`][] pages through any storage
adapter's case repository; both return a [`Report`][]. Sensitive documentation
values appear masked in every column.

Complexity: a run is O(n) for n cases; exports are O(rows × columns).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

import attrs

from casekit.cases import Case, Owner
from casekit.checks import attrs_check, check_aware, check_instance, check_int, check_text
from casekit.classification.case import ClassifiedCase
from casekit.errors import ValidationError
from casekit.notebook import to_dataframe
from casekit.security import ReadFilter

if TYPE_CHECKING:
    import pandas as pd

    from casekit.storage.ports import CaseRepository

__all__ = ["COLUMNS", "FORMULA_TRIGGERS", "Report", "SavedReport", "neutralise"]

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


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula when it starts with one."""


def neutralise(cell: str) -> str:
    """Return ``cell`` safe to open in a spreadsheet (the OWASP rule for CSV injection).

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed
    with a single quote, so Excel, LibreOffice and Google Sheets show it as text instead of
    running it (``=HYPERLINK(...)`` would otherwise become a live link).

    >>> neutralise("=1+1")
    "'=1+1"
    >>> neutralise("MCO-17")
    'MCO-17'
    """
    return f"'{cell}" if cell.startswith(FORMULA_TRIGGERS) else cell


def _members(value: object, what: str) -> tuple[object, ...]:
    if isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a collection, got {value!r:.80}")
    return tuple(value)


def _names(value: Iterable[str] | str) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else _members(value, "report filter values")
    return frozenset(check_text(v, what="a report filter value") for v in items)


def _owners(value: Iterable[Owner] | Owner) -> frozenset[Owner]:
    items = (value,) if isinstance(value, Owner) else _members(value, "report owners")
    return frozenset(check_instance(v, Owner, what="a report owner") for v in items)


def _moment(value: datetime | None) -> datetime | None:
    return None if value is None else check_aware(value, what="report date bound")


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

    name: str = attrs.field(validator=attrs_check(check_text))
    folder: str = attrs.field(default="Unfiled Public Reports", validator=attrs_check(check_text))
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
        """True when ``case`` passes every filter. O(1).

        Raises:
            ValidationError: ``case`` is not a case.
        """
        check_instance(case, Case, what=f"a case for report {self.name!r}")
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
        """Run the report over ``cases`` (any iterable, e.g. a repository's query results).

        Raises:
            ValidationError: ``cases`` is not an iterable of cases.
        """
        if isinstance(cases, str | Mapping) or not isinstance(cases, Iterable):
            raise ValidationError(
                f"report {self.name!r} runs over an iterable of cases, got {cases!r:.80}"
            )
        chosen = [case for case in cases if self.matches(case)]
        return Report(self.name, tuple(_row(case) for case in chosen))

    def run_on(
        self,
        repository: CaseRepository,
        *,
        page_size: int = 500,
        readable_by: ReadFilter | None = None,
    ) -> Report:
        """Run the report against a storage adapter's case repository, page by page.

        The filters the repository can apply (one case type, one status, one owner, the
        update range) are pushed down to its query; the rest are applied here. With
        ``readable_by`` (``policy.read_filter(principal)``), the report holds only the
        cases that principal may read, filtered by the store's query
        (``CaseRepository.query(readable_by=...)``), so its exports hold no others.

        Complexity: O(n) for the n cases the pushed-down filters let through.

        Raises:
            ValidationError: ``repository`` has no ``query``, ``page_size`` is not an
                integer from 1 to 10,000, or ``readable_by`` is not a ReadFilter.
        """
        if not callable(getattr(repository, "query", None)):
            raise ValidationError(
                f"report {self.name!r} runs on a case repository, got {type(repository).__name__}"
            )
        page_size = check_int(page_size, what="report page size", minimum=1, maximum=10_000)
        query: dict[str, Any] = {
            "updated_from": self.updated_from,
            "updated_to": self.updated_before,
            "limit": page_size,
        }
        if readable_by is not None:
            query["readable_by"] = check_instance(
                readable_by,
                ReadFilter,
                what=f"readable_by of report {self.name!r} (policy.read_filter(principal))",
            )
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


def _cells(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"{what} must be a sequence of strings, got {value!r:.80}")
    cells = tuple(value)
    for cell in cells:
        if not isinstance(cell, str):
            raise ValidationError(f"{what} must hold strings, got {cell!r:.80}")
    return cells


def _rows(value: Iterable[Iterable[str]]) -> tuple[tuple[str, ...], ...]:
    if isinstance(value, str | Mapping) or not isinstance(value, Iterable):
        raise ValidationError(f"report rows must be a sequence of rows, got {value!r:.80}")
    return tuple(_cells(row, "a report row") for row in value)


def _columns(value: Iterable[str]) -> tuple[str, ...]:
    return _cells(value, "report columns")


@attrs.frozen(slots=True)
class Report:
    """The result of running a saved report: one row per matching case.

    Attributes:
        name: The report's name.
        rows: One tuple of strings per case, in [`COLUMNS`][] order.
    """

    name: str = attrs.field(validator=attrs_check(check_text))
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows)
    columns: tuple[str, ...] = attrs.field(default=COLUMNS, converter=_columns)

    def __attrs_post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValidationError(
                    f"report {self.name!r}: a row has {len(row)} cells for "
                    f"{len(self.columns)} columns"
                )

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
        """Write the report as CSV (header first) to ``out``, and return the text written.

        Cells a spreadsheet would run as formulas (starting with ``=``, ``+``, ``-``, ``@``,
        a tab or a carriage return) are written with a leading single quote
        ([`neutralise`][]); [`to_records`][] and [`to_dataframe`][] keep the values as
        they are.

        Raises:
            ValidationError: ``out`` has no ``write``.
        """
        if out is not None and not callable(getattr(out, "write", None)):
            raise ValidationError(
                f"report {self.name!r} writes CSV to a text stream, got {type(out).__name__}"
            )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([neutralise(c) for c in self.columns])
        writer.writerows([neutralise(cell) for cell in row] for row in self.rows)
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
