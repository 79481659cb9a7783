"""Benchmark: the built-in sentiment model against SnowNLP on ChnSentiCorp validation, same run.

Prints accuracy and macro-F1 on the validation split (1,200 reviews) and sentences/s on one core
(everything runs in one thread, numpy's pools included; ``--pin N`` also pins the process to CPU N;
median of 3 runs, both wall-clock and CPU-time based, since other work on a busy machine slows the
wall clock but not the CPU time). Also times short
customer-service turns and the emotion tagger. SnowNLP is a benchmark baseline only:

    .venv/bin/pip install snownlp
    .venv/bin/python -P benchmarks/sentiment.py [--data ../shared/data/chnsenticorp] [--runs 3]
"""

from __future__ import annotations

import os
import sys

# benchmarks/ holds scripts named like standard modules (inspect.py): keep it off the import path
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from csqm.inspection.sentiment import emotions, load_model  # noqa: E402
from csqm.inspection.sentiment.models import load_zh_ngram  # noqa: E402
from csqm.inspection.sentiment.train import evaluate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "chnsenticorp"
TURNS_ZH = (
    "您好，请问有什么可以帮您？",
    "快递已经三天没更新了，怎么回事",
    "好的，谢谢",
    "退款什么时候到账？",
    "请稍等，我帮您查询一下",
    "我要投诉你们的服务态度",
    "麻烦尽快处理，谢谢",
    "这个商品能便宜点吗",
    "不是骗你，确实已经退款了",
    "太失望了，再也不买了",
)
TURNS_EN = (
    "Hi, how can I help you today?",
    "My package has not arrived yet",
    "Thanks, that fixed it!",
    "This is ridiculous, I want a refund now",
    "Can you check my order status?",
)

Predict = Callable[[Sequence[str]], np.ndarray]


def read_split(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows])


def snownlp_predict() -> Predict | None:
    try:
        from snownlp import SnowNLP
    except ImportError:
        return None

    def predict(texts: Sequence[str]) -> np.ndarray:
        return np.array([SnowNLP(t).sentiments if t.strip() else 0.5 for t in texts], dtype=np.float64)

    return predict


def throughput(fn: Callable[[Sequence[str]], object], texts: Sequence[str], runs: int) -> tuple[float, float, object]:
    """(sentences/s by wall clock, by CPU time), medians of ``runs``, and the first run's output."""
    wall, cpu, first = [], [], None
    for i in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(texts)
        wall.append(len(texts) / (time.perf_counter() - w0))
        cpu.append(len(texts) / max(time.process_time() - c0, 1e-9))
        first = out if i == 0 else first
    return statistics.median(wall), statistics.median(cpu), first


def main() -> None:
    parser = argparse.ArgumentParser(description="sentiment benchmark: csqm vs SnowNLP")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pin", type=int, default=None, help="pin the process to this CPU (Linux)")
    parser.add_argument("--turns", type=int, default=100_000, help="short customer-service turns to time")
    args = parser.parse_args()
    if args.pin is not None:
        os.sched_setaffinity(0, {args.pin})
    texts, labels = read_split(args.data / "validation.csv")
    rng = np.random.default_rng(0)
    turns_zh = [TURNS_ZH[i] for i in rng.integers(0, len(TURNS_ZH), args.turns)]
    turns_en = [TURNS_EN[i] for i in rng.integers(0, len(TURNS_EN), args.turns // 5)]

    models: list[tuple[str, Predict]] = [
        ("csqm zh: n-gram + CS lexicon (load_model('zh'))", load_model("zh").predict_proba),
        ("csqm zh: n-gram model alone", load_zh_ngram().predict_proba),
    ]
    snow = snownlp_predict()
    if snow is None:
        print("SnowNLP not installed (pip install snownlp): its row is left out")
    else:
        models.append(("SnowNLP 0.12 (Sentiment)", snow))

    print(f"ChnSentiCorp validation: {len(texts)} texts, {np.mean([len(t) for t in texts]):.0f} chars on average")
    print(f"one core, median of {args.runs} runs\n")
    header = f"{'model':<50} {'accuracy':>9} {'macro-F1':>9} {'sent/s wall':>12} {'sent/s CPU':>11}"
    print(header)
    print("-" * len(header))
    for name, predict in models:
        wall, cpu, p = throughput(predict, texts, args.runs)
        scores = evaluate(np.asarray(p), labels)
        print(f"{name:<50} {scores['accuracy']:>9.4f} {scores['macro_f1']:>9.4f} {wall:>12,.0f} {cpu:>11,.0f}")

    print(f"\nshort customer-service turns ({np.mean([len(t) for t in turns_zh]):.0f} chars on average)\n")
    print(f"{'workload':<50} {'sentences':>9} {'sent/s wall':>12} {'sent/s CPU':>11}")
    jobs: list[tuple[str, Callable[[Sequence[str]], object], list[str]]] = [
        ("load_model('zh').predict_proba", load_model("zh").predict_proba, turns_zh),
        ("emotions(lang='zh')", lambda t: emotions(t, lang="zh"), turns_zh),
        ("load_model('en').predict_proba (VADER + lexicon)", load_model("en").predict_proba, turns_en),
    ]
    if snow is not None:
        jobs.append(("SnowNLP", snow, turns_zh[: max(1, args.turns // 20)]))
    for name, fn, data in jobs:
        wall, cpu, _ = throughput(fn, data, args.runs)
        print(f"{name:<50} {len(data):>9,} {wall:>12,.0f} {cpu:>11,.0f}")


if __name__ == "__main__":
    main()
