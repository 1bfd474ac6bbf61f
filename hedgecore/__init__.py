"""hedgecore: size and stress-test perpetual-futures hedges of altcoin baskets.

Above all inverse (coin-margined) perpetuals such as Binance ``ETHUSD_PERP``:
contract counts from a USD face value, collateral-aware hedge notionals,
margin and liquidation prices, funding, betas and stress scenarios.
"""

from __future__ import annotations

from .backtesting import (
    BACKTEST_COLUMNS,
    BACKTEST_SUMMARY_LABELS,
    POLICIES,
    BacktestResult,
    BacktestSummary,
    backtest,
)
from .contracts import CONTRACT_TYPES, ContractSpec, catalog, get_contract
from .errors import DataError, HedgecoreError, InvalidInputError, UnknownContractError, WorkbookError
from .funding import annualised_funding_rate, funding_cost_usd, funding_intervals, funding_payment
from .margin import (
    DEFAULT_MAINTENANCE_RATE,
    Bracket,
    brackets_from_rates,
    effective_leverage,
    initial_margin,
    liquidation_price,
    maintenance_margin,
)
from .plan import HedgePlan, hedge_plan
from .pnl import average_entry_price, inverse_pnl_coin, inverse_pnl_usd, linear_pnl
from .prices import load_funding, load_prices
from .scenarios import SCENARIO_COLUMNS, scenario_pnl
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
    best_hedge,
    beta,
    beta_stats,
    ewm_beta,
    portfolio_beta,
    resample_prices,
    rolling_beta,
    two_leg_hedge,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # errors
    "HedgecoreError",
    "InvalidInputError",
    "UnknownContractError",
    "DataError",
    "WorkbookError",
    # contracts
    "CONTRACT_TYPES",
    "ContractSpec",
    "catalog",
    "get_contract",
    # sizing
    "ROUNDING_MODES",
    "hedge_notional",
    "hedge_contracts",
    "contracts_for_notional",
    "hedged_notional",
    "residual_exposure",
    "round_contracts",
    # P&L
    "inverse_pnl_coin",
    "inverse_pnl_usd",
    "linear_pnl",
    "average_entry_price",
    # margin
    "DEFAULT_MAINTENANCE_RATE",
    "Bracket",
    "brackets_from_rates",
    "initial_margin",
    "maintenance_margin",
    "liquidation_price",
    "effective_leverage",
    # funding
    "funding_payment",
    "funding_cost_usd",
    "funding_intervals",
    "annualised_funding_rate",
    # scenarios and plan
    "SCENARIO_COLUMNS",
    "scenario_pnl",
    "HedgePlan",
    "hedge_plan",
    # statistics
    "beta",
    "beta_stats",
    "BetaStats",
    "BETA_STATS_LABELS",
    "rolling_beta",
    "ewm_beta",
    "resample_prices",
    "portfolio_beta",
    "basket_beta",
    "best_hedge",
    "two_leg_hedge",
    "TwoLegHedge",
    # backtest
    "backtest",
    "BacktestResult",
    "BacktestSummary",
    "BACKTEST_COLUMNS",
    "BACKTEST_SUMMARY_LABELS",
    "POLICIES",
    # data
    "load_prices",
    "load_funding",
]
