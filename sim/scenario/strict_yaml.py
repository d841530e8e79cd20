"""A strict YAML reader for input files: the YAML 1.2 core schema, plain data only, bounded size.

PyYAML's ``safe_load`` follows YAML 1.1, which silently turns ``yes`` into ``True``, ``1:30``
into 90 and ``010`` into 8, keeps the last of two equal keys, builds ``!!binary`` bytes and
expands aliases without limit (a "billion laughs" file of a few hundred bytes grows to
gigabytes). :func:`parse` reads one document with:

- the YAML 1.2 core schema resolvers: booleans are only ``true``/``false``, integers decimal,
  ``0o`` octal or ``0x`` hexadecimal, floats without sexagesimal forms; no timestamps, no
  merge keys (``<<`` is an ordinary key);
- only the tags of plain data (``!!str``, ``!!int``, ``!!float``, ``!!bool``, ``!!null``,
  ``!!seq``, ``!!map``); any other tag is refused;
- duplicate keys refused, naming the key, its dotted path and line;
- nesting capped at :data:`MAX_DEPTH` levels and the document at :data:`MAX_NODES` values
  counted with aliases expanded (a recursive alias is refused), checked while composing, before
  anything is built.

Every refusal is a :class:`Refused` with a line number and, where known, a dotted path; no
message quotes a line of the source.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted (a scenario needs 6)."""
MAX_NODES = 100_000
"""Most values in one document, aliases expanded (the baseline scenario has about 700)."""
MAX_FILE_BYTES = 4_000_000
"""Largest input file read (the largest shipped input file is about 20 kB)."""

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")


class Refused(yaml.YAMLError):
    """A document this reader will not build: a line number, a dotted path and the reason."""

    def __init__(self, mark: Any, path: str, message: str) -> None:
        self.line = mark.line + 1 if mark is not None else None
        self.path = path
        self.message = message
        super().__init__(message)


def printable(text: str) -> str:
    """``text`` with control characters escaped (as ``repr`` does), so a message is one line."""
    return text if text.isprintable() else repr(text)[1:-1]


def join(path: str, key: Any) -> str:
    """The dotted path of ``key`` inside ``path`` (integers as ``[i]``)."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    part = printable(str(key))
    return f"{path}.{part}" if path else part


class CoreResolver(BaseResolver):
    """Implicit types of plain scalars by the YAML 1.2 core schema."""


for _tag, _pattern, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+0123456789."),
    ("null", _NULL, ["~", "n", "N", ""]),
):
    CoreResolver.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", _pattern, list(_first))


class StrictConstructor(SafeConstructor):
    """Builds plain data only; refuses duplicate keys and scalars that are not YAML 1.2."""

    yaml_constructors: dict = {}

    def flatten_mapping(self, node: MappingNode) -> None:
        """No YAML 1.1 merge keys: ``<<`` is an ordinary key (and ``!!merge`` an unknown tag)."""

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise ConstructorError(None, None, "expected a mapping", node.start_mark)
        path = self.paths.get(node, "")  # type: ignore[attr-defined]
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                raise Refused(key_node.start_mark, path, "a key must be a plain value")
            if key in mapping:
                raise Refused(key_node.start_mark, join(path, key), "the key appears twice")
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def construct_core_bool(self, node: ScalarNode) -> bool:
        value = self.construct_scalar(node)
        if not _BOOL.match(value):
            raise Refused(node.start_mark, "", "a boolean is true or false")
        return value.lower() == "true"

    def construct_core_int(self, node: ScalarNode) -> int:
        value = self.construct_scalar(node)
        if not _INT.match(value):
            raise Refused(node.start_mark, "", "not an integer in YAML 1.2")
        if value.startswith("0o"):
            return int(value[2:], 8)
        if value.startswith("0x"):
            return int(value[2:], 16)
        return int(value)

    def construct_core_float(self, node: ScalarNode) -> float:
        value = self.construct_scalar(node)
        if not _FLOAT.match(value):
            raise Refused(node.start_mark, "", "not a number in YAML 1.2")
        lower = value.lower()
        if lower.endswith((".inf", ".nan")):
            return float(lower.replace(".", ""))
        return float(value)

    def construct_core_null(self, node: ScalarNode) -> None:
        if not _NULL.match(self.construct_scalar(node)):
            raise Refused(node.start_mark, "", "null is written null, ~ or nothing")
        return None


for _tag, _build in (
    ("null", StrictConstructor.construct_core_null),
    ("bool", StrictConstructor.construct_core_bool),
    ("int", StrictConstructor.construct_core_int),
    ("float", StrictConstructor.construct_core_float),
    ("str", SafeConstructor.construct_yaml_str),
    ("seq", SafeConstructor.construct_yaml_seq),
    ("map", SafeConstructor.construct_yaml_map),
):
    StrictConstructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _build)
StrictConstructor.add_constructor(None, SafeConstructor.construct_undefined)


class StrictLoader(Reader, Scanner, Parser, Composer, StrictConstructor, CoreResolver):
    """Reader, scanner and parser of PyYAML; a composer that bounds depth and expanded size."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        StrictConstructor.__init__(self)
        CoreResolver.__init__(self)
        self.paths: dict[Node, str] = {}
        self.sizes: dict[Node, tuple[int, int]] = {}  # node -> (values with aliases, height)
        self.trail: list[str] = []

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and target not in self.sizes:
                raise Refused(mark, self._here(parent, index), "an alias refers to itself")
        path = self._here(parent, index)
        if len(self.trail) >= MAX_DEPTH:
            raise Refused(mark, path, f"nested deeper than {MAX_DEPTH} levels")
        self.trail.append(path)
        try:
            node = super().compose_node(parent, index)
        finally:
            self.trail.pop()
        if node not in self.sizes:
            children: list[Node] = []
            if isinstance(node, SequenceNode):
                children = list(node.value)
            elif isinstance(node, MappingNode):
                children = [n for pair in node.value for n in pair]
            self.sizes[node] = (
                1 + sum(self.sizes[c][0] for c in children),
                1 + max((self.sizes[c][1] for c in children), default=0),
            )
            self.paths[node] = path
        size, height = self.sizes[node]
        if size > MAX_NODES:
            raise Refused(mark, path, f"more than {MAX_NODES:,} values once aliases are expanded")
        if len(self.trail) + height > MAX_DEPTH:
            raise Refused(mark, path, f"nested deeper than {MAX_DEPTH} levels")
        return node

    def _here(self, parent: Node | None, index: Any) -> str:
        """Dotted path of the node being composed under ``parent`` at ``index``."""
        above = self.trail[-1] if self.trail else ""
        if isinstance(parent, SequenceNode) and isinstance(index, int):
            return f"{above}[{index}]"
        if isinstance(parent, MappingNode) and isinstance(index, ScalarNode):
            return join(above, index.value)
        return above


def parse(text: str) -> Any:
    """The single document in ``text`` as plain Python data.

    Raises:
        Refused: a duplicate key, a scalar that is not YAML 1.2, too deep or too large.
        yaml.YAMLError: any other YAML problem (syntax, an unknown tag).
    """
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
