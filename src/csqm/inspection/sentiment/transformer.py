"""A transformer sentiment classifier from a local directory (Hugging Face format), optional.

Needs the extra ``csqm[transformer]`` (``torch`` and ``transformers``). Nothing is downloaded: the
directory must hold what ``save_pretrained`` writes (config, weights, tokenizer files), and it is
opened with ``local_files_only=True``. Use it in place of the built-in model::

    from csqm.inspection.sentiment import TransformerSentiment, register_model
    register_model("bert-zh", lambda: TransformerSentiment(Path("models/bert-zh")))

``P(positive)`` is read from the classifier's labels: the probability of the label called
``positive``/``pos``/``1``/``LABEL_1`` (or ``positive_label``), plus half of a ``neutral`` label's
when the model has three classes; a one-logit model is read through a sigmoid.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from csqm.errors import ConfigError

_POSITIVE = ("positive", "pos", "1", "label_1")
_NEUTRAL = ("neutral", "neu")


class TransformerSentiment:
    """Sequence classifier loaded from ``model_dir``; ``predict_proba`` as for every sentiment model."""

    def __init__(
        self,
        model_dir: Path,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        max_length: int = 256,
        positive_label: str | None = None,
    ) -> None:
        try:
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as exc:
            raise ConfigError(
                "TransformerSentiment needs torch and transformers: pip install 'csqm[transformer]'"
            ) from exc
        model_dir = Path(model_dir)
        if not (model_dir / "config.json").is_file():
            raise ConfigError(f"{model_dir} is not a saved transformer model (no config.json).")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self._torch: Any = torch
        self.tokenizer: Any = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
        self.model: Any = AutoModelForSequenceClassification.from_pretrained(model_dir, local_files_only=True)
        self.model.to(device).eval()
        self.device = device
        self.batch_size = batch_size
        self.max_length = max_length
        self.name = f"transformer:{model_dir.name}"
        self._pos, self._neu = self._label_columns(positive_label)

    def _label_columns(self, positive_label: str | None) -> tuple[int | None, int | None]:
        """Indices of the positive and the neutral class (positive ``None``: a one-logit model)."""
        n = int(self.model.config.num_labels)
        if n == 1:
            return None, None
        names = {int(i): str(v).lower() for i, v in self.model.config.id2label.items()}
        wanted = (positive_label.lower(),) if positive_label else _POSITIVE
        pos = next((i for i, v in sorted(names.items()) if v in wanted), None)
        if pos is None:
            if positive_label or n != 2:
                raise ConfigError(f"Cannot tell which label is positive among {sorted(names.values())}.")
            pos = 1
        neu = next((i for i, v in sorted(names.items()) if v in _NEUTRAL), None)
        return pos, neu

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """P(positive) per text, float64 in [0, 1]; 0.5 for an empty text."""
        out = np.full(len(texts), 0.5, dtype=np.float64)
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        torch = self._torch
        for lo in range(0, len(todo), self.batch_size):
            idx = todo[lo : lo + self.batch_size]
            enc = self.tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits.float()
            if self._pos is None:
                p = torch.sigmoid(logits[:, 0])
            else:
                probs = torch.softmax(logits, dim=-1)
                p = probs[:, self._pos]
                if self._neu is not None and self._neu != self._pos:
                    p = p + 0.5 * probs[:, self._neu]
            out[idx] = p.cpu().numpy().astype(np.float64)
        return np.clip(out, 0.0, 1.0)
