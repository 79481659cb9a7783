"""Inspecting: run every rule's detector over a batch, then score with the scorecards.

:class:`Inspector` compiles loaded packs once (one phrase automaton for every rule) and inspects
batches of any size; :func:`inspect_conversation` is the pure one-conversation entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csqm.errors import ConfigError
from csqm.inspection.batch import Batch
from csqm.inspection.detectors import kernels
from csqm.inspection.detectors.base import DetectContext, Detected, Scope, SentimentModel
from csqm.inspection.detectors.terms import PhraseIndex
from csqm.inspection.loading import LoadedRule, LoadedScorecard, Packs, digest
from csqm.inspection.model import ConversationResult, Finding, ItemScore
from csqm.inspection.scoring import ItemTable, Scores, score_batch

_EXCERPT = 12
#: excerpt arguments: characters either side, characters of a turn without a span, bytes of …【】
_EXCERPT_ARGS = (_EXCERPT, 2 * _EXCERPT + 20, np.frombuffer("…【】".encode(), dtype=np.uint8))


def language_of(value: object, default: str) -> str:
    """``zh-CN`` → ``zh``; empty → ``default``."""
    if not isinstance(value, str) or not value.strip():
        return default
    return value.strip().lower().replace("_", "-").split("-")[0]


def _in(values: tuple[str, ...], value: object) -> bool:
    return not values or value in values


@dataclass(frozen=True)
class Group:
    """What applies to conversations of one (language, channel, topic): rules, scorecard, digest."""

    rules: np.ndarray
    card: int
    digest: str


@dataclass(frozen=True)
class BatchResult:
    """Findings (one row each) and scores of one batch."""

    batch: Batch
    rules: tuple[LoadedRule, ...]
    cards: tuple[LoadedScorecard, ...]
    items: ItemTable
    conv_card: np.ndarray
    conv_digest: list[str]
    f_conv: np.ndarray
    f_rule: np.ndarray
    f_turn: np.ndarray
    f_start: np.ndarray
    f_end: np.ndarray
    f_evidence: list[str]
    scores: Scores

    @property
    def n_findings(self) -> int:
        return len(self.f_conv)

    def finding(self, i: int) -> Finding:
        """Finding ``i`` as an object."""
        rule = self.rules[int(self.f_rule[i])].rule
        turn = int(self.f_turn[i])
        item_row = int(self.scores.finding_item[i])
        has_span = turn >= 0 and self.f_start[i] >= 0
        return Finding(
            rule_id=rule.id,
            detector=rule.detector,
            interaction_id=str(self.batch.ids[self.f_conv[i]]),
            seq=int(self.batch.seq[turn]) if turn >= 0 else None,
            start=int(self.f_start[i]) if has_span else None,
            end=int(self.f_end[i]) if has_span else None,
            evidence=self.f_evidence[i],
            severity="fatal" if self.scores.finding_fatal[i] else rule.severity,
            category=rule.category,
            item=self.items.item_id[item_row] if item_row >= 0 else None,
            deduction=float(self.scores.deduction[i]),
        )

    def conversation(self, c: int) -> ConversationResult:
        """The result of conversation ``c`` of the batch."""
        card = int(self.conv_card[c])
        rows = np.flatnonzero(self.items.card == card) if card >= 0 else np.zeros(0, dtype=np.int64)
        mine = np.flatnonzero(self.f_conv == c)
        items = tuple(
            ItemScore(
                item=self.items.item_id[r],
                weight=float(self.items.weight[r]),
                earned=float(self.scores.earned[c, r]),
                applicable=bool(self.scores.applicable[c, r]),
                fatal=bool(np.any(self.scores.finding_fatal[mine] & (self.scores.finding_item[mine] == r))),
                findings=int(np.sum(self.scores.finding_item[mine] == r)),
            )
            for r in rows.tolist()
        )
        score = float(self.scores.score[c])
        passed = int(self.scores.passed[c])
        return ConversationResult(
            interaction_id=str(self.batch.ids[c]),
            scorecard_id=self.cards[card].card.id if card >= 0 else None,
            score=None if np.isnan(score) else score,
            passed=None if passed < 0 else bool(passed),
            fatal_count=int(self.scores.fatal_count[c]),
            findings=tuple(self.finding(i) for i in mine.tolist()),
            items=items,
        )

    def conversations(self) -> list[ConversationResult]:
        return [self.conversation(c) for c in range(self.batch.n_conversations)]


class Inspector:
    """Loaded packs compiled for inspection. ``sentiment`` replaces the built-in sentiment model."""

    def __init__(self, packs: Packs, *, sentiment: SentimentModel | None = None, default_language: str = "zh") -> None:
        self.packs = packs
        self.rules = packs.rules
        self.cards = packs.scorecards
        self.items = ItemTable.of(self.cards)
        self.sentiment = sentiment
        self.default_language = default_language
        sparse = [t for r in self.rules for t in r.detector.sparse_terms()]
        dense = [t for r in self.rules for t in r.detector.terms() if t not in sparse]
        self.index = PhraseIndex((lit for t in dense for lit in t.literals()), sparse)
        self._rule_item = np.array(
            [[self.items.row(ci, r.rule.item) for r in self.rules] for ci in range(len(self.cards))] or [[]],
            dtype=np.int64,
        ).reshape(len(self.cards), len(self.rules))
        self._pass = np.array([c.card.pass_score for c in self.cards], dtype=float)
        self._fatal = np.array([r.rule.severity == "fatal" for r in self.rules], dtype=bool)
        self._counts = np.array([r.rule.severity != "info" for r in self.rules], dtype=bool)  # info never deducts
        self._groups: dict[tuple[str, Any, Any], Group] = {}

    def sentiment_model(self) -> SentimentModel:
        """The sentiment model in use (the built-in one unless another was given)."""
        if self.sentiment is None:
            from csqm.inspection.detectors.sentiment import default_model

            self.sentiment = default_model()
        return self.sentiment

    def group(self, language: object, channel: object, topic: object) -> Group:
        """Rules and scorecard for conversations of this language, channel and topic."""
        key = (language_of(language, self.default_language), channel, topic)
        if key not in self._groups:
            lang = key[0]
            mask = np.array(
                [
                    _in(r.languages, lang) and _in(r.rule.channels, channel) and _in(r.rule.scenarios, topic)
                    for r in self.rules
                ],
                dtype=bool,
            )
            card = self._choose_card(lang, channel, topic)
            parts = sorted(r.digest for r, m in zip(self.rules, mask, strict=True) if m)
            parts.append(self.cards[card].digest if card >= 0 else "-")
            self._groups[key] = Group(mask, card, digest(parts))
        return self._groups[key]

    def _choose_card(self, lang: str, channel: object, topic: object) -> int:
        best, best_rank = -1, -1
        for i, c in enumerate(self.cards):
            if _in(c.languages, lang) and _in(c.card.channels, channel) and _in(c.card.scenarios, topic):
                rank = bool(c.card.channels) + bool(c.card.scenarios)
                if rank > best_rank:
                    best, best_rank = i, rank
        return best

    def run(self, batch: Batch, *, between: Callable[[], None] | None = None) -> BatchResult:
        """Inspect every conversation of ``batch``. ``between``, if given, is called before each rule
        (the real-time server's background inspection gives way to the ingress there)."""
        codes, firsts = _group_codes(batch.language, batch.channel, batch.topic)
        uniques = [(batch.language[i], batch.channel[i], batch.topic[i]) for i in firsts.tolist()]
        groups = [self.group(*k) for k in uniques]
        n_rules = len(self.rules)
        group_rules = np.array([g.rules for g in groups], dtype=bool).reshape(len(groups), n_rules)
        conv_scope = np.ascontiguousarray(group_rules[codes].T) if len(codes) else np.zeros((n_rules, 0), dtype=bool)
        conv_card = np.array([g.card for g in groups], dtype=np.int64)[codes] if len(codes) else np.zeros(0, np.int64)
        ctx = DetectContext(batch, self.index, self.sentiment)
        # rules in the same groups have the same conversations: their scopes are shared, keyed by groups
        keys = [group_rules[:, r].tobytes() for r in range(n_rules)]
        found, applicable = self._detect(ctx, conv_scope, conv_card, keys, between)
        digests = np.array([g.digest for g in groups], dtype=object)[codes].tolist() if len(codes) else []
        return self._score(batch, found, applicable, conv_card, digests)

    def _detect(
        self,
        ctx: DetectContext,
        conv_scope: np.ndarray,
        conv_card: np.ndarray,
        keys: list[bytes],
        between: Callable[[], None] | None = None,
    ) -> tuple[list[tuple[int, Detected]], np.ndarray]:
        b = ctx.batch
        applicable = np.zeros((b.n_conversations, len(self.items.item_id)), dtype=bool)
        found: list[tuple[int, Detected]] = []
        scopes: dict[Any, Scope] = {}
        for r, loaded in enumerate(self.rules):
            convs = conv_scope[r]
            if not convs.any():
                continue
            if between is not None:
                between()
            scope = _scope(b, convs, (keys[r], loaded.speakers), scopes)
            try:
                det = loaded.detector.detect(ctx, scope)
            except ConfigError:
                raise
            except Exception as exc:
                raise ConfigError(f"Rule {loaded.rule.id} ({loaded.rule.detector}) failed: {exc}") from exc
            found.append((r, det))
            judged = convs & (self._spoke(b, scope) if det.applicable is None else det.applicable)
            rows = self._rule_item[conv_card, r] if len(self.cards) else np.full(len(convs), -1)
            ok = judged & (conv_card >= 0) & (rows >= 0)
            applicable[np.flatnonzero(ok), rows[ok]] = True
        return found, applicable

    @staticmethod
    def _spoke(b: Batch, scope: Scope) -> np.ndarray:
        """By default a rule about some speakers applies only where one of them spoke."""
        if not scope.speakers:
            return np.ones(b.n_conversations, dtype=bool)
        return b.spoke(scope.speakers)  # the engine's scopes are "in scope and spoken by them"

    def _score(
        self,
        batch: Batch,
        found: list[tuple[int, Detected]],
        applicable: np.ndarray,
        conv_card: np.ndarray,
        digests: list[str],
    ) -> BatchResult:
        def cat(attr: str) -> np.ndarray:
            parts = [np.asarray(getattr(d, attr), dtype=np.int64) for _, d in found]
            return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

        f_conv, f_turn, f_start, f_end = cat("conv"), cat("turn"), cat("start"), cat("end")
        f_rule = np.concatenate([np.full(len(d), r) for r, d in found]) if found else np.zeros(0, np.int64)
        f_rule = f_rule.astype(np.int64)
        raw: list[str | None] = [e for _, d in found for e in d.evidence]
        evidence = _evidence(batch, raw, f_turn, f_start, f_end)
        card_of = conv_card[f_conv]
        f_item = (
            np.where(card_of >= 0, self._rule_item[np.maximum(card_of, 0), f_rule], -1)
            if len(self.cards)
            else np.full(len(f_conv), -1)
        )
        f_seq = np.zeros(len(f_turn), dtype=np.int64)  # conversation-level findings (turn -1) come first
        f_seq[f_turn >= 0] = batch.seq[f_turn[f_turn >= 0]]
        scores = score_batch(
            self.items,
            self._pass,
            conv_card,
            applicable,
            f_conv,
            f_item,
            f_seq,
            self._fatal[f_rule],
            self._counts[f_rule],
        )
        return BatchResult(
            batch,
            self.rules,
            self.cards,
            self.items,
            conv_card,
            digests,
            f_conv,
            f_rule,
            f_turn,
            f_start,
            f_end,
            evidence,
            scores,
        )


def _scope(b: Batch, convs: np.ndarray, key: tuple[bytes, tuple[str, ...]], seen: dict[Any, Scope]) -> Scope:
    """The scope of a rule; rules with the same conversations and speakers (the same ``key``) share
    one, with read-only masks, so the turn mask is computed once per distinct scope, not per rule."""
    if key not in seen:
        turns = b.in_conversations(convs, b.speaker_mask(key[1]))
        conversations = convs.copy()
        turns.flags.writeable = conversations.flags.writeable = False
        seen[key] = Scope(conversations, turns, key[1])
    return seen[key]


def _group_codes(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the number of its distinct combination of ``columns`` (missing values are one value),
    and the first row of each combination."""
    n = len(columns[0])
    if not n:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    for column in columns:
        codes, size = _codes(column)
        combined = pd.factorize(combined * (size + 1) + codes)[0].astype(np.int64)  # stays below n
    # codes are numbered in order of first appearance: a row is the first of its code where the code
    # is higher than every code before it
    seen = np.maximum.accumulate(np.concatenate(([-1], combined[:-1])))
    return combined, np.flatnonzero(combined > seen).astype(np.int64)


def _codes(column: np.ndarray) -> tuple[np.ndarray, int]:
    """Codes of the distinct values of ``column`` (missing values, None or NaN, one more value) and
    how many there are. Arrow's hashing for strings (most columns), pandas for anything else."""
    try:
        encoded = pc.dictionary_encode(pa.array(column, from_pandas=True), null_encoding="encode")
    except (pa.ArrowException, TypeError, ValueError):
        codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=False)
        return codes.astype(np.int64), len(uniques)
    return np.asarray(encoded.indices, dtype=np.int64), len(encoded.dictionary)


def _evidence(batch: Batch, raw: list[str | None], turn: np.ndarray, start: np.ndarray, end: np.ndarray) -> list[str]:
    """Each finding's evidence: the detector's own, or an excerpt cut from the turn's text (compiled,
    all at once; the rare span outside its turn is cut by :func:`_excerpt`)."""
    out = np.empty(len(raw), dtype=object)
    out[:] = raw
    missing = np.fromiter((e is None for e in raw), dtype=bool, count=len(raw))
    cut = np.flatnonzero(missing & (turn >= 0))
    if len(cut):
        data, starts = batch.utf8
        pieces, first, odd = kernels.excerpts(data, starts, turn[cut], start[cut], end[cut], *_EXCERPT_ARGS)
        made = pa.LargeStringArray.from_buffers(len(cut), pa.py_buffer(first), pa.py_buffer(pieces))
        out[cut] = np.asarray(made.to_numpy(zero_copy_only=False), dtype=object)
        for i in cut[odd].tolist():
            out[i] = _excerpt(batch.text_of(int(turn[i])), int(start[i]), int(end[i]))
    out[missing & (turn < 0)] = ""
    result: list[str] = out.tolist()
    return result


def _excerpt(text: str, start: int, end: int) -> str:
    """The matched text with a little context either side (the stored text is already masked)."""
    if start < 0:
        return text[: 2 * _EXCERPT + 20]
    lo, hi = max(0, start - _EXCERPT), min(len(text), end + _EXCERPT)
    return (
        ("…" if lo > 0 else "")
        + text[lo:start]
        + "【"
        + text[start:end]
        + "】"
        + text[end:hi]
        + ("…" if hi < len(text) else "")
    )


def inspect_conversation(
    transcript: Iterable[Mapping[str, Any]] | pd.DataFrame,
    interaction: Mapping[str, Any],
    pack: Packs | Inspector,
) -> ConversationResult:
    """Inspect one conversation without a store: its utterance rows (dicts or a DataFrame with the
    ``utterances`` columns) and its ``interactions`` row. Pure: nothing is read or written."""
    inspector = pack if isinstance(pack, Inspector) else Inspector(pack)
    rows: Iterable[Mapping[str, Any]]
    if isinstance(transcript, pd.DataFrame):
        rows = [{str(k): v for k, v in r.items()} for r in transcript.to_dict("records")]
    else:
        rows = transcript
    return inspector.run(Batch.from_rows(rows, interaction)).conversation(0)
