"""Files written so that a reader sees the old file or the whole new one, never a part: tables
(Parquet and CSV), JSON and text. A crash or a full disk leaves no half-written output."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from workbench.files.jsonable import dumps
from workbench.files.untrusted import spreadsheet_frame


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one, never a
    part: a temp file in the same folder, flushed, then renamed over the target."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A unique hidden name beside the target (same file system, so the rename is atomic);
    # opened like any new file so it gets the usual permissions.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as exc:  # named after the file meant, not the temp file (gone now)
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(target)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def existing_place(path: str | os.PathLike[str]) -> str:
    """A path as an error line may name it: as is if it exists, else its name in the nearest
    folder that does (an error never points at a file that is not there)."""
    p = Path(path)
    if p.exists():
        return str(p)
    folder = next((f for f in p.parents if f.exists()), None)
    return f"{p.name} in {folder}" if folder else p.name


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """JSON (dates as ISO strings, NaN as null), written atomically."""
    text = dumps(data, indent=2)
    return atomic_write_text(path, text + "\n")


def write_table(frame: pd.DataFrame, stem: str | os.PathLike[str]) -> list[Path]:
    """``stem``.parquet (typed, for tools) and ``stem``.csv (for spreadsheets: cells that a
    spreadsheet would run as formulas are neutralised), atomically."""
    base = Path(stem)
    return [atomic_write_bytes(base.with_suffix(".parquet"), parquet_bytes(frame)),
            atomic_write_bytes(base.with_suffix(".csv"), csv_bytes(frame))]


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    """The Parquet file of `write_table`."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV file of `write_table`: ISO dates, formulas neutralised."""
    return spreadsheet_frame(frame).to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8")
