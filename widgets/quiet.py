"""Items that move often (the crosshair's lines) without making the view refit.

pyqtgraph tells a ViewBox whenever one of its items moves, and the ViewBox answers by
scheduling an auto-range and repainting all of itself. These items take no part in the
view's bounds, so they skip that: a tick or a mouse move repaints only what they cover."""

from __future__ import annotations

import pyqtgraph as pg


class _Quiet:
    def informViewBoundsChanged(self) -> None:
        """Deliberately nothing: this item does not count towards the view's bounds."""


class QuietLine(_Quiet, pg.InfiniteLine):
    pass
