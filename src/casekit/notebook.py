"""Notebook helpers shared by every part: records to a pandas DataFrame.

Each part renders itself in notebooks (``_repr_html_`` on a case, a router, a reassessment, a
simulation result) and gives flat records (``to_records()``); `to_dataframe` turns any
list of records into a DataFrame when pandas is installed (``pip install "casekit[pandas]"``).
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
