"""Loading a scenario: YAML -> extends -> overrides -> a validated, frozen `Scenario`.
Every mistake becomes one line `FILE: field.path: what is wrong (what is allowed)`.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from workbench.files import limits, project, yaml_strict
from workbench.files.collector import no_cyclic_gc
from workbench.scenario import samples
from workbench.scenario.distributions import KINDS, Distribution
from workbench.scenario.errors import field_names, format_loc, show, validation_problems
from workbench.scenario.models import Scenario
from workbench.scenario.progress import remaining

# =================================================================================================
# Loading: YAML -> extends -> overrides -> a validated, frozen Scenario. Every mistake becomes one
# line `FILE: field.path: what is wrong (what is allowed)`, never a traceback.
# =================================================================================================

Overrides = Mapping[str, Any] | Iterable[str]
class Origins:
    """Which file set each field (for error lines), looked up only when a line is written: the
    files of an `extends` chain, base first, and the fields set by overrides."""

    def __init__(self, layers: list[tuple[str, Mapping[str, Any]]] | None = None) -> None:
        self.layers = layers or []
        self.overrides: dict[tuple[Any, ...], str] = {}

    def names(self) -> set[str]:
        return {name for name, _ in self.layers} | set(self.overrides.values())

    def of(self, loc: tuple[Any, ...], default: str) -> str:
        """The file that last set the longest prefix of ``loc`` that any file sets."""
        for n in range(len(loc), 0, -1):
            if loc[:n] in self.overrides:
                return self.overrides[loc[:n]]
            for name, data in reversed(self.layers):
                if _has_path(data, loc[:n]):
                    return name
        return default


def _has_path(data: Any, loc: tuple[Any, ...]) -> bool:
    for part in loc:
        if not isinstance(data, Mapping) or part not in data:
            return False
        data = data[part]
    return True


class ScenarioError(Exception):
    """A scenario the TPM must fix: `problems` holds one `FILE: field.path: ...` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_scenario(path: str | os.PathLike[str], overrides: Overrides = (), *,
                  progress: bool = True) -> Scenario:
    """Read a scenario file (following `extends`), apply overrides, validate and freeze it.

    Overrides change fields after the files are merged, for quick what-ifs: a mapping
    ``{"teams.platform.members": 8}`` or strings ``"teams.platform.members=8"`` whose value is
    read as YAML. Raises `ScenarioError` listing every problem found. The scenario forecasts
    from its progress (`progress.remaining`: the work left, started at `as_of`);
    ``progress=False`` gives it as written.
    """
    shown = str(path)
    with no_cyclic_gc():  # many small objects, freed by reference counting: see collector
        data, origins = _resolve(Path(path), shown, overrides)
        try:
            scenario = _validate(data, origins, shown, Path(path).parent)
            return remaining(scenario) if progress else scenario
        except ScenarioError as exc:
            raise ScenarioError(_blamed(exc.problems, Path(path), shown, origins)) from None


def _blamed(problems: list[str], path: Path, shown: str, origins: Origins) -> list[str]:
    """A rule that breaks only once a what-if is applied (its base file is sound on its own) is
    the what-if's mistake, even where the field it trips over was set in the base."""
    parent = _read_yaml(path, shown).get("extends")
    if parent is None:
        return problems
    base, _ = _extends_target(parent, path, shown)
    try:
        load_scenario(base)
    except ScenarioError:
        return problems  # the base has mistakes of its own: each line keeps its file
    bases = {name for name in origins.names() if name != shown}
    return [next((shown + line[len(b):] for b in bases if line.startswith(b + ": ")), line)
            for line in problems]


def load_scenario_data(path: str | os.PathLike[str], overrides: Overrides = ()) -> dict[str, Any]:
    """The merged plain data of a scenario (after extends and overrides), not yet validated."""
    return _resolve(Path(path), str(path), overrides)[0]


def merge_scenario_data(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """How `extends` combines two files: mappings merge key by key and the child wins; lists and
    distributions are replaced whole (half of one triangular and half of another means nothing)."""
    out = dict(base)
    for key, value in child.items():
        out[key] = _merged(out.get(key), value)
    return out


def nested(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted field paths as the nested mapping a scenario file holds:
    ``{"teams.platform.members": 8}`` -> ``{"teams": {"platform": {"members": 8}}}``."""
    out: dict[str, Any] = {}
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out


def dump_overrides_yaml(base_path: str | os.PathLike[str], changes: Mapping[str, Any], *,
                        out_dir: str | os.PathLike[str] | None = None,
                        comment: str | None = None) -> str:
    """The text of a what-if file: ``extends: <base>`` plus only the changed fields.

    ``changes`` maps dotted field paths (or whole sections) to new values; distributions may be
    given as `Distribution` objects. ``extends`` is written relative to ``out_dir`` (default: the
    what-if is saved beside its base).
    """
    base = Path(base_path)
    extends = os.path.relpath(base, out_dir) if out_dir is not None else base.name
    nested: dict[str, Any] = {}
    for dotted, value in changes.items():
        _set_path(nested, str(dotted), _plain(value), str(base))
    head = f"# {comment or f'What-if on {base.name}: only the fields that differ.'}\n"
    body = yaml.safe_dump({"extends": extends.replace(os.sep, "/"), **nested}, sort_keys=False,
                          allow_unicode=True, default_flow_style=None)
    return head + body


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema of a scenario file, for editors and `workbench schema`. A file with `extends`
    is checked leniently: its required fields may come from the base."""
    full = _any_of(Scenario.model_json_schema(by_alias=True))
    defs: dict[str, Any] = full.pop("$defs", {})
    full["properties"]["extends"] = {
        "type": "string", "description": "A scenario file this one builds on (relative path); "
                                         "this file only lists what differs."}
    defs["Scenario"] = full
    partial = {f"Partial{name}": _partial(node) for name, node in defs.items()}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "TPM Workbench scenario", "description": Scenario.__doc__,
            "type": "object", "$defs": {**defs, **partial},
            "if": {"required": ["extends"]},
            "then": {"$ref": "#/$defs/PartialScenario"}, "else": {"$ref": "#/$defs/Scenario"}}


# --- reading files ----------------------------------------------------------------------------

def _resolve(path: Path, shown: str, overrides: Overrides) -> tuple[dict[str, Any], Origins]:
    data, origins = _read_chain(path, shown, (), path.parent)
    for dotted, value in override_pairs(overrides, shown):
        origins.overrides[_set_path(data, dotted, value, shown, strict=True)] = shown
    return data, origins


def _read_chain(path: Path, shown: str, chain: tuple[tuple[Path, str], ...],
                top_dir: Path) -> tuple[dict[str, Any], Origins]:
    """A file merged over the files it extends, and which file set each field."""
    data = _read_yaml(path, shown)
    if path.parent.resolve() != top_dir.resolve():
        _anchor_files(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, Origins([(shown, data)])
    base_path, base_shown = _extends_target(parent, path, shown, project.allowed_roots(top_dir))
    chain = (*chain, (path.resolve(), shown))
    too_long = limits.current().problem("extends_depth", len(chain) + 1, "the extends chain")
    if too_long:
        raise ScenarioError([f"{shown}: extends: {too_long}"])
    if base_path.resolve() in [p for p, _ in chain]:
        names = [name for _, name in chain] + [base_shown]
        raise ScenarioError([f"{shown}: extends: cycle {' -> '.join(names)} "
                             "(allowed: a chain that ends in a file without extends)"])
    base, origins = _read_chain(base_path, base_shown, chain, top_dir)
    origins.layers.append((shown, data))
    return merge_scenario_data(base, data), origins


def _read_yaml(path: Path, shown: str) -> dict[str, Any]:
    limit = limits.current()
    try:
        big = limit.problem("file_mb", round(path.stat().st_size / 1e6, 1), "the file's size in MB")
        if big:
            raise ScenarioError([f"{shown}: top level: {big}"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: file not found"]) from None
    except IsADirectoryError:
        raise ScenarioError([f"{shown}: is a folder (allowed: a scenario file)"]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([f"{shown}: {yaml_strict.not_utf8(exc)}"]) from None
    except OSError as exc:
        raise ScenarioError([f"{shown}: cannot read the file ({exc.strerror or exc})"]) from None
    try:
        data = yaml_strict.load(text, limit.nesting_depth)
    except (yaml.YAMLError, yaml_strict.StrictYAMLError) as exc:
        raise ScenarioError([f"{shown}: {_yaml_problem(exc, limit)}"]) from None
    if not isinstance(data, dict):  # not a scenario: say what it is, never what it says
        what = "the file is empty" if data is None else f"{_kind(data)} is not a mapping"
        raise ScenarioError([f"{shown}: top level: {what} (allowed: a mapping of sections: "
                             f"{', '.join(field_names(Scenario))}, extends)"])
    return data


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    return "a text" if isinstance(value, str) else f"a {type(value).__name__}"


def _size_problems(data: Mapping[str, Any], shown: str) -> list[str]:
    """The scenario's size against the limits, before any validation work."""
    limit = limits.current()
    epics = data.get("epics")
    epics = epics if isinstance(epics, dict) else {}
    found = [(f"{shown}: epics", limit.problem("epics", len(epics), "the number of epics"))]
    total = 0
    for name, epic in epics.items():
        items = epic.get("items") if isinstance(epic, dict) else None
        n = len(items) if isinstance(items, list) else items if isinstance(items, int) else 0
        total += n
        found.append((f"{shown}: epics.{name}.items", limit.problem(
            "items_per_epic", n, "the number of items")))
    if not any(line for _, line in found):  # one line per mistake: a huge epic is huge total
        found.append((f"{shown}: epics", limit.problem("items", total,
                                                        "the items of all epics")))
    horizon = data.get("horizon_days")
    if isinstance(horizon, int):
        found.append((f"{shown}: horizon_days", limit.problem("horizon_days", horizon,
                                                                "horizon_days")))
    return [f"{where}: {line}" for where, line in found if line][:5]


def _yaml_problem(exc: yaml.YAMLError | yaml_strict.StrictYAMLError, limit: limits.Limits) -> str:
    """A mistake of the YAML in a scenario's words: its refusals name what a scenario file
    allows instead (its error catalogue pins them), and deep nesting is a limit to raise."""
    if isinstance(exc, yaml.YAMLError):
        return yaml_strict.yaml_problem(exc)
    if isinstance(exc, yaml_strict.TooDeep):  # said of the whole file: it is a limit
        return "top level: " + str(limit.problem("nesting_depth", limit.nesting_depth + 1,
                                                 "the nesting depth"))
    if isinstance(exc, yaml_strict.AliasRefused):
        return (f"line {exc.value_line or exc.line}: an alias (*name) repeats a value written "
                "elsewhere (allowed: no anchors or aliases in scenario files; write the value "
                "out, or use extends)")
    return str(exc)  # duplicate keys and keys that are not plain: as every YAML file is told


def _extends_target(parent: Any, path: Path, shown: str, roots: list[Path] | None = None
                    ) -> tuple[Path, str]:
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([f"{shown}: extends: {show(parent)} is not a file name "
                             "(allowed: a path relative to this file, e.g. program.yaml)"])
    target = path.parent / parent
    target_shown = os.path.normpath(os.path.join(os.path.dirname(shown), parent))
    escaped = project.outside(target, roots) if roots else None
    if escaped is not None:  # checked before looking: say nothing of what is out there
        raise ScenarioError([f"{shown}: extends: {parent!r} is outside the project folder "
                             f"{escaped} (allowed: files under it, or under a folder given "
                             "with --allow-path DIR)"])
    if target.is_dir():
        raise ScenarioError([f"{shown}: extends: {parent!r} is a folder (allowed: a scenario "
                             "file, e.g. program.yaml)"])
    if not target.is_file():
        raise ScenarioError([f"{shown}: extends: file {parent!r} not found "
                             f"(looked for {target_shown})"])
    return target, target_shown


def _anchor_files(node: Any, folder: Path) -> None:
    """Make `empirical: {file: ...}` paths absolute, so a base file in another folder keeps
    pointing at its own history export after merging."""
    if isinstance(node, dict):
        ref = node.get("empirical")
        if isinstance(ref, dict) and isinstance(ref.get("file"), str) \
                and not os.path.isabs(ref["file"]):
            ref["file"] = str((folder / ref["file"]).resolve())
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            _anchor_files(child, folder)



def _merged(old: Any, new: Any) -> Any:
    return merge_scenario_data(old, new) if _mergeable(old) and _mergeable(new) else new


def _mergeable(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping) and not (len(value) == 1 and next(iter(value)) in KINDS)


# --- overrides --------------------------------------------------------------------------------

def override_pairs(overrides: Overrides, shown: str) -> list[tuple[str, Any]]:
    """Overrides as ``(field.path, value)`` pairs, each string's value read as YAML by the
    strict reader; a mistake is a `ScenarioError` line on ``shown``."""
    if isinstance(overrides, Mapping):
        return [(str(key), value) for key, value in overrides.items()]
    limit, pairs = limits.current(), []
    for text in [overrides] if isinstance(overrides, str) else overrides:
        dotted, sep, raw = str(text).partition("=")
        if not sep or not dotted.strip():
            raise ScenarioError([f"{shown}: override {text!r}: expected field.path=value "
                                 "(e.g. teams.platform.members=8)"])
        try:
            raw.encode("utf-8")
            value = yaml_strict.load(raw, limit.nesting_depth)
        except UnicodeEncodeError:  # the shell passed bytes that are not UTF-8
            raise ScenarioError([f"{shown}: {dotted.strip()}: override value "
                                 f"{_quoted(raw)} is not UTF-8 text"]) from None
        except (yaml.YAMLError, yaml_strict.StrictYAMLError) as exc:
            raise ScenarioError([f"{shown}: {dotted.strip()}: override value {_quoted(raw)} is "
                                 f"not valid YAML ({_yaml_problem(exc, limit)})"]) from None
        pairs.append((dotted.strip(), value))
    return pairs


def _quoted(raw: str, most: int = 80) -> str:
    """A value as typed, quoted, cut to ``most`` characters (an error line stays one line)."""
    return repr(raw) if len(raw) <= most else repr(raw[:most]) + f"… ({len(raw)} characters)"


def _set_path(data: dict[str, Any], dotted: str, value: Any, shown: str, strict: bool = False
              ) -> tuple[Any, ...]:
    """Set ``a.b.0.c`` in nested data (creating mappings on the way); returns the path set.
    ``strict``: a path through a named section must name an entry that exists."""
    node: Any = data
    done: list[Any] = []
    keys = dotted.split(".")
    for i, key in enumerate(keys):
        part = _path_part(node, key, shown, dotted, tuple(done))
        done.append(part)
        if i == len(keys) - 1:
            old = node[part] if isinstance(node, list) else node.get(part)
            node[part] = _merged(old, value)
        else:
            if isinstance(node, dict) and node.get(part) is None:
                if keys[i + 1].isdigit():  # an item of a list the scenario does not have
                    _no_list(format_loc(tuple(done)), shown, dotted)
                if strict:
                    _must_exist(node, part, tuple(done), shown, dotted)
                node[part] = {}
            node = node[part]
    return tuple(done)


# Sections whose keys are names the user chose: a path through one of them must name an
# existing entry, or a typo (`teams.platfrm.members=8`) would quietly add a new team.
_NAMED = {("teams",), ("epics",), ("risks",), ("milestones",), ("teams", "*", "stages")}


def _must_exist(node: dict[str, Any], part: str, path: tuple[Any, ...], shown: str,
                dotted: str) -> None:
    parent = path[:-1]
    if not any(len(p) == len(parent) and all(a in ("*", b) for a, b in zip(p, parent, strict=True))
               for p in _NAMED):
        return
    known = [str(k) for k in node]
    close = difflib.get_close_matches(str(part), known, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ScenarioError([f"{shown}: {dotted}: no {format_loc(parent)} entry {part!r} "
                         f"({hint}known: {', '.join(known) or 'none'})"])


def _path_part(node: Any, key: str, shown: str, dotted: str, done: tuple[Any, ...]) -> Any:
    if isinstance(node, dict):
        return key
    where = format_loc(done)
    if isinstance(node, list):
        if key.isdigit() and int(key) < len(node):
            return int(key)
        if not node:
            _no_list(where, shown, dotted)
        raise ScenarioError([f"{shown}: {dotted}: {where} has no item {key!r} "
                             f"(allowed: 0 to {len(node) - 1})"])
    raise ScenarioError([f"{shown}: {dotted}: {where} is {show(node)}, not a mapping or list "
                         "(allowed: a path to a field)"])


def _no_list(where: str, shown: str, dotted: str) -> None:
    raise ScenarioError([f"{shown}: {dotted}: the scenario has no {where} yet, so no item to "
                         f"change (allowed: give the whole list, e.g. --set '{where}=[...]')"])


def _plain(value: Any) -> Any:
    """A value as it is written in a scenario file (for what-if files)."""
    if isinstance(value, Distribution):
        return value.user_form()
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(by_alias=True, exclude_defaults=True))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _with_samples(data: dict[str, Any], origins: Origins, shown: str, folder: Path
                  ) -> dict[str, Any]:
    """A copy of ``data`` with each `empirical: {file: ...}` replaced by the file's samples."""
    refs = list(samples.file_refs(data))
    if not refs:
        return data
    data = copy.deepcopy(data)  # the caller's data keeps its file references
    problems, roots = [], project.allowed_roots(folder)
    for loc, _ in refs:
        node = _node_at(data, loc)
        try:
            node["empirical"] = samples.read_samples(node["empirical"], folder, roots)
        except ValueError as exc:
            problems.append(f"{origins.of(loc, shown)}: {format_loc(loc)}: {exc}")
    if problems:
        raise ScenarioError(problems)
    return data


def _node_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


# --- validation and the JSON Schema -------------------------------------------------------------

def scenario_from_data(data: Mapping[str, Any], shown: str, folder: Path,
                       origins: Origins | None = None, *, progress: bool = True) -> Scenario:
    """Validate merged plain data (what `load_scenario_data` gives, perhaps changed) into a
    frozen `Scenario`, reading the history files of empirical distributions; ``shown`` names
    the source in error lines, ``folder`` is where relative file paths start. Like
    `load_scenario`, it forecasts from progress (``progress=False``: as written)."""
    scenario = _validate(dict(data), origins or Origins(), shown, folder)
    return remaining(scenario) if progress else scenario


def _validate(data: dict[str, Any], origins: Origins, shown: str, folder: Path) -> Scenario:
    too_big = _size_problems(data, shown)
    if too_big:
        raise ScenarioError(too_big)
    data = _with_samples(data, origins, shown, folder)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [f"{origins.of(loc, shown)}: {format_loc(loc)}: {msg}"
                 for loc, msg in validation_problems(exc, Scenario)]
        raise ScenarioError(lines) from None


def _any_of(node: Any) -> Any:
    # pydantic writes our tagged unions as oneOf, but {fixed: 3} is both a distribution and a
    # one-stage effort mapping; anyOf accepts what the loader accepts.
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_any_of(v) for v in node]
    return node


def _partial(node: dict[str, Any]) -> dict[str, Any]:
    """A schema definition with nothing required (for files with `extends`)."""
    out = _renamed_refs(node)
    out.pop("required", None)
    return out


def _renamed_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (v.replace("#/$defs/", "#/$defs/Partial") if k == "$ref" else _renamed_refs(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(v) for v in node]
    return node


def base_file(path: str | os.PathLike[str]) -> Path | None:
    """The file a scenario `extends` (its plan of record), or None when it extends none."""
    parent = _read_yaml(Path(path), str(path)).get("extends")
    return None if parent is None else _extends_target(parent, Path(path), str(path))[0]
