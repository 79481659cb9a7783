"""Automatic quality inspection of every conversation (Q1–Q6).

Detect, then decide: detectors (:mod:`csqm.inspection.detectors`) find things in transcripts,
rules from YAML packs say which detector looks for what, and scorecards turn findings into scores::

    from csqm.inspection import inspect, load_packs, inspect_conversation
    summary = inspect(store)                                  # every conversation not yet inspected
    result = inspect_conversation(turns, interaction, load_packs())   # one conversation, no store
"""

from __future__ import annotations

from csqm.inspection.detectors.base import ConversationDetector, DetectContext, Detected, Detector, Scope
from csqm.inspection.detectors.registry import detector_classes, register_provider
from csqm.inspection.engine import Inspector, inspect_conversation
from csqm.inspection.loading import PackError, Packs, load_packs
from csqm.inspection.model import ConversationResult, Finding, ItemScore
from csqm.inspection.runner import InspectSummary, inspect

__all__ = [
    "ConversationDetector",
    "ConversationResult",
    "DetectContext",
    "Detected",
    "Detector",
    "Finding",
    "InspectSummary",
    "Inspector",
    "ItemScore",
    "PackError",
    "Packs",
    "Scope",
    "detector_classes",
    "inspect",
    "inspect_conversation",
    "load_packs",
    "register_provider",
]
