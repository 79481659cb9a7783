"""Whole-file transforms: reshaping a mapping profile cannot express, registered by name.

A transform takes the whole source file as one DataFrame (columns as in the file, one row per
source row, index = source row number) and returns canonical frames per data kind, each indexed by
the source row number it came from (so rejects still name the right row).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from csqm.errors import IngestError
from csqm.ingest.coerce import as_bool, as_text, as_timestamp

Transform = Callable[[pd.DataFrame], dict[str, pd.DataFrame]]
TRANSFORMS: dict[str, Transform] = {}


def register(name: str) -> Callable[[Transform], Transform]:
    def deco(fn: Transform) -> Transform:
        if name in TRANSFORMS:
            raise ValueError(f"transform {name!r} registered twice")
        TRANSFORMS[name] = fn
        return fn

    return deco


def _require(frame: pd.DataFrame, columns: set[str], what: str) -> None:
    missing = sorted(columns - set(frame.columns))
    if missing:
        raise IngestError(f"This is not a {what} file: missing column(s) {', '.join(missing)}.")


def _thread_roots(parent: dict[str, str | None]) -> dict[str, str]:
    """tweet id -> id of the first tweet of its reply chain (parents missing from the file end a chain)."""
    roots: dict[str, str] = {}
    for tweet in parent:
        path, node = [], tweet
        while node not in roots:
            path.append(node)
            up = parent.get(node)
            if up is None or up not in parent or up in path:
                roots[node] = node
                break
            node = up
        root = roots[node]
        for n in path:
            roots[n] = root
    return roots


@register("twitter_threads")
def twitter_threads(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Customer Support on Twitter: reply chains -> one social interaction each, tweets -> utterances."""
    _require(
        frame,
        {"tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id"},
        "Twitter support",
    )
    tweets = pd.DataFrame(
        {
            "tweet_id": as_text(frame["tweet_id"]),
            "author": as_text(frame["author_id"]),
            "inbound": as_bool(frame["inbound"])[0],
            "at": as_timestamp(frame["created_at"], "UTC")[0],
            "text": as_text(frame["text"]),
            "parent": as_text(frame["in_response_to_tweet_id"]).map(lambda v: v.split(".")[0] if v else None),
        },
        index=frame.index,
    )
    tweets = tweets[tweets["tweet_id"].notna()]
    roots = _thread_roots(dict(zip(tweets["tweet_id"], tweets["parent"], strict=True)))
    tweets["thread"] = tweets["tweet_id"].map(roots)
    tweets = tweets.sort_values(["thread", "at", "tweet_id"], kind="stable")
    interactions, utterances = [], []
    for thread, group in tweets.groupby("thread", sort=False):
        first = group.iloc[0]
        customer = group[group["inbound"] == True]  # noqa: E712 (nullable boolean)
        brand = group[group["inbound"] == False]  # noqa: E712
        answered = brand["at"].min() if len(brand) else None
        start = group["at"].min()
        interactions.append(
            {
                "_row": group.index.min(),
                "interaction_id": f"tw-{thread}",
                "channel": "social",
                "direction": "inbound" if first["inbound"] else "outbound",
                "queue": brand["author"].iloc[0] if len(brand) else None,
                "agent_id": brand["author"].iloc[0] if len(brand) else None,
                "offered_at": _fmt(start),
                "answered_at": _fmt(answered),
                "ended_at": _fmt(group["at"].max()),
                "first_response_seconds": None if answered is None else str((answered - start).total_seconds()),
                "abandoned": "false",
                "language": "en",
                "customer_social_handle": customer["author"].iloc[0] if len(customer) else None,
            }
        )
        for seq, (row, tweet) in enumerate(group.iterrows(), start=1):
            utterances.append(
                {
                    "_row": row,
                    "interaction_id": f"tw-{thread}",
                    "seq": str(seq),
                    "speaker": "customer" if tweet["inbound"] else "agent",
                    "spoken_at": _fmt(tweet["at"]),
                    "offset_seconds": str((tweet["at"] - start).total_seconds()),
                    "text": tweet["text"],
                }
            )
    return {"interactions": _frame(interactions), "utterances": _frame(utterances)}


def _fmt(value: object) -> str | None:
    stamp = pd.Timestamp(value) if value is not None else None  # type: ignore[arg-type]
    if stamp is None or pd.isna(stamp):
        return None
    return str(stamp.strftime("%Y-%m-%d %H:%M:%S"))


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.set_index("_row") if len(frame) else frame
