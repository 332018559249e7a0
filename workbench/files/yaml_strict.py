"""The one strict YAML reader for files people write by hand (scenario files, their ``--set``
values and sweep files): PyYAML's safe loader, plus four refusals, each a `StrictYAMLError`
naming the line.

- A key given twice in one mapping (PyYAML silently keeps the last one: the second epic of
  that name would replace the first, a sweep would run other points than the ones the author
  reads at the top of the file).
- A list or mapping as a key: nothing a file means, and a key must be comparable to be checked.
- Aliases (``*name``): no file needs them, and a few bytes of them can stand for gigabytes of
  data (a "billion laughs" file).
- Nesting deeper than the caller's bound (`limits.MAX_YAML_DEPTH` for a sweep file, the
  scenario limit ``nesting_depth``): the levels of mappings and lists, counted as they are
  read, before deep nesting can exhaust the parser.

An impossible date such as 2027-02-30 stays text, so validation names it at its field. The text
is read by libyaml when installed (many times faster on a big file); a mistake it finds is told
as the pure-Python reader tells it: its syntax messages are clearer, and it knows where an alias
stands (libyaml hands back the aliased value itself). Messages never quote the file beyond a
key's name (escaped for the terminal and shortened).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import yaml

from workbench.files.collector import no_cyclic_gc
from workbench.files.limits import MAX_YAML_DEPTH
from workbench.files.untrusted import for_terminal

MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictYAMLError(Exception):
    """The text is not YAML the strict reader accepts: ``line`` (1-based, 0 if unknown) and
    what is wrong. The subclasses say which refusal, with what a caller needs to word it."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line, self.problem = line, problem


class DuplicateKey(StrictYAMLError):
    """``key`` appears twice in one mapping; ``first`` is the line of its first appearance."""

    def __init__(self, line: int, key: Any, first: int) -> None:
        super().__init__(line, f"duplicate key {_shown_key(key)} (first on line {first}; "
                               "allowed: each key once)")
        self.key, self.first = key, first


class KeyNotPlain(StrictYAMLError):
    """A list or mapping stands where a key should be."""

    def __init__(self, line: int, key: Any) -> None:
        super().__init__(line, f"{_shown_key(key)} cannot be a key (allowed: a name or a "
                               "number, not a list or mapping)")
        self.key = key


class AliasRefused(StrictYAMLError):
    """An alias (``*name``) on ``line`` repeats the value written on ``value_line``."""

    def __init__(self, line: int, value_line: int) -> None:
        super().__init__(line, "an alias (*name) is not allowed here (write the value out)")
        self.value_line = value_line


class TooDeep(StrictYAMLError):
    """Mappings and lists nested more than ``most`` levels deep."""

    def __init__(self, line: int, most: int) -> None:
        super().__init__(line, f"nested more than {most} levels deep (allowed: up to {most})")
        self.most = most


def load(text: str, max_depth: int = MAX_YAML_DEPTH) -> Any:
    """The YAML document in ``text``, read strictly with nesting up to ``max_depth`` levels.
    Raises a `StrictYAMLError` for a refusal and `yaml.YAMLError` for text that is not YAML."""
    try:
        return _read(text, _Loader, max_depth)
    except yaml.constructor.ConstructorError:
        raise  # a value PyYAML cannot build: the same words from either parser
    except (yaml.YAMLError, AliasRefused) as exc:
        raise _clearer(text, max_depth, exc) from None
    except RecursionError:  # nested deeper than the reader can follow
        raise TooDeep(0, max_depth) from None


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML mistake as ``line N: what`` (where YAML noticed it late, the line it began too)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not valid YAML"
        if exc.problem and exc.context and exc.context_mark and mark \
                and exc.context_mark.line != mark.line:
            # YAML notices a mistake late (an unclosed bracket at the next key): point back too.
            problem += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        return f"line {mark.line + 1}: {problem}" if mark else problem
    return f"not valid YAML ({exc})"


def _clearer(text: str, max_depth: int, exc: Exception) -> Exception:
    """libyaml's mistake as the pure-Python reader tells it (or libyaml's, if that one cannot
    follow the text)."""
    try:
        _read(text, _PyLoader, max_depth)
    except (yaml.YAMLError, StrictYAMLError) as clearer:
        return clearer
    except RecursionError:
        pass
    return exc


def _read(text: str, kind: type[_Checks], max_depth: int) -> Any:
    loader = kind(text)
    loader.anchored = "&" in text  # no anchor, no alias: nothing to watch for
    loader.max_depth = max_depth
    try:
        with no_cyclic_gc():  # a big file's node tree: the collector would cost twice the read
            return loader.get_single_data()
    finally:
        loader.dispose()


def _line(node_or_event: Any) -> int:
    mark = getattr(node_or_event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def not_utf8(exc: UnicodeDecodeError) -> str:
    """What a file that is not UTF-8 text is told, for every YAML file alike."""
    return f"not UTF-8 text (byte {exc.start + 1} of the file; allowed: text saved as UTF-8)"


def _shown_key(key: Any) -> str:
    text = for_terminal(key)
    return "'" + (text if len(text) <= 60 else text[:57] + "...") + "'"


_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}
_SCALARS: dict[tuple[str, str], Any] = {}
_UNSET = object()

# The checks are a mixin for both loaders; for type checking they are a SafeLoader.
if TYPE_CHECKING:
    _CheckBase = yaml.SafeLoader
else:
    _CheckBase = object


class _Checks(_CheckBase):
    """The refusals, checked as the value is built from the node tree (libyaml composes the
    tree in C, out of reach of a Python hook)."""

    anchored = True  # whether the text may hold anchors (set per text: most have none)
    max_depth = MAX_YAML_DEPTH

    def construct_document(self, node: yaml.Node) -> Any:
        # Built directly from the node tree (no generator per mapping): faster on big files.
        return self._build(node, set(), 0)

    def _build(self, node: yaml.Node, seen: set[int], depth: int) -> Any:
        if self.anchored:
            if id(node) in seen:  # the same node twice: an alias (its own line is not known)
                raise AliasRefused(0, _line(node))
            seen.add(id(node))
        kind = type(node)
        if kind is yaml.SequenceNode or kind is yaml.MappingNode:
            if depth >= self.max_depth:
                raise TooDeep(_line(node), self.max_depth)
            if kind is yaml.SequenceNode:
                return [self._build(child, seen, depth + 1) for child in node.value]
            return self._mapping(node, seen, depth + 1)  # type: ignore[arg-type]  # a mapping
        key = (node.tag, node.value)
        value = _SCALARS.get(key, _UNSET)
        if value is _UNSET:
            value = self.construct_object(node)
            if len(_SCALARS) < 100_000:  # same text, same value: build each once
                _SCALARS[key] = value
        return value

    def _mapping(self, node: yaml.MappingNode, seen: set[int], depth: int) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}  # `<<: {...}` keys: the mapping's own keys win over them
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                self._merge(merged, node, self._build(value_node, seen, depth), value_node)
                continue
            key = self._build(key_node, seen, depth)
            if not isinstance(key, Hashable):
                raise KeyNotPlain(_line(key_node), key)
            if key in out:
                raise DuplicateKey(_line(key_node), key, self._first(node, key))
            out[key] = self._build(value_node, seen, depth)
        return {**merged, **out} if merged else out

    @staticmethod
    def _merge(merged: dict[Any, Any], node: yaml.Node, value: Any, value_node: yaml.Node
               ) -> None:
        """Add what a merge key brings, as PyYAML merges (the first mapping given wins)."""
        parts = (zip(value, value_node.value, strict=True) if isinstance(value, list)
                 else [(value, value_node)])
        for part, part_node in parts:
            if not isinstance(part, dict):
                what = "a mapping" if isinstance(value, list) else "a mapping or list of mappings"
                found = getattr(part_node, "id", "a value")  # scalar, sequence or mapping
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark,
                    f"expected {what} for merging, but found {found}", part_node.start_mark)
            for key, v in part.items():
                merged.setdefault(key, v)

    def _first(self, node: yaml.MappingNode, key: Any) -> int:
        """The line of ``key``'s first appearance in ``node`` (looked up only for the error: a
        line per key would slow every big file)."""
        for key_node, _ in node.value:
            if self._build(key_node, set(), 0) in (key,):  # as a dict compares keys
                return _line(key_node)
        return 0

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # A plain scalar's type depends only on its text, and a big file repeats the same texts
        # (team names, small numbers) thousands of times: resolve each text once.
        if kind is not yaml.ScalarNode or not implicit[0]:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < 100_000:
                _RESOLVED[key] = tag
        return tag

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # 2027-02-30: left as text, so validation names its field
            return node.value


class _PyLoader(_Checks, yaml.SafeLoader):
    """The same in pure Python, whose composer is reachable: an alias and deep nesting are
    refused where they stand, before the parser recurses into them."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            value = self.anchors.get(event.anchor)
            raise AliasRefused(_line(event), _line(value) if value is not None else 0)
        starts = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        if starts:
            self._depth += 1
            if self._depth > self.max_depth:
                raise TooDeep(_line(self.peek_event()), self.max_depth)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= bool(starts)


class _Loader(_Checks, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The checks on libyaml's parser when installed (without it, on PyYAML's parser, but not
    `_PyLoader`: the first of two mistakes named is the same either way)."""


for _cls in (_Loader, _PyLoader):
    _cls.add_constructor("tag:yaml.org,2002:timestamp", _cls.construct_yaml_timestamp)
