"""hedgecore: size and stress-test perpetual-futures hedges of altcoin baskets.

Above all inverse (coin-margined) perpetuals such as Binance ``ETHUSD_PERP``: contract counts from
a USD face value, collateral-aware hedge notionals, margin and liquidation prices, funding, betas
and stress scenarios.

This module is the public API. The names below load their module on first use (PEP 562), so
``import hedgecore`` is cheap and a command line that needs none of the maths never imports numpy
or pandas. The layers (docs/architecture.md): the pure core is the top-level modules
(``contracts``, ``sizing``, ``pnl``, ``funding``, ``margin``, ``plan``, ``scenarios``,
``stats``); the edges are the subpackages ``data`` (files), ``excel`` (workbooks) and ``report``
(batch reports), and ``cli``. Edges import the core, never the other way round; the only edge
names re-exported here are the two CSV loaders of :mod:`hedgecore.data`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    BelowMaintenanceError,
    DataError,
    FetchError,
    HedgecoreError,
    InvalidInputError,
    UnknownContractError,
    WorkbookError,
)

__version__ = "0.1.0"

#: Public name -> the module (relative to the package) that defines it.
_EXPORTS: dict[str, str] = {
    # contracts
    "CONTRACT_TYPES": "contracts",
    "ContractSpec": "contracts",
    "catalog": "contracts",
    "get_contract": "contracts",
    "load_catalog": "contracts",
    "CONTRACT_COLUMNS": "contracts",
    "TIER_COLUMNS": "contracts",
    # sizing
    "ROUNDING_MODES": "sizing",
    "hedge_notional": "sizing",
    "hedge_contracts": "sizing",
    "contracts_for_notional": "sizing",
    "hedged_notional": "sizing",
    "residual_exposure": "sizing",
    "round_contracts": "sizing",
    # P&L
    "inverse_pnl_coin": "pnl",
    "inverse_pnl_usd": "pnl",
    "linear_pnl": "pnl",
    "average_entry_price": "pnl",
    # margin
    "DEFAULT_MAINTENANCE_RATE": "margin",
    "Bracket": "margin",
    "brackets_from_rates": "margin",
    "margin_brackets": "margin",
    "initial_margin": "margin",
    "maintenance_margin": "margin",
    "liquidation_price": "margin",
    "effective_leverage": "margin",
    # funding
    "funding_payment": "funding",
    "funding_cost_usd": "funding",
    "funding_intervals": "funding",
    "annualised_funding_rate": "funding",
    "FundingSummary": "funding",
    "funding_summary": "funding",
    "daily_funding": "funding",
    # scenarios and plan
    "SCENARIO_COLUMNS": "scenarios",
    "SCENARIO_RISK_COLUMNS": "scenarios",
    "scenario_pnl": "scenarios",
    "HedgePlan": "plan",
    "hedge_plan": "plan",
    "PLAN_RISK_LABELS": "plan",
    # margin to post, the trade to make now
    "collateral_for_liquidation": "collateral",
    "rebalance": "rebalancing",
    "Rebalance": "rebalancing",
    # residual (basis) risk
    "residual_returns": "risk",
    "residual_band": "risk",
    "ResidualBand": "risk",
    "hedged_volatility": "risk",
    "beta_drift": "risk",
    "BetaDrift": "risk",
    # statistics
    "beta": "stats",
    "beta_stats": "stats",
    "BetaStats": "stats",
    "BETA_STATS_LABELS": "stats",
    "rolling_beta": "stats",
    "ewm_beta": "stats",
    "resample_prices": "stats",
    "portfolio_beta": "stats",
    "basket_beta": "stats",
    "basket_value": "stats",
    "best_hedge": "stats",
    "two_leg_hedge": "stats",
    "TwoLegHedge": "stats",
    # backtest
    "backtest": "backtesting",
    "BacktestResult": "backtesting",
    "BacktestSummary": "backtesting",
    "BACKTEST_COLUMNS": "backtesting",
    "BACKTEST_SUMMARY_LABELS": "backtesting",
    "POLICIES": "backtesting",
    # data (the data edge's CSV loaders)
    "load_prices": "data.files",
    "load_funding": "data.files",
}

__all__ = [
    "__version__",
    "HedgecoreError",
    "InvalidInputError",
    "UnknownContractError",
    "DataError",
    "WorkbookError",
    "BelowMaintenanceError",
    "FetchError",
    *_EXPORTS,
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'hedgecore' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what the lazy names are, for type checkers and editors
    from .backtesting import (
        BACKTEST_COLUMNS,
        BACKTEST_SUMMARY_LABELS,
        POLICIES,
        BacktestResult,
        BacktestSummary,
        backtest,
    )
    from .collateral import collateral_for_liquidation
    from .contracts import (
        CONTRACT_COLUMNS,
        CONTRACT_TYPES,
        TIER_COLUMNS,
        ContractSpec,
        catalog,
        get_contract,
        load_catalog,
    )
    from .data.files import load_funding, load_prices
    from .funding import (
        FundingSummary,
        annualised_funding_rate,
        daily_funding,
        funding_cost_usd,
        funding_intervals,
        funding_payment,
        funding_summary,
    )
    from .margin import (
        DEFAULT_MAINTENANCE_RATE,
        Bracket,
        brackets_from_rates,
        effective_leverage,
        initial_margin,
        liquidation_price,
        maintenance_margin,
        margin_brackets,
    )
    from .plan import PLAN_RISK_LABELS, HedgePlan, hedge_plan
    from .pnl import average_entry_price, inverse_pnl_coin, inverse_pnl_usd, linear_pnl
    from .rebalancing import Rebalance, rebalance
    from .risk import BetaDrift, ResidualBand, beta_drift, hedged_volatility, residual_band, residual_returns
    from .scenarios import SCENARIO_COLUMNS, SCENARIO_RISK_COLUMNS, scenario_pnl
    from .sizing import (
        ROUNDING_MODES,
        contracts_for_notional,
        hedge_contracts,
        hedge_notional,
        hedged_notional,
        residual_exposure,
        round_contracts,
    )
    from .stats import (
        BETA_STATS_LABELS,
        BetaStats,
        TwoLegHedge,
        basket_beta,
        basket_value,
        best_hedge,
        beta,
        beta_stats,
        ewm_beta,
        portfolio_beta,
        resample_prices,
        rolling_beta,
        two_leg_hedge,
    )
