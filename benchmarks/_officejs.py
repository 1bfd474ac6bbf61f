"""xlwings' Office.js dispatch for the add-in benchmarks (bench_addin.py, bench_recalc.py).

Importing this module sets ``XLWINGS_ON_SERVER`` (and the noncommercial licence key when none
is set) before xlwings loads, one BLAS thread (as in Pyodide) before numpy loads, and puts
``addin/`` on ``sys.path``; import it before numpy and ``main``.

``calls(module, [(name, args), ...])`` awaits ``xlwings.server.custom_functions_call`` for each
call, one after another, on one event loop kept for the run: in Lite every call is awaited in
Pyodide's running loop, while ``asyncio.run`` per call would add about 0.1 ms of loop set-up
that Excel never pays. ``args`` are the 2-D lists Office.js sends.

``pyodide_stub(on)``: xlwings 0.37.8 runs ``from pyodide.ffi import JsNull`` once per argument
(``js_to_none``). Inside Pyodide that is an import from a loaded package; outside it a failed
import (tens of microseconds). The stub puts packages ``pyodide`` and ``pyodide.ffi`` (both
packages in Pyodide: src/py/pyodide/ffi/__init__.py) in ``sys.modules``, so a dispatch with it
on is the fair estimate of xlwings Lite, and with it off what xlwings Server on CPython pays.
"""

from __future__ import annotations

import asyncio
import os
import sys
import types
from pathlib import Path

# Pyodide has no threads, so Lite's numpy runs BLAS on one thread; so does this process (set
# before numpy loads). Multi-threaded BLAS also made a 100,000-row beta 2 ms or 16 ms depending
# on whether the other core was busy.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ["XLWINGS_ON_SERVER"] = "true"
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # noncommercial open-source project
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addin"))

import xlwings  # noqa: E402
from xlwings.server import custom_functions_call  # noqa: E402

__all__ = ["calls", "pyodide_stub"]

_LOOP = asyncio.new_event_loop()


def calls(module, batch) -> list:
    """The results of ``custom_functions_call`` for each ``(function name, args)`` in ``batch``."""
    async def run():
        out = []
        for name, args in batch:
            payload = {"func_name": name, "args": list(args), "version": xlwings.__version__, "client": "Office.js",
                       "runtime": "1.4", "date_format": "yyyy-mm-dd", "culture_info_name": "en-US"}
            out.append(await custom_functions_call(payload, module))
        return out

    return _LOOP.run_until_complete(run())


def pyodide_stub(on: bool) -> None:
    """Put (or take away) stand-ins for Pyodide's ``pyodide`` and ``pyodide.ffi`` packages."""
    if on:
        ffi = types.ModuleType("pyodide.ffi")
        ffi.__path__ = []
        ffi.JsNull = type("JsNull", (), {})
        pkg = types.ModuleType("pyodide")
        pkg.__path__ = []
        pkg.ffi = ffi
        sys.modules.update({"pyodide": pkg, "pyodide.ffi": ffi})
    else:
        sys.modules.pop("pyodide", None)
        sys.modules.pop("pyodide.ffi", None)
