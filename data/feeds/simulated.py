"""The simulated market: a TickSource of random ticks that trade like the series they
continue (its typical 1-minute volume and spread), in its sessions."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from engine.sessions import SessionCalendar
from engine.units import NS_PER_S

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
    and the spread of returns follow `profile` on average, whatever the tick rate.

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
        steps = self.rng.standard_t(_T_DOF, n) * sigma
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
