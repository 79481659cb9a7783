"""YAML that remembers where every value came from, so a problem can name its file and line.

Catalogue files are loaded into :class:`LocatedDict` / :class:`LocatedList`, plain containers that
also carry the (file, line) of each entry. Merging a user's override into the shipped catalogue keeps
the location of whichever value won, so an error in an override points at the override.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Location:
    """A place in a catalogue file (1-based line)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class LocatedDict(dict[str, Any]):
    """A mapping that knows where it and each of its keys were written."""

    def __init__(self, where: Location) -> None:
        super().__init__()
        self.where = where
        self.key_where: dict[str, Location] = {}


class LocatedList(list[Any]):
    """A sequence that knows where it and each of its items were written."""

    def __init__(self, where: Location) -> None:
        super().__init__()
        self.where = where
        self.item_where: list[Location] = []


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds located containers."""

    file_name = "<catalogue>"

    def _at(self, node: yaml.Node) -> Location:
        return Location(self.file_name, node.start_mark.line + 1)

    def construct_located_mapping(self, node: yaml.MappingNode) -> LocatedDict:
        out = LocatedDict(self._at(node))
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            out[key] = self.construct_object(value_node, deep=True)
            out.key_where[key] = self._at(key_node)
        return out

    def construct_located_sequence(self, node: yaml.SequenceNode) -> LocatedList:
        out = LocatedList(self._at(node))
        for item in node.value:
            out.append(self.construct_object(item, deep=True))
            out.item_where.append(self._at(item))
        return out


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_located_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_located_sequence)


def load_yaml(text: str, file_name: str) -> Any:
    """Parse one YAML document into located containers; raises ``yaml.YAMLError`` with a mark."""
    loader = _Loader(text)
    loader.file_name = file_name
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def error_location(exc: yaml.YAMLError, file_name: str) -> Location:
    """Where a YAML syntax error happened."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return Location(file_name, mark.line + 1 if mark is not None else 1)


def yaml_message(exc: yaml.YAMLError) -> str:
    """A YAML error in one line, without the parser's "<unicode string>" excerpt."""
    parts = [getattr(exc, "context", None), getattr(exc, "problem", None)]
    text = ", ".join(str(p) for p in parts if p)
    return text or str(exc).splitlines()[0]


def locate(data: Any, path: Sequence[str | int], fallback: Location) -> Location:
    """The location of the deepest value along ``path`` (a pydantic error ``loc``)."""
    where = fallback
    node = data
    for step in path:
        if isinstance(node, LocatedDict) and isinstance(step, str) and step in node:
            where = node.key_where.get(step, where)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            where = node.item_where[step]
            node = node[step]
        else:
            break
    return where


def merge(base: Any, override: Any) -> Any:
    """Deep-merge ``override`` onto ``base``: mappings merge key by key, anything else is replaced."""
    if not (isinstance(base, LocatedDict) and isinstance(override, LocatedDict)):
        return override
    out = LocatedDict(override.where)
    for key, value in base.items():
        out[key] = value
        out.key_where[key] = base.key_where.get(key, base.where)
    for key, value in override.items():
        out[key] = merge(base[key], value) if key in base else value
        out.key_where[key] = override.key_where.get(key, override.where)
    return out


def plain(data: Any) -> Any:
    """The same data as plain dicts and lists (for pydantic)."""
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def source_name(path: Path, root: Path | None) -> str:
    """A short file name for messages: relative to ``root`` when possible."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.as_posix()
