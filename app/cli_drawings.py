"""`candleterm drawings export SYMBOL FILE` and `candleterm drawings import SYMBOL FILE` (or
`import FILE --symbol S`): a symbol's drawings as JSON, out of the store and into it
(replacing that symbol's)."""

from __future__ import annotations

from pathlib import Path

from engine.drawings import from_json, to_json


def add_parser(commands, db_arg, symbol_arg) -> None:
    drawings = commands.add_parser("drawings", help="export or import a symbol's drawings (JSON)")
    actions = drawings.add_subparsers(dest="action", required=True)
    out = actions.add_parser("export", help="write a symbol's drawings to a JSON file")
    symbol_arg(out, "the symbol they are drawn on")
    out.add_argument("file", type=Path)
    db_arg(out)
    into = actions.add_parser("import", help="replace a symbol's drawings with a JSON file's")
    symbol_arg(into, "the symbol they are drawn on")
    into.add_argument("file", type=Path)
    db_arg(into)


def run(args, store) -> int:
    symbols = sorted(i.symbol for i in store.instruments())
    if args.symbol not in symbols:
        held = ", ".join(symbols) or "none"
        then = "check the name" if args.action == "export" else "import its bars first"
        raise ValueError(f"no symbol {args.symbol!r} in {store.path} (it holds: {held}): {then}")
    if args.action == "export":
        drawings = store.drawings(args.symbol)
        try:
            args.file.write_text(to_json(drawings) + "\n")
        except OSError as exc:
            raise ValueError(f"cannot write {args.file}: {exc.strerror}") from None
        print(f"{len(drawings)} drawing(s) of {args.symbol} written to {args.file}")
        return 0
    try:
        text = args.file.read_text()
    except OSError as exc:
        raise ValueError(f"cannot read {args.file}: {exc.strerror}") from None
    drawings = from_json(text)
    store.set_drawings(args.symbol, drawings)
    print(f"{len(drawings)} drawing(s) of {args.symbol} read from {args.file}")
    return 0
