"""YAML with line numbers: parse a file and remember the line of every key and list item, so a
validation error can say ``file:line``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class Located:
    """Parsed data, the line (1-based) of each path in it, and duplicate-key problems found."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)
    duplicates: list[tuple[int, str]] = field(default_factory=list)

    def line_of(self, path: Sequence[str | int]) -> int:
        """The line of the deepest known prefix of ``path`` (1 if nothing is known)."""
        steps = tuple(path)
        while steps:
            if steps in self.lines:
                return self.lines[steps]
            steps = steps[:-1]
        return self.lines.get((), 1)


def load_located(text: str) -> Located:
    """Parse one YAML document (``yaml.YAMLError`` on bad syntax)."""
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    out = Located(data)
    if node is not None:
        _walk(node, (), out)
    return out


def _walk(node: yaml.Node, path: Path_, out: Located) -> None:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                out.duplicates.append((key_node.start_mark.line + 1, f"{_dotted((*path, key))}: duplicate key"))
            seen.add(key)
            out.lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out.lines[(*path, i)] = item.start_mark.line + 1
            _walk(item, (*path, i), out)


def _dotted(path: Sequence[str | int]) -> str:
    return ".".join(f"[{p}]" if isinstance(p, int) else p for p in path).replace(".[", "[") or "(top)"


def dotted(path: Sequence[str | int]) -> str:
    """``rules[3].params.any`` from a path."""
    return _dotted(path)
