"""Benchmark hedgecore.backtest against a plain per-day pandas loop that implements the same rules.

Run from the repository root:  nice python benchmarks/bench_backtest.py [--rounds 15] [--quick]

Cases
1. 10 assets x 3 years daily, threshold rebalancing (10 % of notional, 3-day cooldown, 5 bps fee,
   2 bps slippage), the bundled Binance ETHUSDT funding history, hedged with binance:ETHUSD_PERP:
   the real closes in data/market/prices_daily (SOL AVAX DOT LINK ADA XRP BNB DOGE TRX BTC, 2021-01-03
   to 2023-12-31 incl. the 90-day beta warm-up; 10,000 USD of each and three times that in ETH
   collateral at the opening close). hedgecore vs the per-day loop, and both must agree.
2. 1 asset x 5 years of hourly data: synthetic paths (fixed seed 20240409; geometric Brownian motion,
   hedge coin 75 %/year, asset beta 1.3 + 50 %/year idiosyncratic; highs = close x (1 + |N(0, 0.4 %)|);
   a constant funding rate of +0.01 % per 8 h), 720-hour rolling beta, threshold rebalancing, highs
   tested for liquidation.
3. Scaling: synthetic daily (10 assets) and hourly (1 asset) paths at 1x, 2x and 4x the number of rows.

Variants are interleaved round by round (benchmarks/_harness.py: A B, then B A, ...); the medians of the
times and of the per-round ratios are printed with their spread (IQR and range), the machine, its load
and the library versions. The reference loop is also imported by tests/test_backtest_data.py,
which checks it agrees with hedgecore.backtest to 1e-9 on the bundled data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # hedgecore and _harness, also when tests import this file

import hedgecore as hc  # noqa: E402
from _harness import compare, header  # noqa: E402
from hedgecore.errors import InvalidInputError  # noqa: E402

DATA = ROOT / "data" / "market"
TEN = ["SOL", "AVAX", "DOT", "LINK", "ADA", "XRP", "BNB", "DOGE", "TRX", "BTC"]
DAY = pd.Timedelta(days=1)


# --------------------------------------------------------------------------- the reference loop


def _reference_betas(value: pd.Series, hedge: pd.Series, hedge_ratio, window: int, halflife: float) -> pd.Series:
    if not isinstance(hedge_ratio, str):
        return pd.Series(float(hedge_ratio), index=value.index)
    r_v, r_h = value.pct_change(), hedge.pct_change()
    if hedge_ratio == "rolling":
        betas = r_v.rolling(window).cov(r_h) / r_h.rolling(window).var()
    else:
        betas = r_v.ewm(halflife=halflife).cov(r_h) / r_h.ewm(halflife=halflife).var()
        betas.iloc[:window] = np.nan
    return betas.ffill()


def _reference_funding(funding, close: pd.DatetimeIndex, interval_hours: float) -> pd.Series:
    """Summed rate per row: a settlement goes to the first row whose close is at or after it."""
    if funding is None:
        return pd.Series(0.0, index=range(len(close)))
    if isinstance(funding, pd.Series):
        when = funding.index.tz_convert("UTC").tz_localize(None) if funding.index.tz is not None else funding.index
        rates = pd.Series(funding.to_numpy(dtype=float), index=when)
    else:
        step = pd.Timedelta(hours=interval_hours)
        when = pd.date_range(close[0].ceil(step), close[-1], freq=step)
        rates = pd.Series(float(funding), index=when)
    rows = close.searchsorted(rates.index, side="left")
    keep = (rows > 0) & (rows < len(close))
    return rates[keep].groupby(rows[keep]).sum().reindex(range(len(close)), fill_value=0.0)


def reference_backtest(prices: pd.DataFrame, quantities: dict, contract: str, *, collateral: float,
                       hedge_ratio="rolling", window: int = 90, halflife: float = 30.0, policy: str = "threshold",
                       threshold: float = 0.1, drift: str = "notional", every_days: float = 7.0,
                       cooldown_days: float = 0.0, min_trade_usd: float = 0.0, fee_bps: float = 5.0,
                       slippage_bps: float = 0.0, funding=None, maintenance_rate: float = 0.005,
                       high: pd.Series | None = None, start=None, end=None, reopen_after_days=None,
                       rounding: str = "nearest", contract_step: float = 1.0) -> pd.DataFrame:
    """The same rules as hedgecore.backtest, one day at a time with pandas and the core's scalar functions.

    Catalog contracts only; one maintenance rate (pass the same ``maintenance_rate`` and
    ``contract_step`` to hedgecore.backtest when comparing, whatever the catalog says).
    """
    spec = hc.get_contract(contract)
    kind, size, coin = spec.contract_type, spec.contract_size, spec.base_asset
    table = prices[list(dict.fromkeys([*quantities, coin]))].dropna()
    value = (table[list(quantities)] * pd.Series(quantities)).sum(axis=1)
    betas = _reference_betas(value, table[coin], hedge_ratio, window, halflife)
    keep = betas.notna()
    if start is not None:
        keep &= table.index >= pd.Timestamp(start)
    if end is not None:
        keep &= table.index <= pd.Timestamp(end)
    first = keep.to_numpy().argmax()
    rows = table.index[first:][keep.to_numpy()[first:]]
    price, basket, beta = table[coin].loc[rows], value.loc[rows], betas.loc[rows]
    bar = pd.Series(table.index).diff().median()
    rates = _reference_funding(funding, rows + bar, spec.funding_interval_hours)
    tested = price if high is None else np.maximum(high.reindex(rows).fillna(price), price)

    def notional(n: float, p: float) -> float:
        return hc.hedged_notional(n, p, size, contract_type=kind)

    def liquidation_at(p0: float, n: float, m: float) -> float:
        """The short's liquidation price; ``p0`` itself when the margin is below maintenance there."""
        try:
            lp = hc.liquidation_price(p0, n, m, side="short", contract_type=kind, contract_size=size,
                                      maintenance_rate=maintenance_rate)
        except InvalidInputError:
            return p0
        return max(lp, p0)

    def target(i: int, m: float) -> float:
        q = hc.hedge_notional(basket.iloc[i], price.iloc[i], hedge_ratio=beta.iloc[i], contract_type=kind,
                              collateral_coin=max(m, 0.0) if kind == "inverse" else 0.0)
        return max(q, 0.0)

    out = []
    n, m = 0.0, float(collateral)
    last_trade = reopen_at = None
    dead = False
    next_mark = rows[0] + every_days * DAY
    for i, day in enumerate(rows):
        p = price.iloc[i]
        fee = deposit = 0.0
        traded = liquidated = False
        funding_usd = 0.0
        if i > 0:
            p_prev = price.iloc[i - 1]
            if n > 0:
                paid = hc.funding_payment(notional(n, p_prev) if kind == "inverse" else n * size * p, rates.iloc[i],
                                          side="short", contract_type=kind, mark_price_usd=p)
                m -= paid
                funding_usd = paid * p if kind == "inverse" else paid
                lp = liquidation_at(p_prev, n, m)
                if tested.iloc[i] >= lp or lp <= p_prev:
                    n, m, dead, liquidated = 0.0, 0.0, True, True
                    reopen_at = None if reopen_after_days is None else day + reopen_after_days * DAY
                elif kind == "inverse":
                    m += hc.inverse_pnl_coin(n * size, p_prev, p, side="short")
                else:
                    m += hc.linear_pnl(n * size, p_prev, p, side="short")
        scheduled = False
        if day >= next_mark and i > 0:
            scheduled = True
            while next_mark <= day:
                next_mark += every_days * DAY
        wanted = target(i, m)
        if dead and reopen_at is not None and day >= reopen_at:
            m += collateral
            deposit = collateral * (p if kind == "inverse" else 1.0)
            dead, reopen_at = False, None
            act = True
            wanted = target(i, m)
        elif i == 0:
            act = True
        elif dead or policy == "none":
            act = False
        else:
            gap = abs(wanted - notional(n, p))
            act = gap > 0 and gap >= min_trade_usd
            if last_trade is not None and cooldown_days > 0:
                act = act and (day - last_trade) >= cooldown_days * DAY
            if policy == "periodic":
                act = act and scheduled
            else:
                base = wanted if drift == "notional" else basket.iloc[i]
                act = act and (gap / base if base > 0 else np.inf) > threshold
        if act:
            raw = hc.contracts_for_notional(wanted, p, size, contract_type=kind, rounding="none")
            count = hc.round_contracts(raw / contract_step, rounding) * contract_step
            if count != n:
                fee = notional(abs(count - n), p) * (fee_bps + slippage_bps) / 1e4
                m -= fee / p if kind == "inverse" else fee
                n, last_trade, traded = count, day, True
        lp_now = np.inf if n == 0 else liquidation_at(p, n, m)
        margin_usd = m * p if kind == "inverse" else m
        out.append({"date": day, "contracts": n, "margin_balance": m, "target_notional_usd": wanted,
                    "liquidation_price_usd": lp_now, "hedged_usd": basket.iloc[i] + margin_usd,
                    "unhedged_usd": basket.iloc[i] + (collateral * p if kind == "inverse" else collateral),
                    "funding_usd": funding_usd, "fee_usd": fee, "deposit_usd": deposit, "trade": traded,
                    "liquidated": liquidated})
    return pd.DataFrame(out).set_index("date")


# --------------------------------------------------------------------------- inputs


def real_daily() -> tuple[pd.DataFrame, dict, pd.Series]:
    prices = hc.load_prices(DATA / "prices_daily", assets=TEN + ["ETH"]).loc[:"2023-12-31"]
    opening = prices.iloc[90]  # the first close with a 90-day beta (2021-04-03)
    quantities = {c: 10_000.0 / opening[c] for c in TEN}  # 10,000 USD of each when the hedge opens
    funding = hc.load_funding(DATA / "funding" / "ETH-USDT_binance_2020-01-01_2024-01-01_funding_history.csv")
    return prices, quantities, funding


def synthetic(n_rows: int, n_assets: int, freq: str, seed: int = 20240409):
    """Fixed-seed GBM closes (hedge coin 'ETH' + assets) and hedge-coin highs."""
    rng = np.random.default_rng(seed)
    per_year = 365.0 if freq == "D" else 8_760.0
    z = rng.normal(0.0, 0.75 / np.sqrt(per_year), n_rows)
    index = pd.date_range("2019-01-01", periods=n_rows, freq=freq)
    data = {"ETH": 2_000.0 * np.exp(np.cumsum(z))}
    for k in range(n_assets):
        r = 1.3 * z + rng.normal(0.0, 0.5 / np.sqrt(per_year), n_rows)
        data[f"A{k}"] = 10.0 * np.exp(np.cumsum(r))
    prices = pd.DataFrame(data, index=index)
    high = prices["ETH"] * (1.0 + np.abs(rng.normal(0.0, 0.004, n_rows)))
    quantities = {f"A{k}": 1_000.0 for k in range(n_assets)}
    return prices, quantities, high


DAILY_OPTS = dict(policy="threshold", threshold=0.1, cooldown_days=3.0, fee_bps=5.0, slippage_bps=2.0,
                  maintenance_rate=0.005, contract_step=1.0)


def case_daily_real():
    prices, quantities, funding = real_daily()
    collateral = 3 * 100_000.0 / prices["ETH"].iloc[90]  # three times the basket's opening value, in ETH
    kwargs = dict(collateral=collateral, funding=funding, **DAILY_OPTS)
    ours = lambda: hc.backtest(prices, quantities, "binance:ETHUSD_PERP", collateral_coin=collateral,  # noqa: E731
                               funding=funding, **DAILY_OPTS)
    ref = lambda: reference_backtest(prices, quantities, "binance:ETHUSD_PERP", **kwargs)  # noqa: E731
    return ours, ref


def case_synthetic(n_rows: int, n_assets: int, freq: str):
    prices, quantities, high = synthetic(n_rows, n_assets, freq)
    collateral = 2.0 * 1_000.0 * 10.0 * n_assets / 2_000.0  # twice the basket's opening value, in ETH
    window = 90 if freq == "D" else 720
    opts = dict(policy="threshold", threshold=0.1, cooldown_days=1.0, fee_bps=5.0, funding=0.0001, window=window,
                maintenance_rate=0.005, contract_step=1.0)
    ours = lambda: hc.backtest(prices, quantities, "binance:ETHUSD_PERP", collateral_coin=collateral,  # noqa: E731
                               high=high, **opts)
    ref = lambda: reference_backtest(prices, quantities, "binance:ETHUSD_PERP", collateral=collateral,  # noqa: E731
                                     high=high, **opts)
    return ours, ref


# --------------------------------------------------------------------------- timing


def agree(result, ref: pd.DataFrame) -> float:
    """Largest relative difference over the shared daily columns (asserted <= 1e-9)."""
    d = result.daily
    worst = 0.0
    for col in ("contracts", "margin_balance", "target_notional_usd", "hedged_usd", "unhedged_usd"):
        a, b = d[col].to_numpy(), ref[col].to_numpy()
        worst = max(worst, float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))))
    assert (d["trade"].to_numpy() == ref["trade"].to_numpy()).all()
    assert (d["liquidated"].to_numpy() == ref["liquidated"].to_numpy()).all()
    assert worst <= 1e-9, worst
    return worst


def compare_loop(title: str, ours, ref, rounds: int) -> None:
    """hedgecore against the per-day loop, interleaved round by round (benchmarks/_harness.py)."""
    result, frame = ours(), ref()
    worst = agree(result, frame)
    res = compare({"per-day pandas loop": ref, "hedgecore.backtest": ours}, baseline="hedgecore.backtest",
                  rounds=rounds, min_time=0.05)
    s = result.summary
    print(f"\n{title}: {len(result.daily):,} rows, {s.trades} trades, {s.liquidations} liquidations; "
          f"agreement {worst:.1e} (<= 1e-9)")
    for name in res.wall:
        print(f"  {name:22s} {res.time(name).format('.2f', 1e3)} ms")
    print(f"  ratio loop / hedgecore: {res.ratio('per-day pandas loop')}x per round (goal >= 20x)")


def scaling(title: str, n_rows: int, n_assets: int, freq: str, rounds: int) -> None:
    variants = {f"{k}x ({k * n_rows:,} rows)": case_synthetic(k * n_rows, n_assets, freq)[0] for k in (1, 2, 4)}
    names = list(variants)
    res = compare(variants, baseline=names[0], rounds=rounds, min_time=0.05)
    print(f"\n{title}")
    medians = [res.time(n).median for n in names]
    for name in names:
        print(f"  {name:22s} {res.time(name).format('.2f', 1e3)} ms   {res.ratio(name).format('.2f')}x the 1x time")
    per_1k = [(medians[i + 1] - medians[i]) / (2**i * n_rows) * 1e6 for i in range(2)]
    print(f"  added time per 1,000 rows: 1x->2x {per_1k[0]:.2f} ms, 2x->4x {per_1k[1]:.2f} ms "
          f"(linear: equal; fixed cost {(2 * medians[0] - medians[1]) * 1e3:.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="hourly reference over 1 year instead of 5")
    args = parser.parse_args()
    print(header(f"hedgecore.backtest vs a per-day pandas loop (hedgecore {hc.__version__})"))
    compare_loop("1. 10 assets x 3 years daily (real data, ETHUSD_PERP, funding history)", *case_daily_real(),
                 args.rounds)
    hours = 8_760 * (1 if args.quick else 5)
    compare_loop(f"2. 1 asset x {hours // 8_760} years hourly (synthetic, highs tested)",
                 *case_synthetic(hours, 1, "h"), max(5, args.rounds // 3))
    scaling("3a. scaling, 10 assets daily (synthetic)", 1_095, 10, "D", args.rounds)
    scaling("3b. scaling, 1 asset hourly (synthetic)", 10_950, 1, "h", args.rounds)


if __name__ == "__main__":
    main()
