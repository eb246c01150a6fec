"""Adapters to the outside world: the DuckDB bar store, file import/export, demo data, feeds.

Nothing in this package imports Qt or the view layers (import-linter contract).
"""
