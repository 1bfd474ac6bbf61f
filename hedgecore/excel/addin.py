"""Write the Excel add-in as a folder a user can install today (``hedgecore addin -o FOLDER``).

xlwings Lite *personal modules* are a ``personal/`` folder of Python files and packages, uploaded
under Menu > Files > Import/Export (every platform) or mounted as ``/personal`` (desktop Excel on
Windows); after Menu > Restart their custom functions are available in every workbook
(https://lite.xlwings.org/personal_modules). :func:`write_addin_files` writes:

* ``personal/hedgecore/`` — the pure-Python core of hedgecore (numpy and pandas only; none of the
  edges: files, workbooks, reports, command line);
* ``personal/hedgecore_excel.py`` — the functions module (a copy of the repository's
  ``addin/main.py``, shipped as package data in ``hedgecore/excel/addin_template/``);
* ``requirements.txt`` — the lines Lite needs (xlwings pinned; numpy and pandas from Pyodide);
* ``README.txt`` — :data:`INSTALL_STEPS` and :data:`CLASSIC_STEPS`, the same steps the README,
  the template's Guide sheet and docs/excel-addin.md give, word for word.

Nothing here imports xlwings.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from ..errors import HedgecoreError

__all__ = [
    "INSTALL_STEPS",
    "CLASSIC_STEPS",
    "FUNCTIONS_MODULE",
    "CORE_FILES",
    "write_addin_files",
    "addin_main_text",
    "addin_requirements_text",
]

_TEMPLATE = "addin_template"
#: The functions module's name inside ``personal/`` (classic: the ``UDF Modules`` setting).
FUNCTIONS_MODULE = "hedgecore_excel"
#: Modules of the package that are not the core (edges and their helpers): not shipped to Lite.
_NOT_CORE = {"cli.py", "__main__.py", "_atomic.py", "_text.py", "_workers.py"}

#: Installing the add-in in xlwings Lite (README, Guide sheet and docs/excel-addin.md repeat these).
INSTALL_STEPS: tuple[str, ...] = (
    "In a terminal where hedgecore is installed (the README's first command), run: hedgecore addin -o hedgecore-addin",
    "In Excel, install xlwings Lite: Home > Add-ins, search for xlwings, click Add.",
    "In the xlwings Lite pane open Menu > Files > Import/Export and drop the folder hedgecore-addin/personal onto it "
    "(desktop Excel on Windows may instead mount that folder as /personal under Local Folders).",
    "In each workbook that uses the functions, replace the text of the requirements.txt tab with the lines of "
    "hedgecore-addin/requirements.txt.",
    'Menu > Restart. Then =HEDGE_CONTRACTS(49000, 3500, "ETHUSD_PERP") gives 4900.',
)
#: Installing the same functions module in classic xlwings (Windows desktop Excel).
CLASSIC_STEPS: tuple[str, ...] = (
    'Classic xlwings (Windows): pip install numpy pandas "xlwings==0.37.8", then: xlwings addin install',
    "In Excel's xlwings tab set Interpreter to that Python, PYTHONPATH to the full path of hedgecore-addin\\personal "
    f"and UDF Modules to {FUNCTIONS_MODULE}, then click Import Functions.",
)


def _read(name: str) -> str:
    return resources.files("hedgecore.excel").joinpath(_TEMPLATE, name).read_text(encoding="utf-8")


def addin_main_text() -> str:
    """Text of the functions module (identical to ``addin/main.py`` in the repository)."""
    return _read("main.py.txt")


def addin_requirements_text() -> str:
    """Text of the ``requirements.txt`` lines xlwings Lite needs (identical to ``addin/requirements.txt``)."""
    return _read("requirements.txt")


def _readme_text() -> str:
    lines = ["hedgecore add-in for Excel", "", "xlwings Lite:"]
    lines += [f"{k}. {step}" for k, step in enumerate(INSTALL_STEPS, start=1)]
    lines += ["", "Classic xlwings:"]
    lines += [f"{k}. {step}" for k, step in enumerate(CLASSIC_STEPS, start=1)]
    return "\n".join(lines) + "\n"


def _core_dir() -> Path:
    return Path(__file__).resolve().parents[1]


#: Files of the core copied into ``personal/hedgecore`` (relative to the package).
CORE_FILES: tuple[str, ...] = tuple(sorted(
    p.name for p in _core_dir().iterdir()
    if (p.suffix == ".py" and p.name not in _NOT_CORE) or p.suffix == ".csv" or p.name == "py.typed"
))


def write_addin_files(folder: str | Path, *, overwrite: bool = False) -> list[Path]:
    """Write the add-in folder: ``personal/`` (hedgecore core + functions module), requirements, steps.

    Returns the written top-level paths (``personal``, ``requirements.txt``, ``README.txt``).
    Existing ones raise :class:`HedgecoreError` unless ``overwrite`` (then ``personal`` is replaced).

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_addin_files(tempfile.mkdtemp())]
    ['personal', 'requirements.txt', 'README.txt']
    """
    target = Path(folder)
    personal = target / "personal"
    texts = {"requirements.txt": addin_requirements_text(), "README.txt": _readme_text()}
    paths = [personal, *(target / name for name in texts)]
    existing = [p for p in paths if p.exists()]
    if existing and not overwrite:
        names = ", ".join(str(p) for p in existing)
        verb = "exists" if len(existing) == 1 else "exist"
        raise HedgecoreError(f"{names} already {verb} (use overwrite / --force)")
    if personal.exists():
        shutil.rmtree(personal)
    package = personal / "hedgecore"
    package.mkdir(parents=True)
    for name in CORE_FILES:
        shutil.copyfile(_core_dir() / name, package / name)
    (personal / f"{FUNCTIONS_MODULE}.py").write_text(addin_main_text(), encoding="utf-8", newline="\n")
    for name, text in texts.items():
        (target / name).write_text(text, encoding="utf-8", newline="\n")
    return paths
