"""Benchmark: bulk masking of short Chinese customer-service lines (``Masker.mask_texts``).

Generates (seeded) N lines, about 2% of them with a phone, ID, bank card or e-mail, and times
``Masker.mask_texts`` against the naive way in the same run: every recognizer's regex on every
line, no prefilter at all. Prints lines/s (median of 3 runs) for both and the ratio, and checks
that both give the same output.

    .venv/bin/python benchmarks/privacy_mask.py            # 1M lines, ~1 minute
    .venv/bin/python benchmarks/privacy_mask.py --lines 200000 --runs 1
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import string
import time
from collections.abc import Callable, Sequence

from csqm.privacy import Masker, PatternRecognizer, Recognizer, analyze, redact
from csqm.privacy.config import load_pattern_file
from csqm.privacy.registry import BUILTIN_PATTERNS

PLAIN = (
    "您好，请问有什么可以帮您？",
    "快递已经三天没更新了，怎么回事",
    "好的，谢谢",
    "退款什么时候到账？",
    "请稍等，我帮您查询一下",
    "我要投诉你们的服务态度",
    "麻烦尽快处理，谢谢",
    "这个商品{price}元，能便宜点吗",
    "{hour}点之前能送到吗",
    "亲，问题已经记录，会在{days}个工作日内处理",
    "已经为您申请退款{price}元，请注意查收",
    "我的订单{order}还没有发货",
    "订单号是{order}，帮我看看物流",
    "运单号SF{waybill}一直没有更新",
)
PII = (
    "我的手机号是{mobile}，请联系我",
    "电话{mobile_dash}谢谢",
    "身份证号{id_card}",
    "卡号{card}，请退款到这张卡",
    "邮箱是{email}谢谢",
    "座机{landline}，工作日都在",
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _id_card(rng: random.Random) -> str:
    region = rng.choice(["110101", "440305", "310115"])
    body = f"{region}{rng.randint(1950, 2005)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}{rng.randint(0, 999):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def _card(rng: random.Random) -> str:
    digits = "6222" + "".join(rng.choice("0123456789") for _ in range(11))
    total = sum((d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 == 0 else d for i, d in enumerate(map(int, digits[::-1])))
    return digits + str(-total % 10)


def _mobile(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def _dashed(mobile: str) -> str:
    return f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"


def _order(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return str(rng.randint(10**11, 10**12 - 1))  # 12 digits
    return f"2023{rng.randint(0, 10**16 - 1):016d}"  # 20 digits


FIELDS: dict[str, Callable[[random.Random], object]] = {
    "price": lambda rng: rng.randint(9, 2999),
    "hour": lambda rng: rng.randint(8, 22),
    "days": lambda rng: rng.randint(1, 7),
    "order": _order,
    "waybill": lambda rng: rng.randint(10**11, 10**12 - 1),
    "mobile": _mobile,
    "mobile_dash": lambda rng: _dashed(_mobile(rng)),
    "id_card": _id_card,
    "card": _card,
    "email": lambda rng: f"user{rng.randint(1, 99999)}@qq.com",
    "landline": lambda rng: f"0755-{rng.randint(2000_0000, 8999_9999)}",
}


@functools.cache
def _field_names(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _fill(template: str, rng: random.Random) -> str:
    return template.format(**{name: FIELDS[name](rng) for name in _field_names(template)})


def make_lines(n: int, seed: int = 7, pii_share: float = 0.02) -> list[str]:
    """``n`` seeded lines, about ``pii_share`` of them with personal data."""
    rng = random.Random(seed)
    return [_fill(rng.choice(PII if rng.random() < pii_share else PLAIN), rng) for _ in range(n)]


def naive_recognizers() -> list[Recognizer]:
    """The built-ins without any prefilter: each regex scans every line."""
    return [
        PatternRecognizer(
            s.name,
            s.kind,
            s.regex,
            score=s.score,
            validator=s.validator,
            context=s.context,
            context_window=s.context_window,
            context_required=s.context_required,
        )
        for s in load_pattern_file(BUILTIN_PATTERNS)
    ]


def naive_mask(lines: Sequence[str], recognizers: list[Recognizer]) -> tuple[list[str], list[str | None]]:
    """Baseline: analyse every line with every recognizer."""
    masked: list[str] = []
    kinds: list[str | None] = []
    for line in lines:
        matches = analyze(line, recognizers)
        masked.append(redact(line, matches))
        kinds.append(",".join(sorted({m.kind for m in matches})) or None)
    return masked, kinds


def median_rate(run: Callable[[], object], n: int, runs: int) -> tuple[float, object]:
    """Median lines/s over ``runs`` runs, and the last run's result."""
    rates = []
    result: object = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = run()
        rates.append(n / (time.perf_counter() - t0))
    return statistics.median(rates), result


def screen_shares(masker: Masker, lines: Sequence[str]) -> tuple[float, float]:
    """Share of lines that pass the prefilter, and the regex gate after it."""
    screen = masker._screen  # the benchmark may look inside
    hinted = [line for line in lines if screen.hint is None or screen.hint(line)]
    gated = [line for line in hinted if screen(line)]
    return len(hinted) / len(lines), len(gated) / len(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    t0 = time.perf_counter()
    lines = make_lines(args.lines)
    print(f"generated {len(lines):,} lines in {time.perf_counter() - t0:.1f} s")
    masker = Masker(b"benchmark-secret-0123456789")
    naive = naive_recognizers()

    fast_rate, fast = median_rate(lambda: masker.mask_texts(lines), len(lines), args.runs)
    slow_rate, slow = median_rate(lambda: naive_mask(lines, naive), len(lines), args.runs)
    assert fast == slow, "mask_texts and the naive baseline disagree"
    kinds = masker.mask_texts(lines)[1]
    found = sum(k is not None for k in kinds) / len(lines)
    hinted, gated = screen_shares(masker, lines)
    print(f"lines with PII: {found:.2%}; passing the prefilter: {hinted:.1%}; the regex gate: {gated:.1%}")
    print(f"Masker.mask_texts   : {fast_rate:10,.0f} lines/s (median of {args.runs})")
    print(f"naive (no prefilter): {slow_rate:10,.0f} lines/s (median of {args.runs})")
    print(f"speed-up: {fast_rate / slow_rate:.1f}x")


if __name__ == "__main__":
    main()
