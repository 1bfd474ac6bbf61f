"""Option values and type aliases shared across hedgecore.

Pure Python (no numpy), so that the command line can build its option lists without loading
the maths. The core validates these options case-insensitively at its public boundary.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["ContractKind", "Rounding", "Side", "CONTRACT_TYPES", "ROUNDING_MODES", "SIDES"]

ContractKind = Literal["inverse", "linear"]
Rounding = Literal["none", "down", "nearest", "up"]
Side = Literal["long", "short"]

#: Contract types: inverse (coin-margined, USD face value) and linear (USDT-margined, sized in coins).
CONTRACT_TYPES: tuple[str, ...] = get_args(ContractKind)
#: Rounding of contract counts: ``down``/``up`` go toward/away from zero.
ROUNDING_MODES: tuple[str, ...] = get_args(Rounding)
#: Position sides.
SIDES: tuple[str, ...] = get_args(Side)
