"""The built-in models: the Chinese n-gram model and VADER, both tuned to customer service.

* ``zh``: :class:`~csqm.inspection.sentiment.linear.LinearNgramModel` trained on ChnSentiCorp by
  ``scripts/train_sentiment.py`` (artifact ``model_zh.npz`` in this package);
* ``en``: VADER (the ``vaderSentiment`` package, whose lexicon ships inside its wheel): ``P(positive)
  = (compound + 1) / 2``, so the polarity of a text is VADER's compound score.

Both are wrapped in :class:`CustomerServiceModel`, which adds the log-odds shifts of the
customer-service lexicon (``lexicon.yaml``): reviews and generic social-media text say little about
"我要投诉" or "still waiting for my refund", the lexicon does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from csqm.errors import ConfigError
from csqm.inspection.sentiment.lexicon import Lexicon, builtin_lexicon
from csqm.inspection.sentiment.linear import LinearNgramModel

ARTIFACT = "model_zh.npz"
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
_EPS = 1e-9


@runtime_checkable
class SentimentModel(Protocol):
    """A sentiment model: ``P(positive)`` (float64 in [0, 1]) per text, 0.5 for ``""``."""

    name: str

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray: ...


def detect_language(text: str | None) -> str:
    """``"zh"`` when the text holds a CJK ideograph, else ``"en"``."""
    return "zh" if text and _CJK.search(text) else "en"


def artifact_path() -> Path:
    """Where the built-in Chinese model is stored (inside the installed package)."""
    return Path(str(resources.files("csqm.inspection.sentiment").joinpath(ARTIFACT)))


def load_zh_ngram(path: Path | None = None) -> LinearNgramModel:
    """The bare Chinese n-gram model (no lexicon), from ``path`` or the shipped artifact."""
    path = path or artifact_path()
    if not path.is_file():
        raise ConfigError(f"The sentiment model {path} is missing: run scripts/train_sentiment.py to build it.")
    return LinearNgramModel.load(path)


class VaderSentiment:
    """English sentiment by VADER (lexicon and rules; offline, its lexicon ships in the wheel)."""

    name = "vader"

    def __init__(self) -> None:
        try:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ConfigError("English sentiment needs the vaderSentiment package: pip install vaderSentiment") from exc
        self._analyzer: Any = SentimentIntensityAnalyzer()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``(compound + 1) / 2`` per text; 0.5 for an empty text."""
        score = self._analyzer.polarity_scores
        compound = [score(t)["compound"] if t and t.strip() else 0.0 for t in texts]
        return (np.asarray(compound, dtype=np.float64) + 1.0) / 2.0


class CustomerServiceModel:
    """A base model plus the customer-service lexicon's log-odds shifts for language ``lang``.

    For a text of ``n`` characters the log-odds are ``z * n / (n + damping) + shift * min(1, span / n)``:

    * ``damping`` shrinks the base model's log-odds on short texts, where a model trained on
      reviews has too little evidence to be sure ("请问什么时候发货" is a question, not a complaint);
    * ``span`` lets the lexicon speak fully on turns up to ``span`` characters and less on long
      texts, where the base model has read the same words in context.

    Both only rescale positive factors, so on texts without lexicon cues the sign, and hence the
    accuracy, of the base model is unchanged.
    """

    def __init__(
        self,
        base: SentimentModel,
        lang: str,
        *,
        damping: float = 0.0,
        span: float = 20.0,
        lexicon: Lexicon | None = None,
    ) -> None:
        self.base = base
        self.lang = lang
        self.damping = damping
        self.span = span
        self.lexicon = lexicon or builtin_lexicon()
        self.name = f"{base.name}+cs-lexicon-{lang}"

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """The base model's ``P(positive)`` moved by the lexicon; 0.5 for an empty text."""
        p = np.clip(np.asarray(self.base.predict_proba(texts), dtype=np.float64), _EPS, 1 - _EPS)
        _, shift = self.lexicon.analyse(texts, self.lang)
        n = np.fromiter((len(t.strip()) if t else 0 for t in texts), dtype=np.float64, count=len(texts))
        size = np.maximum(n, 1.0)
        z = np.log(p / (1 - p)) * size / (size + self.damping) + shift * np.minimum(1.0, self.span / size)
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        out[n == 0] = 0.5
        return out


def builtin_zh() -> SentimentModel:
    """The built-in Chinese model (n-gram model on ChnSentiCorp + customer-service lexicon)."""
    return CustomerServiceModel(load_zh_ngram(), "zh", damping=20.0, span=20.0)


def builtin_en() -> SentimentModel:
    """The built-in English model (VADER + customer-service lexicon)."""
    return CustomerServiceModel(VaderSentiment(), "en", damping=0.0, span=100.0)
