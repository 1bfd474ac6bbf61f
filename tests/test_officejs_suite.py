"""Run the Office.js tests (tests/officejs) in their own interpreter from the main suite.

The xlwings decorators are bound at the first ``import xlwings`` of a process, so the
Office.js binding (XLWINGS_ON_SERVER=true) cannot share a process with the plain tests;
pyproject's addopts ignores tests/officejs and this test runs it as a subprocess.
Licence: ``XLWINGS_LICENSE_KEY=noncommercial`` only when no key is set (noncommercial
open-source project; see docs/excel-addin.md).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_officejs_suite_passes():
    env = dict(os.environ)
    env["XLWINGS_ON_SERVER"] = "true"
    env.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/officejs"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
    )
    tail = (proc.stdout + proc.stderr)[-4000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
