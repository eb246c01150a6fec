"""The simulated market: a TickSource of random ticks that trade like the series they
continue (its typical 1-minute volume and spread), in its sessions; the symbols simulated
together move together (a common market factor, `MarketFactor`)."""

from __future__ import annotations

import dataclasses
import math
import threading

import numpy as np

from engine.sessions import SessionCalendar
from engine.units import NS_PER_DAY, NS_PER_MIN, NS_PER_S

STEP_NS = 10_000_000  # the simulation advances in 10 ms steps


@dataclasses.dataclass(frozen=True)
class MarketProfile:
    """How a series trades, per 1-minute bar: the typical volume and the typical spread of
    log returns (a simulation of the series matches its own history, not a constant)."""

    minute_volume: float = 60.0
    minute_sigma: float = 2e-4

    def __post_init__(self) -> None:
        for name in ("minute_volume", "minute_sigma"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} {value!r} must be a positive number")

    @classmethod
    def of(cls, close: np.ndarray, volume: np.ndarray) -> MarketProfile:
        """The profile of recent 1-minute bars: the median volume of the bars that traded
        and a robust (median absolute deviation) spread of the close-to-close log returns."""
        traded = volume[volume > 0]
        minute_volume = float(np.median(traded)) if len(traded) else cls.minute_volume
        returns = np.diff(np.log(close[close > 0]))
        mad = float(np.median(np.abs(returns - np.median(returns)))) if len(returns) > 1 else 0.0
        minute_sigma = 1.4826 * mad if mad > 0 else cls.minute_sigma
        return cls(minute_volume, minute_sigma)


CORRELATION = 0.5  # of two symbols' 1-minute returns, through the common factor
FACTOR_KEEP_NS = 10 * NS_PER_MIN  # the factor's path kept behind its newest time


class MarketFactor:
    """The market's common move: one Brownian path W(t) (variance 1 a minute) that every
    symbol sharing it sees at its ticks' times. Made as it is asked for, on STEP_NS steps
    (linear between them), the last FACTOR_KEEP_NS of it kept; a time a day past its end
    (another clock) starts it again. Thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._t0 = 0  # time of _w[0]
        self._w = np.zeros(0)

    def at(self, ts_ns: np.ndarray) -> np.ndarray:
        """W at each time (times before the kept path: its first value)."""
        ts = np.asarray(ts_ns, dtype=np.int64)
        if len(ts) == 0:
            return np.empty(0)
        with self._lock:
            newest = int(ts.max())
            if len(self._w) == 0 or newest - self._end() > NS_PER_DAY:
                self._t0 = int(ts.min()) // STEP_NS * STEP_NS
                self._w = np.zeros(1)
            more = -(-(newest - self._end()) // STEP_NS)
            if more > 0:
                shocks = self._rng.normal(0.0, math.sqrt(STEP_NS / NS_PER_MIN), more)
                self._w = np.concatenate((self._w, self._w[-1] + np.cumsum(shocks)))
            drop = max(0, (newest - FACTOR_KEEP_NS - self._t0) // STEP_NS)
            if drop:
                self._w, self._t0 = self._w[drop:], self._t0 + drop * STEP_NS
            grid = self._t0 + np.arange(len(self._w), dtype=np.int64) * STEP_NS
            return np.interp(ts, grid, self._w)

    def _end(self) -> int:
        return self._t0 + (len(self._w) - 1) * STEP_NS


_T_DOF = 4  # tick returns are Student-t with this many degrees of freedom (fat tails)
_QTY_SIGMA = 0.8  # spread of log trade sizes
# log volatility: an AR(1) per 10 ms step; its stationary variance, taken out so that the
# mean variance of returns is the profile's
_VOL_KEEP, _VOL_SHOCK = 0.999, 0.02
_VOL_VAR = _VOL_SHOCK**2 / (1 - _VOL_KEEP**2)


class SimulatedMarket:
    """A market that continues from `price`: ticks arrive with a self-exciting (Hawkes-like)
    intensity, so activity comes in bursts; prices follow a random walk on the tick grid whose
    volatility clusters; nothing trades outside the calendar's sessions. Per minute, volume
    and the spread of returns follow `profile` on average, whatever the tick rate. With a
    `factor`, CORRELATION of that spread's variance is the factor's move (shared with every
    symbol on the same factor), the rest its own.

    `generate(t0, t1)` is a pure step of the simulation (same seed, same ticks)."""

    def __init__(
        self,
        price: float,
        calendar: SessionCalendar,
        tick_size: float,
        rate: float = 100.0,
        seed: int | None = None,
        excitation: float = 0.6,
        decay_s: float = 2.0,
        profile: MarketProfile = MarketProfile(),
        factor: MarketFactor | None = None,
    ) -> None:
        if not (price > 0 and math.isfinite(price)):
            raise ValueError(f"start price {price!r} must be a positive number")
        if not 0 <= excitation < 1:
            raise ValueError(f"excitation {excitation!r} must lie in [0, 1)")
        self.calendar = calendar
        self.tick_size = tick_size
        self.price = price
        self.profile = profile
        self.rng = np.random.default_rng(seed)
        self.excitation = excitation
        self.decay_s = decay_s
        self.rate = self.intensity = rate  # the long-run mean: the rate holds from the start
        self.set_rate(rate)
        self.log_vol = 0.0
        self.factor = factor
        self._own = 1.0 if factor is None else math.sqrt(1.0 - CORRELATION)
        self._w_last: float | None = None  # the factor at the last tick

    def now_ns(self, wall_ns: int) -> int:
        return wall_ns

    def state(self, paused: bool) -> str:
        return f"simulated {'paused' if paused else 'live'}"

    def set_rate(self, rate: float) -> None:
        """The average ticks a second, from now on (the base rate is scaled so that the
        bursts' extra ticks bring the mean to `rate`, and the current intensity with it: left
        to climb from the base rate, the first several seconds ran at about half the rate)."""
        if not 1 <= rate <= 100_000:
            raise ValueError(f"rate {rate!r} must be between 1 and 100000 ticks a second")
        self.intensity *= rate / self.rate
        self.rate = rate
        self.base_rate = rate * (1 - self.excitation)
        ticks_per_min = rate * 60.0
        # per tick: variance adds up to the minute's; the t distribution's variance is
        # dof / (dof - 2) times its scale squared
        self.tick_sigma = self.profile.minute_sigma / math.sqrt(
            ticks_per_min * _T_DOF / (_T_DOF - 2)
        )
        self.mean_qty = self.profile.minute_volume / ticks_per_min
        self.qty_step = 10.0 ** (math.floor(math.log10(self.mean_qty)) - 1)

    def generate(self, t0_ns: int, t1_ns: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ticks in [t0, t1), in time order."""
        stamps, vols = [], []
        for start in range(t0_ns, t1_ns, STEP_NS):
            stop = min(start + STEP_NS, t1_ns)
            dt = (stop - start) / NS_PER_S
            k = self.rng.poisson(self.intensity * dt)
            # each tick excites future arrivals; the excitation fades with decay_s over the
            # step's own length (a feed thread asks for steps shorter than STEP_NS)
            keep = math.exp(-dt / self.decay_s)
            jump = self.excitation * k / self.decay_s
            self.intensity = self.base_rate + (self.intensity - self.base_rate) * keep + jump
            if k:
                stamps.append(np.sort(self.rng.integers(start, stop, k)))
                vols.append(np.full(k, self.log_vol))
            self.log_vol = _VOL_KEEP * self.log_vol + self.rng.normal(0, _VOL_SHOCK)
        if not stamps:
            empty = np.empty(0)
            return empty.astype(np.int64), empty, empty
        ts = np.concatenate(stamps).astype(np.int64)
        inside = self.calendar.is_in_session(ts)
        ts = ts[inside]
        n = len(ts)
        sigma = self.tick_sigma * np.exp(np.concatenate(vols)[inside] - _VOL_VAR)
        steps = self.rng.standard_t(_T_DOF, n) * sigma * self._own
        if self.factor is not None and n:
            w = self.factor.at(ts)
            before = w[0] if self._w_last is None else self._w_last
            common = self.profile.minute_sigma * math.sqrt(CORRELATION)
            steps += common * np.diff(w, prepend=before)
            self._w_last = float(w[-1])
        # the walk goes on off the grid (rounding each step back would pin a slow market
        # to its price); the ticks are its prices rounded to the grid
        walk = self.price * np.exp(np.cumsum(steps))
        prices = np.maximum(np.round(walk / self.tick_size) * self.tick_size, self.tick_size)
        if n:
            self.price = float(walk[-1])
        # log-normal sizes with mean `mean_qty`, on a step a tenth of its order of magnitude
        raw = self.mean_qty * self.rng.lognormal(-(_QTY_SIGMA**2) / 2, _QTY_SIGMA, n)
        sizes = np.maximum(np.round(raw / self.qty_step), 1.0) * self.qty_step
        return ts, prices, sizes
