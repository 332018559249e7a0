"""History chart benchmarks (issue: forecasting from history): every chart of the history
report for the whole shared Jira file (4,123 rows, 2,461 items over six years), tables built
and rendered to SVG and PNG exactly as the report does, compared with loading that file.

Prints `name: value (target)` lines:

- time to render all charts / time to load the file (target <= 50; warm: the Vega engine
  already started, as in a report kernel after its first chart), and the absolute seconds.
  Loading takes about 0.1 s and vl-convert spends 0.05-0.5 s per chart on SVG and PNG, so
  50x is "a few seconds" (an open forecaster needs minutes on this file);
- peak memory added by rendering / peak memory added by loading (target <= 3: the charts
  cost about as much memory as the data, an open forecaster 15 GB), and the MB;
- the same render with the file four times over (9,844 items, dates shifted so that points do
  not coincide) / the file once, time and memory (target <= 1.5: charts aggregate first, so
  their cost does not grow with the rows).

Each measurement runs in a fresh process (memory high-water marks do not mix); the time of a
step is its best of a few runs, and the two sides of a ratio run in the same process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JIRA = ROOT / "data" / "history" / "rueedlinger_agile_project_jira.csv"
AS_OF = "2018-03-31"  # the file's last busy day: a realistic sample and work in progress
REPEAT = 3


class PeakRss:
    """The highest resident memory of this process while the block runs, above its start."""

    def __enter__(self) -> PeakRss:
        import gc

        import psutil

        gc.collect()
        _trim()  # hand freed memory back first, so that reusing it does not hide a growth
        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def added_mb(self) -> float:
        return (self.peak - self.start) / 2**20


def prepare(path: str) -> object:
    """The report's numbers (forecast, backtest): computed before any chart, not timed."""
    from workbench.reports import history_report

    return history_report.prepare(path, items=100, as_of=AS_OF, trials=2000, seed=1,
                                  origins=100)


def _trim() -> None:
    """glibc's malloc_trim: return free heap pages to the system (no-op elsewhere)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def render_all(report: object) -> int:
    """Every chart of the report: tables aggregated from the history, the Altair chart, and
    its SVG and PNG; returns the bytes produced (so nothing is optimised away)."""
    from workbench.present import charts
    from workbench.reports import history_report

    size = 0
    for chart in history_report.all_charts(report).values():  # type: ignore[arg-type]
        bundle, _ = charts.static_bundle(chart.to_dict())
        size += len(bundle["image/svg+xml"]) + len(bundle["image/png"])
    return size


def measure(path: str) -> dict[str, float]:
    """In this (fresh) process: load the file, then render all charts; time and memory. Load
    and render alternate, so a busy machine slows both alike."""
    from workbench.files.exports import load_history
    from workbench.present import charts  # noqa: F401 - imports are not the work

    with PeakRss() as load_mem:  # first: nothing of the file is cached yet
        load_history(path)
    report = prepare(path)
    with PeakRss() as first_mem:
        first = _timed(lambda: render_all(report))  # starts the Vega engine
    with PeakRss() as render_mem:
        render_all(report)
    load_s, render_s = [], []
    for _ in range(REPEAT):
        load_s.append(_timed(lambda: load_history(path)))
        render_s.append(_timed(lambda: render_all(report)))
    return {"load_s": min(load_s), "render_first_s": first, "render_s": min(render_s),
            "load_mb": load_mem.added_mb, "render_mb": render_mem.added_mb,
            "render_first_mb": first_mem.added_mb}


def _timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


def four_times(folder: Path) -> Path:
    """The Jira file four times over, each copy's dates shifted by a few days."""
    import pandas as pd

    raw = pd.read_csv(JIRA, dtype=str)
    copies = []
    for k in range(4):
        c = raw.copy()
        c["id"] = c["id"] + f"-{k}"
        for col in ("created_date", "finished_date"):
            c[col] = (pd.to_datetime(c[col]) + pd.Timedelta(days=3 * k)).dt.strftime("%Y-%m-%d")
        copies.append(c)
    path = folder / "jira_x4.csv"
    pd.concat(copies).to_csv(path, index=False)
    return path


def in_fresh_process(path: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True,
                          capture_output=True, text=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    one = in_fresh_process(JIRA)
    with tempfile.TemporaryDirectory() as tmp:
        four = in_fresh_process(four_times(Path(tmp)))
    lines = [
        ("render all history charts / load the Jira file, time",
         one["render_s"] / one["load_s"], "x", "<= 50"),
        ("render all history charts / load the Jira file, peak memory added",
         one["render_mb"] / max(one["load_mb"], 1.0), "x", "<= 3"),
        ("render all history charts, file x4 / file x1, time",
         four["render_s"] / one["render_s"], "x", "<= 1.5"),
        ("render all history charts, file x4 / file x1, peak memory added",
         four["render_mb"] / max(one["render_mb"], 1.0), "x", "<= 1.5"),
        ("load the Jira file (s)", one["load_s"], "", "information"),
        ("render all history charts, warm (s)", one["render_s"], "", "information"),
        ("render all history charts, first in a process (s)", one["render_first_s"], "",
         "information"),
        ("peak memory added (MB): load / render / first render with the engine start",
         f"{one['load_mb']:.0f} / {one['render_mb']:.0f} / {one['render_first_mb']:.0f}", "",
         "information"),
    ]
    for name, value, unit, target in lines:
        shown = f"{value:.2f}{unit}" if isinstance(value, float) else value
        print(f"{name}: {shown} ({target})", flush=True)


if __name__ == "__main__":
    if "--measure" in sys.argv:
        print(json.dumps(measure(sys.argv[sys.argv.index("--measure") + 1])))
    else:
        main()
