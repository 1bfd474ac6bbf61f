"""Write the Excel add-in files (xlwings Lite ``main.py`` and ``requirements.txt``).

The package ships a copy of ``addin/main.py`` and ``addin/requirements.txt`` as package data
(``hedgecore/excel/addin_template/``; ``main.py.txt`` so that nothing imports or collects it), so an
installed wheel can produce them: ``hedgecore addin -o FOLDER``. ``requirements.txt`` pins the
installed hedgecore version. Nothing here imports xlwings.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from .. import __version__
from ..errors import HedgecoreError

__all__ = ["write_addin_files", "addin_main_text", "addin_requirements_text"]

_TEMPLATE = "addin_template"


def _read(name: str) -> str:
    return resources.files("hedgecore.excel").joinpath(_TEMPLATE, name).read_text(encoding="utf-8")


def addin_main_text() -> str:
    """Text of the add-in's ``main.py`` (identical to ``addin/main.py`` in the repository)."""
    return _read("main.py.txt")


def addin_requirements_text(version: str = __version__) -> str:
    """Text of the add-in's ``requirements.txt`` with hedgecore pinned to ``version``."""
    return re.sub(r"(?m)^hedgecore==\S+$", f"hedgecore=={version}", _read("requirements.txt"))


def write_addin_files(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``main.py`` and ``requirements.txt`` for xlwings Lite / classic into ``folder``.

    Returns the written paths. Existing files raise :class:`HedgecoreError` unless ``overwrite``.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_addin_files(tempfile.mkdtemp())]
    ['main.py', 'requirements.txt']
    """
    target = Path(folder)
    files = {"main.py": addin_main_text(), "requirements.txt": addin_requirements_text()}
    paths = [target / name for name in files]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        names = ", ".join(str(p) for p in existing)
        verb = "exists" if len(existing) == 1 else "exist"
        raise HedgecoreError(f"{names} already {verb} (use overwrite / --force)")
    target.mkdir(parents=True, exist_ok=True)
    for path, text in zip(paths, files.values()):
        path.write_text(text, encoding="utf-8", newline="\n")
    return paths
