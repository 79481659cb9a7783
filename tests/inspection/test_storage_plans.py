"""The chunk's conversations are read by key on PostgreSQL, not by scanning the whole store."""

from __future__ import annotations

import json
from typing import Any

from csqm.inspection import storage
from csqm.store import Store
from csqm.web.tables import ensure_tables


def _scans(store: Store, sql: str) -> set[tuple[str, str]]:
    """(node type, table) of every scan in the plan of ``sql``."""
    found: set[tuple[str, str]] = set()

    def walk(node: dict[str, Any]) -> None:
        if "Relation Name" in node:
            found.add((node["Node Type"], node["Relation Name"]))
        for child in node.get("Plans", []):
            walk(child)

    plan = store.rows(f"EXPLAIN (FORMAT JSON) {sql}")[0][0]
    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


def test_a_chunk_reads_its_utterances_by_index_on_postgresql(pg: Store) -> None:
    """20,000 utterances of 2,000 conversations; a chunk of 5. Without statistics on the temporary id
    table the planner took it for 1,360 rows and hashed a scan of all the utterances (129 ms at
    300,000); analysed, it looks the 5 conversations up in the primary key."""
    ensure_tables(pg)
    pg.execute(
        'INSERT INTO "utterances" ("interaction_id", "seq", "speaker", "text") '
        "SELECT 'C' || (i / 10), i % 10 + 1, 'customer', repeat('你好', 20) FROM generate_series(0, 19999) AS i"
    )
    pg.execute('ANALYZE "utterances"')
    ids = ["C7", "C70", "C700", "C1234", "C1999"]
    _, utt = storage.fetch(pg, ids)
    assert sorted(set(utt["interaction_id"])) == sorted(ids) and len(utt) == 50
    scans = _scans(pg, f'SELECT u."text" FROM "utterances" u JOIN "{storage._IDS.name}" t USING ("interaction_id")')
    assert ("Seq Scan", "utterances") not in scans and ("Index Scan", "utterances") in scans, scans
