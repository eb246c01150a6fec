"""Adapters to the outside world: the bar stores, file import/export, demo data, feeds.

Nothing in this package imports Qt or the view layers (import-linter contract).

Reading bars from Python (a notebook, a script), also while the terminal runs on the store:

    from data import open_store
    with open_store("~/.local/share/candleterm/store.duckdb", read_only=True) as store:
        bars = store.load("ES", "1m", limit=10_000)   # Bars: numpy columns
        table = store.table("ES", "1m")               # a pyarrow Table (while it runs)
"""


def __getattr__(name: str):
    if name == "open_store":  # loaded on use: `import data` stays light
        from data.store.port import open_store

        return open_store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
