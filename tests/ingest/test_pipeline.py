"""Ingest behaviour: idempotent, corrected re-exports update, customers linked across channels, PII masked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from csqm.ingest import ingest_file
from csqm.settings import Settings
from csqm.store import Store, open_store
from tests.ingest.helpers import HEADER, stored_text, write

ROWS = [
    "i1,phone,2026-01-05 09:00:00,2026-01-05 09:00:10,2026-01-05 09:05:00,280,a1,13812345678,物流查询",
    "i2,chat,2026-01-05 10:00:00,2026-01-05 10:00:05,2026-01-05 10:09:00,500,a2,,退换货",
]


def test_same_file_twice_changes_nothing(tmp_path: Path, store: Store, settings: Settings) -> None:
    path = write(tmp_path / "i.csv", [HEADER, *ROWS])
    first = ingest_file(path, "interactions", store=store, settings=settings)
    before = store.table("interactions")
    again = ingest_file(path, "interactions", store=store, settings=settings)
    assert (first.inserted, first.updated) == (2, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    pd.testing.assert_frame_equal(before, store.table("interactions"))
    assert store.count("ingest_batches") == 2


def test_corrected_re_export_updates_only_changed_rows(tmp_path: Path, store: Store, settings: Settings) -> None:
    ingest_file(write(tmp_path / "a.csv", [HEADER, *ROWS]), "interactions", store=store, settings=settings)
    fixed = [ROWS[0], ROWS[1].replace(",500,", ",520,"), "i3,email,2026-01-06 08:00:00,,,,a2,,账单"]
    summary = ingest_file(write(tmp_path / "b.csv", [HEADER, *fixed]), "interactions", store=store, settings=settings)
    assert (summary.inserted, summary.updated, summary.unchanged) == (1, 1, 1)
    got = store.table("interactions").set_index("interaction_id")["talk_seconds"]
    assert got["i2"] == 520 and got["i1"] == 280


def test_naive_times_are_stored_as_utc(tmp_path: Path, duck: Store, settings: Settings) -> None:
    ingest_file(write(tmp_path / "i.csv", [HEADER, ROWS[0]]), "interactions", store=duck, settings=settings)
    row = duck.table("interactions").iloc[0]
    assert row["offered_at"] == pd.Timestamp("2026-01-05 01:00:00")
    assert row["answered_at"] == pd.Timestamp("2026-01-05 01:00:10")


def test_timezone_setting_changes_interpretation(tmp_path: Path, duck: Store) -> None:
    utc = Settings(data_dir=tmp_path / "d", secret="x" * 20, timezone="UTC")
    ingest_file(write(tmp_path / "i.csv", [HEADER, ROWS[0]]), "interactions", store=duck, settings=utc)
    assert duck.scalar("SELECT offered_at FROM interactions") == pd.Timestamp("2026-01-05 09:00:00")


def test_pii_in_transcripts_and_identifiers_is_never_stored(tmp_path: Path, store: Store, settings: Settings) -> None:
    ingest_file(write(tmp_path / "i.csv", [HEADER, *ROWS]), "interactions", store=store, settings=settings)
    utter = write(
        tmp_path / "u.csv",
        [
            "interaction_id,seq,speaker,text",
            "i1,1,customer,我的手机13812345678谢谢",
            "i1,2,customer,邮箱是zhang.san@example.com谢谢",
            "i1,3,agent,好的，已为您查询",
        ],
    )
    ingest_file(utter, "utterances", store=store, settings=settings)
    text = stored_text(store)
    for raw in ("13812345678", "zhang.san@example.com"):
        assert raw not in text
    got = store.table("utterances")
    assert got["text"].tolist()[0] == "我的手机138****5678谢谢"
    assert [None if pd.isna(v) else v for v in got["pii_kinds"]] == ["phone", "email", None]
    masked = store.query("SELECT masked_value FROM customer_identities")["masked_value"].tolist()
    assert masked == ["138****5678"]


def test_keep_raw_setting_stores_clear_identifiers(tmp_path: Path, duck: Store) -> None:
    raw = Settings(data_dir=tmp_path / "d", secret="x" * 20, keep_raw_pii=True)
    ingest_file(write(tmp_path / "i.csv", [HEADER, ROWS[0]]), "interactions", store=duck, settings=raw)
    assert duck.scalar("SELECT raw_value FROM customer_identities") == "13812345678"


def test_one_customer_across_channels_and_files(tmp_path: Path, store: Store, settings: Settings) -> None:
    # phone call by phone number; chat by WeChat; an order that carries both links them
    calls = write(tmp_path / "calls.csv", [HEADER, ROWS[0]])
    chats = write(
        tmp_path / "chats.csv",
        ["interaction_id,channel,offered_at,customer_wechat", "c1,chat,2026-01-06 10:00:00,wx_openid_001"],
    )
    orders = write(
        tmp_path / "orders.csv",
        [
            "order_id,ordered_at,amount,customer_phone,customer_wechat",
            "o1,2026-01-07 12:00:00,99,+86 138-1234-5678,wx_openid_001",
        ],
    )
    ingest_file(calls, "interactions", store=store, settings=settings)
    ingest_file(chats, "interactions", store=store, settings=settings)
    assert store.scalar("SELECT count(DISTINCT customer_id) FROM interactions") == 2
    summary = ingest_file(orders, "orders", store=store, settings=settings)
    assert summary.customers_merged == 1
    ids = set(
        store.query("SELECT customer_id FROM interactions UNION ALL SELECT customer_id FROM orders")["customer_id"]
    )
    assert len(ids) == 1
    assert store.count("customers") == 1
    assert store.count("customer_merges") == 1
    assert set(store.query("SELECT customer_id FROM customer_identities")["customer_id"]) == ids


def test_conflicting_crm_ids_are_not_merged(tmp_path: Path, duck: Store, settings: Settings) -> None:
    customers = write(
        tmp_path / "customers.csv",
        [
            "customer_crm_id,customer_phone,segment,customer_name",
            "CRM-A,13812345678,VIP,张三",
            "CRM-B,13912345678,regular,李四",
        ],
    )
    ingest_file(customers, "customers", store=duck, settings=settings)
    assert duck.count("customers") == 2
    assert sorted(duck.query("SELECT display_name FROM customers")["display_name"]) == ["张*", "李*"]
    # a ticket that names CRM-B with CRM-A's phone (a shared family phone): conflict, no merge
    tickets = write(
        tmp_path / "tickets.csv",
        ["ticket_id,created_at,customer_crm_id,customer_phone", "t1,2026-01-05 09:00:00,CRM-B,13812345678"],
    )
    summary = ingest_file(tickets, "tickets", store=duck, settings=settings)
    assert summary.identity_conflicts == 1 and summary.customers_merged == 0
    assert duck.count("customers") == 2
    b = duck.scalar(
        "SELECT i.customer_id FROM customer_identities i WHERE kind = 'crm_id' "
        "AND customer_id IN (SELECT customer_id FROM customers WHERE segment = 'regular')"
    )
    assert duck.scalar("SELECT customer_id FROM tickets") == b
    assert duck.count("identity_conflicts") == 1


def test_chain_of_identifiers_in_one_file(tmp_path: Path, duck: Store, settings: Settings) -> None:
    rows = [
        "interaction_id,channel,offered_at,customer_phone,customer_email,customer_wechat",
        "x1,phone,2026-01-05 09:00:00,13812345678,,",
        "x2,chat,2026-01-05 10:00:00,,,wx1",
        "x3,email,2026-01-05 11:00:00,,a@b.cn,",
        "x4,chat,2026-01-05 12:00:00,13812345678,a@b.cn,",
        "x5,chat,2026-01-05 13:00:00,,a@b.cn,wx1",
    ]
    summary = ingest_file(write(tmp_path / "i.csv", rows), "interactions", store=duck, settings=settings)
    assert summary.inserted == 5
    assert duck.scalar("SELECT count(DISTINCT customer_id) FROM interactions") == 1
    assert duck.count("customers") == 1
    assert duck.count("customer_identities") == 3


lines = st.lists(
    st.tuples(
        st.sampled_from(["i1", "i2", "i3", "i4"]),
        st.sampled_from(["phone", "chat", "fax"]),
        st.integers(-5, 600),
    ),
    min_size=0,
    max_size=8,
)


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=lines)
def test_property_ingesting_twice_equals_once(tmp_path: Path, rows: list[tuple[str, str, int]]) -> None:
    folder = tmp_path / f"p{abs(hash(tuple(rows)))}"
    folder.mkdir()
    settings = Settings(data_dir=folder / "d", secret="y" * 20)
    body = [f"{i},{ch},2026-01-05 09:00:00,,,{talk},a1,,t" for i, ch, talk in rows]
    path = write(folder / "i.csv", [HEADER, *body])
    with open_store(settings=settings) as store:
        first = ingest_file(path, "interactions", store=store, settings=settings)
        snapshot = store.table("interactions")
        second = ingest_file(path, "interactions", store=store, settings=settings)
        assert second.inserted == 0 and second.updated == 0
        assert second.rejected == first.rejected
        pd.testing.assert_frame_equal(snapshot, store.table("interactions"))
        valid_ids = {i for i, ch, talk in rows if ch != "fax" and talk >= 0}
        assert set(snapshot["interaction_id"]) <= valid_ids


def test_merged_customer_keeps_attributes_and_reingest_is_unchanged(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    chats = write(
        tmp_path / "chats.csv",
        ["interaction_id,channel,offered_at,customer_wechat", "c1,chat,2026-01-05 10:00:00,wx_A"],
    )
    customers = write(
        tmp_path / "customers.csv",
        ["customer_crm_id,customer_phone,segment,region", "CRM-A,13812345678,VIP,广东"],
    )
    orders = write(
        tmp_path / "orders.csv",
        ["order_id,ordered_at,customer_crm_id,customer_wechat", "o1,2026-01-07 12:00:00,CRM-A,wx_A"],
    )
    ingest_file(chats, "interactions", store=store, settings=settings)
    ingest_file(customers, "customers", store=store, settings=settings)
    assert ingest_file(orders, "orders", store=store, settings=settings).customers_merged == 1
    rows = store.table("customers")
    assert len(rows) == 1
    assert (rows.iloc[0]["segment"], rows.iloc[0]["region"]) == ("VIP", "广东")
    again = ingest_file(customers, "customers", store=store, settings=settings)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 1)
    assert store.scalar("SELECT count(DISTINCT customer_id) FROM interactions") == 1
