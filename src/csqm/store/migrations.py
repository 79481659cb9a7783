"""Schema migrations, applied in order by ``csqm init`` and automatically when they are additive.

A migration is a version number, a description and a function producing SQL statements for a dialect.
Version 1 creates every declared table. Later versions must only add (tables, columns, indexes) to be
applied automatically; anything destructive sets ``additive=False`` and needs ``csqm init``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from csqm.store import ddl
from csqm.store.schema import TABLES, Table


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: Callable[[ddl.Dialect], list[str]]
    additive: bool = True


def _create(tables: tuple[Table, ...], dialect: ddl.Dialect) -> list[str]:
    out: list[str] = []
    for table in tables:
        out.append(ddl.create_table(table, dialect))
        out.extend(ddl.create_indexes(table))
    return out


def _v1(dialect: ddl.Dialect) -> list[str]:
    return _create(TABLES, dialect)


def inspection_tables() -> tuple[Table, ...]:
    """Inspection results and review tables (migration 2)."""
    from csqm.inspection.review.tables import REVIEW_TABLES
    from csqm.inspection.tables import INSPECTION_TABLES

    return (*INSPECTION_TABLES, *REVIEW_TABLES)


def service_tables() -> tuple[Table, ...]:
    """Console users and audit, test calls, the improvement loop, real-time and rollup bookkeeping (migration 4)."""
    from csqm.improvement.tables import IMPROVEMENT_TABLES
    from csqm.metrics.rollup.tables import ROLLUP_TABLES
    from csqm.realtime.tables import REALTIME_TABLES
    from csqm.testcalls.tables import TESTCALL_TABLES
    from csqm.web.tables import WEB_TABLES

    return (*WEB_TABLES, *TESTCALL_TABLES, *IMPROVEMENT_TABLES, *REALTIME_TABLES, *ROLLUP_TABLES)


def capability_tables() -> tuple[Table, ...]:
    """Tables declared by capabilities next to their code (every migration after the first)."""
    return (*inspection_tables(), *service_tables())


def declared_table(name: str) -> Table:
    """The declaration of any table the store holds: the data model's or a capability's."""
    from csqm.store.schema import TABLES_BY_NAME

    if name in TABLES_BY_NAME:
        return TABLES_BY_NAME[name]
    for decl in capability_tables():
        if decl.name == name:
            return decl
    raise KeyError(f"unknown table {name!r}")


def _v2(dialect: ddl.Dialect) -> list[str]:
    return _create(inspection_tables(), dialect)


def _v3(dialect: ddl.Dialect) -> list[str]:
    from csqm.inspection.tables import INSPECTION_RESULTS

    return [ddl.add_column(INSPECTION_RESULTS, INSPECTION_RESULTS.column("offered_at"), dialect)]


def _v4(dialect: ddl.Dialect) -> list[str]:
    return _create(service_tables(), dialect)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "create the omni-channel data model", _v1),
    Migration(2, "inspection results, findings, rules, feedback and review tables", _v2),
    Migration(3, "inspection_results.offered_at, so QA KPIs date by conversation", _v3),
    Migration(4, "console users and audit, test calls, improvement loop, real-time, rollup state", _v4),
)

LATEST = MIGRATIONS[-1].version

VERSION_TABLE = (
    'CREATE TABLE IF NOT EXISTS "schema_migrations" ('
    '"version" BIGINT PRIMARY KEY, "description" TEXT, "applied_at" TIMESTAMP)'
)
