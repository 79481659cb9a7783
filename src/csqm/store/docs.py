"""Render ``docs/data-model.md`` from the schema declarations (a test keeps the file in step)."""

from __future__ import annotations

from csqm.ingest.canonical import IDENTITY_FIELDS, canonical_fields
from csqm.store.schema import TABLES, Table

HEADER = """# Data model

<!-- Generated from src/csqm/store/schema.py by `python -m csqm.store.docs > docs/data-model.md`;
tests/store/test_docs.py fails when this file and the code disagree. -->

One model for every channel (phone, chat, email, social, store, self-service, bot, IoT). The same
tables exist on the embedded DuckDB store and on PostgreSQL.

- **Time**: every `timestamp` is stored in UTC (no zone). Input files give local time in the source
  time zone (setting `CSQM_TIMEZONE`, default `Asia/Shanghai`) or an explicit offset.
- **Durations** are seconds; money is yuan (CNY); scores as stated per column.
- **Keys**: the natural key of each table (marked ★). Re-ingesting a row with the same key updates it
  when something changed and leaves it alone otherwise.
- **Personal data**: customers are referenced by CSQM's `customer_id`. Input files carry identity
  fields instead ({identity}); ingest stores each as a masked display value plus a keyed pseudonym
  (HMAC-SHA256) in `customer_identities`. Free text (transcripts, comments, descriptions, searches)
  is masked before it is stored.
"""


def _table(decl: Table) -> str:
    lines = [f"## `{decl.name}`", "", decl.doc, ""]
    lines += ["| column | type | unit | null | meaning |", "|---|---|---|---|---|"]
    for c in decl.columns:
        name = f"{c.name} ★" if c.name in decl.key else c.name
        meaning = c.doc
        if c.values:
            meaning += " Values: " + ", ".join(f"`{v}`" for v in c.values) + "."
        if c.minimum is not None or c.maximum is not None:
            lo = "" if c.minimum is None else f"{c.minimum:g}"
            hi = "" if c.maximum is None else f"{c.maximum:g}"
            meaning += f" Range: {lo}…{hi}."
        lines.append(f"| {name} | {c.type} | {c.unit} | {'yes' if c.nullable else 'no'} | {meaning} |")
    if decl.ingestable:
        fields = ", ".join(f"`{f}`" for f in canonical_fields(decl.name))
        lines += [
            "",
            f"Canonical input file `{decl.name}.csv` (or .parquet/.jsonl/.json/.xlsx) fields: {fields}.",
        ]
    return "\n".join(lines) + "\n"


def render() -> str:
    identity = ", ".join(f"`{f}`" for f in IDENTITY_FIELDS)
    from csqm.store.migrations import capability_tables

    groups: dict[str, list[Table]] = {}
    for decl in (*TABLES, *capability_tables()):
        groups.setdefault(decl.group, []).append(decl)
    parts = [HEADER.format(identity=identity)]
    for group, tables in groups.items():
        parts.append(f"# {group.capitalize()}\n")
        parts += [_table(t) for t in tables]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
