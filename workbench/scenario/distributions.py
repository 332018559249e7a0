"""Spreads of values a TPM gives instead of a single guess: how long an item takes, how many
items a risk adds, how often interrupts come.

In a scenario file a distribution is a one-key mapping (or a bare number, meaning fixed)::

    effort_days: 3                                  # always 3
    effort_days: {uniform: [1, 5]}                  # anything from 1 to 5
    effort_days: {triangular: [1, 3, 10]}           # min, most likely, max
    effort_days: {lognormal: {p50: 3, p90: 8}}      # half the items under 3, 9 in 10 under 8
    effort_days: {exponential: {mean: 1.0}}         # textbook queues
    effort_days: {empirical: [1, 2, 2, 3, 8]}       # resample what you measured
    effort_days: {empirical: {file: history.csv}}   # resample cycle times from a history export
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

Kind = Literal["fixed", "uniform", "triangular", "lognormal", "exponential", "empirical"]
KINDS: tuple[str, ...] = ("fixed", "uniform", "triangular", "lognormal", "exponential", "empirical")
Z90 = 1.2815515655446004  # standard normal quantile at 0.9: p90 = p50 * exp(sigma * Z90)

# The user-facing shape, for `workbench schema` and editors (the model below stores a normal form).
USER_SCHEMA: dict[str, Any] = {
    "description": "A distribution: a number (fixed) or one of the one-key forms.",
    "anyOf": [
        {"type": "number", "minimum": 0},
        {"type": "object", "additionalProperties": False, "required": ["fixed"],
         "properties": {"fixed": {"type": "number", "minimum": 0}}},
        {"type": "object", "additionalProperties": False, "required": ["uniform"],
         "properties": {"uniform": {"type": "array", "items": {"type": "number"},
                                    "minItems": 2, "maxItems": 2}}},
        {"type": "object", "additionalProperties": False, "required": ["triangular"],
         "properties": {"triangular": {"type": "array", "items": {"type": "number"},
                                       "minItems": 3, "maxItems": 3}}},
        {"type": "object", "additionalProperties": False, "required": ["lognormal"],
         "properties": {"lognormal": {
             "type": "object", "additionalProperties": False, "required": ["p50", "p90"],
             "properties": {"p50": {"type": "number"}, "p90": {"type": "number"}}}}},
        {"type": "object", "additionalProperties": False, "required": ["exponential"],
         "properties": {"exponential": {
             "type": "object", "additionalProperties": False, "required": ["mean"],
             "properties": {"mean": {"type": "number"}}}}},
        {"type": "object", "additionalProperties": False, "required": ["empirical"],
         "properties": {"empirical": {"anyOf": [
             {"type": "array", "items": {"type": "number"}, "minItems": 1},
             {"type": "object", "required": ["file"], "additionalProperties": False,
              "properties": {"file": {"type": "string"}, "column": {"type": "string"},
                             "window_days": {"type": "integer"}}}]}}},
    ],
}


class Distribution(BaseModel):
    """A validated distribution in normal form: ``kind`` and its numeric ``params``."""

    model_config = ConfigDict(frozen=True, extra="forbid",
                              json_schema_extra=lambda s, _: s.clear() or s.update(USER_SCHEMA))

    kind: Kind
    params: tuple[float, ...]

    @model_validator(mode="before")
    @classmethod
    def _from_user_form(cls, value: Any) -> Any:
        if isinstance(value, Mapping) and set(value) == {"kind", "params"}:
            return value
        return _normal_form(value)

    @model_validator(mode="after")
    def _check(self) -> Distribution:
        _check_params(self.kind, self.params)
        return self

    @property
    def mean(self) -> float:
        """The long-run average of draws."""
        k, p = self.kind, self.params
        if k == "fixed":
            return p[0]
        if k == "uniform":
            return (p[0] + p[1]) / 2
        if k == "triangular":
            return sum(p) / 3
        if k == "lognormal":
            return p[0] * math.exp(p[1] ** 2 / 2)
        if k == "exponential":
            return p[0]
        return float(np.mean(p))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` independent draws as a float array."""
        k, p = self.kind, self.params
        if k == "fixed":
            return np.full(n, p[0])
        if k == "uniform":
            return rng.uniform(p[0], p[1], n)
        if k == "triangular":
            if p[0] == p[2]:
                return np.full(n, p[0])
            return rng.triangular(p[0], p[1], p[2], n)
        if k == "lognormal":
            return p[0] * np.exp(p[1] * rng.standard_normal(n))
        if k == "exponential":
            return rng.exponential(p[0], n)
        return rng.choice(np.asarray(p), n)

    def describe(self) -> str:
        """A short human phrase, e.g. ``triangular 1/3/10``."""
        k, p = self.kind, self.params
        if k == "lognormal":
            return f"lognormal p50 {p[0]:g}, p90 {p[0] * math.exp(p[1] * Z90):g}"
        if k == "empirical":
            return f"empirical ({len(p)} samples, mean {self.mean:.3g})"
        return f"{k} " + "/".join(f"{x:g}" for x in p)

    def user_form(self) -> Any:
        """The form a scenario file uses (for saving what-ifs)."""
        k, p = self.kind, self.params
        if k == "fixed":
            return p[0]
        if k == "lognormal":
            return {"lognormal": {"p50": p[0], "p90": round(p[0] * math.exp(p[1] * Z90), 12)}}
        if k == "exponential":
            return {"exponential": {"mean": p[0]}}
        return {k: list(p)}


def _normal_form(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        raise ValueError("a number or a one-key mapping such as {triangular: [1, 3, 10]}")
    if isinstance(value, int | float):
        return {"kind": "fixed", "params": (float(value),)}
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ValueError(f"a distribution is a number or one of {{{', '.join(KINDS)}}}")
    (kind, arg), = value.items()
    if kind not in KINDS:
        raise ValueError(f"unknown distribution {kind!r} (allowed: {', '.join(KINDS)})")
    if kind == "fixed":
        return {"kind": kind, "params": (_num(arg),)}
    if kind in ("uniform", "triangular"):
        size = 2 if kind == "uniform" else 3
        if not isinstance(arg, list | tuple) or len(arg) != size:
            raise ValueError(f"{kind} takes a list of {size} numbers")
        return {"kind": kind, "params": tuple(_num(x) for x in arg)}
    if kind == "lognormal":
        if not isinstance(arg, Mapping) or set(arg) != {"p50", "p90"}:
            raise ValueError("lognormal takes {p50: number, p90: number}")
        p50, p90 = _num(arg["p50"]), _num(arg["p90"])
        if not 0 < p50 < p90:
            raise ValueError("lognormal needs 0 < p50 < p90")
        return {"kind": kind, "params": (p50, math.log(p90 / p50) / Z90)}
    if kind == "exponential":
        if not isinstance(arg, Mapping) or set(arg) != {"mean"}:
            raise ValueError("exponential takes {mean: number}")
        return {"kind": kind, "params": (_num(arg["mean"]),)}
    if isinstance(arg, Mapping):  # {file: ...}: the loader puts the file's samples here
        raise ValueError("empirical {file: ...} is read when a scenario file is loaded "
                         "(load_scenario); here give a non-empty list of numbers")
    if not isinstance(arg, list | tuple) or not arg:
        raise ValueError("empirical takes a non-empty list of numbers or {file: path}")
    return {"kind": kind, "params": tuple(_num(x) for x in arg)}



def _num(x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise ValueError(f"{x!r} is not a number")
    return float(x)


def _check_params(kind: str, p: tuple[float, ...]) -> None:
    if any(not math.isfinite(x) for x in p):
        raise ValueError("values must be finite numbers")
    if kind == "lognormal":
        if p[0] <= 0 or p[1] <= 0:
            raise ValueError("lognormal needs 0 < p50 < p90")
        return
    if any(x < 0 for x in p):
        raise ValueError("values must not be negative")
    if kind == "uniform" and p[0] > p[1]:
        raise ValueError("uniform needs [low, high] with low <= high")
    if kind == "triangular" and not p[0] <= p[1] <= p[2]:
        raise ValueError("triangular needs [min, mode, max] with min <= mode <= max")
    if kind == "exponential" and p[0] <= 0:
        raise ValueError("exponential needs mean > 0")
