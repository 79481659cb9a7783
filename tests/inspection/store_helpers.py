"""Putting small fixture conversations into a store (rows inserted directly)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from csqm.store import Store

T0 = datetime(2026, 1, 5, 9, 0)


def add_conversations(store: Store, convs: list[tuple[str, str, list[tuple[str, str]], dict[str, Any]]]) -> None:
    """(interaction_id, channel, [(speaker, text)], extra interaction columns) each."""
    inter, utt = [], []
    for n, (iid, channel, turns, extra) in enumerate(convs):
        row = {
            "interaction_id": iid,
            "channel": channel,
            "offered_at": T0 + timedelta(minutes=n),
            "language": "zh",
            "agent_id": "A1",
            "team_id": "T1",
            "hold_seconds": 0.0,
            "topic": None,
        }
        row.update(extra)
        inter.append(row)
        for seq, (speaker, text) in enumerate(turns, start=1):
            kinds = "id_card" if "***" in text else None
            utt.append(
                {
                    "interaction_id": iid,
                    "seq": seq,
                    "speaker": speaker,
                    "offset_seconds": float(seq * 5),
                    "text": text,
                    "pii_kinds": kinds,
                    "spoken_at": T0 + timedelta(minutes=n, seconds=seq * 5),
                }
            )
    store.load_arrow("interactions", pa.Table.from_pylist(inter))
    if utt:
        store.load_arrow("utterances", pa.Table.from_pylist(utt))


GOOD = [
    ("agent", "您好，很高兴为您服务"),
    ("customer", "我的快递没到"),
    ("agent", "请问还有其他问题吗"),
    ("customer", "谢谢你，帮了大忙"),
    ("agent", "不客气，再见"),
]
FORBIDDEN = [("agent", "您好"), ("customer", "快递没到"), ("agent", "这不归我管，你自己看"), ("agent", "再见")]
LEAK = [("agent", "您好"), ("agent", "您的身份证号是110***********123X"), ("agent", "还有其他吗，再见")]
CHAT = [("customer", "在吗"), ("agent", "您好，在的"), ("agent", "您上次买手表的订单已经签收"), ("agent", "祝您愉快")]

FIXTURE = [
    ("p1", "phone", GOOD, {}),
    ("p2", "phone", FORBIDDEN, {"team_id": "T2"}),
    ("p3", "phone", LEAK, {"agent_id": "A2"}),
    ("c1", "chat", CHAT, {}),
    ("c2", "chat", [("customer", "人呢"), ("agent", "不知道")], {"team_id": "T2"}),
    ("b1", "bot", [], {}),
]
