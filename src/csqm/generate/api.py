"""``generate()``: write a seeded, realistic omni-channel dataset in the canonical input format."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

import numpy as np

from csqm.generate import kb, orders, outcomes, records
from csqm.generate import plan as P
from csqm.generate.banks import catalog, reference
from csqm.generate.chunk import build_chunk
from csqm.generate.contacts import Drawer
from csqm.generate.org import Org, make_org, org_tables
from csqm.generate.people import Customers, make_customers
from csqm.generate.workforce import workforce_columns
from csqm.generate.writer import Sink

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GenerationSummary:
    """What :func:`generate` wrote: rows per kind, the files, and the planted problems."""

    out_dir: Path
    rows: dict[str, int]
    files: list[Path]
    seconds: float
    planted: dict[str, str] = field(default_factory=dict)


def generate(
    out_dir: Path,
    *,
    interactions: int,
    seed: int = 7,
    lang: Literal["zh", "en"] = "zh",
    fmt: Literal["csv", "parquet"] = "csv",
    start: date = date(2026, 1, 5),
    weeks: int = 12,
    progress: Callable[[str, int, int], None] | None = None,
) -> GenerationSummary:
    """Write one ``<kind>.csv`` / ``<kind>.parquet`` file per data kind into ``out_dir``.

    The same arguments always give byte-identical files. Work is done in chunks of 50 000
    interactions, so memory stays bounded for millions of interactions. ``progress(stage, done,
    total)`` is called after each step (stages: organisation, customers, interactions, knowledge,
    orders, workforce). The planted problems are documented in ``docs/demo-data.md``.
    """
    if interactions < 1:
        raise ValueError("interactions must be at least 1")
    if weeks < 4:
        raise ValueError("weeks must be at least 4")
    began = time.perf_counter()
    plan = P.Plan(interactions=interactions, seed=seed, lang=lang, start=start, weeks=weeks)
    report: Progress = progress or (lambda stage, done, total: None)
    sink = Sink(Path(out_dir), fmt)
    org = make_org(plan)
    for kind, columns in org_tables(plan, org).items():
        sink.write(kind, columns)
    report("organisation", 1, 1)
    people = make_customers(plan)
    _write_customers(sink, plan, people, report)
    _write_contacts(sink, plan, people, org, report)
    sink.write("kb_events", kb.update_columns(plan, org))
    report("knowledge", 1, 1)
    _write_orders(sink, plan, people, report)
    schedules, states = workforce_columns(plan, org)
    sink.write("schedules", schedules)
    sink.write("agent_states", states)
    report("workforce", 1, 1)
    files = sink.close()
    return GenerationSummary(
        Path(out_dir), dict(sink.rows), files, time.perf_counter() - began, planted_facts(plan, people)
    )


def _write_customers(sink: Sink, plan: P.Plan, people: Customers, report: Progress) -> None:
    for first in range(0, people.n, 100_000):
        count = min(100_000, people.n - first)
        sink.write("customers", records.customer_columns(plan, people, first, count))
        report("customers", first + count, people.n)


def _write_contacts(sink: Sink, plan: P.Plan, people: Customers, org: Org, report: Progress) -> None:
    drawer = Drawer(plan, people, org)
    for index, (first, n) in enumerate(plan.chunks()):
        chunk = build_chunk(plan, drawer, org, people, index, first, n)
        rng = plan.rng(12, index)
        opened, tickets = outcomes.ticket_rows(chunk, rng)
        sink.write("interactions", records.interaction_columns(chunk, plan, people, org, tickets))
        slots = records.chunk_slots(chunk, plan, people, org)
        sink.write("utterances", records.utterance_columns(chunk, plan, slots))
        sink.write("tickets", outcomes.ticket_columns(chunk, opened, org, people, plan.lang, rng))
        sink.write("surveys", outcomes.survey_columns(chunk, org, people, plan.lang, rng))
        sink.write("complaints", outcomes.complaint_columns(chunk, tickets, people, plan.lang, rng))
        sink.write("kb_events", kb.kb_columns(chunk, slots, people, org, plan, rng))
        report("interactions", first + n, plan.interactions)


def _write_orders(sink: Sink, plan: P.Plan, people: Customers, report: Progress) -> None:
    written = 0
    for block, (first, count) in enumerate(orders.order_blocks(plan, people)):
        cols = orders.order_columns(plan, people, block, first, count, written)
        sink.write("orders", cols)
        written += len(cols["order_id"])
        report("orders", first + count, people.n)


def planted_facts(plan: P.Plan, people: Customers) -> dict[str, str]:
    """The planted problems of a run, as documented in docs/demo-data.md."""
    lang = plan.lang
    team = next(t for t in catalog()["teams"] if t["id"] == P.FORBIDDEN_TEAM)
    region = next(r for r in catalog()["regions"] if r["zh"] == P.LOGISTICS_REGION)
    week = plan.week_start(plan.launch_week)
    ref = reference(lang)
    return {
        "forbidden_team": f"{P.FORBIDDEN_TEAM} ({team[lang]})",
        "logistics_region": region[lang],
        "launch_product": ref.product_names[ref.product(P.LAUNCH_PRODUCT)],
        "launch_week": f"{week.isoformat()} .. {(week + timedelta(days=6)).isoformat()}",
        "degrading_agent": P.DEGRADING_AGENT,
        "churned_customers": str(int(np.count_nonzero(people.churn_day >= 0))),
        "pseudo_satisfied_share": f"{P.PSEUDO_SHARE:.0%} of answered surveys with CSAT 4-5",
    }
