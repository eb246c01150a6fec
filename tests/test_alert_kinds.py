"""Alerts on indicator conditions and on drawn lines: evaluated on every tick, following their
drawings, kept in the store with the symbol and armed again after a restart."""

import numpy as np
import pytest

from app.alerts import Alerts
from engine import indicators
from engine.alert_specs import AlertSpec, alert_from_saved
from engine.drawings import Drawing, DrawingBook
from engine.indicator_alerts import IndicatorAlert
from engine.sessions import calendar
from engine.units import NS_PER_MIN, NS_PER_S
from tests.conftest import T0_NS, make_bars

RSI = AlertSpec("r", "indicator", indicator="rsi", params=(("period", 14),), output="rsi",
                timeframe="1m", op="above", threshold=60.0)  # fmt: skip


def ticks_after(history, minutes: int, seed: int = 5):
    """Ticks every 2 s for `minutes` after the history, a random walk from its last close."""
    rng = np.random.default_rng(seed)
    start = int(history.ts_ns[-1]) + NS_PER_MIN
    ts = start + np.arange(minutes * 30, dtype=np.int64) * 2 * NS_PER_S
    price = float(history.close[-1]) + np.cumsum(rng.normal(0, 0.08, len(ts)))
    return ts, price


def rsi_reference(history, ts, price):
    """Each tick's RSI(14) of 1m, plainly: the batch RSI over the history's closes, the
    closes of the minutes complete before the tick's and the tick's price."""
    out = []
    minute = ts // NS_PER_MIN * NS_PER_MIN
    for i in range(len(ts)):
        done = np.flatnonzero(np.diff(minute[: i + 1]) > 0)  # last tick of each complete minute
        closes = np.concatenate((history.close, price[done], [price[i]]))
        out.append(indicators.rsi(closes, 14)[-1])
    return np.array(out)


def test_an_indicator_condition_is_evaluated_on_every_tick_as_the_reference():
    history = make_bars(400)
    ts, price = ticks_after(history, 12)
    want = rsi_reference(history, ts, price)
    alert = IndicatorAlert(RSI, calendar("24x7"), history)
    got = []
    for k in range(len(ts)):  # tick by tick ...
        alert.on_ticks(ts[k : k + 1], price[k : k + 1])
        got.append(alert.value)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # ... and it fires on the first tick that crosses, whatever the batches
    threshold = float(np.quantile(want, 0.7))
    spec = AlertSpec("r", "indicator", indicator="rsi", params=(("period", 14),), output="rsi",
                     timeframe="1m", op="above", threshold=threshold, once=False)  # fmt: skip
    crossing = np.flatnonzero((want[:-1] <= threshold) & (want[1:] > threshold)) + 1
    assert len(crossing) >= 2
    for batch in (1, 7, 500):
        every = IndicatorAlert(spec, calendar("24x7"), history)
        fired = []
        for a in range(0, len(ts), batch):
            fired += every.on_ticks(ts[a : a + batch], price[a : a + batch])
        assert [t for t, _, _ in fired] == ts[crossing].tolist()
    once = IndicatorAlert(dataclass_once(spec), calendar("24x7"), history)
    fired = once.on_ticks(ts, price)
    assert [t for t, _, _ in fired] == [int(ts[crossing[0]])]


def dataclass_once(spec: AlertSpec) -> AlertSpec:
    return alert_from_saved({**spec.saved(), "once": True})


def test_indicator_conditions_on_an_hourly_timeframe_seal_their_bars():
    history = make_bars(60 * 40)  # 40 hours
    ts, price = ticks_after(history, 150)
    spec = AlertSpec("s", "indicator", indicator="sma", params=(("period", 5),), output="sma",
                     timeframe="1h", op="crosses", threshold=100.0)  # fmt: skip
    alert = IndicatorAlert(spec, calendar("24x7"), history)
    alert.on_ticks(ts, price)
    hours = np.concatenate((history.ts_ns, ts)) // (60 * NS_PER_MIN)
    closes = np.concatenate((history.close, price))
    last_of_hour = np.flatnonzero(np.diff(hours) > 0)
    hourly = np.concatenate((closes[last_of_hour], [closes[-1]]))
    assert alert.value == pytest.approx(hourly[-5:].mean(), rel=1e-12)


def test_alert_specs_check_their_values():
    for given, message in [
        (dict(kind="bell"), "kind 'bell' is not one of level, drawing, indicator"),
        (dict(kind="level", price=-1.0), "alert price -1.0 must be a positive number"),
        (dict(kind="drawing"), "name the drawing it follows"),
        (dict(kind="indicator", indicator="nope"), "unknown indicator 'nope'"),
        (
            dict(
                kind="indicator",
                indicator="rsi",
                params=(("period", 0),),
                output="rsi",
                threshold=1.0,
            ),
            "period 0 is outside",
        ),
        (dict(kind="indicator", indicator="rsi", output="x", threshold=1.0), "no output 'x'"),
        (
            dict(kind="indicator", indicator="rsi", output="rsi", op="near", threshold=1.0),
            "condition 'near' is not one of",
        ),
    ]:
        with pytest.raises(ValueError, match=message):
            AlertSpec("a", **given)
    assert alert_from_saved(RSI.saved()) == RSI
    with pytest.raises(ValueError, match="unknown fields colour"):
        alert_from_saved({**RSI.saved(), "colour": "red"})


def test_drawing_alerts_follow_their_drawings_and_outlive_a_restart(store):
    store.write_bars("AAA", "1m", make_bars(100))
    trend = Drawing("t", "trend", ((T0_NS, 90.0), (T0_NS + 10 * NS_PER_MIN, 91.0)))
    rect = Drawing("r", "rect", ((T0_NS, 90.0), (T0_NS + 1, 91.0)))
    books = {"AAA": DrawingBook([Drawing("h", "hline", ((T0_NS, 100.0),)), trend, rect])}

    def alerts_on(store):
        return Alerts(store, lambda s: calendar("24x7"), lambda s, i: books[s].get(i))

    alerts = alerts_on(store)
    hline = alerts.add_on_drawing("AAA", "h")
    every = alerts.add_on_drawing("AAA", "h", once=False)
    with pytest.raises(ValueError, match="follows a horizontal line, a trend line or a ray"):
        alerts.add_on_drawing("AAA", "r")
    with pytest.raises(ValueError, match="drawing zz of AAA is gone"):
        alerts.add_on_drawing("AAA", "zz")
    assert [s.id for s in store.alerts("AAA")] == [hline.id, every.id]
    books["AAA"].replace(Drawing("h", "hline", ((T0_NS, 105.0),)))  # moved up
    assert alerts.follow_drawings("AAA") == []
    t = T0_NS + NS_PER_MIN * 200
    assert alerts.on_ticks("AAA", np.array([t]), np.array([99.0])) == []  # armed
    assert alerts.on_ticks("AAA", np.array([t + 1]), np.array([101.0])) == []  # 100: moved
    fired = alerts.on_ticks("AAA", np.array([t + 2, t + 3, t + 4]), np.array([106.0, 104, 106]))
    want = [(hline.id, t + 2), (every.id, t + 2), (every.id, t + 3), (every.id, t + 4)]
    assert [(f.alert.id, f.ts_ns) for f in fired] == want
    assert [s.id for s in store.alerts("AAA")] == [every.id]  # the once-alert is spent
    # a restart: the every-time alert is armed again, on the line where it is now
    again = alerts_on(store)
    assert again.load() == []
    again.on_ticks("AAA", np.array([t + 5]), np.array([104.0]))
    fired = again.on_ticks("AAA", np.array([t + 6]), np.array([105.5]))
    assert [f.alert.id for f in fired] == [every.id]
    # the drawing deleted: its alert goes, and says so
    books["AAA"].remove("h")
    (said,) = again.follow_drawings("AAA")  # named by its line (it said "drawing h")
    assert said == (
        "alert \u201cAAA crosses horizontal line 105.00 (every time)\u201d "
        "removed: its line was deleted"
    )
    assert store.alerts("AAA") == []


def test_alerts_on_a_drawn_line_and_an_indicator_in_the_window(qtbot, store, window, settings):
    from app.alert_dialog import IndicatorAlertDialog
    from tests.test_socket_symbols import send, socket_chart

    with socket_chart(qtbot, store, window, settings) as (controller, port, now):
        assert controller.surface.add_drawing_alert() is None
        assert "select a horizontal line" in window.statusBar().currentMessage()
        tools = controller.chart.drawings
        tools.book.add(Drawing("h", "hline", ((now, 100.5),)))
        tools.refresh()
        tools.select("h")
        assert controller.surface.add_drawing_alert() is not None
        dialog = IndicatorAlertDialog("AAA", "1m")
        dialog.indicator.setCurrentIndex(dialog.indicator.findData("sma"))
        dialog._spins["period"].setValue(1)  # the close itself: crosses when price does
        dialog.op.setCurrentIndex(dialog.op.findData("below"))
        dialog.threshold.setValue(99.5)
        assert controller.surface.add_indicator_alert(dialog.spec()) is not None
        armed = controller.surface.alerts.armed
        assert sorted(armed.item(k).text() for k in range(armed.count())) == [
            "AAA SMA 1 1m crosses below 99.5", "AAA crosses horizontal line 100.50"]  # fmt: skip
        send(port, [{"symbol": "AAA", "ts": now + k + 1, "price": p}
                    for k, p in enumerate([100.2, 100.7, 99.0])])  # fmt: skip
        history = controller.surface.alerts.history
        qtbot.waitUntil(lambda: history.count() == 2, timeout=5000)
        said = [history.item(k).text().split("  ", 1)[1] for k in range(2)][::-1]
        assert said == ["AAA crosses horizontal line 100.50: 100.70",
                        "AAA SMA 1 1m crosses below 99.5: 99.00 (sma 99.00)"]  # fmt: skip
        assert store.alerts("AAA") == []  # both were once-alerts


def test_alerts_write_prices_as_the_chart_does():
    """An alert at 97,123.45 is not written 97123.4 (Python's 6 significant digits), nor one
    at 100,012.50 as 100012: prices with the symbol's decimals, thresholds as typed."""
    from engine.alert_specs import AlertSpec
    from engine.drawings import Drawing

    level = AlertSpec("a", "level", price=97123.45)
    assert level.describe("BTC", None, 2) == "BTC crosses 97,123.45"
    assert level.describe("BTC") == "BTC crosses 97,123.45"  # no instrument: every digit
    line = Drawing("t", "trend", ((1, 97123.45), (2, 100012.5)))
    on_line = AlertSpec("b", "drawing", once=False, drawing="t")
    assert (on_line.describe("BTC", line, 2)
            == "BTC crosses trend line 97,123.45 \u2192 100,012.50 (every time)")  # fmt: skip
    rsi = AlertSpec("c", "indicator", indicator="rsi", params=(("period", 14),), output="rsi",
                    threshold=70.0)  # fmt: skip
    assert rsi.describe("BTC", None, 2).endswith("crosses above 70")
    # the decimals of the chart's tags: the tick's, at least two (a 0.5 tick: 9,709.50)
    from engine.price_text import tick_decimals

    assert [tick_decimals(t) for t in (0.5, 0.25, 50.0, 1e-5)] == [2, 2, 2, 5]
    assert level.describe("BTC", None, tick_decimals(0.5)) == "BTC crosses 97,123.45"
