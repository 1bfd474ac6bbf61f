"""The report as records: json (one file per input) and csv (tables per input, one summary row).

Values are made json- and csv-safe here (NaN → null or blank, ±inf → ``"inf"``, dates → ISO).
Text from the input (file names, tickers, asset and contract names) that a spreadsheet would
take for a formula — starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return — is
prefixed with ``'`` in csv fields (the usual CSV-injection defence); json keeps it as it is.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .compute import ReportData
from .figures import summary_figures

__all__ = ["STRESS_TABLE_COLUMNS", "json_value", "csv_value", "csv_text", "stress_table", "report_json", "write_csv"]

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def json_value(x: Any) -> Any:
    """JSON-safe: NaN → null, ±inf → "inf"/"-inf" (as ``hedgecore plan --json``), dates → ISO."""
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, datetime):
        return x.date().isoformat()
    return x


def csv_text(text: str) -> str:
    """Text as a csv field that no spreadsheet runs as a formula.

    >>> print(csv_text("=HYPERLINK(1)"), csv_text("-SOL"), csv_text("SOL"))
    '=HYPERLINK(1) '-SOL SOL
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_value(x: Any) -> Any:
    """:func:`json_value`, with null as an empty field and text made safe by :func:`csv_text`."""
    if isinstance(x, str):
        return csv_text(x)
    v = json_value(x)
    return "" if v is None else v


#: Columns of the json/csv stress table, in order.
STRESS_TABLE_COLUMNS = ("Shock", "Hedge price", "Alt move", "Spot P&L", "Hedge P&L", "Collateral P&L", "Funding",
                        "Net P&L", "Unhedged P&L", "Unhedged value", "Hedged value", "Liquidated",
                        "Net P&L if short survived", "Net P&L low", "Net P&L high", "Net P&L at downside beta")


def stress_table(r: ReportData) -> pd.DataFrame:
    """The stress table's columns of :data:`STRESS_TABLE_COLUMNS` that the report has, in that order."""
    return r.stress[[c for c in STRESS_TABLE_COLUMNS if c in r.stress.columns]]


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: json_value(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def report_json(r: ReportData) -> dict[str, Any]:
    """The json report: ``summary`` figures by key, ``assets`` (Holdings) and ``stress`` tables, and
    ``backtest`` (settings, funding, error, events; its figures are in ``summary``)."""
    from .backtest import backtest_record

    out = {
        "summary": {f.key: json_value(f.value) for f in summary_figures(r)},
        "assets": _records(r.holdings),
        "stress": _records(stress_table(r)),
    }
    if r.backtest is not None:
        out["backtest"] = backtest_record(r.backtest)
    return out


def write_csv(path: Path, df: pd.DataFrame) -> None:
    """One table as csv (header row, then the rows with :func:`csv_value`)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow([csv_value(str(c)) for c in df.columns])
        for row in df.itertuples(index=False):
            w.writerow([csv_value(v) for v in row])
