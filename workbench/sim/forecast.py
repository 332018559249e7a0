"""Forecasts read off many replications: percentile dates, chance of meeting targets, cost,
utilisation, what most often finishes last, cut lines, and flow figures with confidence
intervals. `ProgramForecast.to_dict()` is the stable JSON shape (see docs/forecast-json.md).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench import __version__
from workbench.scenario.models import Scenario
from workbench.sim.capacity import working_days
from workbench.sim.metrics import FLOW_FIELDS, flow_keys

PERCENTILES = (50, 85, 95)
Z = {0.95: 1.959963984540054, 0.99: 2.5758293035489004}


def day_to_date(start: dt.date, day: float) -> dt.date:
    """The calendar date on which work finishing at simulation time ``day`` is done
    (time 5.3 is during day 5; time 6.0 is the end of day 5)."""
    return start + dt.timedelta(days=max(math.ceil(day) - 1, 0))


def percentile_days(days: np.ndarray, q: float) -> float:
    """The day by which ``q``% of runs finished (inf when fewer finished within the horizon).
    An observed value (inverted CDF), so "P85" means 85% of runs were done by then."""
    if days.size == 0:
        return math.inf
    return float(np.quantile(np.where(np.isnan(days), np.inf, days), q / 100,
                             method="inverted_cdf"))


def t_quantile(level: float, df: int) -> float:
    """Student-t quantile for a two-sided interval (Cornish-Fisher expansion; exact enough
    for confidence intervals from df = 3 on, and no SciPy needed)."""
    z = Z.get(level) or 1.959963984540054
    if df <= 0:
        return math.inf
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    return z + g1 / df + g2 / df**2 + g3 / df**3


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean across replications and its confidence interval (NaN runs ignored)."""
    v = values[~np.isnan(values)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan
    half = t_quantile(level, v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return m, m - half, m + half


def quantile_interval(days: np.ndarray, q: float, level: float = 0.95) -> tuple[float, float]:
    """Where the true ``q``th percentile lies with ``level`` confidence, from this many runs
    (the order-statistic interval: no assumption about the shape of the distribution).
    Unfinished runs count as infinitely late."""
    v = np.sort(np.where(np.isnan(days), np.inf, days))
    n, p = v.size, q / 100
    if n == 0:
        return math.inf, math.inf
    spread = (Z.get(level) or Z[0.95]) * math.sqrt(n * p * (1 - p))
    lo = min(max(math.floor(n * p - spread), 1), n)
    hi = min(max(math.ceil(n * p + spread), 1), n)
    return float(v[lo - 1]), float(v[hi - 1])


def chance_error(chance: float, n: int, level: float = 0.95) -> float:
    """Half-width of the ``level`` interval of a share seen in ``n`` runs (Agresti-Coull: not
    zero when every run agreed, which would stop too early)."""
    if n <= 0:
        return math.inf
    adjusted = (chance * n + 2) / (n + 4)
    return (Z.get(level) or Z[0.95]) * math.sqrt(adjusted * (1 - adjusted) / (n + 4))


@dataclass(frozen=True)
class ProgramForecast:
    """The outcome of a Monte Carlo run: one row of numbers per replication."""

    scenario: Scenario
    seed: int
    reps: int
    columns: list[str]
    values: np.ndarray  # reps x columns
    burnup: np.ndarray  # reps x weeks: items done by the end of each week
    # how the number of runs was chosen ("auto": by precision, see `montecarlo.Precision`)
    precision: dict[str, Any] | None = None

    def burnup_fan(self, quantiles: tuple[float, ...] = (0.15, 0.5, 0.85)) -> dict[str, Any]:
        """Items done by each week: the given quantiles across runs (a fan), and total scope."""
        weeks = self.burnup.shape[1] if self.burnup.ndim == 2 else 0
        start = self.scenario.start
        out: dict[str, Any] = {
            "week_end": [_iso(start + dt.timedelta(days=7 * w + 6)) for w in range(weeks)]}
        for q in quantiles:
            fan = np.quantile(self.burnup, q, axis=0).tolist() if weeks else []
            out[f"q{round(q * 100)}"] = fan
        out["scope_p50"] = float(np.median(self.column("scope_items")))
        return out

    def head(self, reps: int) -> ProgramForecast:
        """The same forecast from its first ``reps`` replications: exactly what a shorter run
        of the same seed gives (replication i draws the same numbers in any run)."""
        reps = min(reps, self.reps)
        return ProgramForecast(self.scenario, self.seed, reps, self.columns, self.values[:reps],
                               self.burnup[:reps])

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]

    def date(self, day: float) -> dt.date | None:
        return None if not math.isfinite(day) else day_to_date(self.scenario.start, day)

    def chance_by(self, column: str, when: dt.date) -> float:
        """Share of runs finished by the end of ``when``."""
        days = self.column(column)
        limit = self.scenario.day_of(when) + 1
        return float(np.mean(np.nan_to_num(days, nan=np.inf) <= limit))

    def working_days_between(self, a: float, b: float) -> float:
        """Working days from the date of simulation time ``a`` to that of ``b`` (infinite
        when either is beyond the horizon)."""
        if not (math.isfinite(a) and math.isfinite(b)):
            return math.inf
        cum = _working_day_numbers(self.scenario)
        last = len(cum) - 1
        at = [min(max(math.ceil(d) - 1, 0), last) for d in (a, b)]
        return float(cum[at[1]] - cum[at[0]])

    def p85_error(self, column: str, level: float = 0.95) -> dict[str, Any]:
        """The Monte Carlo error of a P85: its ``level`` interval (dates) and half its width
        in working days (None when an end is beyond the horizon)."""
        lo, hi = quantile_interval(self.column(column), 85, level)
        half = self.working_days_between(lo, hi) / 2
        if not math.isfinite(lo) and not math.isfinite(hi):  # clearly beyond the horizon
            half = 0.0
        return {"p85_error_working_days": half if math.isfinite(half) else None,
                "p85_interval": [_iso(self.date(lo)), _iso(self.date(hi))]}

    def _dates(self, column: str) -> dict[str, Any]:
        days = self.column(column)
        out: dict[str, Any] = {}
        for q in PERCENTILES:
            d = percentile_days(days, q)
            out[f"p{q}"] = _iso(self.date(d))
            out[f"p{q}_days"] = d if math.isfinite(d) else None
        out["unfinished_share"] = float(np.mean(np.isnan(days)))
        return out

    def milestones(self) -> list[dict[str, Any]]:
        """Per milestone: P50/P85/P95 dates, chance of target, what most often finished last,
        and the cut line (epics that land by the target at 85% confidence)."""
        out = []
        for name, m in self.scenario.milestones.items():
            row: dict[str, Any] = {"name": name, "target": _iso(m.target)}
            row.update(self._dates(f"milestone:{name}"))
            row["chance_of_target"] = (self.chance_by(f"milestone:{name}", m.target)
                                       if m.target else None)
            row.update(self.p85_error(f"milestone:{name}"))
            row["chance_error"] = (chance_error(row["chance_of_target"], self.reps)
                                   if m.target else None)
            last = Counter(int(i) for i in self.column(f"last:{name}") if not math.isnan(i))
            epic, count = last.most_common(1)[0] if last else (0, 0)
            row["most_often_last"] = {"epic": m.epics[epic], "share": count / self.reps}
            row["cut_line"] = self.cut_line(m.target) if m.target else None
            row["cost"] = self._percentiles(f"cost_by:{name}")
            out.append(row)
        return out

    def _percentiles(self, column: str) -> dict[str, float] | None:
        if column not in self.columns:
            return None
        c = self.column(column)
        return {f"p{q}": float(np.quantile(c, q / 100, method="inverted_cdf"))
                for q in PERCENTILES}

    def budget(self) -> dict[str, Any] | None:
        """The chance of staying within the budget (the program's, each team's): the share of
        runs whose cost is at most it. None without a budget."""
        b = self.scenario.budget
        if b is None:
            return None
        teams = [{"name": t, "budget": v, "chance_within": self._within(f"cost:{t}", v),
                  "cost": self._percentiles(f"cost:{t}")} for t, v in b.teams.items()]
        total = None if b.total is None else self._within("cost", b.total)
        return {"total": b.total, "chance_within": total, "teams": teams}

    def _within(self, column: str, amount: float) -> float:
        return float(np.mean(self.column(column) <= amount + 1e-9))

    def cut_line(self, target: dt.date, confidence: float = 0.85) -> list[str]:
        """Epics that finish by ``target`` in at least ``confidence`` of runs."""
        return [e for e in self.scenario.epics
                if self.chance_by(f"epic:{e}", target) >= confidence]

    def epics(self) -> list[dict[str, Any]]:
        out = []
        for name, epic in self.scenario.epics.items():
            row: dict[str, Any] = {"name": name, "team": epic.team}
            row.update(self._dates(f"epic:{name}"))
            out.append(row)
        return out

    def cost(self) -> dict[str, Any]:
        """Cost percentiles; ``runs_cut`` runs had work left at the horizon, so their cost
        (paid only up to the horizon) is a lower bound, and so is any percentile they reach."""
        c = self.column("cost")
        cut = self.column("cost_cut") > 0 if "cost_cut" in self.columns else c < -1
        out: dict[str, Any] = {"mean": float(c.mean())}
        for q in PERCENTILES:
            out[f"p{q}"] = float(np.quantile(c, q / 100, method="inverted_cdf"))
        # A percentile is exact only if every cut run lies above it (their true cost is higher
        # still, so the order below it stands); otherwise it is a lower bound.
        out["runs_cut"] = int(cut.sum())
        out["lower_bound"] = [f"p{q}" for q in PERCENTILES if bool((c[cut] <= out[f"p{q}"]).any())]
        return out

    def teams(self) -> list[dict[str, Any]]:
        out = []
        for name in self.scenario.teams:
            m, lo, hi = mean_ci(self.column(f"util:{name}"))
            out.append({"name": name, "utilisation": _num(m), "utilisation_ci95": [_num(lo),
                                                                                    _num(hi)]})
        return out

    def epic_windows(self) -> list[dict[str, Any]]:
        """Per epic, for the roadmap: the P50 start date (None when fewer than half the runs
        started it, or a runs table without start days) and the P50/P85 finish dates."""
        out = []
        for row in self.epics():
            column = f"start:{row['name']}"
            start = percentile_days(self.column(column), 50) if column in self.columns \
                else math.inf
            out.append({"name": row["name"], "team": row["team"],
                        "start_p50": _iso(self.scenario.start + dt.timedelta(
                            days=math.floor(start)) if math.isfinite(start) else None),
                        "p50": row["p50"], "p85": row["p85"]})
        return out

    def utilisation_bands(self, low: float = 10, high: float = 90) -> list[dict[str, Any]]:
        """Per team, across runs: the median utilisation and the band holding the middle
        ``high - low`` percent of runs (P10 to P90 by default)."""
        out = []
        for name in self.scenario.teams:
            u = self.column(f"util:{name}")
            u = u[~np.isnan(u)]
            q = (np.percentile(u, [50, low, high]) if u.size else [math.nan] * 3)
            out.append({"name": name, "median": _num(float(q[0])), "low": _num(float(q[1])),
                        "high": _num(float(q[2])), "band": f"P{low:g}-P{high:g}"})
        return out

    def flow(self) -> dict[str, dict[str, Any]]:
        """Flow figures per ``team/stage`` and ``overall``: mean across runs and 95% CI."""
        out: dict[str, dict[str, Any]] = {}
        for key in flow_keys(self.scenario):
            figures: dict[str, Any] = {}
            for field in FLOW_FIELDS:
                m, lo, hi = mean_ci(self.column(f"flow:{key}:{field}"))
                figures[field] = {"mean": _num(m), "ci95": [_num(lo), _num(hi)]}
            out[key] = figures
        return out

    def to_dict(self) -> dict[str, Any]:
        """Every figure, plus what is needed to reproduce it (the stable JSON shape)."""
        return {
            "scenario": {"name": self.scenario.name, "sha256": self.scenario.sha256,
                         "start": _iso(self.scenario.start),
                         "horizon_days": self.scenario.horizon_days,
                         "currency": self.scenario.currency},
            "seed": self.seed,
            "replications": self.reps,
            "precision": self.precision or {"rule": "fixed", "replications": self.reps},
            "version": __version__,
            "milestones": self.milestones(),
            "epics": self.epics(),
            "cost": self.cost(),
            "budget": self.budget(),
            "teams": self.teams(),
            "flow": self.flow(),
        }

    def representative_rep(self, column: str, q: float = 50) -> int:
        """The replication whose ``column`` is closest to its ``q``th percentile (for charts of
        one typical run: replay it with `montecarlo.replay`)."""
        days = np.nan_to_num(self.column(column), nan=np.inf)
        target = percentile_days(self.column(column), q)
        return int(np.argmin(np.abs(days - target))) if math.isfinite(target) else \
            int(np.argmax(days))


def _working_day_numbers(scenario: Scenario) -> np.ndarray:
    """For each day of the horizon, how many working days there are up to and including it."""
    return np.cumsum(working_days(scenario.calendar, scenario.start, scenario.horizon_days))


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def _num(x: float) -> float | None:
    return x if math.isfinite(x) else None
