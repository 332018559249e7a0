"""Loading a scenario: YAML -> extends -> overrides -> a validated, frozen `Scenario`.
Every mistake becomes one line `FILE: field.path: what is wrong (what is allowed)`.
"""

from __future__ import annotations

import copy
import difflib
import os
from collections.abc import Hashable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ValidationError,
)

from workbench.scenario import samples
from workbench.scenario.distributions import KINDS, Distribution
from workbench.scenario.errors import field_names, format_loc, show, validation_problems
from workbench.scenario.models import Scenario

# =================================================================================================
# Loading: YAML -> extends -> overrides -> a validated, frozen Scenario. Every mistake becomes one
# line `FILE: field.path: what is wrong (what is allowed)`, never a traceback.
# =================================================================================================

Overrides = Mapping[str, Any] | Iterable[str]
Origins = dict[tuple[Any, ...], str]  # field path -> the file that last set it (for error lines)


class ScenarioError(Exception):
    """A scenario the TPM must fix: `problems` holds one `FILE: field.path: ...` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def load_scenario(path: str | os.PathLike[str], overrides: Overrides = ()) -> Scenario:
    """Read a scenario file (following `extends`), apply overrides, validate and freeze it.

    Overrides change fields after the files are merged, for quick what-ifs: a mapping
    ``{"teams.platform.members": 8}`` or strings ``"teams.platform.members=8"`` whose value is
    read as YAML. Raises `ScenarioError` listing every problem found.
    """
    shown = str(path)
    data, origins = _resolve(Path(path), shown, overrides)
    return _validate(data, origins, shown, Path(path).parent)


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

class _Loader(yaml.SafeLoader):
    """`yaml.safe_load`, plus two checks a TPM needs: a key written twice is an error (otherwise
    the second epic of that name silently replaces the first), and an impossible date such as
    2027-02-30 is reported at its line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *anchor` is meant to be overridden by the keys beside it
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (allowed: each key once)",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid date {node.value!r}: {exc}", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _resolve(path: Path, shown: str, overrides: Overrides) -> tuple[dict[str, Any], Origins]:
    data, origins = _read_chain(path, shown, (), path.parent)
    for dotted, value in _override_pairs(overrides, shown):
        origins[_set_path(data, dotted, value, shown, strict=True)] = shown
    return data, origins


def _read_chain(path: Path, shown: str, chain: tuple[tuple[Path, str], ...],
                top_dir: Path) -> tuple[dict[str, Any], Origins]:
    """A file merged over the files it extends, and which file set each field."""
    data = _read_yaml(path, shown)
    if path.parent.resolve() != top_dir.resolve():
        _anchor_files(data, path.parent)
    parent = data.pop("extends", None)
    if parent is None:
        return data, _origins_of(data, shown)
    base_path, base_shown = _extends_target(parent, path, shown)
    chain = (*chain, (path.resolve(), shown))
    if base_path.resolve() in [p for p, _ in chain]:
        names = [name for _, name in chain] + [base_shown]
        raise ScenarioError([f"{shown}: extends: cycle {' -> '.join(names)} "
                             "(allowed: a chain that ends in a file without extends)"])
    base, origins = _read_chain(base_path, base_shown, chain, top_dir)
    origins.update(_origins_of(data, shown))
    return merge_scenario_data(base, data), origins


def _read_yaml(path: Path, shown: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{shown}: cannot read the file ({exc})"]) from None
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{shown}: {_yaml_problem(exc)}"]) from None
    if not isinstance(data, dict):
        what = "the file is empty" if data is None else f"{show(data)} is not a mapping"
        raise ScenarioError([f"{shown}: top level: {what} (allowed: a mapping of sections: "
                             f"{', '.join(field_names(Scenario))}, extends)"])
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark and mark \
                and exc.context_mark.line != mark.line:
            # YAML notices a mistake late (an unclosed bracket at the next key): point back too.
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        return f"line {mark.line + 1}: {problem}" if mark else problem
    return f"not valid YAML ({exc})"


def _extends_target(parent: Any, path: Path, shown: str) -> tuple[Path, str]:
    if not isinstance(parent, str) or not parent:
        raise ScenarioError([f"{shown}: extends: {show(parent)} is not a file name "
                             "(allowed: a path relative to this file, e.g. program.yaml)"])
    target = path.parent / parent
    target_shown = os.path.normpath(os.path.join(os.path.dirname(shown), parent))
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


def _origins_of(data: Mapping[str, Any], shown: str, prefix: tuple[Any, ...] = ()) -> Origins:
    origins: Origins = {}
    for key, value in data.items():
        origins[(*prefix, key)] = shown
        if isinstance(value, Mapping):
            origins.update(_origins_of(value, shown, (*prefix, key)))
    return origins


def _origin(origins: Origins, loc: tuple[Any, ...], default: str) -> str:
    for n in range(len(loc), 0, -1):
        if loc[:n] in origins:
            return origins[loc[:n]]
    return default


def _merged(old: Any, new: Any) -> Any:
    return merge_scenario_data(old, new) if _mergeable(old) and _mergeable(new) else new


def _mergeable(value: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(value, Mapping) and not (len(value) == 1 and next(iter(value)) in KINDS)


# --- overrides --------------------------------------------------------------------------------

def _override_pairs(overrides: Overrides, shown: str) -> list[tuple[str, Any]]:
    if isinstance(overrides, Mapping):
        return [(str(key), value) for key, value in overrides.items()]
    pairs = []
    for text in [overrides] if isinstance(overrides, str) else overrides:
        dotted, sep, raw = str(text).partition("=")
        if not sep or not dotted.strip():
            raise ScenarioError([f"{shown}: override {text!r}: expected field.path=value "
                                 "(e.g. teams.platform.members=8)"])
        try:
            value = yaml.load(raw, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
        except yaml.YAMLError as exc:
            raise ScenarioError([f"{shown}: {dotted.strip()}: override value {raw!r} is not "
                                 f"valid YAML ({_yaml_problem(exc)})"]) from None
        pairs.append((dotted.strip(), value))
    return pairs


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
        raise ScenarioError([f"{shown}: {dotted}: {where} has no item {key!r} "
                             f"(allowed: 0 to {len(node) - 1})"])
    raise ScenarioError([f"{shown}: {dotted}: {where} is {show(node)}, not a mapping or list "
                         "(allowed: a path to a field)"])


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
    problems = []
    for loc, _ in refs:
        node = _node_at(data, loc)
        try:
            node["empirical"] = samples.read_samples(node["empirical"], folder)
        except ValueError as exc:
            problems.append(f"{_origin(origins, loc, shown)}: {format_loc(loc)}: {exc}")
    if problems:
        raise ScenarioError(problems)
    return data


def _node_at(data: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


# --- validation and the JSON Schema -------------------------------------------------------------

def scenario_from_data(data: Mapping[str, Any], shown: str, folder: Path,
                       origins: Origins | None = None) -> Scenario:
    """Validate merged plain data (what `load_scenario_data` gives, perhaps changed) into a
    frozen `Scenario`, reading the history files of empirical distributions; ``shown`` names
    the source in error lines, ``folder`` is where relative file paths start."""
    return _validate(dict(data), origins or {}, shown, folder)


def _validate(data: dict[str, Any], origins: Origins, shown: str, folder: Path) -> Scenario:
    data = _with_samples(data, origins, shown, folder)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [f"{_origin(origins, loc, shown)}: {format_loc(loc)}: {msg}"
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
