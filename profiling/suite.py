"""The profiling suite: every scenario in a fresh process, a table of p50/p95/max and the
speed-up over the slow way, a JSON report, PNG charts (latency-budget waterfalls, before/after
bars) and a regression check against the committed baseline.

    python -m profiling [--quick] [--scenario NAME]... [--out DIR] [--check]
                        [--update-baseline] [--profile] [--docs]

The check compares speed-ups (the fast way against the slow way measured in the same run,
which a noisy shared machine slows alike) and fails when one falls below the baseline's
divided by RATIO_TOLERANCE; absolute medians only warn, beyond ABSOLUTE_TOLERANCE.
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import datetime
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path

DESCRIPTION = (
    "Run the profiling scenarios, each in a fresh process, against the slow ways they "
    "replaced; write a JSON report and PNG charts; optionally check for regressions."
)
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "suite"
BASELINES = {True: HERE / "baseline-quick.json", False: HERE / "baseline.json"}
DOC = HERE.parent / "docs" / "performance.md"
DOC_BEGIN, DOC_END = "<!-- suite:begin -->", "<!-- suite:end -->"
RATIO_TOLERANCE = 2.5
ABSOLUTE_TOLERANCE = 4.0
TIMEOUT_S = {True: 600, False: 7200}


def build_parser() -> argparse.ArgumentParser:
    from profiling.scenarios import SCENARIOS

    parser = argparse.ArgumentParser(prog="python -m profiling", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="scenarios: " + ", ".join(SCENARIOS))  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes")
    parser.add_argument("--scenario", action="append", choices=list(SCENARIOS), metavar="NAME",
                        help="run only this scenario (repeatable)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report directory")
    parser.add_argument("--check", action="store_true",
                        help="fail on a regression against the committed baseline")  # fmt: skip
    parser.add_argument("--update-baseline", action="store_true",
                        help="make this run the committed baseline")  # fmt: skip
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run under cProfile; top functions to OUT/profile-NAME.txt",
    )
    parser.add_argument("--docs", action="store_true",
                        help="write the table and charts into docs/performance.md")  # fmt: skip
    parser.add_argument("--child", metavar="NAME", help=argparse.SUPPRESS)
    return parser


# -- one scenario, in its own process ---------------------------------------------------------


def result_json(result) -> dict:
    return {
        "title": result.title,
        "fast": dataclasses.asdict(result.fast),
        "slow": None if result.slow is None else dataclasses.asdict(result.slow),
        "speedup": result.speedup,
        "rows": [dataclasses.asdict(r) for r in result.rows],
        "stages": result.stages,
        "facts": result.facts,
    }


def run_child(name: str, quick: bool, out: Path, profile: bool) -> int:
    from profiling import timing
    from profiling.scenarios import SCENARIOS

    started = time.perf_counter()
    profiler = timing.PROFILER = cProfile.Profile() if profile else None
    result = SCENARIOS[name](quick)
    if profiler is not None:  # the timed runs of `measure` (not the set-up, not warm-ups)
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(30)
        (out / f"profile-{name}.txt").write_text(text.getvalue())
    report = result_json(result) | {"seconds": round(time.perf_counter() - started, 1)}
    (out / "scenarios").mkdir(parents=True, exist_ok=True)
    (out / "scenarios" / f"{name}.json").write_text(json.dumps(report, indent=2))
    return 0


def run_fresh(name: str, args) -> dict:
    """The scenario in a fresh interpreter; its report, or the error it died with."""
    command = [sys.executable, "-m", "profiling", "--child", name, "--out", str(args.out)]
    command += ["--quick"] * args.quick + ["--profile"] * args.profile
    path = args.out / "scenarios" / f"{name}.json"
    path.unlink(missing_ok=True)
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              timeout=TIMEOUT_S[args.quick], cwd=HERE.parent)  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S[args.quick]} s"}
    if done.returncode != 0 or not path.exists():
        lines = [line for line in done.stderr.splitlines() if "nanobind" not in line
                 and not line.startswith(" - ")]  # fmt: skip
        return {"error": "\n".join(lines[-12:]) or f"exit status {done.returncode}"}
    return json.loads(path.read_text())


# -- the check ----------------------------------------------------------------------------------


def check(report: dict, baseline: dict) -> tuple[list[str], list[str]]:
    """(failures, warnings) of this run against the baseline."""
    failures, warnings = [], []
    for name, base in baseline["scenarios"].items():
        now = report["scenarios"].get(name)
        if now is None:
            continue  # not run this time (--scenario)
        if "error" in now:
            failures.append(f"{name}: failed: {now['error'].splitlines()[-1]}")
            continue
        if base.get("speedup") and now.get("speedup") is not None:
            floor = base["speedup"] / RATIO_TOLERANCE
            if now["speedup"] < floor:
                failures.append(f"{name}: speed-up over the slow way {now['speedup']:.1f}x, "
                                f"below {floor:.1f}x (baseline {base['speedup']:.1f}x / "
                                f"{RATIO_TOLERANCE})")  # fmt: skip
        was, is_ = base["fast"]["p50_ms"], now["fast"]["p50_ms"]
        if was > 0 and is_ > was * ABSOLUTE_TOLERANCE:
            warnings.append(f"{name}: {now['fast']['name'].strip()} p50 {is_:.3g} vs "
                            f"{was:.3g} in the baseline (absolute times are noisy)")  # fmt: skip
    for name, now in report["scenarios"].items():
        if "error" in now and name not in baseline["scenarios"]:
            failures.append(f"{name}: failed: {now['error'].splitlines()[-1]}")
    return failures, warnings


def baseline_of(report: dict) -> dict:
    keep = {name: {"fast": s["fast"], "slow": s["slow"], "speedup": s["speedup"]}
            for name, s in report["scenarios"].items() if "error" not in s}  # fmt: skip
    return {"quick": report["quick"], "when": report["when"], "machine": report["machine"],
            "scenarios": keep}  # fmt: skip


# -- output -------------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def _percentiles(stats: dict) -> str:
    keys = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    return " | ".join(_fmt(stats.get(k)) for k in keys)


def markdown_table(report: dict) -> str:
    lines = ["| scenario | measured | p50 | p95 | p99 | max | slow way p50 | speed-up |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, s in report["scenarios"].items():
        if "error" in s:
            lines.append(f"| {name} | **failed**: {s['error'].splitlines()[-1]} | | | | | | |")
            continue
        fast, slow = s["fast"], s["slow"]
        speedup = "-" if s["speedup"] is None else f"{s['speedup']:,.1f}x"
        slow_p50 = "-" if slow is None else f"{_fmt(slow['p50_ms'])} ({slow['name'].strip()})"
        lines.append(f"| {name} | {fast['name']} | {_percentiles(fast)} | {slow_p50} | "
                     f"{speedup} |")  # fmt: skip
        lines.extend(f"| | {row['name'].strip()} | {_percentiles(row)} | | |"
                     for row in s["rows"])  # fmt: skip
    return "\n".join(lines)


def stage_lines(report: dict) -> list[str]:
    lines = []
    for name, s in report["scenarios"].items():
        for action, stages in s.get("stages", {}).items():
            parts = ", ".join(f"{k} {v:.3g}" for k, v in stages.items())
            lines.append(f"- {name} ({action}), ms: {parts}; total {sum(stages.values()):.3g}")
        for fact, value in s.get("facts", {}).items():
            lines.append(f"- {name}: {fact} = {value:.3g}")
    return lines


def write_docs(report: dict, charts: list[Path]) -> None:
    import shutil

    names = []
    for chart in charts:
        target = DOC.parent / f"perf-{chart.name}"
        shutil.copyfile(chart, target)
        names.append(target.name)
    mode = "--quick" if report["quick"] else "full"
    body = "\n".join([
        DOC_BEGIN,
        f"Generated by `python -m profiling{' --quick' if report['quick'] else ''} --docs` "
        f"({mode} run, {report['when']}, {report['machine']['cpus']} cores). Times in ms "
        "unless the row says us or MB.",
        "",
        markdown_table(report),
        "",
        *stage_lines(report),
        "",
        *(f"![{n}]({n})" for n in names),
        DOC_END,
    ])  # fmt: skip
    text = DOC.read_text() if DOC.exists() else "# Performance\n"
    if DOC_BEGIN in text and DOC_END in text:
        head, rest = text.split(DOC_BEGIN, 1)
        text = head + body + rest.split(DOC_END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## The profiling suite (issue 7)\n\n" + body + "\n"
    DOC.write_text(text)


def print_table(report: dict, baseline: dict | None) -> None:
    header = f"{'scenario':18} {'fast p50':>10} {'p95':>9} {'max':>9} {'slow p50':>10} " \
             f"{'speed-up':>9} {'baseline':>9}"  # fmt: skip
    print(header)
    print("-" * len(header))
    for name, s in report["scenarios"].items():
        if "error" in s:
            print(f"{name:18} FAILED: {s['error'].splitlines()[-1]}")
            continue
        base = (baseline or {}).get("scenarios", {}).get(name, {}).get("speedup")
        slow = s["slow"]["p50_ms"] if s["slow"] else None
        speed = f"{s['speedup']:.1f}x" if s["speedup"] else "-"
        print(f"{name:18} {_fmt(s['fast']['p50_ms']):>10} {_fmt(s['fast']['p95_ms']):>9} "
              f"{_fmt(s['fast']['max_ms']):>9} {_fmt(slow):>10} {speed:>9} "
              f"{(f'{base:.1f}x' if base else '-'):>9}   {s['fast']['name']}")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        return run_child(args.child, args.quick, args.out, args.profile)
    from profiling.scenarios import SCENARIOS

    names = args.scenario or list(SCENARIOS)
    report = {
        "quick": args.quick,
        "when": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "scenarios": {},
    }
    for name in names:
        started = time.perf_counter()
        print(f"{name} ...", end=" ", flush=True)
        report["scenarios"][name] = run_fresh(name, args)
        state = "failed" if "error" in report["scenarios"][name] else "done"
        print(f"{state} in {time.perf_counter() - started:.0f} s", flush=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    from profiling.charts import draw_charts

    charts = draw_charts(report, args.out)
    path = BASELINES[args.quick]
    baseline = json.loads(path.read_text()) if path.exists() else None
    print()
    print_table(report, baseline)
    for line in stage_lines(report):
        print(line)
    print(f"\nreport: {args.out / 'report.json'}; charts: {', '.join(str(c) for c in charts)}")
    if args.docs:
        write_docs(report, charts)
        print(f"docs: {DOC}")
    failed = [n for n, s in report["scenarios"].items() if "error" in s]
    status = 1 if failed else 0
    if args.check:
        if baseline is None:
            print(f"no baseline at {path}: run with --update-baseline first")
            return 1
        failures, warnings = check(report, baseline)
        for line in warnings:
            print("warning:", line)
        for line in failures:
            print("REGRESSION:", line)
        status = 1 if failures else status
        print("check:", "failed" if failures else "passed",
              f"(speed-ups within 1/{RATIO_TOLERANCE} of {path.name})")  # fmt: skip
    if args.update_baseline and not failed:
        path.write_text(json.dumps(baseline_of(report), indent=2) + "\n")
        print(f"baseline written: {path}")
    return status
