"""How prices become the price pane's y: as they are, or as their logarithm (the log scale,
where equal percentage moves look equal). The items that draw prices map them through the
pane's PriceMap; everything else (legends, the crosshair's values) keeps the prices."""

from __future__ import annotations

import dataclasses
import math

import numpy as np


@dataclasses.dataclass(frozen=True)
class PriceMap:
    log: bool = False

    def array(self, prices: np.ndarray) -> np.ndarray:
        """View y of each price (NaN for a price the log scale cannot show, <= 0)."""
        if not self.log:
            return prices
        prices = np.asarray(prices, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(np.where(prices > 0, prices, np.nan))

    def value(self, price: float) -> float:
        if not self.log:
            return price
        return math.log10(price) if price > 0 else math.nan

    def price(self, y: float) -> float:
        """The price at view y."""
        return 10.0**y if self.log else y


LINEAR = PriceMap(log=False)
LOG = PriceMap(log=True)
