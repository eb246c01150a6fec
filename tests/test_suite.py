"""The profiling suite: its regression check, its report and docs, and a quick run of every
scenario with the check against the committed baseline (the CI regression guard)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main as cli_main
from profiling import suite
from profiling.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent


def stats(name: str, p50: float) -> dict:
    return {"name": name, "runs": 5, "p50_ms": p50, "p95_ms": p50 * 1.2, "max_ms": p50 * 1.5,
            "target_ms": None, "p99_ms": None, "judged": "p50"}  # fmt: skip


def scenario(fast: float, slow: float | None) -> dict:
    return {"title": "t", "fast": stats("fast way", fast),
            "slow": None if slow is None else stats("  slow: the old way", slow),
            "speedup": None if slow is None else slow / fast, "rows": [], "stages": {},
            "facts": {}}  # fmt: skip


def report(**scenarios) -> dict:
    return {"quick": True, "when": "now", "machine": {"cpus": 2}, "scenarios": scenarios}


def test_check_fails_on_a_lost_speedup_and_only_warns_on_absolute_times():
    baseline = suite.baseline_of(report(a=scenario(1.0, 100.0), b=scenario(2.0, 20.0),
                                        c=scenario(5.0, None)))  # fmt: skip
    same = report(a=scenario(3.0, 300.0), b=scenario(2.5, 22.0), c=scenario(5.5, None))
    assert suite.check(same, baseline) == ([], [])
    slower = report(a=scenario(1.0, 30.0), b=scenario(9.0, 90.0), c=scenario(30.0, None))
    failures, warnings = suite.check(slower, baseline)
    assert len(failures) == 1 and failures[0].startswith("a: speed-up over the slow way 30.0x")
    assert [w.split(":")[0] for w in warnings] == ["b", "c"]
    broken = report(a={"error": "Traceback\nAssertionError: wrong bars"}, b=scenario(2.0, 20.0))
    failures, _ = suite.check(broken, baseline)
    assert failures == ["a: failed: AssertionError: wrong bars"]
    new_and_broken = report(d={"error": "boom"})
    assert suite.check(new_and_broken, baseline)[0] == ["d: failed: boom"]


def test_docs_section_is_replaced_between_its_markers(tmp_path, monkeypatch):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nhand-written notes\n")
    monkeypatch.setattr(suite, "DOC", doc)
    chart = tmp_path / "waterfall.png"
    chart.write_bytes(b"png")
    suite.write_docs(report(a=scenario(1.0, 100.0)), [chart])
    first = doc.read_text()
    assert "hand-written notes" in first and "| a | fast way | 1 | 1.2 | - | 1.5 |" in first
    assert "100.0x" in first and "![perf-waterfall.png](perf-waterfall.png)" in first
    suite.write_docs(report(a=scenario(2.0, 100.0)), [chart])
    second = doc.read_text()
    assert second.count(suite.DOC_BEGIN) == 1 and "50.0x" in second and "100.0x" not in second
    assert (tmp_path / "perf-waterfall.png").read_bytes() == b"png"


def test_the_suite_runs_from_the_checkout_and_the_app_points_to_it(capsys):
    """The app does not import the profiling suite (it is not shipped): `candleterm bench`
    says where it is; `python -m profiling` is it."""
    assert cli_main(["bench", "--help"]) == 2
    assert "`python -m profiling`" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:
        suite.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--check" in out and all(name in out for name in SCENARIOS)


def test_profile_writes_the_top_functions(tmp_path):
    assert suite.main(["--quick", "--scenario", "align", "--profile", "--out",
                       str(tmp_path)]) == 0  # fmt: skip
    text = (tmp_path / "profile-align.txt").read_text()
    assert "cumulative" in text and "enclosing_index" in text


@pytest.mark.bench
def test_quick_suite_passes_its_regression_check(tmp_path):
    """Every scenario in a fresh process, compared with profiling/baseline-quick.json (two
    minutes of benchmarks: out of the default run; `make bench-check` runs it)."""
    done = subprocess.run([sys.executable, "-m", "profiling", "--quick", "--check", "--out",
                           str(tmp_path)], capture_output=True, text=True, cwd=ROOT,
                          env=os.environ | {"QT_QPA_PLATFORM": "offscreen"},
                          timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "check: passed" in done.stdout
    result = json.loads((tmp_path / "report.json").read_text())
    assert set(result["scenarios"]) == set(SCENARIOS)
    for name, s in result["scenarios"].items():
        assert {"p50_ms", "p95_ms", "max_ms"} <= set(s["fast"]), name
        if s["slow"] is not None:
            assert s["speedup"] > 1, f"{name}: the fast way is not faster"
    assert set(result["scenarios"]["open-chart"]["stages"]["fast"]) >= {"query", "paint"}
    assert (tmp_path / "waterfall.png").stat().st_size > 1000
    assert (tmp_path / "before-after.png").stat().st_size > 1000
