import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_engine_and_data_load_without_qt():
    code = (
        "import sys, engine.bars, engine.sessions, engine.aggregate, engine.volatility, "
        "data.store, data.files.importer, data.files.export, data.demo; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_the_window_loads_no_compiled_code_before_its_first_paint():
    """numba takes a fifth of a second to import: the modules a window needs to show a chart
    leave it (and the compiled engine) to what runs after the first paint."""
    code = (
        "import sys, app.cli, app.gui, app.controller, app.live, data.store, data.feeds.kinds; "
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')]; "
        "assert not loaded, loaded[:5]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_reading_and_writing_bars_never_imports_pandas(tmp_path):
    """pyarrow's numpy conversions import pandas (a third to half a second, the interpreter
    lock held): the store's reads (the first chart's among them) and writes go through the
    columns' buffers instead."""
    code = (
        "import sys, numpy as np; from data.store import BarStore; from engine.bars import Bars; "
        f"s = BarStore({str(tmp_path / 'x.duckdb')!r}); "
        "ts = np.arange(1000, dtype=np.int64) * 60_000_000_000; p = np.full(1000, 10.0); "
        "s.write_bars('X', '1m', Bars(ts, p, p + 1, p - 1, p, p)); "
        "got = s.load('X', '1m', limit=500); assert np.array_equal(got.ts_ns, ts[500:]); "
        "assert s.load('X', '1m').close.sum() == 10_000.0; "
        "assert 'pandas' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
