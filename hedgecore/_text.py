"""Text that is safe to echo: control characters escaped (terminal lines, report titles).

Pure string functions, shared by the edges (no dependencies).
"""

from __future__ import annotations

import re

__all__ = ["escape_controls", "short_name"]

#: C0 and C1 control characters, DEL, and the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    r"""``text`` with every control character shown as an escape, so it prints as one plain line.

    Examples
    --------
    >>> escape_controls("a\x1b[31mred\nb.xlsx")
    'a\\x1b[31mred\\x0ab.xlsx'
    >>> escape_controls("SOL")
    'SOL'
    """
    return _CONTROLS.sub(_escape, str(text))


def short_name(name: str, limit: int = 80) -> str:
    """A file name cut in the middle to ``limit`` characters, so a message fits an Excel cell.

    >>> short_name("a" * 100 + ".xlsx", 20)
    'aaaaaaaaaaaa....xlsx'
    """
    name = str(name)
    if len(name) <= limit:
        return name
    keep = limit - 3
    return name[: keep - keep // 3] + "..." + name[len(name) - keep // 3:]
