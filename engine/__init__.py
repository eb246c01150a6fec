"""Headless core of candleterm: bar columns, sessions, aggregation, live builders, indicators.

Nothing in this package imports Qt, pyqtgraph, DuckDB or the other candleterm layers; an
import-linter contract run by the test suite proves it.
"""
