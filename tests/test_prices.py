"""Tests of hedgecore.data.files: CSV layouts, ticker naming, alignment and error messages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hedgecore.errors import DataError
from hedgecore.data.files import load_funding, load_prices

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "market"
FUNDING = DATA_DIR / "funding" / "BTC-USDT_binance_2020-01-01_2024-01-01_funding_history.csv"


def write(path: Path, text: str) -> Path:
    path.write_text(text.lstrip("\n"))
    return path


# ----------------------------------------------------------------- real data


def test_folder_layout_real_data():
    df = load_prices(DATA_DIR / "prices_daily")
    assert sorted(df.columns) == ["ADA", "AVAX", "BNB", "BTC", "DOGE", "DOT", "ETH", "LINK", "SOL", "TON", "TRX", "XRP"]
    assert isinstance(df.index, pd.DatetimeIndex) and df.index.name == "Date"
    assert df.index.is_monotonic_increasing and df.index.is_unique
    assert (df.dtypes == np.float64).all()
    assert len(df) == 1193 and df.index[0] == pd.Timestamp("2021-01-03") and df.index[-1] == pd.Timestamp("2024-04-09")
    # SOURCES.md sanity table (spot closes)
    assert round(df.loc["2022-11-09", "BTC"]) == 15881
    assert round(df.loc["2022-11-09", "SOL"], 2) == 13.94
    assert round(df.loc["2021-01-03", "ETH"], 1) == 975.5
    # TON starts 2021-09-11 (942 rows): outer join leaves NaN before
    assert df["TON"].notna().sum() == 942 and df["TON"].first_valid_index() == pd.Timestamp("2021-09-11")


def test_assets_filter_and_list_of_files():
    folder = DATA_DIR / "prices_daily"
    df = load_prices(folder, assets=["eth", "BTC"])
    assert list(df.columns) == ["ETH", "BTC"]
    df2 = load_prices([folder / "BTC-USD.csv", folder / "ETH-USD.csv"], column="open")
    assert list(df2.columns) == ["BTC", "ETH"]
    assert df2.loc["2021-01-03", "BTC"] == pytest.approx(32129.408203)
    with pytest.raises(DataError, match="assets not found: FOO"):
        load_prices(folder, assets=["FOO"])


def test_load_funding_utc_and_floor():
    s = load_funding(FUNDING)
    assert s.name == "BTC-USDT" and len(s) == 4383
    assert str(s.index.tz) == "UTC"
    assert s.index[0] == pd.Timestamp("2020-01-01 00:00", tz="UTC")
    assert s.index[-1] == pd.Timestamp("2023-12-31 16:00", tz="UTC")
    assert set(s.index.hour) == {0, 8, 16} and (s.index == s.index.floor("h")).all()
    assert s.iloc[0] == pytest.approx(-0.00012359)
    assert s.min() == pytest.approx(-0.003) and s.max() == pytest.approx(0.003)  # SOURCES.md: old ±0.3 % caps


def test_load_funding_jitter_and_errors(tmp_path):
    f = write(tmp_path / "f.csv", """
Symbol,Date,Funding Rate
ETH-USDT,2021-01-01 03:00:00.001,0.0001
ETH-USDT,2021-01-01 11:00:00.000,0.0002
""")
    s = load_funding(f)
    assert list(s.index) == [pd.Timestamp("2021-01-01 00:00", tz="UTC"), pd.Timestamp("2021-01-01 08:00", tz="UTC")]
    bad = write(tmp_path / "g.csv", "Symbol,Date,Funding Rate\nETH-USDT,2021-01-01 03:00:00,oops\n")
    with pytest.raises(DataError, match=r"g\.csv line 2 column Funding Rate: cannot read number 'oops'"):
        load_funding(bad)
    with pytest.raises(DataError, match="not found"):
        load_funding(tmp_path / "nope.csv")


# ----------------------------------------------------------------- layouts


def test_wide_file(tmp_path):
    f = write(tmp_path / "wide.csv", "Date,BTC,ETH\n2024-01-01,42000,\n2024-01-02,43000,2300\n")
    df = load_prices(f)
    assert list(df.columns) == ["BTC", "ETH"]
    assert df["BTC"].tolist() == [42000.0, 43000.0]
    assert np.isnan(df["ETH"].iloc[0]) and df["ETH"].iloc[1] == 2300.0


def test_ticker_from_file_name_and_outer_join(tmp_path):
    write(tmp_path / "SOL-USD.csv", "Date,Close\n2024-01-01,100\n2024-01-02,101\n")
    write(tmp_path / "TON.csv", "Date,Close\n2024-01-02,2.5\n2024-01-03,null\n2024-01-04,2.6\n")
    df = load_prices(tmp_path)
    assert list(df.columns) == ["SOL", "TON"]
    assert list(df.index.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]
    assert np.isnan(df.loc["2024-01-01", "TON"]) and np.isnan(df.loc["2024-01-03", "TON"])
    assert np.isnan(df.loc["2024-01-04", "SOL"]) and df.loc["2024-01-02", "TON"] == 2.5


def test_duplicate_ticker(tmp_path):
    (tmp_path / "a").mkdir()
    write(tmp_path / "a" / "BTC-USD.csv", "Date,Close\n2024-01-01,1\n")
    write(tmp_path / "BTC.csv", "Date,Close\n2024-01-01,1\n")
    with pytest.raises(DataError, match="asset BTC appears twice"):
        load_prices([tmp_path / "a", tmp_path / "BTC.csv"])


# ----------------------------------------------------------------- errors name file, line and column


@pytest.mark.parametrize(
    "body, pattern",
    [
        ("Date,Close\n2024-01-01,1\n2024-01-01,2\n",
         r"X-USD\.csv line 3 column Date: duplicated date 2024-01-01 \(also on line 2\)"),
        ("Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-01,3\n",
         r"X-USD\.csv line 4 column Date: dates must be increasing, 2024-01-01 comes after 2024-01-03"),
        ("Date,Close\n2024-01-01,1\n2024-13-45,2\n", r"X-USD\.csv line 3 column Date: cannot read date '2024-13-45'"),
        ("Date,Open,Close\n2024-01-01,1,1\n2024-01-02,1,abc\n",
         r"X-USD\.csv line 3 column Close: cannot read number 'abc'"),
        ("Date,Close\n2024-01-01,1\n\n2024-01-02,2,3\n", r"X-USD\.csv line 4: 3 fields, expected 2"),
        ("Day,Close\n2024-01-01,1\n", r"X-USD\.csv: no column 'Date'"),
    ],
    ids=["duplicate", "unsorted", "bad-date", "bad-value", "ragged", "no-date"],
)
def test_error_messages(tmp_path, body, pattern):
    f = write(tmp_path / "X-USD.csv", body)
    with pytest.raises(DataError, match=pattern):
        load_prices(f)
    with pytest.raises(DataError, match=pattern):
        load_prices(tmp_path)


def test_wide_file_bad_value_names_column(tmp_path):
    f = write(tmp_path / "w.csv", "Date,BTC,ETH\n2024-01-01,1,2\n2024-01-02,3,n.a.\n")
    with pytest.raises(DataError, match=r"w\.csv line 3 column ETH: cannot read number 'n\.a\.'"):
        load_prices(f)


def test_missing_file_and_empty_folder(tmp_path):
    with pytest.raises(DataError, match=r"price file not found: .*nope\.csv"):
        load_prices(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="no CSV files"):
        load_prices(tmp_path)
