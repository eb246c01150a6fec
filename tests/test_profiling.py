"""The benchmarks stay runnable: a quick run executes every timed action and its check.

The profiling suite (tests/test_suite.py) runs their scenarios in the default run; these
whole-benchmark quick runs are left to `pytest -m slow`."""

import json

import pytest

from profiling import bench_store


@pytest.mark.slow  # a benchmark's run, as the others below: out of the default run
def test_store_benchmark_quick_run(tmp_path, capsys):
    assert bench_store.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "load latest 10,000" in out and "slow: ORDER BY" in out
    report = json.loads((tmp_path / "bench_store_quick.json").read_text())
    assert {b["name"] for b in report["benchmarks"]} >= {"load latest 100,000"}


@pytest.mark.slow
def test_engine_benchmark_quick_run(tmp_path, capsys):
    from profiling import bench_engine

    assert bench_engine.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("resample", "on_tick", "on_ticks", "open-price cache", "align"):
        assert name in out
    report = json.loads((tmp_path / "bench_engine_quick.json").read_text())
    assert report["open_cache"]["cache_queries_first_minute"] <= 4
    assert report["open_cache"]["cache_queries_per_minute_steady"] < 1


@pytest.mark.slow
def test_chart_benchmark_quick_run(tmp_path, capsys):
    from profiling import bench_chart

    assert bench_chart.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("open a chart as a new window", "open a chart in the terminal window",
                 "pan/zoom frame", "live tick", "layered", "memory"):  # fmt: skip
        assert name in out


@pytest.mark.slow
def test_indicator_benchmark_quick_run(tmp_path, capsys):
    from profiling import bench_indicators

    assert bench_indicators.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("in the worker", "incremental update", "shared memory", "while the worker",
                 "killed"):  # fmt: skip
        assert name in out


@pytest.mark.slow
def test_live_benchmark_quick_run(tmp_path, capsys):
    from profiling import bench_live

    assert bench_live.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("steady 10k ticks/s", "burst 100k", "soak", "repaint per tick", "cold start"):
        assert name in out
    report = json.loads((tmp_path / "bench_live_quick.json").read_text())
    assert report["steady"]["ticks_per_s"] > 5000


@pytest.mark.slow
def test_exchange_benchmark_quick_run(tmp_path, capsys):
    from profiling import bench_exchange

    assert bench_exchange.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("fetch page of 1,000 1m bars", "live trade to forming candle on screen",
                 "outage"):  # fmt: skip
        assert name in out
    report = json.loads((tmp_path / "bench_exchange_quick.json").read_text())
    assert report["facts"]["bars"] == 50_000
