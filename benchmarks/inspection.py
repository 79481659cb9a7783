# ruff: noqa: E402  (the standard-library path fix below must run before the imports)
"""Inspection throughput on one core: the default packs against a naive per-utterance baseline.

    .venv/bin/python benchmarks/inspect.py                 # 110 000 demo conversations ≈ 1.1M utterances
    .venv/bin/python benchmarks/inspect.py -n 20000        # quicker

The data is the seeded demo dataset (csqm.generate), with personal data masked as at ingest.
Measured in the same run:
- ``rules``: the default packs without the sentiment rules (keywords, regex, structural, timing,
  repetition, personal data), run by the engine in chunks of 20 000 conversations as ``csqm inspect`` does;
- ``rules + sentiment``: the full default packs (needs ``csqm.inspection.sentiment``);
- ``naive``: the same keyword and regex rules applied turn by turn with Python substring tests and
  ``re.search``, plus greeting/closing windows in a per-conversation loop (on a sample, as a rate).
"""

from __future__ import annotations

import os.path
import sys

# This file is called inspect.py: keep its folder off sys.path so it does not shadow the standard library's inspect.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse
import importlib.util
import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from csqm.generate import generate
from csqm.inspection.batch import Batch
from csqm.inspection.detectors.keywords import KeywordParams, RegexParams
from csqm.inspection.detectors.position import PositionParams
from csqm.inspection.engine import Inspector
from csqm.inspection.loading import Packs, load_packs
from csqm.inspection.runner import SENTIMENT_DETECTORS
from csqm.privacy import Masker

CHUNK = 20_000


def _data(n: int) -> tuple[pa.Table, pa.Table]:
    out = Path(tempfile.mkdtemp(prefix="csqm-bench-"))
    generate(out, interactions=n, seed=11)
    inter = pacsv.read_csv(out / "interactions.csv")
    utt = pacsv.read_csv(out / "utterances.csv")
    masked, kinds = Masker(b"benchmark-secret-0123").mask_texts(utt.column("text").to_pylist())
    utt = utt.set_column(utt.schema.get_field_index("text"), "text", pa.array(masked, pa.string()))
    return inter, utt.append_column("pii_kinds", pa.array(kinds, pa.string()))


def _chunks(inter: pa.Table, utt: pa.Table) -> list[Batch]:
    ids = inter.column("interaction_id").to_pandas()
    conv = pd.Index(ids).get_indexer(utt.column("interaction_id").to_pandas())
    batches = []
    for start in range(0, len(ids), CHUNK):
        rows = np.flatnonzero((conv >= start) & (conv < start + CHUNK))
        batches.append(Batch.from_frames(inter.slice(start, CHUNK), utt.take(pa.array(rows))))
    return batches


def _engine(packs: Packs, batches: list[Batch]) -> tuple[float, int, int]:
    inspector = Inspector(packs)
    turns = sum(b.n_turns for b in batches)
    fresh = [Batch(**{f: getattr(b, f) for f in b.__dataclass_fields__}) for b in batches]  # no cached text views
    started = time.perf_counter()
    findings = sum(inspector.run(b).n_findings for b in fresh)
    return time.perf_counter() - started, turns, findings


def _naive(packs: Packs, utt: pa.Table, limit: int) -> tuple[float, int]:
    """Each keyword / regex rule per turn in Python; position rules per conversation."""
    part = utt.slice(0, limit)
    texts = [t or "" for t in part.column("text").to_pylist()]
    speakers = part.column("speaker").to_pylist()
    convs = part.column("interaction_id").to_pylist()
    checks = []
    for r in packs.rules:
        p = r.detector.params
        who = set(r.speakers)
        if isinstance(p, KeywordParams) and p.any:
            checks.append((who, [w.lower() for w in p.any], None))
        elif isinstance(p, RegexParams):
            checks.append((who, [], re.compile(p.regex or "", re.IGNORECASE)))
    windows = [r.detector.params for r in packs.rules if isinstance(r.detector.params, PositionParams)]
    started = time.perf_counter()
    hits = 0
    for text, speaker in zip(texts, speakers, strict=True):
        low = text.lower()
        for who, words, pattern in checks:
            if who and speaker not in who:
                continue
            if words:
                hits += sum(1 for w in words if w in low)
            elif pattern is not None and pattern.search(text):
                hits += 1
    by_conv: dict[str, list[str]] = {}
    for conv, text, speaker in zip(convs, texts, speakers, strict=True):
        if speaker == "agent":
            by_conv.setdefault(conv, []).append(text)
    for agent_turns in by_conv.values():
        for w in windows:
            window = agent_turns[: w.turns] if w.window == "first" else agent_turns[-w.turns :]
            hits += not any(p in t for t in window for p in w.phrases)
    return time.perf_counter() - started, limit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--interactions", type=int, default=110_000)
    parser.add_argument("--naive-sample", type=int, default=200_000, help="Utterances for the naive baseline.")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    t0 = time.perf_counter()
    inter, utt = _data(args.interactions)
    batches = _chunks(inter, utt)
    print(f"data: {inter.num_rows:,} conversations, {utt.num_rows:,} utterances ({time.perf_counter() - t0:.1f} s)")
    full = load_packs()
    rules = full.without_detectors(SENTIMENT_DETECTORS)
    seconds, turns, found = _engine(rules, batches)
    fast = turns / seconds
    print(f"rules ({len(rules.rules)}):            {fast:12,.0f} utterances/s  ({seconds:.2f} s, {found:,} findings)")
    naive_s, naive_n = _naive(rules, utt, min(args.naive_sample, utt.num_rows))
    slow = naive_n / naive_s
    print(f"naive baseline:           {slow:12,.0f} utterances/s  (on {naive_n:,} utterances)")
    print(f"speed-up:                 {fast / slow:12.1f} ×")
    if importlib.util.find_spec("csqm.inspection.sentiment") is None:
        print("rules + sentiment:        skipped (csqm.inspection.sentiment is not available)")
        return
    seconds, turns, found = _engine(full, batches)
    print(
        f"rules + sentiment ({len(full.rules)}): {turns / seconds:12,.0f} utterances/s  "
        f"({seconds:.2f} s, {found:,} findings)"
    )


if __name__ == "__main__":
    main()
