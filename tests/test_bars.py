import numpy as np
import pytest

from engine.bars import COLUMNS, Bars, concat
from tests.conftest import make_bars


def test_from_arrays_converts_to_contiguous_columns():
    bars = Bars.from_arrays([1, 2, 3], [1, 2, 3], [2, 3, 4], [0, 1, 2], [1.5, 2.5, 3.5])
    assert bars.ts_ns.dtype == np.int64
    for name in COLUMNS[1:]:
        column = getattr(bars, name)
        assert column.dtype == np.float64
        assert column.flags.c_contiguous
    assert np.array_equal(bars.volume, np.zeros(3))
    assert len(bars) == 3


def test_slicing_gives_views_not_copies():
    bars = make_bars(100)
    part = bars[10:20]
    assert len(part) == 10
    for name in COLUMNS:
        assert np.shares_memory(getattr(part, name), getattr(bars, name))
    assert part.ts_ns[0] == bars.ts_ns[10]


def test_integer_index_is_refused():
    with pytest.raises(TypeError, match="sliced"):
        make_bars(3)[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["ts_ns"].__setitem__(3, c["ts_ns"][2]), r"row 3: ts_ns .* not after"),
        (lambda c: c["high"].__setitem__(4, np.nan), r"row 4: high is nan"),
        (lambda c: c["close"].__setitem__(5, np.inf), r"row 5: close is inf"),
        (lambda c: c["low"].__setitem__(6, c["high"][6] + 1), r"row 6: high .* < low"),
        (
            lambda c: (
                c["low"].__setitem__(7, max(c["open"][7], c["close"][7]) - 1e-9)
                if c["open"][7] != c["close"][7]
                else None
            ),
            r"row 7: low .* > min\(open",
        ),
        (lambda c: c["volume"].__setitem__(8, -1.0), r"row 8: volume -1.0 is negative"),
    ],
)
def test_validation_names_the_first_bad_row_and_value(change, message):
    columns = {k: v.copy() for k, v in make_bars(20).columns().items()}
    change(columns)
    with pytest.raises(ValueError, match=message):
        Bars.from_arrays(*(columns[name] for name in COLUMNS))


def test_high_below_body_is_named():
    with pytest.raises(ValueError, match=r"row 0: high 1.5 < max\(open 1.0, close 2.0\)"):
        Bars.from_arrays([0], [1.0], [1.5], [0.5], [2.0])


def test_length_mismatch_is_refused():
    with pytest.raises(ValueError, match="column 'close' has shape"):
        Bars.from_arrays([1, 2], [1, 1], [1, 1], [1, 1], [1])


def test_trusted_constructor_checks_dtypes():
    with pytest.raises(ValueError, match="column 'open'"):
        Bars(np.zeros(2, np.int64), np.zeros(2, np.float32), *(np.zeros(2) for _ in range(4)))


def test_concat_and_equals():
    bars = make_bars(50)
    assert concat([bars[:20], bars[20:]]).equals(bars)
    assert not bars.equals(bars[1:])
    assert len(concat([])) == 0


def test_latest_per_time_keeps_the_last_version_of_each_time():
    from engine.bars import latest_per_time

    a = make_bars(5)
    b = make_bars(3, start_ns=int(a.ts_ns[3]), seed=9)  # times 3, 4 again and one later
    got = latest_per_time([a, b])
    want = {int(t): i for i, t in enumerate(a.ts_ns)}
    rows = {int(t): ("a", i) for t, i in want.items()}
    rows.update({int(t): ("b", i) for i, t in enumerate(b.ts_ns)})
    assert got.ts_ns.tolist() == sorted(rows)
    for k, t in enumerate(got.ts_ns.tolist()):
        part, i = rows[t]
        assert got.close[k] == (a if part == "a" else b).close[i]


def test_the_compiled_bar_merge_follows_the_one_rule():
    """`merge_ohlcv` is the rule; the live builders' compiled `merge_nb` must agree."""
    from engine.bars import merge_ohlcv
    from engine.live_kernels import FIRST, LAST, merge_nb

    rng = np.random.default_rng(5)
    for _ in range(200):
        first, last = sorted(rng.integers(0, 100, 2).tolist())
        o, c = rng.uniform(90, 110, 2).tolist()
        bar = (o, max(o, c) + 1.0, min(o, c) - 1.0, c, 5.0, first, last)
        t = int(rng.integers(-10, 110))
        p, q = float(rng.uniform(80, 120)), float(rng.uniform(0, 3))
        ist = np.zeros((1, 6), np.int64)
        ist[0, FIRST], ist[0, LAST] = first, last
        fst = np.array([bar[:5]], np.float64)
        merge_nb(ist, fst, 0, (t, p, p, p, p, q))
        want = merge_ohlcv(bar, (p, p, p, p, q, t, t))
        assert (*fst[0].tolist(), int(ist[0, FIRST]), int(ist[0, LAST])) == want
