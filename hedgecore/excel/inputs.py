"""The Hedge sheet's inputs: parsed and validated in one place.

:func:`check_settings` is the one validation of the Hedge inputs (catalog contract, contract
type, rounding, numeric ranges, hedge coin among the price columns) and of the Backtest sheet's
inputs. The template writer calls it on ``--set`` values before writing, the reader on the cells it read, and the report on the
settings it computes from; each turns the :class:`InputError` into its own message by naming
where the input came from (``Hedge input Leverage ...`` or ``file, sheet Hedge, cell B13: ...``).
The rules themselves are declared with each input in :mod:`hedgecore.excel.layout`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from ..contracts import get_contract
from ..errors import HedgecoreError, WorkbookError
from .layout import BACKTEST_INPUTS, BLANK_OK_INPUTS, DEFAULT_FORMULAS, INPUTS, TEXT_INPUTS

_ALL_INPUTS = (*INPUTS, *BACKTEST_INPUTS)  # the Hedge sheet's, then the Backtest sheet's
_NAMES = tuple(i.name for i in _ALL_INPUTS)
_BLANK_NUMBERS = frozenset(i.name for i in BACKTEST_INPUTS if i.blank_ok and not i.text)
_TEXT = TEXT_INPUTS | {i.name for i in BACKTEST_INPUTS if i.text}

__all__ = ["InputError", "parse_setting", "fill_from_contract", "check_settings"]

_LISTED = 10  # price columns named in an error message


class InputError(WorkbookError):
    """A Hedge input is invalid. ``name`` is the input; the message starts with it.

    Callers prefix the message with where the input came from.
    """

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


def parse_setting(name: str, value: Any) -> Any:
    """A Hedge input typed as text (``--set NAME=VALUE``) as the template stores it.

    Numbers are parsed (``"0.5%"`` -> 0.005), text inputs kept; a formula (text starting with
    ``=``) is refused unless it is the input's own default formula; ``None``, ``""`` or
    ``"default"`` for an input with a default formula keeps it, and leaves an input that may be
    blank (``MaintenanceMargin``, ``MarginBalance``) blank.
    """
    if name not in _NAMES:
        raise WorkbookError(f"unknown Hedge input {name!r}; one of {', '.join(i.name for i in INPUTS)}, "
                            "or a Backtest input (Backtest...)")
    if value is None:
        return None
    if not isinstance(value, str):
        return str(value) if name in _TEXT else float(value)
    text = value.strip()
    if _is_formula(text):
        default = DEFAULT_FORMULAS.get(name, "")
        if "".join(text.split()).upper() != "".join(default.split()).upper():
            raise WorkbookError(f"Hedge input {name} must be a value, got the formula {text[:40]!r}"
                                + (f" (its default formula is {default})" if default else ""))
        return None  # the default formula: the template writes it, hedgecore computes its value
    if name in _TEXT:
        return text
    if (name in DEFAULT_FORMULAS or name in BLANK_OK_INPUTS) and text.lower() in ("", "default"):
        return None  # the default formula, or a number left blank (MaintenanceMargin: the contract's tiers)
    if name in _BLANK_NUMBERS and not text:
        return None
    try:
        return float(text.rstrip("%")) / (100.0 if text.endswith("%") else 1.0)
    except ValueError:
        raise WorkbookError(f"Hedge input {name} must be a number, got {value!r}") from None


def fill_from_contract(settings: dict[str, Any], given: Collection[str]) -> None:
    """A catalog ``Contract`` sets ContractType, ContractSize and HedgeAsset unless they were given.

    Changes ``settings`` in place; an unknown contract is left for :func:`check_settings`.
    """
    contract = settings.get("Contract") or ""
    if not isinstance(contract, str) or not contract or _is_formula(contract):
        return
    try:
        spec = get_contract(contract)
    except HedgecoreError:
        return
    for name, value in (("ContractType", spec.contract_type), ("ContractSize", spec.contract_size),
                        ("HedgeAsset", spec.base_asset)):
        if name not in given:
            settings[name] = value


def _columns_text(columns: Iterable[Any]) -> str:
    names = [str(c) for c in columns]
    more = f", ... ({len(names)} in all)" if len(names) > _LISTED else ""
    return ", ".join(names[:_LISTED]) + more


def _check_contract(out: dict[str, Any]) -> None:
    contract = out.get("Contract") or ""
    if not isinstance(contract, str) or not contract or _is_formula(contract):
        return
    try:
        spec = get_contract(contract)
    except HedgecoreError as exc:
        raise InputError("Contract", f"Contract: {exc}") from None
    out["Contract"] = spec.name
    kind, coin = out.get("ContractType"), out.get("HedgeAsset")
    if not _is_formula(kind) and str(kind).strip().lower() != spec.contract_type:
        raise InputError("ContractType", f"ContractType must match contract {spec.name} ({spec.contract_type}), "
                                         f"got {kind!r}")
    if not _is_formula(coin) and str(coin).strip().upper() != spec.base_asset:
        raise InputError("HedgeAsset", f"HedgeAsset must be the coin of contract {spec.name} ({spec.base_asset}), "
                                       f"got {coin!r}")


def check_settings(settings: Mapping[str, Any], *, price_columns: Iterable[Any] | None = None) -> dict[str, Any]:
    """Validate the Hedge inputs; return them normalised (choices lower-case, canonical contract name).

    Parameters
    ----------
    settings : mapping
        Inputs by defined name (:data:`~hedgecore.excel.layout.INPUT_NAMES`, and any of
        :data:`~hedgecore.excel.layout.BACKTEST_INPUT_NAMES`). A formula (text
        starting with ``=``) or ``None`` (a default formula not yet evaluated) is left as it is.
    price_columns : iterable, optional
        Tickers of table Prices; when given, ``HedgeAsset`` must be one of them.

    Raises
    ------
    InputError
        Naming the input: an unknown catalog contract; a ContractType or HedgeAsset that contradicts
        it; a ContractType or Rounding not among its choices; a number its input's
        :class:`~hedgecore.excel.layout.Check` rejects; a hedge coin or second coin without a price
        column; a second coin equal to the hedge coin.
    """
    out = dict(settings)
    _check_contract(out)
    for spec in _ALL_INPUTS:
        value = out.get(spec.name)
        if value is None or _is_formula(value):
            continue
        if spec.choices:
            key = str(value).strip().lower()
            if key not in spec.choices:
                raise InputError(spec.name, f"{spec.name} must be one of {', '.join(spec.choices)}, got {value!r}")
            out[spec.name] = key
        elif spec.check is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
            if not (math.isfinite(value) and spec.check.test(float(value))):
                raise InputError(spec.name, f"{spec.name} {spec.check.message}, got {value!r}")
    columns = None if price_columns is None else list(price_columns)
    for name in ("HedgeAsset", "SecondAsset"):
        coin = out.get(name)
        if columns is not None and isinstance(coin, str) and coin and not _is_formula(coin) and coin not in columns:
            raise InputError(name, f"{name} must be a column of table Prices ({_columns_text(columns)}), got {coin!r}")
    second = out.get("SecondAsset")
    if isinstance(second, str) and second and second == out.get("HedgeAsset"):
        raise InputError("SecondAsset", f"SecondAsset must differ from the hedge coin, got {second!r}; "
                                        "leave it blank for one leg")
    return out
