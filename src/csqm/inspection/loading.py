"""Loading rule packs: the shipped ones, then the user's directories (a rule or scorecard with the
same id replaces the shipped one). Every problem of every file is reported at once, with its line.

The *pack version* is a content hash of everything loaded (rules, their detectors' versions,
scorecards and feedback settings): the same files always give the same version.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csqm.errors import ConfigError
from csqm.inspection.detectors.base import Detector
from csqm.inspection.detectors.registry import detector_classes
from csqm.inspection.pack import Feedback, PackFile, Rule, Scorecard
from csqm.inspection.yamlloc import Located, dotted, load_located

BUILTIN_DIR = Path(__file__).with_name("packs")


class PackError(ConfigError):
    """Rule pack files are invalid; ``problems`` lists every ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        count = f"{len(problems)} problem" + ("s" if len(problems) != 1 else "")
        super().__init__(f"The rule packs are invalid ({count}):\n  " + "\n  ".join(problems))


def digest(payload: Any) -> str:
    """A short, stable content hash of JSON-able ``payload``."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class LoadedRule:
    """A validated rule with its detector built, where it came from and its content digest."""

    rule: Rule
    detector: Detector
    speakers: tuple[str, ...]
    languages: tuple[str, ...]
    pack_id: str
    source: str
    digest: str
    item_source: str = ""


@dataclass(frozen=True, eq=False)
class LoadedScorecard:
    """A validated scorecard, the languages of its pack, and its content digest."""

    card: Scorecard
    languages: tuple[str, ...]
    source: str
    digest: str


@dataclass(frozen=True, eq=False)
class Packs:
    """Everything loaded: rules, scorecards, feedback settings per language, and the pack version."""

    rules: tuple[LoadedRule, ...]
    scorecards: tuple[LoadedScorecard, ...]
    feedback: dict[str, Feedback] = field(default_factory=dict)
    sources: tuple[str, ...] = ()

    @property
    def version(self) -> str:
        """Content hash of the loaded packs and scorecards."""
        parts = [r.digest for r in self.rules] + [s.digest for s in self.scorecards]
        parts += [digest([k, v.model_dump(mode="json")]) for k, v in sorted(self.feedback.items())]
        return digest(sorted(parts))[:12]

    def without_detectors(self, names: Sequence[str]) -> Packs:
        """The same packs without the rules of the given detectors (a different version)."""
        kept = tuple(r for r in self.rules if r.rule.detector not in names)
        return Packs(kept, self.scorecards, self.feedback, self.sources)

    def rule(self, rule_id: str) -> LoadedRule:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        raise KeyError(rule_id)


@dataclass
class _File:
    path: Path
    name: str
    located: Located | None = None
    parsed: PackFile | None = None
    group: int = 0
    #: Position in the file of each valid rule / scorecard (invalid ones are left out of ``parsed``).
    index: dict[str, list[int]] = field(default_factory=dict)


def pack_files(directories: Sequence[Path | str] = (), *, builtin: bool = True) -> list[tuple[int, Path]]:
    """(group, file) pairs in load order: the shipped packs (group 0), then each directory."""
    groups = ([BUILTIN_DIR] if builtin else []) + [Path(d) for d in directories]
    out: list[tuple[int, Path]] = []
    for g, folder in enumerate(groups):
        if folder.is_file():
            out.append((g, folder))
            continue
        if not folder.is_dir():
            raise ConfigError(f"The rule pack directory {folder} does not exist.")
        out += [(g, f) for f in sorted(folder.glob("*.y*ml"))]
    return out


def load_packs(directories: Sequence[Path | str] = (), *, builtin: bool = True) -> Packs:
    """Load and validate the shipped packs and the packs in ``directories`` (files or folders).

    Raises :class:`PackError` listing every problem with ``file:line``.
    """
    problems: list[tuple[str, int, str]] = []
    files = [_read(g, path, problems) for g, path in pack_files(directories, builtin=builtin)]
    rules: dict[str, LoadedRule] = {}
    cards: dict[str, LoadedScorecard] = {}
    feedback: dict[str, Feedback] = {}
    for f in files:
        if f.parsed is None or f.located is None:
            continue
        langs = f.parsed.pack.languages
        for i, rule in zip(f.index.get("rules", []), f.parsed.rules, strict=True):
            loaded = _build_rule(f, i, rule, langs, problems)
            if loaded is not None:
                _put(rules, rule.id, loaded, f, ("rules", i), problems, _group_of(files, rules.get(rule.id)))
        for i, card in zip(f.index.get("scorecards", []), f.parsed.scorecards, strict=True):
            where = f"{f.name}:{f.located.line_of(('scorecards', i))}"
            item = LoadedScorecard(card, langs, where, digest([card.model_dump(mode="json"), langs]))
            _put(cards, card.id, item, f, ("scorecards", i), problems, _group_of(files, cards.get(card.id)))
        if f.parsed.feedback is not None:
            for lang in langs or ("*",):
                feedback[lang] = f.parsed.feedback
    _check_items(rules, cards, files, problems)
    if problems:
        problems.sort(key=lambda p: (p[0], p[1]))
        raise PackError([f"{name}:{line}: {msg}" for name, line, msg in problems])
    active = tuple(r for r in rules.values() if r.rule.enabled)
    return Packs(active, tuple(cards.values()), feedback, tuple(str(f.path) for f in files))


def _read(group: int, path: Path, problems: list[tuple[str, int, str]]) -> _File:
    f = _File(path, path.name if path.parent == BUILTIN_DIR else str(path), group=group)
    try:
        f.located = load_located(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append((f.name, 1, f"cannot be read: {exc}"))
        return f
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problems.append((f.name, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}"))
        return f
    problems += [(f.name, line, msg) for line, msg in f.located.duplicates]
    f.parsed = _validate(f, f.located.data if f.located.data is not None else {}, problems)
    return f


def _validate(f: _File, data: Any, problems: list[tuple[str, int, str]]) -> PackFile | None:
    """Validate the header, then each rule and scorecard on its own, so one bad rule hides nothing."""
    if not isinstance(data, dict):
        problems.append((f.name, 1, "the file must be a mapping with pack, rules and scorecards"))
        return None
    good: dict[str, list[Any]] = {"rules": [], "scorecards": []}
    for key, model in (("rules", Rule), ("scorecards", Scorecard)):
        items = data.get(key) or []
        if not isinstance(items, list):
            problems.append((f.name, _line(f, (key,)), f"{key}: must be a list"))
            continue
        for i, raw in enumerate(items):
            try:
                good[key].append(model.model_validate(raw))
                f.index.setdefault(key, []).append(i)
            except ValidationError as exc:
                _add_errors(f, (key, i), exc, problems)
    head = {k: v for k, v in data.items() if k not in good}
    try:
        parsed = PackFile.model_validate(head)
    except ValidationError as exc:
        _add_errors(f, (), exc, problems)
        return None
    return parsed.model_copy(update={"rules": tuple(good["rules"]), "scorecards": tuple(good["scorecards"])})


def _line(f: _File, path: tuple[str | int, ...]) -> int:
    return f.located.line_of(path) if f.located is not None else 1


def _add_errors(f: _File, prefix: tuple[str | int, ...], exc: ValidationError, out: list[tuple[str, int, str]]) -> None:
    assert f.located is not None
    for err in exc.errors():
        loc = (*prefix, *err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        out.append((f.name, f.located.line_of(loc), f"{dotted(loc)}: {msg}"))


def _build_rule(
    f: _File, i: int, rule: Rule, langs: tuple[str, ...], problems: list[tuple[str, int, str]]
) -> LoadedRule | None:
    assert f.located is not None
    classes = detector_classes()
    cls = classes.get(rule.detector)
    if cls is None:
        line = f.located.line_of(("rules", i, "detector"))
        known = ", ".join(sorted(classes))
        problems.append((f.name, line, f"rules[{i}].detector: unknown detector {rule.detector!r} (known: {known})"))
        return None
    try:
        detector = cls.from_params(rule.params)
    except ValidationError as exc:
        _add_errors(f, ("rules", i, "params"), exc, problems)
        return None
    speakers = rule.speaker or cls.default_speakers
    payload = [rule.model_dump(mode="json"), detector.params.model_dump(mode="json"), cls.name, cls.version, langs]
    where = f"{f.name}:{f.located.line_of(('rules', i))}"
    pack_id = f.parsed.pack.id if f.parsed is not None else ""
    item_at = f"{f.name}:{f.located.line_of(('rules', i, 'item'))}"
    return LoadedRule(rule, detector, speakers, langs, pack_id, where, digest(payload), item_at)


def _group_of(files: Iterable[_File], existing: LoadedRule | LoadedScorecard | None) -> int | None:
    if existing is None:
        return None
    for f in files:
        if existing.source.rsplit(":", 1)[0] == f.name:
            return f.group
    return None


def _put(
    table: dict[str, Any],
    key: str,
    value: Any,
    f: _File,
    path: tuple[str | int, ...],
    problems: list[tuple[str, int, str]],
    existing_group: int | None,
) -> None:
    """Add, or override an earlier group's entry; the same id twice within one group is an error."""
    assert f.located is not None
    if key in table and existing_group == f.group:
        line = f.located.line_of(path)
        problems.append((f.name, line, f"{dotted(path)}: id {key!r} is already defined at {table[key].source}"))
        return
    table[key] = value


def _check_items(
    rules: dict[str, LoadedRule],
    cards: dict[str, LoadedScorecard],
    files: list[_File],
    problems: list[tuple[str, int, str]],
) -> None:
    items = {item.id for c in cards.values() for item in c.card.items}
    for r in rules.values():
        if r.rule.item is not None and r.rule.item not in items:
            name, line = r.item_source.rsplit(":", 1)
            problems.append((name, int(line), f"rule {r.rule.id}: item {r.rule.item!r} is in no scorecard"))
