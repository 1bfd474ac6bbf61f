"""hedgecore: size and stress-test perpetual-futures hedges of altcoin baskets.

Above all inverse (coin-margined) perpetuals such as Binance ``ETHUSD_PERP``:
contract counts from a USD face value, collateral-aware hedge notionals,
margin and liquidation prices, funding, betas and stress scenarios.
"""

from __future__ import annotations

from .collateral import collateral_for_liquidation
from .contracts import CONTRACT_COLUMNS, CONTRACT_TYPES, TIER_COLUMNS, ContractSpec, catalog, get_contract, load_catalog
from .errors import (
    BelowMaintenanceError,
    DataError,
    HedgecoreError,
    InvalidInputError,
    UnknownContractError,
    WorkbookError,
)
from .funding import annualised_funding_rate, funding_cost_usd, funding_intervals, funding_payment
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
from .prices import load_funding, load_prices
from .rebalance import Rebalance, rebalance
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
    "BelowMaintenanceError",
    # contracts
    "CONTRACT_TYPES",
    "CONTRACT_COLUMNS",
    "TIER_COLUMNS",
    "ContractSpec",
    "catalog",
    "get_contract",
    "load_catalog",
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
    "margin_brackets",
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
    "SCENARIO_RISK_COLUMNS",
    "scenario_pnl",
    "HedgePlan",
    "hedge_plan",
    "PLAN_RISK_LABELS",
    # margin to post, the trade to make now
    "collateral_for_liquidation",
    "rebalance",
    "Rebalance",
    # residual (basis) risk
    "residual_returns",
    "residual_band",
    "ResidualBand",
    "hedged_volatility",
    "beta_drift",
    "BetaDrift",
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
    # data
    "load_prices",
    "load_funding",
]
