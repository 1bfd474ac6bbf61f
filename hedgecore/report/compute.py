"""A report's figures: :func:`compute_report` lives in :mod:`hedgecore.excel.compute`.

It moved below the report layer so that the template writer can give every formula cell its
cached value (the same figures the report shows); this name keeps working.
"""

from __future__ import annotations

from ..excel.compute import ROLLING_WINDOW, ReportData, compute_report

__all__ = ["ROLLING_WINDOW", "ReportData", "compute_report"]
