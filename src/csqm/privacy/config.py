"""Pattern files: the YAML that declares regex recognizers, validated with pydantic.

A pattern file looks like this (see the shipped ``patterns.yaml`` for the built-ins)::

    version: 1
    recognizers:
      - name: passport_cn          # unique over all loaded recognizers
        kind: passport             # what is found; free text gets this kind's display mask
        regex: '(?<![0-9A-Za-z])[EG][0-9]{8}(?![0-9])'
        score: 0.6                 # 0-1; on overlaps the longest finding wins, then the higher score
        validator: null            # optional name from csqm.privacy.validators
        context: [护照, passport]  # words looked for just before a candidate
        context_window: 12         # max. characters between a context word and the candidate
        context_required: true     # only report candidates that have a context word
        prefilter: '[EG][0-9]{8}'  # optional cheap regex every match contains (default: the regex)

Regexes are compiled with ``re.ASCII``: ``\\d`` is ``[0-9]`` and never a full-width or other digit.
Chinese has no word boundaries, so delimit numbers with digit lookarounds such as ``(?<![0-9])``.
Every problem of a file is reported at once, each with the file and line, in one
:class:`PatternFileError` (a :class:`csqm.errors.ConfigError`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from csqm.errors import ConfigError
from csqm.privacy.validators import validator_names

_NAME = r"^[a-z][a-z0-9_]*$"


class PatternFileError(ConfigError):
    """A pattern file is invalid; ``problems`` lists every ``file:line: message``."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"The PII pattern file {path} is invalid ({count}):\n  " + "\n  ".join(problems))


class PatternSpec(BaseModel):
    """One regex recognizer as declared in a pattern file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME)
    kind: str = Field(pattern=_NAME)
    regex: str
    score: float = Field(ge=0.0, le=1.0)
    validator: str | None = None
    context: tuple[str, ...] = ()
    context_window: int = Field(12, ge=1, le=200)
    context_required: bool = False
    prefilter: str | None = None
    description: str = ""

    @field_validator("regex", "prefilter")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            compiled = re.compile(value, re.ASCII)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        if compiled.fullmatch(""):
            raise ValueError("the regular expression matches the empty string")
        return value

    @field_validator("validator")
    @classmethod
    def _known_validator(cls, value: str | None) -> str | None:
        if value is not None and value not in validator_names():
            raise ValueError(f"unknown validator {value!r} (known: {', '.join(validator_names())})")
        return value

    @field_validator("context")
    @classmethod
    def _non_empty_words(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not word.strip() for word in value):
            raise ValueError("context words must not be empty")
        return tuple(word.strip() for word in value)

    @model_validator(mode="after")
    def _context_when_required(self) -> PatternSpec:
        if self.context_required and not self.context:
            raise ValueError("context_required is true but no context words are given")
        return self


class PatternFile(BaseModel):
    """The whole pattern file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    recognizers: list[PatternSpec] = Field(min_length=1)


def load_pattern_file(path: Path, taken: set[str] | None = None) -> list[PatternSpec]:
    """Read and validate ``path``; ``taken`` are recognizer names already in use elsewhere.

    Raises :class:`PatternFileError` listing every problem with ``file:line``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PatternFileError(path, [f"{path}: cannot be read: {exc}"]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise PatternFileError(path, [f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    found = _duplicate_keys(root) + _duplicate_names(root, data, taken or set())
    specs: list[PatternSpec] = []
    try:
        specs = PatternFile.model_validate(data if data is not None else {}).recognizers
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            found.append((_line_of(root, loc), f"{_dotted(loc)}: {_message(err)}"))
    if found:
        found.sort(key=lambda item: item[0] or 0)
        raise PatternFileError(path, [f"{path}:{line}: {msg}" if line else f"{path}: {msg}" for line, msg in found])
    return specs


def _message(err: Any) -> str:
    msg = str(err["msg"])
    return msg.removeprefix("Value error, ")


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _duplicate_names(root: yaml.Node | None, data: object, taken: set[str]) -> list[tuple[int | None, str]]:
    """Names used twice, in this file or already elsewhere (checked even if other fields are bad)."""
    items = data.get("recognizers") if isinstance(data, dict) else None
    seen = set(taken)
    found: list[tuple[int | None, str]] = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            line = _line_of(root, ("recognizers", i, "name"))
            found.append((line, f"recognizers[{i}].name: duplicate recognizer name {name!r}"))
        seen.add(name)
    return found


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node along ``loc`` that exists in the YAML tree."""
    node = root
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node = child
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: int | str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == part:
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]  # type: ignore[no-any-return]
    return None


def _duplicate_keys(node: yaml.Node | None) -> list[tuple[int | None, str]]:
    """(line, message) for every mapping key given twice (PyYAML silently keeps the last one)."""
    found: list[tuple[int | None, str]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    found.append((key.start_mark.line + 1, f"key {key.value!r} is given twice"))
                seen.add(key.value)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicate_keys(item)
    return found
