"""The bar store: bars of every symbol and timeframe in one embedded DuckDB file
(`bar_store`), the file under it (`files`), where each stretch of bars came from
(`provenance`), instruments, the derived higher timeframes, the live bars' writer (`persist`)
and the repair of a damaged file."""

from data.store.bar_store import BarStore, StoreError
from data.store.instruments import Instrument, check_symbol

__all__ = ["BarStore", "Instrument", "StoreError", "check_symbol"]
