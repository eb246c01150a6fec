import numpy as np
import pytest

from data.demo import DEMO_INSTRUMENTS, YEAR_NS, create_demo_store, generate, session_minutes
from engine.sessions import calendar
from engine.volatility import ar1
from tests.reference import ar1_reference

END_NS = int(np.datetime64("2025-06-02T00:00", "ns").astype(np.int64))
MONTH_NS = YEAR_NS // 12


@pytest.mark.parametrize("spec", DEMO_INSTRUMENTS, ids=lambda s: s.symbol)
def test_demo_bars_are_valid_in_session_and_deterministic(spec):
    bars = generate(spec, END_NS - MONTH_NS, END_NS, seed=3)
    bars.validate()
    assert len(bars) > 1000
    assert calendar(spec.calendar).is_in_session(bars.ts_ns).all()
    assert np.all(bars.volume > 0)
    on_grid = np.abs(bars.close / spec.tick_size - np.round(bars.close / spec.tick_size))
    assert on_grid.max() < 1e-6
    again = generate(spec, END_NS - MONTH_NS, END_NS, seed=3)
    assert bars.equals(again)
    assert not bars.equals(generate(spec, END_NS - MONTH_NS, END_NS, seed=4))


def test_demo_volatility_clusters():
    bars = generate(DEMO_INSTRUMENTS[0], END_NS - 3 * MONTH_NS, END_NS)
    size = np.abs(np.diff(np.log(bars.close)))
    lag1 = np.corrcoef(size[:-1], size[1:])[0, 1]
    assert lag1 > 0.1  # big moves follow big moves


def test_session_minutes_cover_each_session_exactly():
    start = int(np.datetime64("2024-01-08T00:00", "ns").astype(np.int64))
    ts, position = session_minutes("cn-futures", start, start + 7 * 86_400 * 10**9)
    # Monday 2024-01-08 08:00 Shanghai .. a week later: Monday's night session (Friday 5th)
    # is before the start, but Friday 12th's night session (Monday 15th's) is inside:
    # 225 + 4 * 345 + 120 minutes.
    assert len(ts) == 225 + 4 * 345 + 120
    assert position.min() == 0.0 and position.max() < 1.0


def test_create_demo_store(store):
    n = create_demo_store(store, END_NS, years=0.05)
    assert n == sum(store.count(s, "1m") for s in store.symbols())
    assert store.symbols() == sorted(s.symbol for s in DEMO_INSTRUMENTS)
    assert store.instrument("RB").calendar == "cn-futures"


def test_full_demo_size_is_over_two_million_bars():
    start = END_NS - 2 * YEAR_NS
    total = sum(len(session_minutes(s.calendar, start, END_NS)[0]) for s in DEMO_INSTRUMENTS)
    assert total > 2_000_000


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.99, -0.3])
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_ar1_kernel_matches_reference(phi, n):
    shocks = np.random.default_rng(n).normal(size=n)
    np.testing.assert_allclose(ar1(shocks, phi), ar1_reference(shocks, phi), rtol=1e-12)


def test_ar1_rejects_non_stationary_phi():
    with pytest.raises(ValueError, match="phi 1.0"):
        ar1(np.zeros(3), 1.0)
