"""The compiled kernels against plain Python doing the same thing the slow, obvious way.

Random turns are made of pieces chosen to break byte/character arithmetic: phrases that overlap or
are prefixes/suffixes of each other, upper-case ASCII (matching ignores ASCII case only), Latin words
next to letters, digits and non-ASCII letters, 2-, 3- and 4-byte characters, empty turns, and
phrases at the very start and end of a turn (where one turn meets the next in the buffer).
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from csqm.inspection.batch import Batch
from csqm.inspection.detectors import kernels
from csqm.inspection.detectors.automaton import Automaton
from csqm.inspection.detectors.terms import Hits, Terms, _kept
from csqm.inspection.engine import _excerpt, _group_codes
from csqm.inspection.scoring import ItemTable, _points

PHRASES = [
    "保证",
    "一定",
    "不保证",
    "保证金",
    "sue",
    "i promise",
    "ok",
    "é",
    "😀保",
    "ab",
    "abab",
    "b",
    "12315",
    "您好",
]
PIECES = [*PHRASES, "SUE", "Issue", "OK!", "x", "9", " ", "Ω", "𠀀", "😀", "。", "AbAb", "É", "不", "您"]


def _texts(rng: random.Random, n: int) -> list[str]:
    return ["".join(rng.choices(PIECES, k=rng.randint(0, 7))) for _ in range(n)]


def _buffer(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    encoded = [t.encode("utf-8") for t in texts]
    starts = np.concatenate(([0], np.cumsum([len(e) for e in encoded]))).astype(np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), starts


def _word(b: int) -> bool:
    return chr(b).isascii() and chr(b).isalnum()


def _brute_force(texts: list[str], phrases: list[str]) -> set[tuple[int, int, int, int]]:
    """(phrase, turn, byte start, byte end) of every occurrence, found with bytes.find."""
    found = set()
    for t, text in enumerate(texts):
        low = text.encode("utf-8").lower()  # bytes.lower() lower-cases ASCII only, as the engine does
        for p, phrase in enumerate(phrases):
            needle = phrase.encode("utf-8")
            i = low.find(needle)
            while i >= 0:
                end = i + len(needle)
                glued_left = _word(needle[0]) and i > 0 and _word(low[i - 1])
                glued_right = _word(needle[-1]) and end < len(low) and _word(low[end])
                if not (glued_left or glued_right):
                    found.add((p, t, i, end))
                i = low.find(needle, i + 1)
    return found


def _searched(automaton: Automaton, texts: list[str], turns: list[int]) -> set[tuple[int, int, int, int]]:
    data, starts = _buffer(texts)
    first, turn, start, end = automaton.search(data, starts, np.array(turns, dtype=np.int64))
    out = set()
    for p in range(len(automaton.phrases)):
        rows = range(first[p], first[p + 1])
        keys = [(int(turn[k]), int(start[k])) for k in rows]
        assert keys == sorted(keys)  # each phrase's hits in turn, then start order
        out.update((p, int(turn[k]), int(start[k]), int(end[k])) for k in rows)
    return out


@pytest.mark.parametrize("seed", range(6))
def test_automaton_finds_exactly_what_find_finds(seed: int) -> None:
    rng = random.Random(seed)
    phrases = sorted({p.lower() for p in rng.sample(PHRASES, rng.randint(1, len(PHRASES)))})
    texts = _texts(rng, 300)
    automaton = Automaton.build(phrases)
    want = _brute_force(texts, phrases)
    assert _searched(automaton, texts, list(range(len(texts)))) == want
    assert len(want) > 50
    some = sorted(rng.sample(range(len(texts)), 100))
    assert _searched(automaton, texts, some) == {h for h in want if h[1] in set(some)}


def test_automaton_by_hand() -> None:
    automaton = Automaton.build(["ab", "abab", "b", "保证", "不保证", "sue", "好好"])
    texts = ["ABAB", "不保证", "issue sue", "", "保", "证b", "好好好"]  # 保 ends a turn, 证 starts the next: no hit
    hits = _searched(automaton, texts, list(range(len(texts))))
    assert hits == {
        (1, 0, 0, 4),  # upper case; "ab" and "b" inside "abab" are glued to letters
        (4, 1, 0, 9), (3, 1, 3, 9),  # 不保证 and 保证 inside it, in bytes
        (5, 2, 6, 9),  # "sue" in "issue" is glued to a letter, the second one is a word
        (2, 5, 3, 4),  # a multi-byte character is not a letter
        (6, 6, 0, 6), (6, 6, 3, 9),  # overlapping
    }  # fmt: skip


def test_automaton_with_more_hits_than_room() -> None:
    """Overlapping phrases in a long run of one character: more hits than the first guess of room."""
    phrases = ["好", "好好", "好好好"]
    texts = ["好" * 3000, "", "好好"]
    hits = _searched(Automaton.build(phrases), texts, [0, 1, 2])
    assert hits == _brute_force(texts, phrases) and len(hits) == 3000 + 2999 + 2998 + 3


def test_automaton_with_characters_beyond_the_basic_plane() -> None:
    automaton = Automaton.build(["𠀀好", "😀"])
    texts = ["x𠀀好😀", "😀😀", "𠀀"]
    assert _searched(automaton, texts, [0, 1, 2]) == _brute_force(texts, ["𠀀好", "😀"])


def test_truncated_utf8_at_the_end_of_a_turn_is_no_match() -> None:
    automaton = Automaton.build(["保"])
    data = np.frombuffer("保保".encode()[:5], dtype=np.uint8)  # the second 保 cut after two bytes
    first, turn, start, end = automaton.search(data, np.array([0, 5], dtype=np.int64), np.array([0], dtype=np.int64))
    assert (first.tolist(), turn.tolist(), start.tolist(), end.tolist()) == ([0, 1], [0], [0], [3])


# -- negation cues and exceptions ----------------------------------------------------------------------


def _occurs(text: str, phrase: str, first: int, last: int) -> bool:
    def word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()

    for i in range(max(first, 0), last + 1):
        end = i + len(phrase)
        if text[i:end] != phrase:
            continue
        if (word(phrase[0]) and i > 0 and word(text[i - 1])) or (
            word(phrase[-1]) and end < len(text) and word(text[end])
        ):
            continue
        return True
    return False


def _kept_by_hand(text: str, s: int, e: int, terms: Terms) -> bool:
    """The rule in characters: no cue ending within ``negation_window`` characters before the hit,
    and not inside an exception phrase."""
    low = text.encode("utf-8").lower().decode("utf-8")
    w = terms.negation_window
    if any(_occurs(low, c.lower(), s - w - len(c), s - len(c)) for c in terms.negations):
        return False
    return not any(_occurs(low, x.lower(), e - len(x), s) for x in terms.exceptions)


@pytest.mark.parametrize("seed", range(4))
def test_negations_and_exceptions_match_the_rule_in_characters(seed: int) -> None:
    rng = random.Random(seed)
    texts = _texts(rng, 400)
    batch = Batch.from_rows(
        [{"seq": i, "speaker": "agent", "text": t} for i, t in enumerate(texts)], {"interaction_id": "c"}
    )
    terms = Terms(
        phrases=("保证", "ok", "b"),
        negations=tuple(rng.sample(["不", "sue", "😀", "i promise", "x"], 3)),
        negation_window=rng.choice([0, 1, 3]),
        exceptions=tuple(rng.sample(["不保证", "保证金", "ok!", "abab", "𠀀"], 3)),
    )
    phrases = ["保证", "ok", "b"]
    rows = sorted((t, s, e) for p, t, s, e in _brute_force(texts, phrases))
    turn, start, end = (np.array([r[i] for r in rows], dtype=np.int64) for i in range(3))
    got = _kept(batch, Hits(turn, start, end, np.zeros(len(rows), dtype=np.int64)), terms)
    want = []
    for t, s, e in rows:
        encoded = texts[t].encode("utf-8")
        cs, ce = len(encoded[:s].decode("utf-8")), len(encoded[:e].decode("utf-8"))
        want.append(_kept_by_hand(texts[t], cs, ce, terms))
    assert got.tolist() == want
    assert 0 < sum(want) < len(want)


# -- offsets and excerpts ------------------------------------------------------------------------------------


def test_character_and_byte_offsets_round_trip() -> None:
    rng = random.Random(2)
    texts = _texts(rng, 200)
    data, starts = _buffer(texts)
    turns, chars = [], []
    for t, text in enumerate(texts):
        for c in range(len(text) + 1):
            turns.append(t)
            chars.append(c)
    turn, char = np.array(turns, dtype=np.int64), np.array(chars, dtype=np.int64)
    want = [len(texts[t][:c].encode("utf-8")) for t, c in zip(turns, chars, strict=True)]
    got = kernels.byte_offsets(data, starts, turn, char)
    assert got.tolist() == want
    assert kernels.char_offsets(data, starts, turn, got).tolist() == chars


def test_excerpts_equal_python_slicing() -> None:
    rng = random.Random(4)
    texts = [*_texts(rng, 150), "", "短", "a" * 60]
    data, starts = _buffer(texts)
    cases = []
    for t, text in enumerate(texts):
        n = len(text)
        for _ in range(4):
            s = rng.randint(-1, n + 2)
            cases.append((t, s, rng.randint(s - 1, n + 3)))  # some past the end or before the start
        cases.append((t, 0, n))
    turn, start, end = (np.array([c[i] for c in cases], dtype=np.int64) for i in range(3))
    marks = np.frombuffer("…【】".encode(), dtype=np.uint8)
    pieces, first, odd = kernels.excerpts(data, starts, turn, start, end, 12, 44, marks)
    made = pieces.tobytes()
    for k, (t, s, e) in enumerate(cases):
        if odd[k]:
            assert not 0 <= s <= e <= len(texts[t])
            continue
        assert made[first[k] : first[k + 1]].decode("utf-8") == _excerpt(texts[t], s, e), (texts[t], s, e)
    assert 0 < odd.sum() < len(cases) // 2


# -- windows, scoring, grouping -------------------------------------------------------------------------------


def test_window_and_any_turn() -> None:
    starts = np.array([0, 4, 4, 7], dtype=np.int64)  # conversations of 4, 0 and 3 turns
    mask = np.array([True, False, True, True, False, False, False], dtype=bool)
    first, spoke = kernels.window(starts, mask, 2, True)
    last, _ = kernels.window(starts, mask, 1, False)
    assert np.flatnonzero(first).tolist() == [0, 2] and np.flatnonzero(last).tolist() == [3]
    assert spoke.tolist() == [True, False, False]
    assert kernels.any_turn(starts, mask).tolist() == [True, False, False]


def _table(weights: list[float], per: list[float]) -> ItemTable:
    n = len(weights)
    return ItemTable(
        card=np.array([0] * (n - 1) + [1], dtype=np.int64),
        item_id=[f"i{k}" for k in range(n)],
        weight=np.array(weights),
        per=np.array(per),
        cap=np.array(weights),
        fatal=np.zeros(n, dtype=bool),
    )


@pytest.mark.parametrize(("weights", "exact"), [([10.0, 20.0, 5.5, 30.0], True), ([10.0, 1 / 3, 20.0, 30.0], False)])
def test_compiled_points_equal_numpy(weights: list[float], exact: bool) -> None:
    per = [w / 2 for w in weights]
    items = _table(weights, per)
    assert items.exact is exact  # 1/3 is no binary fraction: sums could depend on the order of adding
    rng = np.random.default_rng(0)
    args = (
        rng.random((300, 4)) < 0.7,
        rng.integers(0, 300, 500),
        rng.integers(0, 4, 500),
        rng.choice([0.0, 5.0, 2.75], 500),
    )
    plain = _table(weights, per)
    plain.__dict__["exact"] = False  # force the numpy path
    for a, b in zip(_points(items, *args), _points(plain, *args), strict=True):
        assert np.array_equal(a, b)


def test_compiled_points_by_hand() -> None:
    """Items 0, 2 and 3 apply, 5 and 2.75 are deducted from item 0 and 1 from item 1 (not applicable)."""
    items = _table([10.0, 20.0, 5.5, 30.0], [5.0, 10.0, 2.75, 15.0])
    assert items.exact
    findings = (np.array([0, 0, 0]), np.array([0, 0, 1]), np.array([5.0, 2.75, 1.0]))
    earned, got, total = _points(items, np.array([[True, False, True, True]]), *findings)
    assert earned.tolist() == [[2.25, 0.0, 5.5, 30.0]] and got.tolist() == [37.75] and total.tolist() == [45.5]


def test_group_codes_treat_missing_values_as_one_value() -> None:
    language = np.array(["zh", None, "zh", float("nan"), "en", None], dtype=object)
    channel = np.array(["phone", "chat", "phone", "chat", 3, "chat"], dtype=object)  # a number: pandas path
    codes, first = _group_codes(language, channel)
    assert codes.tolist() == [0, 1, 0, 1, 2, 1]
    assert first.tolist() == [0, 1, 4]
    codes, first = _group_codes(np.array(["a", "b", "a"], dtype=object), pa.array(["x", "x", "x"]).to_numpy(False))
    assert codes.tolist() == [0, 1, 0] and first.tolist() == [0, 1]
