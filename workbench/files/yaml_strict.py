"""A strict YAML reader for files people write by hand (sweep files; scenario files can use it
too): PyYAML's safe loader, plus three refusals, each a `StrictYAMLError` naming the line.

- A key given twice in one mapping (PyYAML silently keeps the last one: a sweep would quietly
  run other points than the ones the author reads at the top of the file).
- Aliases (``*name``): nothing a sweep needs, and the way a small file expands into billions
  of values.
- Nesting deeper than `limits.MAX_YAML_DEPTH`: PyYAML reads nesting recursively, and a file
  of ten thousand ``[`` would end in a RecursionError.

Messages never quote the file beyond a key's name (escaped for the terminal and shortened).
"""

from __future__ import annotations

from typing import Any

import yaml

from workbench.files.limits import MAX_YAML_DEPTH
from workbench.files.untrusted import for_terminal

MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictYAMLError(Exception):
    """The text is not YAML the strict reader accepts: ``line`` (1-based, 0 if unknown) and
    what is wrong."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(f"line {line}: {problem}" if line else problem)
        self.line, self.problem = line, problem


def _line(node_or_event: Any) -> int:
    mark = getattr(node_or_event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _shown_key(key: Any) -> str:
    text = for_terminal(key)
    return "'" + (text if len(text) <= 60 else text[:57] + "...") + "'"


class StrictLoader(yaml.SafeLoader):
    """`yaml.SafeLoader` refusing duplicate keys, aliases and deep nesting."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise StrictYAMLError(_line(self.peek_event()),
                                  "an alias (*name) is not allowed here (write the value out)")
        starts = self.check_event(yaml.MappingStartEvent, yaml.SequenceStartEvent)
        if starts:
            self._depth += 1
            if self._depth > MAX_YAML_DEPTH:
                raise StrictYAMLError(_line(self.peek_event()), f"nested more than "
                                      f"{MAX_YAML_DEPTH} levels deep (allowed: up to "
                                      f"{MAX_YAML_DEPTH})")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= bool(starts)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            _refuse_duplicates(self, node)
        return super().construct_mapping(node, deep=deep)


def _refuse_duplicates(loader: StrictLoader, node: yaml.MappingNode) -> None:
    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            seen = key in first
        except TypeError:
            raise StrictYAMLError(_line(key_node), "a key must be a plain value (text or "
                                  "number), not a list or mapping") from None
        if seen:
            raise StrictYAMLError(_line(key_node), f"duplicate key {_shown_key(key)} (first "
                                  f"on line {first[key]}; each key may appear once)")
        first[key] = _line(key_node)


def load(text: str) -> Any:
    """The YAML document in ``text``, read strictly. Raises `StrictYAMLError` for a refusal
    and `yaml.YAMLError` for text that is not YAML at all."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
