import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.aggregate import resample
from engine.align import align, enclosing_index, span_of
from engine.buckets import bucket_grid, rule_for
from engine.sessions import calendar
from tests.conftest import make_bars
from tests.reference import enclosing_index_reference, span_of_reference

sorted_unique = st.lists(st.integers(-1000, 1000), max_size=200, unique=True).map(
    lambda v: np.array(sorted(v), dtype=np.int64)
)


@settings(max_examples=200, deadline=None)
@given(lower=sorted_unique, higher=sorted_unique)
def test_kernels_match_searchsorted(lower, higher):
    assert np.array_equal(enclosing_index(lower, higher), enclosing_index_reference(lower, higher))
    got, want = span_of(lower, higher), span_of_reference(lower, higher)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


@pytest.mark.parametrize("timeframe", ["5m", "1h", "4h", "1d", "1w"])
def test_enclosing_bar_is_the_bucket_of_each_base_bar(timeframe):
    base = make_bars(20_000, start_ns=int(np.datetime64("2024-03-01", "ns").astype(np.int64)))
    cal = calendar("cme-globex")
    higher = resample(base, timeframe, cal)
    grid = bucket_grid(cal, int(base.ts_ns[0]), int(base.ts_ns[-1]))
    labels, _ = grid.buckets(rule_for(timeframe), base.ts_ns)
    ix = enclosing_index(base.ts_ns, higher.ts_ns)
    in_session = labels >= 0
    assert np.array_equal(higher.ts_ns[ix[in_session]], labels[in_session])
    first, last = span_of(base.ts_ns, higher.ts_ns)
    # Each higher bar but the first (its session opened before the data) starts on a base bar.
    assert np.all(base.ts_ns[first[1:]] == higher.ts_ns[1:])
    assert base.ts_ns[first[0]] >= higher.ts_ns[0]
    assert np.all(last >= first)
    assert align(base.ts_ns, {timeframe: higher.ts_ns})[timeframe].tolist() == ix.tolist()


def test_unsorted_input_is_refused():
    with pytest.raises(ValueError, match="higher times must be strictly increasing"):
        enclosing_index(np.arange(3), np.array([2, 1]))


@pytest.mark.parametrize("cal_name", ["24x7", "cme-globex", "cn-futures", "us-equity"])
def test_session_keys_change_exactly_with_the_trading_day(cal_name):
    from engine.buckets import session_keys

    bars = make_bars(30_000, start_ns=int(np.datetime64("2024-03-01", "ns").astype(np.int64)))
    cal = calendar(cal_name)
    keys = session_keys(cal, bars.ts_ns)
    days = cal.trading_day(bars.ts_ns).astype(np.int64)
    assert np.array_equal(keys[1:] != keys[:-1], days[1:] != days[:-1])
