"""Human spot checks of the machine: sampling, reviewer decisions, accuracy and agreement (Q5, Q6)."""

from __future__ import annotations

from csqm.inspection.review.records import ImportSummary, export_sheet, import_sheet
from csqm.inspection.review.sampling import SamplePlan, create_sample, draw
from csqm.inspection.review.stats import agreement, calibration, cohen_kappa, rule_accuracy

__all__ = [
    "ImportSummary",
    "SamplePlan",
    "agreement",
    "calibration",
    "cohen_kappa",
    "create_sample",
    "draw",
    "export_sheet",
    "import_sheet",
    "rule_accuracy",
]
