"""One JSON conversion for every face: what `workbench run --format json`, summary files, sweep
tables and papermill parameters hold is the same plain data."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np


def plain(value: Any) -> Any:
    """``value`` as plain JSON data: mappings with text keys, lists, ISO dates (a date, or a
    timestamp at midnight, as ``YYYY-MM-DD``), NumPy scalars as Python numbers, and NaN, NaT or
    infinity as null."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        if value != value:  # pandas' NaT (pandas itself is not imported: the CLI starts faster)
            return None
        return value.isoformat()[:10] if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def dumps(value: Any, **options: Any) -> str:
    """Strict JSON text of `plain(value)` (no NaN), non-ASCII kept as it is."""
    return json.dumps(plain(value), ensure_ascii=False, allow_nan=False, **options)
