"""What users write in YAML: scenarios (T2), plans (T1) and evaluation standards (T5), validated with pydantic.

A scenario file::

    scenarios:
      - id: phone.refund_policy            # unique
        name_zh: 退货政策咨询
        name_en: Refund policy question
        channel: phone                     # phone | chat | email (any csqm channel)
        kind: common                       # common | complex | special
        mood: calm                         # calm | angry | urgent (special scenarios)
        risk: low                          # low | medium | high
        business_line: ToC
        steps: [我上周买的耳机能退吗？, 需要自己付运费吗？]
        key_points:                        # what a correct answer contains
          - {id: seven_days, text: 七天无理由退货, keywords: [七天, 7天]}
        wrong: [不能退]                    # phrases that are knowledge errors if the agent says them

A plan file: see :class:`Plan` and ``docs/testcalls.md``.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from csqm.store.schema import CHANNELS

_ID = r"^[a-z0-9][a-z0-9_.\-]*$"
Kind = Literal["common", "complex", "special"]
Mood = Literal["calm", "angry", "urgent"]
Risk = Literal["low", "medium", "high"]
TesterKind = Literal["internal", "external"]
#: Channels where a robot tester can play the script (T8).
ONLINE_CHANNELS = ("chat", "social", "bot", "self_service")
#: Times of day a task can be scheduled in, with their local hours [start, end).
TIME_SLOTS: dict[str, tuple[int, int]] = {"morning": (9, 12), "afternoon": (13, 17), "evening": (18, 21)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _known_channel(value: str) -> str:
    if value not in CHANNELS:
        raise ValueError(f"unknown channel {value!r} (known: {', '.join(CHANNELS)})")
    return value


class KeyPoint(_Strict):
    """A point a correct answer contains; ``keywords`` (any of them) let a robot check it in a reply."""

    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)
    keywords: tuple[str, ...] = ()


class Scenario(_Strict):
    """One test-call scenario: what the tester says, step by step, and what a correct answer contains."""

    id: str = Field(pattern=_ID)
    name_zh: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    channel: str
    kind: Kind = "common"
    mood: Mood = "calm"
    risk: Risk = "low"
    business_line: str | None = None
    description: str = ""
    steps: tuple[str, ...] = Field(min_length=1)
    key_points: tuple[KeyPoint, ...] = Field(min_length=1)
    wrong: tuple[str, ...] = ()

    _channel = field_validator("channel")(_known_channel)

    @model_validator(mode="after")
    def _unique_points(self) -> Scenario:
        ids = [k.id for k in self.key_points]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate key point id(s): {', '.join(dupes)}")
        return self


class ScenarioFile(_Strict):
    version: Literal[1] = 1
    scenarios: tuple[Scenario, ...] = Field(min_length=1)


class Standards(_Strict):
    """The evaluation standards of seed 002 §五 with their ``[X]`` values (see ``docs/testcalls.md`` for why).

    Percentages are 0–100. Ratings are 1–5.
    """

    on_spot_resolution_min: float = Field(
        default=80.0, ge=0, le=100, description="Resolved on the spot, % of answered tests."
    )
    follow_up_resolution_min: float = Field(
        default=95.0, ge=0, le=100, description="Follow-ups resolved by their deadline, % of follow-ups due."
    )
    phone_max_rings: int = Field(default=3, ge=1, description="A phone test call is answered within this many rings.")
    online_max_response_minutes: float = Field(
        default=1.0, gt=0, description="An online test gets its first response within this many minutes."
    )
    response_within_limit_min: float = Field(
        default=90.0, ge=0, le=100, description="Tests answered within the ring / response limit, % of tests."
    )
    satisfaction_min: float = Field(default=90.0, ge=0, le=100, description="Satisfied tests, % of rated tests.")
    satisfied_rating: float = Field(
        default=4.0,
        ge=1,
        le=5,
        description="A test is satisfied when the mean of its attitude/clarity/accuracy ≥ this.",
    )
    knowledge_error_rate_max: float = Field(
        default=5.0, ge=0, le=100, description="Knowledge errors per key point asked, % (each test and in aggregate)."
    )
    key_point_coverage_min: float = Field(
        default=80.0, ge=0, le=100, description="Key points a test's answer covers, % of the scenario's key points."
    )


class Tester(_Strict):
    """A tester account: internal staff or an external agency's account (its username in the console)."""

    id: str = Field(min_length=1, max_length=100)
    kind: TesterKind = "internal"
    agency: str | None = None
    channels: tuple[str, ...] = ()
    robot: bool = False

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for c in value:
            _known_channel(c)
        return value

    @model_validator(mode="after")
    def _agency(self) -> Tester:
        if self.kind == "external" and not self.agency:
            raise ValueError("an external tester names their agency")
        return self


class Plan(_Strict):
    """A quarterly test-call plan (T1): purpose, scope, schedule, scenarios, testers, standards."""

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1)
    quarter: str = Field(pattern=r"^\d{4}Q[1-4]$")
    purpose: str = Field(min_length=1)
    channels: tuple[str, ...] = Field(min_length=1)
    teams: tuple[str, ...] = Field(min_length=1)
    business_lines: tuple[str, ...] = ()
    monthly_quota: int = Field(ge=1, le=100_000)
    spot_checks_per_month: int = Field(default=0, ge=0, le=10_000)
    time_slots: tuple[Literal["morning", "afternoon", "evening"], ...] = ("morning", "afternoon", "evening")
    team_weights: dict[str, float] = Field(default_factory=dict)
    scenarios: tuple[str, ...] = Field(min_length=1)
    testers: tuple[Tester, ...] = Field(min_length=1)
    standards: Standards = Standards()
    follow_up_days: int = Field(default=2, ge=0, le=60, description="Default follow-up deadline after a test, in days.")

    @field_validator("channels")
    @classmethod
    def _channels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for c in value:
            _known_channel(c)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Plan:
        problems = []
        unknown = sorted(set(self.team_weights) - set(self.teams))
        if unknown:
            problems.append(f"team_weights names teams not in the plan: {', '.join(unknown)}")
        if any(w <= 0 for w in self.team_weights.values()):
            problems.append("team_weights must be positive")
        ids = [t.id for t in self.testers]
        if len(set(ids)) != len(ids):
            problems.append("tester ids must be unique")
        if len(set(self.time_slots)) != len(self.time_slots) or not self.time_slots:
            problems.append("time_slots must be distinct and not empty")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def months(self) -> tuple[str, str, str]:
        """The quarter's three months as ``YYYY-MM``."""
        year, q = int(self.quarter[:4]), int(self.quarter[-1])
        first = 3 * (q - 1) + 1
        return (f"{year}-{first:02d}", f"{year}-{first + 1:02d}", f"{year}-{first + 2:02d}")

    @property
    def start(self) -> date:
        year, q = int(self.quarter[:4]), int(self.quarter[-1])
        return date(year, 3 * (q - 1) + 1, 1)


class PlanFile(_Strict):
    version: Literal[1] = 1
    plans: tuple[Plan, ...] = Field(min_length=1)


class FaqEntry(_Strict):
    """One answer of the shipped FAQ bot: it answers when the message contains any keyword."""

    keywords: tuple[str, ...] = Field(min_length=1)
    answer: str = Field(min_length=1)


class FaqFile(_Strict):
    version: Literal[1] = 1
    greeting: str = "您好，很高兴为您服务。"
    fallback: str = "抱歉，这个问题我需要转人工客服为您处理。"
    entries: tuple[FaqEntry, ...] = Field(min_length=1)
