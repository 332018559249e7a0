"""pydantic errors as located one-liners a TPM can act on
(`teams.platform.focs: unknown key 'focs' (did you mean 'focus'?)`), used by the loader.
"""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import types
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, Tag, ValidationError
from pydantic.fields import FieldInfo

from workbench.scenario.distributions import Distribution

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


class ScenarioRuleError(ValueError):
    """A scenario breaks rules that span sections; `problems` holds each one with its field path."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        first = f"{format_loc(problems[0][0])}: {problems[0][1]}"
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(first + more)


def format_loc(loc: Loc) -> str:
    """A field path as a TPM types it in an override: ``teams.platform.hires.0.stage``."""
    return ".".join(str(part) for part in loc) if loc else "top level"


# --- cross-section rules ------------------------------------------------------------------------

def listing(names: list[str], most: int = 12) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:most])
    return shown + (", ..." if len(names) > most else "")




# --- pydantic errors as located one-liners --------------------------------------------------------

_NOT_A: dict[str, str] = {
    "int_type": "not a whole number", "int_parsing": "not a whole number",
    "int_from_float": "not a whole number", "float_type": "not a number",
    "float_parsing": "not a number", "string_type": "not text", "bool_type": "not true/false",
    "bool_parsing": "not true/false", "date_type": "not a date", "date_parsing": "not a date",
    "date_from_datetime_parsing": "not a date", "date_from_datetime_inexact": "not a date",
    "dict_type": "not a mapping", "model_type": "not a mapping",
    "model_attributes_type": "not a mapping", "tuple_type": "not a list", "list_type": "not a list",
    "literal_error": "not allowed", "members_form": "not a head count or a list of people",
    "items_form": "not an item count or a list of items", "none_required": "not allowed",
    "finite_number": "not a finite number",
}
_TOO: dict[str, str] = {"greater_than": "too small", "greater_than_equal": "too small",
                        "less_than": "too large", "less_than_equal": "too large"}


def validation_problems(error: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Pydantic's errors for ``root`` as (field path, message) pairs, one per mistake.

    Union tags are dropped from paths, unknown keys get a did-you-mean from the model's fields,
    and a "missing" field that an unknown key already explains (``frm`` for ``from``) is dropped.
    """
    errors = error.errors()
    explained = {_extra_explains(err, root) for err in errors} - {None}
    found: list[Problem] = []
    for err in errors:
        loc, ann, owner, field = walk_loc(root, err["loc"])
        if err["type"] == "missing" and (loc[:-1], loc[-1]) in explained:
            continue
        for problem in _problems_of(err, loc, ann, owner, field):
            if problem not in found:
                found.append(problem)
    return found


def _extra_explains(err: Any, root: type[BaseModel]) -> tuple[Loc, str] | None:
    """The (parent path, field name) a misspelt key most likely meant, if any."""
    if err["type"] != "extra_forbidden":
        return None
    loc, _, owner, _ = walk_loc(root, err["loc"])
    close = _close_field(str(loc[-1]), owner)
    return (loc[:-1], close) if close else None


def _problems_of(err: Any, loc: Loc, ann: Any, owner: type[BaseModel] | None,
                 field: FieldInfo | None) -> list[Problem]:
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ScenarioRuleError):  # rules across sections carry their own paths
        return [((*loc, *sub), msg) for sub, msg in cause.problems]
    return [(loc, _message(err, ann, owner, field))]


def _message(err: Any, ann: Any, owner: type[BaseModel] | None, field: FieldInfo | None) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    allowed = (describe_field(field, named=False) if field is not None
               else describe_type(ann, named=False))
    model = bare_type(ann)
    if inspect.isclass(model) and issubclass(model, BaseModel) and model is not Distribution:
        allowed = f"a mapping of {', '.join(field_names(model))}"
    if kind == "extra_forbidden":
        return _unknown_key(str(err["loc"][-1]), owner)
    if kind == "missing":
        return f"missing (required: {allowed})"
    if kind in ("value_error", "assertion_error"):
        scalar = value is None or isinstance(value, str | int | float | dt.date)
        return f"{ctx.get('error', err['msg'])}" + (f" (got {show(value)})" if scalar else "")
    if kind in _TOO:
        return f"{show(value)} is {_TOO[kind]} (allowed: {allowed})"
    if kind in ("too_short", "too_long"):
        return f"has {ctx.get('actual_length', '?')} entries (allowed: {allowed})"
    if kind in _NOT_A:
        detail = _detail(kind, value, ctx, ann)
        return f"{show(value)} is {_NOT_A[kind]}{detail} (allowed: {allowed})"
    return f"{err['msg']} (got {show(value)})"


def _detail(kind: str, value: Any, ctx: Mapping[str, Any], ann: Any) -> str:
    if kind.startswith("date_") and ctx.get("error"):
        return f": {ctx['error']}"
    if kind == "literal_error" and isinstance(value, str):
        close = difflib.get_close_matches(value, [str(a) for a in get_args(bare_type(ann))], n=1)
        return f"; did you mean {close[0]!r}?" if close else ""
    return ""


def _unknown_key(key: str, owner: type[BaseModel] | None) -> str:
    close = _close_field(key, owner)
    if close:
        return f"unknown key {key!r} (did you mean {close!r}?)"
    return f"unknown key {key!r} (allowed: {listing(field_names(owner), most=30)})"


def _close_field(key: str, owner: type[BaseModel] | None) -> str | None:
    close = difflib.get_close_matches(key, field_names(owner), n=1, cutoff=0.6)
    return close[0] if close else None


def field_names(model: type[BaseModel] | None) -> list[str]:
    """The keys a scenario file may use for a model (aliases where they differ, e.g. ``from``)."""
    if model is None:
        return []
    return [f.alias or name for name, f in model.model_fields.items()]


def show(value: Any) -> str:
    """A value as the TPM wrote it in YAML, short enough for one line."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


# --- walking a field path through the model classes ---------------------------------------------

def walk_loc(root: type[BaseModel], raw: Iterable[str | int]
             ) -> tuple[Loc, Any, type[BaseModel] | None, FieldInfo | None]:
    """Follow pydantic's error location through the models.

    Returns the user's field path (union tags dropped), the type expected there, the model that
    owns the last key and that key's field (None when the path ends in a list item or a value of a
    mapping).
    """
    ann: Any = root
    path: list[str | int] = []
    owner: type[BaseModel] | None = None
    field: FieldInfo | None = None
    for part in raw:
        ann = _drop_none(bare_type(ann))
        member = _union_member(ann, part)
        if member is not None:
            ann = member  # a union tag, not a key the user wrote
            continue
        path.append(part)
        ann, owner, field = _step(ann, part, owner)
    return tuple(path), ann, owner, field


def _step(ann: Any, part: str | int, owner: type[BaseModel] | None
          ) -> tuple[Any, type[BaseModel] | None, FieldInfo | None]:
    if inspect.isclass(ann) and issubclass(ann, BaseModel) and ann is not Distribution:
        field = _field(ann, str(part))
        return (field.annotation if field else Any), ann, field
    args = get_args(ann)
    if get_origin(ann) is dict and len(args) == 2:
        return args[1], owner, None
    if get_origin(ann) in (tuple, list) and args:
        index = part if isinstance(part, int) and args[-1] is not Ellipsis else 0
        return args[min(index, len(args) - 1)], owner, None
    return Any, owner, None


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field
    return None


def _union_member(ann: Any, part: str | int) -> Any:
    """The member of a tagged union that ``part`` names, or None if ``part`` is a real key."""
    if not is_union(ann) or not isinstance(part, str):
        return None
    for member in get_args(ann):
        tags = [m.tag for m in getattr(member, "__metadata__", ()) if isinstance(m, Tag)]
        if part in tags:
            return member
    return Any  # an untagged union: pydantic's tag is a type name, not a key


def is_union(ann: Any) -> bool:
    """Whether a type is ``A | B`` (however it was written)."""
    return get_origin(ann) in (Union, types.UnionType)


def bare_type(ann: Any) -> Any:
    """A type without its ``Annotated[...]`` wrappers (constraints, union tags)."""
    while get_origin(ann) is Annotated:
        ann = get_args(ann)[0]
    return ann


def _drop_none(ann: Any) -> Any:
    if not is_union(ann):
        return ann
    members = [m for m in get_args(ann) if m is not type(None)]
    return bare_type(members[0]) if len(members) == 1 else Union[tuple(members)]  # noqa: UP007


# --- describing what is allowed (error messages and the reference docs) ------------------------

def describe_field(field: FieldInfo, named: bool = True) -> str:
    """What a field accepts, in words: ``number > 0 and <= 1``, ``list of Hire`` (``named``:
    sections by their name, for the reference docs; else by their keys, for a message)."""
    return _with_bounds(describe_type(field.annotation, named), field.metadata)


def describe_type(ann: Any, named: bool = True) -> str:
    """What a type accepts, in words a scenario author understands."""
    meta = list(getattr(ann, "__metadata__", ()))
    text = _describe_bare(bare_type(ann), named)
    return _with_bounds(text, meta)


def _describe_bare(ann: Any, named: bool) -> str:
    if is_union(ann):
        return " or ".join(describe_type(m, named) for m in get_args(ann)
                           if m is not type(None))
    if get_origin(ann) is Literal:
        return "one of " + ", ".join(str(a) for a in get_args(ann))
    simple = {bool: "true or false", int: "whole number", float: "number", str: "text",
              dt.date: "date (YYYY-MM-DD)", Distribution: "distribution"}
    if ann in simple:
        return simple[ann]
    args = get_args(ann)
    if get_origin(ann) in (tuple, list):
        if len(args) == 2 and args[1] is Ellipsis or len(args) == 1:
            element = bare_type(args[0])
            if not named and _is_section(element):
                return f"list of mappings (keys: {', '.join(field_names(element))})"
            return f"list of {describe_type(args[0], named)}"
        return "[" + ", ".join(describe_type(a, named) for a in args) + "]"
    if get_origin(ann) is dict:
        return f"mapping of name to {describe_type(args[1], named)}"
    if _is_section(ann):
        return ann.__name__ if named else f"a mapping (keys: {', '.join(field_names(ann))})"
    return "any value"


def _is_section(ann: Any) -> bool:
    return inspect.isclass(ann) and issubclass(ann, BaseModel) and ann is not Distribution


def _with_bounds(text: str, meta: Iterable[Any]) -> str:
    words = list(_bound_words(meta))
    return f"{text} {' and '.join(words)}" if words else text


def _bound_words(meta: Iterable[Any]) -> Iterator[str]:
    for m in meta:
        if isinstance(m, FieldInfo):
            yield from _bound_words(m.metadata)
        elif isinstance(m, at.Gt):
            yield f"> {m.gt}"
        elif isinstance(m, at.Ge):
            yield f">= {m.ge}"
        elif isinstance(m, at.Lt):
            yield f"< {m.lt}"
        elif isinstance(m, at.Le):
            yield f"<= {m.le}"
        elif isinstance(m, at.MinLen):
            yield f"with at least {m.min_length} {'entry' if m.min_length == 1 else 'entries'}"
        elif isinstance(m, at.MaxLen):
            yield f"with at most {m.max_length} entries"
