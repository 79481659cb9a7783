"""The closed improvement loop (闭环, L1–L2): findings, root causes, actions, verification by metrics, training.

    >>> from csqm.improvement import detect, create_action, update_action, verify_action
    >>> new, _ = detect(store)                                    # inspection, KPIs, test calls
    >>> a = create_action(store, username="wang", title="Coach T05", finding_id=new[0].finding_id,
    ...                   owner="王芳", due_on="2026-03-01", effective_on="2026-02-16")
    >>> update_action(store, a.action_id, username="wang", changes={"status": "in_progress"}, note="…")
    >>> verify_action(store, a.action_id, username="wang").verdict   # improved / no_change / worse

See ``docs/improvement.md``.
"""

from __future__ import annotations

from csqm.improvement.actions import (
    create_action,
    detail,
    get_action,
    list_actions,
    overdue,
    update_action,
    verify_action,
)
from csqm.improvement.demo import DemoLoop, demo_loop
from csqm.improvement.findings import (
    DetectSettings,
    add_finding,
    detect,
    get_finding,
    list_findings,
    set_finding_status,
)
from csqm.improvement.models import Action, ActionDetail, Event, Finding, TrainingNeed, VerificationRecord
from csqm.improvement.records import ImprovementError, UnknownIdError
from csqm.improvement.stats import did_means, did_proportions, two_proportions, verdict, welch
from csqm.improvement.tables import IMPROVEMENT_TABLES, ensure_tables
from csqm.improvement.training import training_needs
from csqm.improvement.verify import DEFAULT_ALPHA, Verification, VerificationError, evaluate, verify_metric

__all__ = [
    "DEFAULT_ALPHA",
    "IMPROVEMENT_TABLES",
    "Action",
    "ActionDetail",
    "DemoLoop",
    "DetectSettings",
    "Event",
    "Finding",
    "ImprovementError",
    "TrainingNeed",
    "UnknownIdError",
    "Verification",
    "VerificationError",
    "VerificationRecord",
    "add_finding",
    "create_action",
    "demo_loop",
    "detail",
    "detect",
    "did_means",
    "did_proportions",
    "ensure_tables",
    "evaluate",
    "get_action",
    "get_finding",
    "list_actions",
    "list_findings",
    "overdue",
    "set_finding_status",
    "training_needs",
    "two_proportions",
    "update_action",
    "verdict",
    "verify_action",
    "verify_metric",
    "welch",
]
