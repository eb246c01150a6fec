"""Price alerts against a plain reference: every tick, every alert, in order."""

import numpy as np
import pytest

from engine.alerts import Fired, PriceAlerts


def reference(levels, lines, ts, prices, batches):
    """levels: [(id, price, once)]; lines: [(id, t0, p0, t1, p1, once, extend)]. The price
    before the first tick arms them; ticks in batches make no difference."""
    fired = []
    armed = {a[0] for a in levels} | {a[0] for a in lines}
    side = {}
    last = None
    for t, p in zip(ts.tolist(), prices.tolist(), strict=True):
        for alert_id, level, once in levels:
            if last is not None and alert_id in armed and (last < level <= p or last > level >= p):
                fired.append(Fired(alert_id, t, p))
                if once:
                    armed.discard(alert_id)
        for alert_id, t0, p0, t1, p1, once, extend in lines:
            if alert_id not in armed or t < t0 or (not extend and t > t1):
                continue
            now = np.sign(p - (p0 + (p1 - p0) / (t1 - t0) * (t - t0)))
            before = side.get(alert_id)
            side[alert_id] = now
            if before is not None and (before < 0 <= now or before > 0 >= now):
                fired.append(Fired(alert_id, t, p))
                if once:
                    armed.discard(alert_id)
        last = p
    return fired


@pytest.mark.parametrize("seed", range(8))
def test_alerts_fire_as_the_reference_whatever_the_batches(seed):
    rng = np.random.default_rng(seed)
    n = 2000
    ts = 1_700_000_000_000_000_000 + np.cumsum(rng.integers(1, 10**9, n))
    prices = np.round(100 + np.cumsum(rng.normal(0, 0.3, n)), 1)  # repeats, exact touches
    alerts = PriceAlerts(fired_capacity=int(rng.integers(1, 64)))  # refills on the way
    levels = []
    for _ in range(int(rng.integers(1, 300))):
        price, once = float(np.round(rng.uniform(90, 110), 1)), bool(rng.random() < 0.5)
        levels.append((alerts.add_level(price, once), price, once))
    lines = []
    for _ in range(int(rng.integers(0, 6))):
        t0 = int(ts[int(rng.integers(0, n // 2))])
        t1 = t0 + int(rng.integers(10**9, 10**12))
        p0, p1 = (float(x) for x in rng.uniform(95, 105, 2))
        once, extend = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        lines.append((alerts.add_line(t0, p0, t1, p1, once, extend), t0, p0, t1, p1, once,
                      extend))  # fmt: skip
    got = []
    for part in np.array_split(np.arange(n), np.sort(rng.integers(0, n, 20))):
        got += alerts.on_ticks(ts[part], prices[part])
    want = reference(levels, lines, ts, prices, None)
    key = lambda f: (f.ts_ns, f.alert_id)  # noqa: E731 (within a tick the order is free)
    assert sorted(got, key=key) == sorted(want, key=key)
    assert len(want) > 0


def test_a_once_alert_fires_once_and_a_past_touch_never():
    alerts = PriceAlerts()
    once = alerts.add_level(101.0)
    every = alerts.add_level(99.0, once=False)
    assert alerts.on_ticks(np.array([1]), np.array([101.0])) == []  # armed at this price
    fired = alerts.on_ticks(np.arange(2, 8), np.array([102.0, 100.0, 102.0, 98.0, 100.0, 98.0]))
    assert fired == [Fired(once, 3, 100.0), Fired(every, 5, 98.0), Fired(every, 6, 100.0),
                     Fired(every, 7, 98.0)]  # fmt: skip
    assert len(alerts) == 1  # the once-alert left
    alerts.remove(every)
    assert alerts.on_ticks(np.array([9]), np.array([120.0])) == []
    with pytest.raises(KeyError, match="no alert 99"):
        alerts.remove(99)
    with pytest.raises(ValueError, match="alert price -1.0 must be a positive number"):
        alerts.add_level(-1.0)
    with pytest.raises(ValueError, match="must come after its first"):
        alerts.add_line(10, 1.0, 10, 2.0)


def test_a_line_is_straight_in_session_time_as_on_the_chart():
    """Drawn on Monday's last hour (100 at 15:00, 101 at 15:30 New York), the line stands at
    102 at the close and goes on from there on Tuesday's open (as on the bar axis), not at
    the 137 the clock's 18 hours would give."""
    from engine.sessions import calendar

    def at(text):
        return int(np.datetime64(text, "ns").astype(np.int64))

    alerts = PriceAlerts(calendar("us-equity"))
    line = alerts.add_line(at("2024-03-04T20:00"), 100.0, at("2024-03-04T20:30"), 101.0)
    ts = np.array([at("2024-03-04T20:59"), at("2024-03-05T14:30"), at("2024-03-05T14:31")])
    assert alerts.on_ticks(ts[:1], np.array([101.0])) == []  # below the line (101.97)
    fired = alerts.on_ticks(ts[1:], np.array([101.9, 102.5]))
    assert fired == [Fired(line, int(ts[2]), 102.5)]  # the line: 102.0, then 102.03
    with pytest.raises(ValueError, match="lie in no session of us-equity"):
        alerts.add_line(at("2024-03-09T15:00"), 1.0, at("2024-03-09T16:00"), 2.0)  # Saturday
