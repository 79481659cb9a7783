"""Real-time events as senders post them, validated one by one.

A batch is validated event by event: a bad event gets an error naming its index and field and the
others go on. Timestamps must carry a zone (``2026-03-02T09:15:00+08:00`` or ``…Z``); a missing
``at`` means "now" (the time the event was received). Stored timestamps are UTC without a zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from csqm.store.schema import BUSINESS_LINES, CHANNELS, DIRECTIONS

_ID = Field(min_length=1, max_length=200, pattern=r"^[^\s]+$")


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: str = _ID
    at: datetime | None = None

    @field_validator("at")
    @classmethod
    def _zoned(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-03-02T09:15:00+08:00 or ...Z")
        return value.astimezone(UTC).replace(tzinfo=None)

    @property
    def subject(self) -> str:
        raise NotImplementedError


class _Conversation(_Event):
    conversation_id: str = _ID

    @property
    def subject(self) -> str:
        return self.conversation_id


class ConversationStarted(_Conversation):
    """A conversation (call, chat …) began: what inspection and the live board need to know."""

    type: Literal["conversation_started"]
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS] = "inbound"  # type: ignore[valid-type]
    queue: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    customer_id: str | None = None
    topic: str | None = None
    product: str | None = None
    business_line: Literal[BUSINESS_LINES] | None = None  # type: ignore[valid-type]
    language: str | None = Field(None, max_length=20)


class Utterance(_Conversation):
    """One turn (a chat message or an ASR segment). ``text`` is masked before it is stored."""

    type: Literal["utterance"]
    seq: int = Field(ge=1)
    speaker: Literal["customer", "agent", "bot", "system"]
    text: str = Field(max_length=20_000)
    offset_seconds: float | None = Field(None, ge=0)


class ConversationEnded(_Conversation):
    """The conversation ended; ``utterances`` (optional) is how many turns it had, so a worker that
    receives the end before the last turns waits for them."""

    type: Literal["conversation_ended"]
    utterances: int | None = Field(None, ge=0)
    hold_seconds: float | None = Field(None, ge=0)
    acw_seconds: float | None = Field(None, ge=0)
    transfers: int | None = Field(None, ge=0)
    resolved: bool | None = None
    escalated: bool | None = None


class QueueEvent(_Event):
    """A contact entered (offered), was answered in, or left (abandoned) a queue."""

    type: Literal["queue_offered", "queue_answered", "queue_abandoned"]
    contact_id: str = _ID
    queue: str | None = None
    team_id: str | None = None
    channel: Literal[CHANNELS] = "phone"  # type: ignore[valid-type]

    @property
    def subject(self) -> str:
        return self.contact_id


Event = ConversationStarted | Utterance | ConversationEnded | QueueEvent
_ADAPTER: TypeAdapter[Event] = TypeAdapter(
    Annotated[ConversationStarted | Utterance | ConversationEnded | QueueEvent, Field(discriminator="type")]
)
EVENT_TYPES = (
    "conversation_started",
    "utterance",
    "conversation_ended",
    "queue_offered",
    "queue_answered",
    "queue_abandoned",
)


@dataclass(frozen=True)
class EventError:
    """Why event ``index`` of a batch was not accepted (the message never repeats the event's text)."""

    index: int
    event_id: str | None
    error: str
    retry: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "event_id": self.event_id, "error": self.error}


def parse_event(index: int, raw: object) -> Event | EventError:
    """One event, or the error naming its index and first bad field."""
    event_id = raw.get("event_id") if isinstance(raw, dict) else None
    event_id = event_id if isinstance(event_id, str) else None
    if not isinstance(raw, dict):
        return EventError(index, None, f"Event {index}: expected a JSON object, got {type(raw).__name__}.")
    if raw.get("type") not in EVENT_TYPES:
        return EventError(index, event_id, f"Event {index}: field 'type' must be one of {', '.join(EVENT_TYPES)}.")
    try:
        return _ADAPTER.validate_python(raw)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            loc = [str(p) for p in err["loc"][1:]] or [str(p) for p in err["loc"]]
            msg = err["msg"].replace("Value error, ", "")
            if err["type"] == "extra_forbidden":
                msg = "is not a known field"
            parts.append(f"field {'.'.join(loc)!r} {msg}")
        return EventError(index, event_id, f"Event {index} ({raw.get('type')}): " + "; ".join(parts) + ".")


def parse_events(raw: Sequence[object]) -> tuple[list[tuple[int, Event]], list[EventError]]:
    """The valid events with their index in the batch, and the errors of the others."""
    good: list[tuple[int, Event]] = []
    bad: list[EventError] = []
    for i, item in enumerate(raw):
        parsed = parse_event(i, item)
        if isinstance(parsed, EventError):
            bad.append(parsed)
        else:
            good.append((i, parsed))
    return good, bad


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
