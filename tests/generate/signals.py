"""Measure the planted problems from generated files, the way the monitoring will (used by the tests
and to produce the numbers in docs/demo-data.md)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORBIDDEN = {
    "zh": ("这不归我管", "你自己看", "不知道", "我也没办法", "听不懂吗"),
    "en": (
        "That's not my department",
        "Look it up yourself",
        "I don't know",
        "There's nothing I can do",
        "Don't you understand",
    ),
}
NEGATIVE = {
    "zh": ("您怎么又问这个", "我刚才已经说过了", "系统就是这么规定的", "您爱等不等", "您能不能快点说重点", "行了行了"),
    "en": (
        "Why are you asking this again",
        "I already told you",
        "That's just how the system works",
        "wait if you want",
        "Can you get to the point",
        "Yes, yes, I get it",
    ),
}
IDENTITY_FIELDS = (
    "customer_phone",
    "customer_email",
    "customer_wechat",
    "customer_member_id",
    "customer_social_handle",
    "customer_crm_id",
)
KINDS = (
    "centres",
    "teams",
    "agents",
    "customers",
    "interactions",
    "utterances",
    "tickets",
    "surveys",
    "complaints",
    "orders",
    "agent_states",
    "schedules",
    "kb_events",
)
TIMESTAMPS = (
    "offered_at",
    "answered_at",
    "ended_at",
    "spoken_at",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "sent_at",
    "ordered_at",
    "started_at",
    "starts_at",
    "ends_at",
    "occurred_at",
    "first_seen_at",
)


def load(folder: Path) -> dict[str, pd.DataFrame]:
    """Every generated CSV file, timestamps parsed."""
    frames = {}
    for kind in KINDS:
        frame = pd.read_csv(folder / f"{kind}.csv", dtype=str, keep_default_na=False, na_values=[""])
        for col in frame.columns:
            if col in TIMESTAMPS:
                frame[col] = pd.to_datetime(frame[col], format="%Y-%m-%d %H:%M:%S")
        frames[kind] = frame
    return frames


class Identities:
    """Union-find over identity values: identifiers on one row belong to one customer."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.parent: dict[str, str] = {}
        for kind in ("customers", "interactions", "orders", "surveys", "complaints", "tickets"):
            for row in self._values(frames[kind]):
                for other in row[1:]:
                    self._union(row[0], other)

    @staticmethod
    def _values(frame: pd.DataFrame) -> list[list[str]]:
        cols = [c for c in IDENTITY_FIELDS if c in frame.columns]
        sub = frame[cols]
        return [
            [f"{c}={v}" for c, v in zip(cols, row, strict=True) if isinstance(v, str)]
            for row in sub.itertuples(index=False)
        ]

    def _find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def _union(self, a: str, b: str) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def key(self, frame: pd.DataFrame) -> pd.Series:
        """The resolved customer of every row."""
        return pd.Series([self._find(r[0]) if r else None for r in self._values(frame)], index=frame.index)


def handle_seconds(inter: pd.DataFrame) -> pd.Series:
    return inter[["talk_seconds", "hold_seconds", "acw_seconds"]].astype(float).sum(axis=1)


def agent_text(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    utt = frames["utterances"]
    return utt[utt.speaker == "agent"]


def phrase_rate(frames: dict[str, pd.DataFrame], phrases: tuple[str, ...], by: str) -> pd.Series:
    """Share of handled interactions (per ``by`` column of interactions) with a phrase in an agent turn."""
    agent = agent_text(frames)
    pattern = "|".join(p.replace("?", r"\?") for p in phrases)
    hit = set(agent.loc[agent.text.str.contains(pattern, regex=True), "interaction_id"])
    inter = frames["interactions"]
    handled = inter[inter.agent_id.notna()]
    return handled.interaction_id.isin(hit).groupby(handled[by]).mean()


def repeat_rate(frames: dict[str, pd.DataFrame], ids: Identities, hours: float) -> pd.Series:
    """Per team: share of handled contacts followed by another contact of the same customer about the
    same topic within ``hours``."""
    inter = frames["interactions"].copy()
    inter["cust"] = ids.key(inter)
    inter = inter.sort_values("offered_at")
    nxt = inter.groupby(["cust", "topic"]).offered_at.shift(-1)
    inter["repeat"] = (nxt - inter.offered_at) <= pd.Timedelta(hours=hours)
    handled = inter[inter.team_id.notna()]
    return handled.groupby("team_id").repeat.mean()


def week_of(ts: pd.Series, start: pd.Timestamp) -> pd.Series:
    return (ts - start).dt.days // 7
