"""A second connection to the same database: its own transactions, closed on its own."""

from __future__ import annotations

from csqm.store import Store


def test_second_connection_has_its_own_transactions(store: Store) -> None:
    store.execute('CREATE TABLE "conn_check" ("k" INTEGER)')
    other = store.another_connection()
    try:
        assert other.dialect == store.dialect
        store.begin()
        store.execute('INSERT INTO "conn_check" VALUES (1)')
        assert other.scalar('SELECT count(*) FROM "conn_check"') == 0  # not committed yet
        store.commit()
        assert other.scalar('SELECT count(*) FROM "conn_check"') == 1
        with other.transaction():
            other.execute('INSERT INTO "conn_check" VALUES (2)')
    finally:
        other.close()
    assert store.scalar('SELECT sum("k") FROM "conn_check"') == 3  # the first is still open
