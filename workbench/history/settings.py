"""The settings of a forecast from history, each defined once: `workbench forecast`, `workbench
backtest` and `workbench report --history` offer them with these names, defaults and help, and
the history report's kernel (`prepare`) and notebook take the same defaults (a test keeps the
notebook's parameters equal). So the same question gets the same answer from every command.

Why these defaults: teams change, and a throughput sample of the last 90 days (the recent
pace) was better calibrated than all history in the backtests of both bundled exports (30 and
100 items, weekly); whole weeks smooth out the day of the week; 10,000 futures keep the sampling
noise well under a period (the report checks it against the exact answer); 100 backtest origins
score each P-level on 100 past dates. The calibrated method is the default because on the
bundled exports its calibration error over the later halves was 2.3-5.3 points against 8.7-15.7
for the raw sampling it corrects (docs/howto-history.md, "Calibrated forecasts"). The done
resolutions are Jira's that mean delivered work. docs/howto-history.md says more.

Light on purpose (no pandas): every `workbench` command line is built from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.files import limits
from workbench.files.columns import DONE_RESOLUTIONS as DONE


@dataclass(frozen=True)
class Setting:
    """One setting: `name` is the kernel's and notebook's parameter, `flag` the option (by
    default the name with dashes); `default` None means the option has none (a question)."""

    name: str
    type: Callable[[str], Any]
    default: Any
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None  # the smallest value that makes sense
    maximum: float | None = None  # the largest the workbench takes (files.limits)
    option: str = ""
    repeatable: bool = False  # given several times: the values are joined with ";"

    @property
    def flag(self) -> str:
        """The command-line option, e.g. --window-days."""
        return self.option or "--" + self.name.replace("_", "-")

    @property
    def help_text(self) -> str:
        """The help with the default said once, e.g. '... (default 90)'."""
        if self.default in (None, ""):  # the help says what happens without it
            return self.help
        shown = f"{self.default:g}" if isinstance(self.default, float) else str(self.default)
        return f"{self.help} (default {shown})"


# --- the question ----------------------------------------------------------------------------

ITEMS = Setting("items", int, None, "when will N items be done?", "N", minimum=1,
                maximum=limits.MAX_ITEMS)
BY = Setting("by_date", str, None, "how many items by this date (YYYY-MM-DD)?", "DATE",
             option="--by")
AS_OF = Setting("as_of", str, "", "pretend the data ends on this date, YYYY-MM-DD "
                "(default: the last finish)", "DATE")

# --- the throughput sample -------------------------------------------------------------------

PERIOD = Setting("period", str, "week", "throughput counted per calendar day (zero days "
                 "included), per working day or per week", choices=("day", "workday", "week"))
SPRINT_WEEKS = Setting("sprint_weeks", int, 1, "weeks per period with --period week; 2 for "
                       "two-week sprints", "W", minimum=1, maximum=52)
WINDOW_DAYS = Setting("window_days", int, 90, "throughput sample: the last D days of data, the "
                      "team's recent pace (teams change; it backtested better than all history "
                      "on the bundled exports); 0: all history", "D", minimum=0,
                      maximum=36_500)
HALF_LIFE_DAYS = Setting("half_life_days", float, 0.0, "weight recent periods more: a period "
                         "H days older counts half; 0: all periods weigh the same", "H",
                         minimum=0, maximum=36_500)
COUNTRY = Setting("country", str, "", "public holidays of this country, an ISO code such as US "
                  "(default: none)", "CODE")
WORKDAYS = Setting("workdays", str, "mon,tue,wed,thu,fri", "working weekdays", "DAYS")

# --- the runs ----------------------------------------------------------------------------------

TRIALS = Setting("trials", int, 10_000, "Monte Carlo futures", "N", minimum=1,
                 maximum=limits.MAX_TRIALS)
SEED = Setting("seed", int, 0, "random seed: the same seed gives the same numbers", "S",
               minimum=0, maximum=limits.MAX_SEED)
ORIGINS = Setting("origins", int, 100, "past dates the backtest forecasts from (a report "
                  "with 0 has no backtest)", "N", minimum=0, maximum=limits.MAX_ORIGINS)
METHOD = Setting("method", str, "calibrated", "calibrated: each percentile read where it came "
                 "true as often as stated on the team's past (raw until 60 past forecasts have "
                 "a known outcome, and said so); raw: straight off the simulated futures",
                 choices=("calibrated", "raw"))

# --- the file ----------------------------------------------------------------------------------

DATE_FORMAT = Setting("date_format", str, "", "date format, e.g. '%d/%b/%y %H:%M' (default: "
                      "detected)", "FMT")
WHERE = Setting("where", str, "", "keep only the rows whose COLUMN holds one of the VALUES "
                "(any case), e.g. --where Project=PAY,WEB; repeatable, every condition must hold "
                "(default: all rows)", "COLUMN=VALUES", repeatable=True)
DONE_RESOLUTIONS = Setting("done_resolutions", str, ",".join(DONE), "resolutions that are "
                           "delivered work; rows resolved otherwise (Duplicate, Won't Fix, "
                           "Cannot Reproduce...) are left out and counted", "A,B")
EXPORT_DATE = Setting("export_date", str, "", "the day the export was made, YYYY-MM-DD: dates "
                      "more than a year later are typos, left out (default: the file's "
                      "modification day)", "DATE")
TRANSITIONS = Setting("transitions", str, "", "a status-transition log, CSV with one row per "
                      "move (key, state entered, when; e.g. Jira's changelog): each item starts "
                      "on its first entry into a state of --states and finishes on its last "
                      "arrival in the last one (default: the export's date columns)", "LOG.csv")
TRANSITION_COLUMNS = Setting("transition_columns", str, "", "the log's key, state and date "
                             "columns, e.g. 'Issue key,To Status,Date' (default: detected)",
                             "KEY,STATE,DATE")

READING: tuple[Setting, ...] = (WHERE, DONE_RESOLUTIONS, EXPORT_DATE, TRANSITIONS,
                                TRANSITION_COLUMNS)
"""How the export is read: every history command takes them alike."""

ALL: tuple[Setting, ...] = (ITEMS, BY, AS_OF, PERIOD, SPRINT_WEEKS, WINDOW_DAYS, HALF_LIFE_DAYS,
                            COUNTRY, WORKDAYS, TRIALS, SEED, ORIGINS, METHOD, DATE_FORMAT,
                            *READING)
