"""Query results as plain Python values: no NaN, NaT, numpy or pandas scalars reach a caller, a response
or a report. The one place every capability converts store rows."""

from __future__ import annotations

from typing import Any

import pandas as pd


def plain(value: Any) -> Any:
    """One cell as a plain Python value; missing values become None."""
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item"):
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Every row of ``frame`` as a dict of plain values."""
    cols = list(frame.columns)
    return [{c: plain(v) for c, v in zip(cols, row, strict=True)} for row in frame.itertuples(index=False)]
