"""Notebook helpers shared by every part: records to a pandas DataFrame.

One convention for every table-like object (a case, a router, a reassessment, a simulation
result, a saved report): ``to_records()`` gives flat records (plain values: Decimal amounts
with a ``currency`` column, skills as ``"case_manager=2"``), ``to_dataframe()`` gives the same
as a DataFrame (needs ``pip install "casekit[pandas]"``), and ``_repr_html_`` renders it in a
notebook, money written by [`casekit.money.Money.format`][]. Objects with several tables take
the table's name: ``router.to_records("queue")``, ``case.to_records("history")``.

Presentation code lives in each part's ``notebook`` module (`casekit.cases.notebook`,
`casekit.routing.notebook`, `casekit.financials.notebook`) and is imported inside
the method that uses it, never when the part is imported. `to_dataframe` turns any list
of records into a DataFrame.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from casekit.errors import MissingExtra

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["to_dataframe"]


def to_dataframe(
    records: Iterable[Mapping[str, object]] | Iterable[Sequence[object]],
    *,
    what: str = "records",
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """A pandas DataFrame of ``records`` (one row per record).

    Args:
        records: Flat records, e.g. from a ``to_records()`` method, or rows.
        what: What the records are, for the error message.
        columns: Column names (for rows; records name their own).

    Raises:
        MissingExtra: pandas is not installed.
    """
    try:
        import pandas as pd  # noqa: PLC0415  optional dependency, imported on use
    except ImportError as error:
        raise MissingExtra(
            f"a DataFrame of {what} needs pandas: pip install 'casekit[pandas]'"
        ) from error
    return pd.DataFrame(list(records), columns=None if columns is None else list(columns))
