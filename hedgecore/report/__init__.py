"""Batch reports from filled templates (the report edge).

A report is made in separate steps, each its own module:

* :mod:`~hedgecore.report.compute` — the figures, a pure function of the workbook's inputs
  (:func:`compute_report` → :class:`ReportData`);
* :mod:`~hedgecore.report.figures` — the summary figures every format shows;
* :mod:`~hedgecore.report.xlsx` and :mod:`~hedgecore.report.records` — writing xlsx, json and csv;
* :mod:`~hedgecore.report.backtest` — the backtest's figures, sheets and json, and the
  ``hedgecore backtest`` report;
* :mod:`~hedgecore.report.jobs` — one input end to end (read, compute, write atomically);
* :mod:`~hedgecore.report.batch` — many inputs, in worker processes, with progress.
"""

from __future__ import annotations

from .batch import BatchResult, expand_inputs, run_batch
from .compute import ROLLING_WINDOW, ReportData, compute_report
from .figures import NO_LIQUIDATION, Figure, summary_figures
from .jobs import FORMATS, SUMMARY_CSV, Job, Outcome, output_paths, process_job, write_report
from .records import STRESS_TABLE_COLUMNS, report_json
from .xlsx import build_report_workbook

__all__ = [
    "BatchResult",
    "FORMATS",
    "Figure",
    "Job",
    "NO_LIQUIDATION",
    "Outcome",
    "ROLLING_WINDOW",
    "ReportData",
    "STRESS_TABLE_COLUMNS",
    "SUMMARY_CSV",
    "build_report_workbook",
    "compute_report",
    "expand_inputs",
    "output_paths",
    "process_job",
    "report_json",
    "run_batch",
    "summary_figures",
    "write_report",
]
