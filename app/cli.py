"""The `candleterm` command: the app, and import/export/demo commands on a bar store."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from pathlib import Path

import numpy as np

from app import cli_drawings
from app.paths import default_store_path
from app.progress import ConsoleProgress
from data.feeds.kinds import FEED_SPECS
from data.feeds.socket_feed import DEFAULT_BAND, DEFAULT_PORT
from data.store import BarStore, StoreError
from data.store.addresses import is_team_url
from data.store.files import StoreHeld
from engine.price_text import step_decimals
from engine.sessions import PRESETS
from engine.timeframes import TIMEFRAMES
from engine.units import minute_text

EPILOG = """\
commands:
  (none)    open the chart window on the store (created with demo data on first launch)
  import    import bars or ticks from a CSV or Parquet file
  export    write a symbol's bars to a Parquet or CSV file
  fetch     fetch an exchange's bar history through ccxt (e.g. binance BTC/USDT)
  demo      fill a store with the synthetic demo history
  symbols   list the instruments in a store, with the sources of their bars
  simcopy   copy a real symbol's recent bars under SYMBOL.SIM for the simulated feed
  delete    remove a symbol's bars from a store
  check     read every bar of a store and report what is damaged
  repair    copy everything readable from a damaged store into a new one
  sync      copy history between two stores (a file and a team store), resumable
  drawings  export or import a symbol's drawings as JSON

Run `candleterm COMMAND --help` for a command's options.
"""


def _store_arg(text: str) -> Path | str:
    """A bar store file, or a team store's address (kept as written)."""
    return text if is_team_url(text) else Path(text)


def _symbol_arg(parser: argparse.ArgumentParser, what: str = "the symbol") -> None:
    """The symbol as the command's first argument, or with --symbol as `import` takes it
    (`export --symbol ES out.csv` was refused as "unrecognized arguments: --symbol")."""
    parser.add_argument("symbol", nargs="?", help=f"{what} (or --symbol SYMBOL)")
    parser.add_argument("--symbol", dest="symbol_option", metavar="SYMBOL", help=what)


def _one_symbol(args: argparse.Namespace) -> None:
    """The symbol a command named one way or the other, in `args.symbol`."""
    given = list(dict.fromkeys(s for s in (args.symbol, args.symbol_option) if s))
    if len(given) != 1:
        command = " ".join(filter(None, (args.command, getattr(args, "action", None))))
        raise ValueError(f"{command}: name one symbol, as the first argument or with --symbol "
                         f"(got {' and '.join(given) or 'none'})")  # fmt: skip
    args.symbol = given[0]


def _db_arg(parser: argparse.ArgumentParser, default=argparse.SUPPRESS) -> None:
    parser.add_argument(
        "--db",
        type=_store_arg,
        default=default,
        metavar="STORE",
        help=f"bar store: a file (default: {default_store_path()}), or a team store on "
        "ArcticDB, s3://HOST:BUCKET?port=PORT&access=KEY&secret=SECRET or lmdb://PATH",
    )


def _time_arg(text: str) -> int:
    try:
        return int(np.datetime64(text, "ns").astype(np.int64))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"bad time {text!r}: use ISO format in UTC, e.g. 2024-01-31 or 2024-01-31T14:30"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="candleterm",
        description="Candlestick charting terminal: multi-timeframe charts over years of "
        "1-minute history.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _db_arg(parser, default=None)
    parser.add_argument(
        "--symbol", help="symbol to show first (default: the last one shown, or the first stored)"
    )
    parser.add_argument("--theme", choices=("dark", "light"), help="default: the last one used")
    parser.add_argument(
        "--feed",
        choices=list(FEED_SPECS),
        help="where live ticks come from (default: the last one used, at first simulated): "
        + "; ".join(f"{key}: {spec.help}" for key, spec in FEED_SPECS.items()),
    )
    parser.add_argument(
        "--feed-rate", type=float, default=50.0, help="simulated ticks a second (1 to 100000)"
    )
    parser.add_argument(
        "--feed-port",
        type=int,
        default=DEFAULT_PORT,
        help=f"local TCP port of the socket feed (default {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--outlier-band",
        type=float,
        default=DEFAULT_BAND * 100,
        metavar="PERCENT",
        help="socket ticks further than this from the last price are rejected as outliers "
        f"(default {DEFAULT_BAND * 100:g})",
    )
    parser.add_argument(
        "--exchange",
        default=None,
        help="the exchange feed's exchange, a ccxt id (default: the last one given, at first "
        "binance); --symbol names its market in the unified form (BTC/USDT) and the series is "
        "stored as BINANCE:BTC/USDT",
    )
    parser.add_argument(
        "--exchange-url",
        default=None,
        metavar="URL",
        help="the exchange's API (REST, and websockets on the same host) at another base URL "
        "(a testnet, a proxy); kept for the next runs, an empty URL forgets it",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    imp = commands.add_parser(
        "import",
        help="import bars or ticks from a CSV or Parquet file",
        description="Import a CSV (any delimiter, optional header, date and time in one or two "
        "columns, or epoch s/ms/us/ns) or Parquet file of bars or ticks. Ticks (trades, or "
        "bid/ask quotes as their mid price) are aggregated into bars. Every bad row is "
        "reported with its line; by default nothing is imported if any row is bad.",
    )
    imp.add_argument("file", type=Path)
    imp.add_argument("--symbol", required=True)
    imp.add_argument(
        "--calendar",
        choices=sorted(PRESETS),
        help="trading calendar (required for a new symbol)",
    )
    imp.add_argument(
        "--tz", default="UTC", help="time zone of timestamps without an offset (default UTC)"
    )
    imp.add_argument(
        "--label",
        choices=("start", "end"),
        default="start",
        help="the file's bar timestamps are the bar's open (start) or close (end)",
    )
    imp.add_argument(
        "--columns",
        help="column mapping: by position 'date,time,open,high,low,close,volume,skip' or by "
        "name 'ts=timestamp,open=o,...'; fields: ts date time open high low close volume "
        "price qty bid ask",
    )
    imp.add_argument("--timeframe", default="1m", choices=TIMEFRAMES)
    imp.add_argument(
        "--skip-bad",
        action="store_true",
        help="import the good rows and write the bad ones to FILE.rejects.csv",
    )
    imp.add_argument("--rejects", type=Path, help="where --skip-bad writes the rejected rows")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="replace the bars the symbol holds in the span of the file's (a corrected file "
        "imported again); without it an import over stored bars is refused",
    )
    imp.add_argument("--delimiter", help="field delimiter (default: detected)")
    header = imp.add_mutually_exclusive_group()
    header.add_argument("--header", dest="header", action="store_true", default=None)
    header.add_argument("--no-header", dest="header", action="store_false")
    imp.add_argument("--epoch-unit", choices=("s", "ms", "us", "ns"))
    imp.add_argument("--date-order", choices=("dmy", "mdy"),
                     help="dates written year last: day first (31.12.2024) or month first "
                          "(12/31/2024); default: as the file shows (a day over 12), dotted "
                          "dates day first")  # fmt: skip
    imp.add_argument("--tick-size", type=float, help="price increment (default: guessed)")
    imp.add_argument("--description", default="")
    _db_arg(imp)

    exp = commands.add_parser("export", help="write a symbol's bars to Parquet or CSV")
    _symbol_arg(exp)
    exp.add_argument("out", type=Path, help="output file, .parquet or .csv")
    exp.add_argument("--timeframe", default="1m", choices=TIMEFRAMES)
    exp.add_argument("--start", type=_time_arg, help="first bar time (UTC, ISO)")
    exp.add_argument("--end", type=_time_arg, help="end time, exclusive (UTC, ISO)")
    _db_arg(exp)

    fetch = commands.add_parser(
        "fetch",
        help="fetch an exchange's bar history through ccxt",
        description="Store an exchange's closed bars of SYMBOL as EXCHANGE:SYMBOL "
        "(BINANCE:BTC/USDT). A rerun continues after the last stored bar.",
    )
    fetch.add_argument("exchange", help="a ccxt exchange id: binance, bybit, okx, kraken, ...")
    fetch.add_argument("symbol", help="the market in ccxt's unified form, e.g. BTC/USDT")
    fetch.add_argument(
        "--since",
        type=_time_arg,
        required=True,
        metavar="T",
        help="the first bar (UTC, e.g. 2024-01-31 or 2024-01-31T14:30)",
    )
    fetch.add_argument(
        "--until",
        type=_time_arg,
        default=None,
        metavar="T",
        help="stop before this time (default: now)",
    )
    fetch.add_argument(
        "--timeframe",
        default="1m",
        choices=TIMEFRAMES[:-2],
        help="bar size (default 1m; higher ones are derived from it)",
    )
    fetch.add_argument(
        "--exchange-url",
        default=None,
        metavar="URL",
        help="the exchange's API at another base URL (a testnet, a proxy)",
    )
    _db_arg(fetch)
    demo = commands.add_parser("demo", help="fill a store with synthetic demo history")
    demo.add_argument("--years", type=float, default=2.0)
    demo.add_argument("--seed", type=int, default=7)
    _db_arg(demo)

    sym = commands.add_parser(
        "symbols", help="list instruments with their bar ranges and where the bars came from"
    )
    _db_arg(sym)

    cp = commands.add_parser(
        "simcopy",
        help="copy a real symbol's recent 1m bars under SYMBOL.SIM for the simulated feed",
        description="The simulated feed never writes into a series of real bars. This copies "
        "the last DAYS of a symbol's 1m bars into SYMBOL.SIM (recorded as a simulated copy), "
        "where the simulated feed continues from its last bar.",
    )
    _symbol_arg(cp, "the real symbol to copy")
    cp.add_argument("--days", type=float, default=30.0, help="days of bars to copy (default 30)")
    _db_arg(cp)

    rm = commands.add_parser("delete", help="remove a symbol's bars (all timeframes)")
    _symbol_arg(rm)
    rm.add_argument("--timeframe", choices=TIMEFRAMES, help="only this timeframe")
    _db_arg(rm)

    cli_drawings.add_parser(commands, _db_arg, _symbol_arg)

    syn = commands.add_parser(
        "sync",
        help="copy history between two stores (a file and a team store), resumable",
        description="Copies every timeframe of each symbol (with its sources, instrument, "
        "drawings and alerts) from FROM to TO, from TO's last bar on: a run that stopped goes "
        "on where it stopped, and a second run copies nothing. FROM and TO are store files or "
        "team stores (s3://HOST:BUCKET?port=..&access=..&secret=.., lmdb://PATH).",
    )
    syn.add_argument("source", type=_store_arg, metavar="FROM")
    syn.add_argument("target", type=_store_arg, metavar="TO")
    syn.add_argument("--symbols", nargs="+", metavar="SYMBOL", help="default: every symbol")

    chk = commands.add_parser("check", help="read every bar of a store, report damage")
    _db_arg(chk)
    fix = commands.add_parser(
        "repair",
        help="copy everything readable from a damaged store into a new one",
        description="Reads the store given with --db (never writes to it) and copies every "
        "readable bar, with its instrument and sources, into the new store OUT.",
    )
    fix.add_argument("out", type=Path, help="the new store file")
    _db_arg(fix)
    return parser


def _cmd_import(args, store) -> int:
    from data.files.importer import BarLabel, ImportOptions, import_file

    opts = ImportOptions(
        symbol=args.symbol,
        calendar=args.calendar,
        tz=args.tz,
        label=BarLabel(args.label),
        columns=args.columns,
        timeframe=args.timeframe,
        skip_bad=args.skip_bad,
        delimiter=args.delimiter,
        header=args.header,
        epoch_unit=args.epoch_unit,
        date_order=args.date_order,
        tick_size=args.tick_size,
        description=args.description,
        rejects_path=args.rejects,
        replace=args.replace,
    )
    progress = ConsoleProgress()
    try:
        report = import_file(store, args.file, opts, progress)
    finally:
        progress.finish()
    print(report.summary())
    return 0


def _relayed(db: Path, argv: list[str], args) -> int | None:
    """The command run by the terminal that holds the store (see data/store/relay.py), its
    files named absolutely (the terminal runs elsewhere); None if no terminal listens."""
    from data.store.relay import RELAYED, relay

    if args.command not in RELAYED or not isinstance(db, Path):
        return None
    # From the command on: the options before it are the terminal's own (`candleterm --db
    # PATH import ...` was refused, "the running terminal does not take ['--db'] commands")
    argv = argv[argv.index(args.command) :]
    files = {str(v) for k in ("file", "out") if isinstance(v := getattr(args, k, None), Path)}
    argv = [str(Path(a).resolve()) if a in files else a for a in argv]
    return relay(db, argv, sys.stdout, sys.stderr)


def run_relayed(argv: list[str], say, store) -> tuple[int, argparse.Namespace | None]:
    """A relayed command line, run on `store` (the terminal's own), its output and errors
    to `say(stream, text)`; its exit code, and its arguments (None if they did not parse)."""
    with _routed(say):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:  # argparse said what was wrong
            return int(exc.code or 0), None
        try:
            return _COMMANDS[args.command](args, store), args
        except (StoreError, ValueError, KeyError) as exc:
            return _failed(exc), args


def _failed(exc: Exception) -> int:
    """A command's failure said on stderr (a KeyError's message without its quotes)."""
    message = exc.args[0] if isinstance(exc, KeyError) else str(exc)
    print(f"candleterm: error: {message}", file=sys.stderr)
    return 2


def _cmd_sync(args) -> int:
    from data.store.port import open_store
    from data.store.sync import sync

    if isinstance(args.source, Path) and not args.source.exists():
        raise StoreError(f"no bar store at {args.source}: nothing to sync from")
    progress = ConsoleProgress()
    with open_store(args.source, read_only=True) as src, open_store(args.target) as dst:
        try:
            report = sync(src, dst, args.symbols, progress)
        finally:
            progress.finish()
        print(report.summary(src.path, dst.path))
    return 0


def _cmd_fetch(args, store) -> int:
    from data.exchange.client import open_exchange
    from data.exchange.history import fetch_history

    exchange = open_exchange(args.exchange, args.exchange_url)
    progress = ConsoleProgress()
    try:
        report = fetch_history(store, exchange, args.symbol, args.since, args.until,
                               args.timeframe, progress)  # fmt: skip
    finally:
        progress.finish()
    print(report.summary())
    return 0


def _cmd_export(args, store) -> int:
    from data.files.export import export_bars

    n = export_bars(store, args.symbol, args.timeframe, args.out, args.start, args.end)
    print(f"wrote {n:,} {args.timeframe} bars of {args.symbol} to {args.out}")
    return 0


def _cmd_demo(args, store) -> int:
    from data.demo import create_demo_store

    progress = ConsoleProgress()
    try:
        n = create_demo_store(
            store, time.time_ns(), years=args.years, seed=args.seed, progress=progress
        )
    finally:
        progress.finish()
    print(f"wrote {n:,} demo bars to {store.path}")
    return 0


def _cmd_symbols(args, store) -> int:
    for ins in store.instruments():
        span = store.time_range(ins.symbol)
        when = "no 1m bars" if span is None else (
            f"{store.count(ins.symbol, '1m'):,} 1m bars, {minute_text(span[0])} to "
            f"{minute_text(span[1])} UTC")  # fmt: skip
        others = [tf for tf in store.timeframes(ins.symbol) if tf != "1m"]
        if others:
            when += f" (also {' '.join(others)})"
        tick = f"{ins.tick_size:.{step_decimals(ins.tick_size)}f}"  # 0.00001, not 1e-05
        print(f"{ins.symbol:<12} {ins.calendar:<11} {ins.tz:<18} tick {tick:<8} {when}")
        for stretch in store.sources(ins.symbol):
            print(f"{'':<14}source: {stretch.describe()} UTC")
    return 0


def _cmd_simcopy(args, store) -> int:
    from data.feeds.simcopy import make_simulated_copy

    name = make_simulated_copy(store, args.symbol, args.days)
    print(f"{name}: {store.count(name, '1m'):,} 1m bars copied from {args.symbol}; run "
          f"`candleterm --symbol {name} --feed simulated` to simulate it")  # fmt: skip
    return 0


def _cmd_check(args, store) -> int:
    problems = store.verify()
    n = sum(store.count(s, tf) for s in store.symbols() for tf in store.timeframes(s))
    if not problems and not store.damaged:
        print(f"{store.path}: every bar readable ({n:,} bars)")
        return 0
    if store.damaged and not problems:
        print(f"the store's own tables are damaged ({store.damaged}); every bar is readable")
    for symbol, tf, why in problems:
        print(f"{symbol} {tf}: damaged ({why})")
    print(f"{store.path} is damaged; copy what is readable into a new store with "
          f"`candleterm repair --db {store.path} NEW.duckdb`")  # fmt: skip
    return 1


def _cmd_repair(args, store) -> int:
    from data.store.repair import repair

    print(repair(store, args.out).summary(args.out))
    return 0


def _cmd_delete(args, store) -> int:
    if args.symbol not in store.symbols():
        raise ValueError(f"no bars of {args.symbol!r} in {store.path}")
    stored = store.timeframes(args.symbol)
    if args.timeframe is not None and args.timeframe not in stored:  # said "deleted 0 bars"
        raise ValueError(f"no {args.timeframe} bars of {args.symbol} in {store.path}; stored: "
                         f"{', '.join(stored)}")  # fmt: skip
    n = sum(store.count(args.symbol, tf) for tf in stored if args.timeframe in (None, tf))
    store.delete_bars(args.symbol, args.timeframe)
    print(f"deleted {n:,} bars of {args.symbol}")
    return 0


_COMMANDS = {
    "import": _cmd_import,
    "export": _cmd_export,
    "fetch": _cmd_fetch,
    "demo": _cmd_demo,
    "symbols": _cmd_symbols,
    "simcopy": _cmd_simcopy,
    "delete": _cmd_delete,
    "check": _cmd_check,
    "repair": _cmd_repair,
    "drawings": cli_drawings.run,
}
READ_ONLY = ("export", "symbols", "check", "repair")  # commands that never write the store
WHOLE_STORE = ("check", "repair")  # commands that read the store's file itself


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        print(
            "candleterm: the profiling suite comes with a source checkout, not the app: run "
            "`python -m profiling` there (`make bench`; see the README)",
            file=sys.stderr,
        )
        return 2
    parser = build_parser()
    args = parser.parse_args(argv)
    db = args.db or default_store_path()
    try:
        if args.command is None:
            from app.platform_check import window_system_problem

            problem = window_system_problem()
            if problem is not None:
                print(f"candleterm: {problem}", file=sys.stderr)
                return 2
            from app.gui import run_gui

            return run_gui(db, args)
        from data.store.port import open_store

        if hasattr(args, "symbol_option"):
            _one_symbol(args)
        if args.command == "sync":
            return _cmd_sync(args)
        read_only = args.command in READ_ONLY or getattr(args, "action", None) == "export"
        if read_only and isinstance(db, Path) and not db.exists():
            raise StoreError(f"no bar store at {db}")
        try:
            store = open_store(db, read_only=read_only)
        except StoreHeld:
            code = _relayed(db, argv, args)
            if code is None:
                raise
            return code
        if args.command in WHOLE_STORE and not isinstance(store, BarStore):
            # the file is held by a running terminal: it reads it (a relayed store has no
            # file to check; `check` failed with a traceback)
            code = _relayed(db, argv, args) if isinstance(db, Path) else None
            if code is not None:
                store.close()
                return code
        with store:
            return _COMMANDS[args.command](args, store)
    except (StoreError, ValueError, KeyError) as exc:
        return _failed(exc)


class _Routed:
    """sys.stdout or sys.stderr while the terminal runs relayed commands: what a thread
    running one writes goes back to its command line; everything else where it went."""

    def __init__(self, original, kind: str) -> None:
        self.original = original
        self.kind = kind

    def write(self, text: str) -> int:
        say = getattr(_ROUTES, "say", None)
        if say is None:
            return self.original.write(text)
        say(self.kind, text)
        return len(text)

    def flush(self) -> None:
        if getattr(_ROUTES, "say", None) is None:
            self.original.flush()

    def __getattr__(self, name: str):
        return getattr(self.original, name)


_ROUTES = threading.local()


@contextlib.contextmanager
def _routed(say):
    if not isinstance(sys.stdout, _Routed):
        sys.stdout = _Routed(sys.stdout, "out")
    if not isinstance(sys.stderr, _Routed):
        sys.stderr = _Routed(sys.stderr, "err")
    _ROUTES.say = say
    try:
        yield
    finally:
        _ROUTES.say = None
