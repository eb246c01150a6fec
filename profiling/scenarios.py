"""The profiling suite's scenarios: each times what the user does the fast way and the slow
way it replaced, in the same process and run, with a correctness check beside every timing,
and splits the fast (and slow) action into stages for the latency-budget waterfall. Made of
`profiling.scenario_kit`; the chart's in `scenarios_chart`, the engine's in
`scenarios_engine`.
"""

from __future__ import annotations

from collections.abc import Callable

from profiling.bench_many import many_symbols_scenario
from profiling.scenario_kit import Result
from profiling.scenarios_alerts import alerts
from profiling.scenarios_chart import layered, memory, open_chart, pan_zoom
from profiling.scenarios_drawings import drawings
from profiling.scenarios_engine import (
    align,
    forming_bar,
    indicators,
    live,
    open_prices,
    rolling_high_low,
    worker,
)
from profiling.scenarios_watchlist import watchlist

SCENARIOS: dict[str, Callable[[bool], Result]] = {
    "open-chart": open_chart,
    "layered": layered,
    "pan-zoom": pan_zoom,
    "indicators": indicators,
    "align": align,
    "rolling-high-low": rolling_high_low,
    "forming-bar": forming_bar,
    "open-prices": open_prices,
    "worker": worker,
    "live": live,
    "memory": memory,
    "watchlist": watchlist,
    "many-symbols": many_symbols_scenario,
    "alerts": alerts,
    "drawings": drawings,
}
