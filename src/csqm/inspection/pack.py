"""Rule packs and scorecards as quality managers write them in YAML, validated with pydantic.

A pack file::

    pack: {id: zh_default, name_zh: 中文默认规则包, name_en: Chinese default pack, languages: [zh]}
    rules:
      - id: zh.forbidden.shirking          # unique; a user pack with the same id replaces it
        name_zh: 禁用语-推诿
        name_en: Forbidden phrase - shirking
        description: 坐席推卸责任
        category: forbidden                # used by KPIs (forbidden-phrase rate, …)
        detector: keywords                 # a registered detector
        params: {any: [这不归我管, 不归我管]}
        speaker: agent                     # or a list; default: the detector's default, else anyone
        channels: [phone, chat]            # empty: every channel
        scenarios: []                      # interactions.topic values; empty: every topic
        severity: non_fatal                # fatal | non_fatal | info
        item: courtesy                     # scorecard item it deducts from (none: reported only)
    scorecards:
      - id: zh_phone
        channels: [phone]
        pass_score: 80
        items:
          - {id: courtesy, name_zh: 服务礼仪, name_en: Courtesy, weight: 20, deduction: 10}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csqm.inspection.model import Severity
from csqm.store.schema import CHANNELS

_ID = r"^[a-z][a-z0-9_.\-]*$"
Speaker = Literal["customer", "agent", "bot", "system"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PackMeta(_Strict):
    """The header of a pack file."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description: str = ""
    languages: tuple[str, ...] = ()


def _channels(value: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [c for c in value if c not in CHANNELS]
    if unknown:
        raise ValueError(f"unknown channel(s) {', '.join(unknown)} (known: {', '.join(CHANNELS)})")
    return value


class Rule(_Strict):
    """One rule: which detector with which parameters, whom and where it applies, what it costs."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    description: str = ""
    category: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    detector: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    speaker: tuple[Speaker, ...] = ()
    channels: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()
    severity: Severity = "non_fatal"
    item: str | None = Field(None, pattern=_ID)
    enabled: bool = True

    @field_validator("speaker", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    _known_channels = field_validator("channels")(_channels)


class Item(_Strict):
    """A scorecard item: ``weight`` points; each finding deducts ``deduction`` (default: all of it),
    at most ``max_deduction`` (default: the weight). ``fatal``: any finding fails the conversation."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    weight: float = Field(gt=0)
    deduction: float | None = Field(None, gt=0)
    max_deduction: float | None = Field(None, gt=0)
    fatal: bool = False

    @model_validator(mode="after")
    def _cap_within_weight(self) -> Item:
        if self.max_deduction is not None and self.max_deduction > self.weight:
            raise ValueError("max_deduction cannot exceed the weight")
        return self

    @property
    def per_finding(self) -> float:
        return self.weight if self.deduction is None else self.deduction

    @property
    def cap(self) -> float:
        return self.weight if self.max_deduction is None else self.max_deduction


class Scorecard(_Strict):
    """Weighted items for conversations of some channels / scenarios; the most specific matching
    scorecard is used (channel and scenario > channel or scenario > neither)."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    channels: tuple[str, ...] = ()
    scenarios: tuple[str, ...] = ()
    pass_score: float = Field(80.0, ge=0, le=100)
    items: tuple[Item, ...] = Field(min_length=1)

    _known_channels = field_validator("channels")(_channels)

    @model_validator(mode="after")
    def _unique_items(self) -> Scorecard:
        ids = [i.id for i in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate item id(s): {', '.join(dupes)}")
        return self


class Feedback(_Strict):
    """How survey comments are judged negative (for the pseudo-satisfied KPI)."""

    negative_phrases: tuple[str, ...] = ()
    below: float = Field(-0.3, ge=-1, le=1)


class PackFile(_Strict):
    """One YAML file: a header, rules, scorecards and feedback settings (all optional but the header)."""

    version: Literal[1] = 1
    pack: PackMeta
    rules: tuple[Rule, ...] = ()
    scorecards: tuple[Scorecard, ...] = ()
    feedback: Feedback | None = None
