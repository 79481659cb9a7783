"""The metric catalogue: the shipped YAML plus a user directory that adds or overrides metrics.

Loading reports every problem of every file at once (file and line), like a compiler: YAML syntax,
then the shape of each metric, then what needs the data model or other metrics (``validate``).

A user file has the same format as the shipped ones. An entry whose id exists already is merged
onto it key by key, so an override can be as small as::

    metrics:
      - id: service_level
        params: {threshold_seconds: {value: 30}}
        target: 85
        warning: 80
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import ValidationError

from csqm.errors import ConfigError
from csqm.metrics.located import (
    LocatedDict,
    LocatedList,
    Location,
    error_location,
    load_yaml,
    locate,
    merge,
    plain,
    source_name,
    yaml_message,
)
from csqm.metrics.model import Metric

DEFAULT_TIMEZONE = "Asia/Shanghai"
USER_DIR_ENV = "CSQM_METRICS_DIR"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalogue, with where it was written."""

    where: Location
    metric: str | None
    message: str

    def __str__(self) -> str:
        who = f" {self.metric}:" if self.metric else ""
        return f"{self.where}:{who} {self.message}"


class CatalogueError(ConfigError):
    """The catalogue has problems; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"The metric catalogue has {len(problems)} problem(s):\n{lines}")


@dataclass(frozen=True)
class Catalogue:
    """Validated metrics by id, in declaration order, with where each was declared."""

    metrics: dict[str, Metric]
    where: dict[str, Location] = field(default_factory=dict)
    reporting_timezone: str = DEFAULT_TIMEZONE

    def __getitem__(self, metric_id: str) -> Metric:
        return self.metrics[metric_id]

    def __contains__(self, metric_id: object) -> bool:
        return metric_id in self.metrics

    def active(self) -> list[Metric]:
        """Metrics that are not retired."""
        return [m for m in self.metrics.values() if not m.retired]

    def replace(self, metrics: dict[str, Metric]) -> Catalogue:
        """The same catalogue with some definitions swapped (history: "as it was then")."""
        return Catalogue({**self.metrics, **metrics}, self.where, self.reporting_timezone)


@dataclass
class _Raw:
    """Located metric entries merged across files, before validation."""

    entries: dict[str, LocatedDict] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    timezone: str = DEFAULT_TIMEZONE

    def read(self, text: str, name: str, *, overrides: bool) -> None:
        try:
            doc = load_yaml(text, name)
        except yaml.YAMLError as exc:
            self.problems.append(Problem(error_location(exc, name), None, f"YAML error: {yaml_message(exc)}"))
            return
        top = Location(name, 1)
        if doc is None:
            return
        if not isinstance(doc, LocatedDict) or not isinstance(doc.get("metrics", []), LocatedList):
            self.problems.append(Problem(top, None, "expected a mapping with a `metrics:` list"))
            return
        for key in doc:
            if key not in ("metrics", "reporting_timezone"):
                self.problems.append(Problem(doc.key_where[key], None, f"unknown top-level key {key!r}"))
        if "reporting_timezone" in doc:
            zone = str(doc["reporting_timezone"])
            try:
                ZoneInfo(zone)
                self.timezone = zone
            except (ZoneInfoNotFoundError, ValueError):
                where = doc.key_where["reporting_timezone"]
                self.problems.append(Problem(where, None, f"unknown time zone {zone!r} (use e.g. Asia/Shanghai)"))
        seen: set[str] = set()
        items = doc.get("metrics", LocatedList(top))
        for item, where in zip(items, items.item_where, strict=True):
            self._add(item, where, seen, overrides)

    def _add(self, item: Any, where: Location, seen: set[str], overrides: bool) -> None:
        if not isinstance(item, LocatedDict) or not isinstance(item.get("id"), str):
            self.problems.append(Problem(where, None, "each metric needs an `id`"))
            return
        metric_id = item["id"]
        if metric_id in seen or (metric_id in self.entries and not overrides):
            self.problems.append(Problem(where, metric_id, "declared twice"))
            return
        seen.add(metric_id)
        self.entries[metric_id] = merge(self.entries[metric_id], item) if metric_id in self.entries else item


def _default_files() -> list[tuple[str, str]]:
    folder = resources.files("csqm.metrics") / "catalogue"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return [(f"csqm/metrics/catalogue/{p.name}", p.read_text(encoding="utf-8")) for p in files]


def user_dir_from_env(data_dir: Path | None = None) -> Path | None:
    """``$CSQM_METRICS_DIR``, else ``<data_dir>/metrics`` when it exists."""
    if env := os.environ.get(USER_DIR_ENV):
        return Path(env)
    if data_dir is not None and (data_dir / "metrics").is_dir():
        return data_dir / "metrics"
    return None


def load_catalogue(user_dir: Path | str | None = None) -> Catalogue:
    """The shipped catalogue with ``user_dir/*.yaml`` applied on top; CatalogueError lists all problems.

    Results are cached until a file of ``user_dir`` changes (name, size or modification time).
    """
    if user_dir is None:
        return default_catalogue()
    folder = Path(user_dir)
    if not folder.is_dir():
        raise ConfigError(f"The metric catalogue directory {folder} does not exist.")
    files = sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))
    signature = tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files)
    return _load_with_user_dir(folder.resolve(), signature)


@lru_cache(maxsize=16)
def _load_with_user_dir(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> Catalogue:
    raw = _Raw()
    for name, text in _default_files():
        raw.read(text, name, overrides=False)
    for file_name, _, _ in signature:
        path = folder / file_name
        raw.read(path.read_text(encoding="utf-8"), source_name(path, folder.parent), overrides=True)
    return _build(raw)


def _build(raw: _Raw) -> Catalogue:
    from csqm.metrics.validate import validate_catalogue

    metrics: dict[str, Metric] = {}
    where: dict[str, Location] = {}
    problems = list(raw.problems)
    for metric_id, entry in raw.entries.items():
        where[metric_id] = entry.where
        try:
            metrics[metric_id] = Metric.model_validate(plain(entry))
        except ValidationError as exc:
            for error in exc.errors():
                loc = locate(entry, [str(s) if not isinstance(s, int) else s for s in error["loc"]], entry.where)
                path = ".".join(str(s) for s in error["loc"]) or "metric"
                problems.append(Problem(loc, metric_id, f"{path}: {error['msg']}"))
    catalogue = Catalogue(metrics, where, raw.timezone)
    problems.extend(validate_catalogue(catalogue, raw.entries))
    if problems:
        raise CatalogueError(sorted(problems, key=lambda p: (p.where.file, p.where.line)))
    return catalogue


@cache
def default_catalogue() -> Catalogue:
    """The shipped catalogue alone (cached)."""
    raw = _Raw()
    for name, text in _default_files():
        raw.read(text, name, overrides=False)
    return _build(raw)
