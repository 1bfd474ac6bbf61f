"""Office.js test run: set the environment before anything imports xlwings (EXCEL.md section 6.1).

These tests run in their own interpreter (``python -m pytest -q tests/officejs``): the
xlwings decorators are bound at the first ``import xlwings`` of a process.
``tests/test_officejs_suite.py`` runs them from the main suite.

Licence: importing ``xlwings.server`` runs xlwings PRO code (PolyForm Noncommercial).
hedgecore is an open-source, noncommercial project, so the literal key ``noncommercial`` is
used — only when no key is set already (a paid key in CI takes precedence).
"""

import os
import sys
from pathlib import Path

os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT / "addin", ROOT / "tests" / "officejs", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def main_module():
    import main  # addin/main.py

    return main
