import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import indicators as ind
from engine.indicators import batch
from engine.indicators.registry import REGISTRY, Placement, spec
from tests import indicator_reference as ref
from tests.conftest import make_bars

PERIODS = [1, 2, 3, 9, 14, 30]


def prices(n=300, seed=0, gaps=False, constant=False):
    rng = np.random.default_rng(seed)
    close = np.full(n, 50.0) if constant else 100 + np.cumsum(rng.normal(0, 1, n))
    high = close + (0 if constant else rng.uniform(0, 1, n))
    low = close - (0 if constant else rng.uniform(0, 1, n))
    volume = rng.integers(1, 100, n).astype(float)
    if gaps:
        for arr in (close, high, low):
            arr[[40, 41, 150]] = np.nan
    return high, low, close, volume


def same(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=1e-9, atol=1e-9)


CASES = [dict(), dict(gaps=True), dict(constant=True), dict(n=5), dict(n=0)]


@pytest.mark.parametrize("n", PERIODS)
@pytest.mark.parametrize("case", CASES, ids=["walk", "nan-gaps", "constant", "short", "empty"])
def test_kernels_match_reference(n, case):
    h, lo, c, v = prices(**case)
    same(ind.sma(c, n), ref.sma(list(c), n))
    same(ind.ema(c, n), ref.ema(list(c), n))
    same(ind.rsi(c, n), ref.rsi(list(c), n))
    same(ind.atr(h, lo, c, n), ref.atr(list(h), list(lo), list(c), n))
    for got, want in zip(ind.bollinger(c, n, 2.0), ref.bollinger(list(c), n, 2.0), strict=True):
        same(got, want)
    for got, want in zip(ind.rolling_high_low(h, lo, n), ref.rolling_high_low(list(h), list(lo), n),
                         strict=True):  # fmt: skip
        same(got, want)
    sessions = np.arange(len(c)) // 37
    same(ind.vwap(h, lo, c, v, sessions), ref.vwap(list(h), list(lo), list(c), list(v), sessions))


@pytest.mark.parametrize(
    ("fast", "slow", "signal"), [(12, 26, 9), (3, 10, 16), (26, 12, 9), (1, 1, 1)]
)
@pytest.mark.parametrize("case", CASES[:3], ids=["walk", "nan-gaps", "constant"])
def test_macd_matches_reference(fast, slow, signal, case):
    _, _, c, _ = prices(**case)
    for got, want in zip(ind.macd(c, fast, slow, signal), ref.macd(list(c), fast, slow, signal),
                         strict=True):  # fmt: skip
        same(got, want)


@pytest.mark.parametrize("n", [2, 5, 14, 30])
def test_kernels_match_talib(n):
    talib = pytest.importorskip("talib")
    h, lo, c, _ = prices(600, seed=n)
    same(ind.sma(c, n), talib.SMA(c, n))
    same(ind.ema(c, n), talib.EMA(c, n))
    same(ind.rsi(c, n), talib.RSI(c, n))
    same(ind.atr(h, lo, c, n), talib.ATR(h, lo, c, n))
    upper, mid, lower = talib.BBANDS(c, n, 2.0, 2.0, 0)
    for got, want in zip(ind.bollinger(c, n, 2.0), (mid, upper, lower), strict=True):
        same(got, want)
    same(ind.rolling_high_low(h, lo, n)[0], talib.MAX(h, n))
    same(ind.rolling_high_low(h, lo, n)[1], talib.MIN(lo, n))
    for got, want in zip(ind.macd(c, 12, 26, 9), talib.MACD(c, 12, 26, 9), strict=True):
        same(got, want)
    flat = np.full(60, 7.0)
    same(ind.rsi(flat, n), talib.RSI(flat, n))


@pytest.mark.parametrize("seed", range(5))
def test_trend_state_matches_plain_loop(seed):
    h, lo, c, _ = prices(800, seed=seed)
    signals = batch.trend_signals(h, lo, c, 20)
    for confirm, expire in ((5, 30), (0, 1), (50, 200)):
        want = ref.trend_machine(*(list(s) for s in signals), confirm, expire)
        same(ind.trend_state(h, lo, c, 20, confirm, expire), want)  # the fused pass
        same(batch.trend_state_from_signals(*signals, confirm, expire), want)
    states = set(ind.trend_state(h, lo, c).tolist())
    assert states <= {1.0, -1.0, 0.5, -0.5, 0.0} and {1.0, -1.0} <= states


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ind.sma([1.0, 2.0], 0), "period 0 must be a whole number >= 1"),
        (lambda: ind.ema([[1.0]], 3), "values must be 1-D"),
        (lambda: ind.atr([1.0], [1.0, 2.0], [1.0], 3), "inputs differ in length"),
        (lambda: ind.bollinger([1.0], 3, -1), "band width -1"),
        (lambda: spec("ichimoku"), "unknown indicator 'ichimoku'"),
        (lambda: spec("rsi").resolve(period=0), "period 0 is outside 1..5000"),
        (lambda: spec("rsi").resolve(length=3), "rsi has no parameter length"),
        (lambda: spec("bollinger").resolve(k_std="2"), "k_std must be a number"),
    ],
)
def test_bad_input_is_explained(call, message):
    with pytest.raises(ValueError, match=message):
        call()


bar_series = st.tuples(
    st.integers(1, 120),
    st.integers(0, 2**31),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(shape=bar_series, key=st.sampled_from(sorted(REGISTRY)), small=st.booleans())
def test_incremental_equals_batch_at_every_bar(shape, key, small):
    n, seed, gaps = shape
    bars = make_bars(n, seed=seed % 1000)
    high, low, close, volume = (bars.high.copy(), bars.low.copy(), bars.close.copy(),
                                bars.volume.copy())  # fmt: skip
    if gaps and key != "trend" and n > 10:
        for arr in (high, low, close):
            arr[n // 3] = np.nan
    sessions = np.arange(n) // 17
    indicator = spec(key)
    params = {p.name: (3 if small else p.default) if p.integer else p.default
              for p in indicator.params}  # fmt: skip
    if key == "trend":
        params.update(confirm=2, expire=4) if small else None
    gapped = type(bars)(bars.ts_ns, bars.open, high, low, close, volume)
    want = indicator.run(gapped, sessions, **params)
    live = indicator.start(**params)
    rng = np.random.default_rng(seed)
    for i in range(n):
        row = (high[i], low[i], close[i], volume[i], int(sessions[i]))
        junk = (high[i] + rng.normal(), low[i] - 1, close[i] + rng.normal(), 5.0, row[4])
        live.peek(*junk)  # a tick before the bar's final values: must change nothing
        peeked = live.peek(*row)
        sealed = live.seal(*row)
        expected = [want[name][i] for name in indicator.outputs]
        same(peeked, expected)
        same(sealed, expected)


def test_registry_describes_every_indicator():
    assert set(REGISTRY) == {"sma", "ema", "bollinger", "vwap", "channel", "rsi", "macd", "atr",
                             "trend"}  # fmt: skip
    for indicator in REGISTRY.values():
        assert indicator.placement in Placement
        defaults = indicator.resolve()
        bars = make_bars(200)
        out = indicator.run(bars, np.zeros(200, np.int64), **defaults)
        assert set(out) == set(indicator.outputs)
        assert all(len(v) == 200 for v in out.values())


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_live_indicator_on_the_forming_bar_equals_the_batch(key):
    from engine.bars import COLUMNS, Bars
    from engine.buckets import session_keys
    from engine.indicators.live import LiveIndicator
    from engine.sessions import calendar

    cal = calendar("cme-globex")
    bars = make_bars(6000, start_ns=int(np.datetime64("2024-03-03T23:00", "ns").astype(np.int64)))
    keep = cal.is_in_session(bars.ts_ns)
    bars = Bars(*(getattr(bars, c)[keep] for c in COLUMNS))
    full = REGISTRY[key].run(bars, session_keys(cal, bars.ts_ns))
    live = LiveIndicator(key, {}, cal, warm_bars=3000)
    for n in (1, 50, 4000, 4001, 4003, 4500, len(bars)):
        if n == 4500:
            live.reset()
        for name, value in live.update(bars[:n]).items():
            np.testing.assert_allclose(value, full[name][n - 1], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{key}.{name} at bar {n - 1}")  # fmt: skip


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_indicators_start_again_after_a_gap_batch_and_live(key):
    """History of January 2024, then live bars of November 2026: no average runs across."""
    from engine.bars import concat
    from engine.gaps import gap_threshold_ns
    from engine.indicators.live import LiveIndicator
    from engine.sessions import calendar

    old = make_bars(400)
    new = make_bars(300, start_ns=int(np.datetime64("2026-11-29T10:00", "ns").astype(np.int64)),
                    seed=3)  # fmt: skip
    bars = concat([old, new])
    gap_ns = gap_threshold_ns("1m")
    spec_ = REGISTRY[key]
    full = spec_.run(bars, None, gap_ns)
    alone = spec_.run(new)
    for name in spec_.outputs:  # after the gap: as if the history did not exist
        np.testing.assert_allclose(full[name][400:], alone[name], rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(full[name][:400], spec_.run(old)[name], equal_nan=True)
    if key == "sma":
        assert np.isnan(full["sma"][400:419]).all() and not np.isnan(full["sma"][419])
    live = LiveIndicator(key, {}, calendar("24x7"), gap_ns=gap_ns)
    for n in (300, 399, 400, 401, 450, 700):  # across the gap, tick by tick and in jumps
        for name, value in live.update(bars[:n]).items():
            np.testing.assert_allclose(
                value,
                full[name][n - 1],
                rtol=1e-9,
                atol=1e-12,
                equal_nan=True,
                err_msg=f"{key}.{name} at bar {n - 1}",
            )
    fresh = LiveIndicator(key, {}, calendar("24x7"), gap_ns=gap_ns)  # warmed over the gap
    for name, value in fresh.update(bars[:450]).items():
        np.testing.assert_allclose(value, full[name][449], rtol=1e-9, atol=1e-12, equal_nan=True)
