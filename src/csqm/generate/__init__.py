"""Demo-data generator: a seeded, realistic omni-channel dataset in the canonical input format,
with planted quality problems for the monitoring to find (see ``docs/demo-data.md``)."""

from __future__ import annotations

from csqm.generate.api import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
