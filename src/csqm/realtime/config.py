"""Real-time settings from YAML (``realtime.yaml`` shipped here, or ``CSQM_REALTIME_CONFIG``),
validated with pydantic; every problem is reported at once with its file and line."""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from csqm.errors import ConfigError
from csqm.inspection.loading import Packs
from csqm.inspection.yamlloc import dotted, load_located

BUILTIN_CONFIG = Path(__file__).with_name("realtime.yaml")

#: Detectors that judge one turn on its own, so they can run as each turn arrives.
TURN_DETECTORS = ("keywords", "regex", "personal_data", "sentiment")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Emotion(_Strict):
    below: float = Field(default=-0.5, ge=-1, le=1)
    turns: int = Field(default=2, ge=1, le=10)


class Sla(_Strict):
    chat_first_reply_seconds: float = Field(default=30, gt=0)
    queue_wait_seconds: float = Field(default=60, gt=0)


class Kpi(_Strict):
    window_seconds: float = Field(default=900, gt=0)
    answered_within_seconds: float = Field(default=30, gt=0)
    min_offered: int = Field(default=10, ge=1)


class Webhook(_Strict):
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_seconds: float = Field(default=1.0, gt=0)
    timeout_seconds: float = Field(default=5.0, gt=0)


class RealtimeConfig(_Strict):
    """Every real-time setting (see the comments in ``realtime.yaml``)."""

    version: int = Field(default=1, ge=1, le=1)
    threat_words: tuple[str, ...] = ()
    emotion: Emotion = Field(default_factory=Emotion)
    sla: Sla = Field(default_factory=Sla)
    dedup_window_seconds: float = Field(default=1800, ge=0)
    kpi: Kpi = Field(default_factory=Kpi)
    realtime_rules: tuple[str, ...] = ()
    webhook: Webhook = Field(default_factory=Webhook)


def load_config(path: Path | str | None = None) -> RealtimeConfig:
    """The settings in ``path`` (default ``CSQM_REALTIME_CONFIG``, else the shipped file)."""
    chosen = Path(path or os.environ.get("CSQM_REALTIME_CONFIG") or BUILTIN_CONFIG)
    try:
        located = load_located(chosen.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{chosen}: cannot read the real-time settings ({exc.strerror}).") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise ConfigError(f"{chosen}:{line}: not valid YAML.") from None
    problems = [f"{chosen}:{line}: {message}" for line, message in located.duplicates]
    data = located.data if located.data is not None else {}
    try:
        config = RealtimeConfig.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            problems.append(f"{chosen}:{located.line_of(loc)}: {dotted(loc)}: {err['msg']}")
        config = None
    if problems or config is None:
        raise ConfigError("The real-time settings are invalid:\n  " + "\n  ".join(problems))
    return config


def check_rules(config: RealtimeConfig, packs: Packs, path: Path | str | None = None) -> None:
    """Every listed real-time rule must exist in ``packs`` and use a turn-level detector."""
    source = Path(path or os.environ.get("CSQM_REALTIME_CONFIG") or BUILTIN_CONFIG)
    located = load_located(source.read_text(encoding="utf-8")) if source.exists() else None
    known = {r.rule.id: r for r in packs.rules}
    problems = []
    for i, rule_id in enumerate(config.realtime_rules):
        line = located.line_of(("realtime_rules", i)) if located else 1
        if rule_id not in known:
            problems.append(f"{source}:{line}: realtime_rules[{i}]: no loaded rule has the id {rule_id!r}")
        elif known[rule_id].rule.detector not in TURN_DETECTORS:
            problems.append(
                f"{source}:{line}: realtime_rules[{i}]: rule {rule_id!r} uses the {known[rule_id].rule.detector!r} "
                f"detector, which judges whole conversations (real-time rules need one of {', '.join(TURN_DETECTORS)})"
            )
    if problems:
        raise ConfigError("The real-time settings are invalid:\n  " + "\n  ".join(problems))


def realtime_packs(config: RealtimeConfig, packs: Packs) -> Packs:
    """The packs reduced to the real-time rules (same scorecards, so items resolve the same way)."""
    wanted = set(config.realtime_rules)
    return Packs(tuple(r for r in packs.rules if r.rule.id in wanted), packs.scorecards, packs.feedback, packs.sources)
