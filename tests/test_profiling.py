"""The benchmarks stay runnable: a quick run executes every timed action and its check."""

import json

from profiling import bench_store


def test_store_benchmark_quick_run(tmp_path, capsys):
    assert bench_store.main(["--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "load latest 10,000" in out and "slow: ORDER BY" in out
    report = json.loads((tmp_path / "bench_store_quick.json").read_text())
    assert {b["name"] for b in report["benchmarks"]} >= {"load latest 100,000"}
