"""Call addin/main.py the way Excel (Office.js / xlwings Lite) does, and check the wire format."""

import asyncio
import json

import xlwings
from xlwings.server import custom_functions_call, custom_functions_meta


def as_range(value):
    """A Python value as Office.js sends it: a scalar becomes a 1x1 range; 2-D lists pass as-is."""
    if isinstance(value, list) and value and isinstance(value[0], list):
        return value
    if isinstance(value, list):
        return [[v] for v in value]  # a flat list is a column
    return [[value]]


def run_udf(module, name, *args, runtime="1.4"):
    """Run ``name`` through ``custom_functions_call``; the result must be strict JSON."""
    payload = {
        "func_name": name,
        "args": [as_range(a) for a in args],
        "version": xlwings.__version__,
        "client": "Office.js",
        "runtime": runtime,
        "date_format": "yyyy-mm-dd",
        "culture_info_name": "en-US",
    }
    out = asyncio.run(custom_functions_call(payload, module))
    json.dumps(out, allow_nan=False)  # inf/NaN would break the Office.js response
    return out


def metadata(module):
    return custom_functions_meta(module)


NOT_AVAILABLE = {"type": "Error", "errorType": "NotAvailable"}
