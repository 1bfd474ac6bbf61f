"""Option values and type aliases shared across hedgecore.

Pure Python (no numpy), so that the command line can build its option lists without loading
the maths. The core validates these options case-insensitively at its public boundary.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = [
    "ContractKind", "Rounding", "Side", "Policy", "HedgeRatioMode",
    "CONTRACT_TYPES", "ROUNDING_MODES", "SIDES", "POLICIES", "HEDGE_RATIO_MODES",
]

ContractKind = Literal["inverse", "linear"]
Rounding = Literal["none", "down", "nearest", "up"]
Side = Literal["long", "short"]
Policy = Literal["none", "periodic", "threshold"]
HedgeRatioMode = Literal["rolling", "ewm"]

#: Contract types: inverse (coin-margined, USD face value) and linear (USDT-margined, sized in coins).
CONTRACT_TYPES: tuple[str, ...] = get_args(ContractKind)
#: Rounding of contract counts: ``down``/``up`` go toward/away from zero.
ROUNDING_MODES: tuple[str, ...] = get_args(Rounding)
#: Position sides.
SIDES: tuple[str, ...] = get_args(Side)
#: Backtest rebalancing policies: never, on a calendar schedule, or when the hedge drifts from its target.
POLICIES: tuple[str, ...] = get_args(Policy)
#: Backtest betas known at each date: a rolling window or an exponentially weighted (EWM) beta.
HEDGE_RATIO_MODES: tuple[str, ...] = get_args(HedgeRatioMode)
