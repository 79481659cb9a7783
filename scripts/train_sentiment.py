"""Train the built-in Chinese sentiment model on ChnSentiCorp and write it into the package.

    .venv/bin/python scripts/train_sentiment.py                 # writes src/csqm/inspection/sentiment/model_zh.npz
    .venv/bin/python scripts/train_sentiment.py --out /tmp/m.npz --data ../shared/data/chnsenticorp

Trains on ``train.csv`` (hyper-parameters were chosen on ``validation.csv``; the test split is never
read), prints accuracy and macro-F1 on the validation split, and writes the artifact. Training is
deterministic: the same data give the same weights, bit for bit, on the same platform.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from pathlib import Path

from csqm.inspection.sentiment.models import artifact_path
from csqm.inspection.sentiment.train import TrainConfig, evaluate, fit

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "chnsenticorp"


def read_split(path: Path) -> tuple[list[str], list[int]]:
    """Texts and labels of one ChnSentiCorp CSV (``text,label``)."""
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"] or "")
            labels.append(int(row["label"]))
    return texts, labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with train.csv and validation.csv")
    parser.add_argument("--out", type=Path, default=None, help="artifact path (default: inside the package)")
    args = parser.parse_args(argv)
    out: Path = args.out or artifact_path()
    if not (args.data / "train.csv").is_file():
        print(f"{args.data / 'train.csv'} not found (give --data)", file=sys.stderr)
        return 2
    train_x, train_y = read_split(args.data / "train.csv")
    val_x, val_y = read_split(args.data / "validation.csv")
    config = TrainConfig()
    start = time.perf_counter()
    model = fit(train_x, train_y, config)
    seconds = time.perf_counter() - start
    scores = evaluate(model.predict_proba(val_x), val_y)
    model.meta.update({"data": "ChnSentiCorp train split", "validation": scores})
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(out)
    digest = hashlib.sha256(model.weights.tobytes()).hexdigest()[:16]
    print(f"trained on {len(train_x)} texts in {seconds:.1f} s; config {config}")
    print(f"validation ({len(val_x)} texts): accuracy {scores['accuracy']:.4f}, macro-F1 {scores['macro_f1']:.4f}")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, weights sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
