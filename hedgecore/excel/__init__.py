"""The workbook edge: the template's layout contract, writing it, reading it back, the add-in files.

* :mod:`~hedgecore.excel.layout` — the contract: sheets, tables, defined names, inputs, results
  and their formulas (pure data);
* :mod:`~hedgecore.excel.inputs` — the one validation of the Hedge inputs;
* :mod:`~hedgecore.excel.compute` — the template's figures from its inputs (``compute_report``),
  which the writer caches in the formula cells and the report shows;
* :mod:`~hedgecore.excel.cached` — those cached values, written into the sheet XML;
* :mod:`~hedgecore.excel.writer` and :mod:`~hedgecore.excel.sheets` — writing the template;
* :mod:`~hedgecore.excel.backtest` and :mod:`~hedgecore.excel.backtest_sheet` — the Backtest sheet:
  its one ``hedgecore.backtest`` call from the inputs, and writing it;
* :mod:`~hedgecore.excel.reader` — reading a filled template back by its names;
* :mod:`~hedgecore.excel.styles` — colours and number formats shared with the report;
* :mod:`~hedgecore.excel.addin` — writing the Excel add-in folder (xlwings Lite personal modules).

openpyxl is imported inside the functions that need it.
"""

from __future__ import annotations

from .reader import WorkbookInputs, read_workbook, read_workbook_and_book
from .writer import write_example, write_template

__all__ = ["WorkbookInputs", "read_workbook", "read_workbook_and_book", "write_example", "write_template"]
