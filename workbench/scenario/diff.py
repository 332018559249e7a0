"""What changed between two versions of a scenario, named as a TPM would say it ("the platform
hire moving to 5 April 2027", "4 items added to payouts", "progress"), and the path from the
old version to the new one changing one thing at a time (what the attribution replays).

The comparison is of the scenarios as written (fully resolved, progress not yet applied), as
plain data: mappings are compared key by key, a list is one value. Work done and a later report
date are one change, "progress". Fields that do not move a date (name, owner, asks, status
thresholds, a risk's owner or mitigation, the budget) are not changes here.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from workbench.scenario.models import Scenario

Path = tuple[Any, ...]
PROGRESS = "progress"
# Fields that never move a forecast date (they are shown, not simulated).
_SILENT = {("name",), ("description",), ("owner",), ("asks",), ("status",), ("currency",),
           ("budget",)}
_SILENT_IN_RISK = {"owner", "mitigation"}
_PROGRESS_ITEM_FIELDS = {"done", "remaining_days"}


@dataclass(frozen=True)
class Change:
    """One difference between the versions: its words and the fields it sets. Dates in the
    words are ``{0}``, ``{1}``... with ISO dates in ``dates``, for the present layer to write
    in its one date format (`label`)."""

    words: str
    paths: tuple[Path, ...]
    dates: tuple[str, ...] = ()

    def label(self, date_format: Callable[[str], str] = str) -> str:
        """The words, dates written by ``date_format`` (e.g. `present.formats.long_date`)."""
        return self.words.format(*(date_format(d) for d in self.dates))


def joined(found: Sequence[Change], date_format: Callable[[str], str] = str) -> str:
    """Several changes that count as one step: 'a and b'."""
    return " and ".join(c.label(date_format) for c in found)


def changes(old: Scenario, new: Scenario) -> list[Change]:
    """The differences that can move a forecast, in file order, progress last."""
    a, b = _data(old), _data(new)
    named: list[Change] = []
    progress: list[Path] = []
    for path in _leaf_differences(a, b, ()):
        if _silent(path):
            continue
        if _is_progress(path, a, b):
            progress.append(path)
        else:
            words, dates = _label(path, _get(a, path), _get(b, path))
            named.append(Change(words.replace("{", "{{").replace("}", "}}")
                                .replace("{{date}}", "{0}"), (path,), dates))
    return named + ([Change(PROGRESS, tuple(progress))] if progress else [])


def steps(old: Scenario, new: Scenario) -> list[tuple[list[Change], Scenario]]:
    """The versions met going from ``old`` to ``new`` one change at a time, each with the
    change(s) that made it; the last one is ``new`` itself. A change that leaves the scenario
    invalid on its own (a milestone naming an epic added later) goes with the next."""
    base, target = _data(old), _data(new)
    out: list[tuple[list[Change], Scenario]] = []
    pending: list[Change] = []
    found = changes(old, new)
    for i, change in enumerate(found):
        for path in change.paths:
            _put(base, path, _get(target, path))
        pending.append(change)
        version = new if i == len(found) - 1 else _valid(base)
        if version is not None:
            out.append((pending, version))
            pending = []
    return out


def _data(s: Scenario) -> dict[str, Any]:
    return s.model_dump(mode="json", by_alias=True)


def _valid(data: Mapping[str, Any]) -> Scenario | None:
    try:
        return Scenario.model_validate(copy.deepcopy(dict(data)))
    except (ValidationError, ValueError):
        return None


_ABSENT = object()


def _leaf_differences(a: Any, b: Any, here: Path) -> Iterator[Path]:
    if isinstance(a, dict) and isinstance(b, dict) and not _distribution(a, b):
        for key in [*a, *(k for k in b if k not in a)]:
            yield from _leaf_differences(a.get(key, _ABSENT), b.get(key, _ABSENT), (*here, key))
    elif a != b:
        yield here


def _distribution(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return "kind" in a and "params" in a or "kind" in b and "params" in b


def _get(data: Any, path: Path) -> Any:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return _ABSENT
        data = data[part]
    return data


def _put(data: dict[str, Any], path: Path, value: Any) -> None:
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    if value is _ABSENT:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = copy.deepcopy(value)


def _silent(path: Path) -> bool:
    return path[:1] in _SILENT or path[:1] == ("risks",) and len(path) > 2 \
        and path[2] in _SILENT_IN_RISK


def _is_progress(path: Path, a: Any, b: Any) -> bool:
    if path == ("as_of",) or len(path) == 3 and path[0] == "epics" and path[2] == "done":
        return True
    if len(path) == 3 and path[0] == "epics" and path[2] == "items":
        return _only_progress(_get(a, path), _get(b, path))
    return False


def _only_progress(old: Any, new: Any) -> bool:
    """Two lists of items that differ only in which are done and what is left."""
    if not (isinstance(old, list) and isinstance(new, list)) or len(old) != len(new):
        return False
    strip = [{k: v for k, v in item.items() if k not in _PROGRESS_ITEM_FIELDS}
             for item in (*old, *new) if isinstance(item, dict)]
    return strip[:len(old)] == strip[len(old):]


def _label(path: Path, old: Any, new: Any) -> tuple[str, tuple[str, ...]]:
    """The change in a TPM's words, a date in them as ``{date}`` (and the ISO dates)."""
    if path[-1] in ("target", "start", "date", "at", "not_before") and isinstance(new, str):
        return f"{_where(path)} moving to {{date}}", (new,)
    moved = _moved_hire(old, new) if path[0] == "teams" and path[2:] == ("hires",) else None
    if moved is not None:
        return f"the {path[1]} hire moving to {{date}}", (moved,)
    return _plain_label(path, old, new), ()


def _plain_label(path: Path, old: Any, new: Any) -> str:
    kind = path[0]
    if len(path) == 2 and kind in ("epics", "teams", "risks", "milestones"):
        noun = kind[:-1] if kind != "epics" else "epic"
        return f"{noun} {path[1]} {'added' if old is _ABSENT else 'removed'}" \
            if _ABSENT in (old, new) else f"{noun} {path[1]} changed"
    if path[2:] == ("items",) and kind == "epics":
        return _items_label(path[1], old, new)
    if kind == "teams" and path[2:] == ("hires",):
        return _hires_label(path[1], old, new)
    if kind == "teams" and path[2:] == ("members",) and isinstance(old, int) \
            and isinstance(new, int):
        return f"{path[1]} from {old} to {new} people"
    return f"{_where(path)} from {_shown(old)} to {_shown(new)}"


def _items_label(epic: str, old: Any, new: Any) -> str:
    size = [len(v) if isinstance(v, list) else v for v in (old, new)]
    if all(isinstance(n, int) for n in size) and size[0] != size[1]:
        more = size[1] - size[0]
        return f"{abs(more)} items {'added to' if more > 0 else 'removed from'} {epic}"
    return f"the items of {epic} changed"


def _moved_hire(old: Any, new: Any) -> str | None:
    """The new date of the one hire whose date alone changed, if that is the whole change."""
    if not (isinstance(old, list) and isinstance(new, list) and len(old) == len(new)):
        return None
    differ = [(o, n) for o, n in zip(old, new, strict=True) if o != n]
    if len(differ) != 1:
        return None
    o, n = differ[0]
    same = {k: v for k, v in o.items() if k != "date"} == {k: v for k, v in n.items()
                                                             if k != "date"}
    return str(n["date"]) if same else None


def _hires_label(team: str, old: Any, new: Any) -> str:
    if isinstance(old, list) and isinstance(new, list) and len(new) != len(old):
        return f"{team} hires {'added' if len(new) > len(old) else 'removed'}"
    return f"the {team} hires changed"


def _where(path: Path) -> str:
    """``teams.platform.focus`` as 'platform focus'; ``milestones.ga.target`` 'the ga target'."""
    named = path[0] in ("teams", "epics", "risks", "milestones")
    parts = [str(p) for p in (path[1:] if named else path)]
    return ("the " if path[0] in ("milestones", "start") else "") + " ".join(parts) \
        .replace("_", " ")


def _shown(value: Any) -> str:
    if value is _ABSENT or value is None:
        return "none"
    if isinstance(value, dict) and "kind" in value:
        return f"{value['kind']} {value.get('params')}"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(map(str, value)) or "none"
    return str(value)
