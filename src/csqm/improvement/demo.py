"""The improvement loop on the demo data: a finding, an action with progress, its verification, and a
training record verified the same way (called by ``csqm demo``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from csqm.improvement import actions as act
from csqm.improvement import findings as fnd
from csqm.improvement.models import Action, Finding, VerificationRecord
from csqm.improvement.verify import VerificationError
from csqm.metrics import Catalogue, load_catalogue, user_dir_from_env
from csqm.store import Store

DEMO_USER = "demo"


@dataclass
class DemoLoop:
    """What :func:`demo_loop` did."""

    findings: list[Finding]
    finding: Finding
    action: Action
    verification: VerificationRecord | None
    training: Action | None = None
    training_verification: VerificationRecord | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> list[str]:
        """Lines for the demo's console output."""
        lines = [
            f"{len(self.findings)} findings detected; e.g. {self.finding.finding_id}: {self.finding.title}",
            f"Action {self.action.action_id}: {self.action.title} (owner {self.action.owner}, "
            f"due {self.action.due_on}, status {self.action.status})",
        ]
        if self.verification is not None:
            lines.append(f"Verification: {self.verification.verdict} — {self.verification.reason}")
        if self.training is not None:
            lines.append(f"Training {self.training.action_id}: {self.training.title} for {self.training.agent_id}")
        if self.training_verification is not None:
            lines.append(
                f"Training verification: {self.training_verification.verdict} — {self.training_verification.reason}"
            )
        return lines + self.notes


def _pick(findings: list[Finding]) -> Finding | None:
    """The forbidden-phrase team finding with the highest rate (T05 in the demo), else any with a metric."""
    forbidden = [f for f in findings if f.metric == "forbidden_phrase_rate" and f.scope_kind == "team"]
    if forbidden:
        return max(forbidden, key=lambda f: f.value or 0.0)
    with_metric = [f for f in findings if f.metric and f.scope_kind in ("team", "agent")]
    return with_metric[0] if with_metric else None


def demo_loop(
    store: Store,
    *,
    sources: tuple[str, ...] = fnd.SOURCES,
    window_days: int = 28,
    catalogue: Catalogue | None = None,
) -> DemoLoop:
    """Detect findings, act on the forbidden-phrase finding (T05 in the demo) and verify the action; record
    a training for the degrading agent A2003 and verify it. The demo data has no planted improvement, so
    the honest verdicts are "no change" for T05 and "worse" for A2003."""
    cat = catalogue or load_catalogue(user_dir_from_env())
    new, _ = fnd.detect(store, sources=sources, catalogue=cat, username=DEMO_USER)
    all_findings = fnd.list_findings(store)
    finding = _pick(all_findings)
    if finding is None:
        finding = fnd.add_finding(
            store, username=DEMO_USER, title="Forbidden phrases across the centre", metric="forbidden_phrase_rate",
            catalogue=cat,
        )  # fmt: skip
    _, end = fnd.default_period(store, cat.reporting_timezone)
    effective = end - timedelta(days=window_days)
    action = act.create_action(
        store,
        username=DEMO_USER,
        title="Coach the team on forbidden phrases; daily script check by the team lead",
        finding_id=finding.finding_id,
        root_cause="New hires were never trained on the banned-phrase list; no daily check by the team lead.",
        department="培训部 Training",
        owner="王芳",
        effective_on=effective,
        window_days=window_days,
        due_on=effective + timedelta(days=7),
        catalogue=cat,
    )
    notes = (
        ("in_progress", "Two coaching sessions held; the team lead checks ten calls a day."),
        ("done", "Coaching finished."),
    )
    for status, note in notes:
        act.update_action(
            store, action.action_id, username=DEMO_USER, changes={"status": status}, note=note, catalogue=cat
        )
    result = DemoLoop(new, finding, act.get_action(store, action.action_id), None)
    try:
        result.verification = act.verify_action(store, action.action_id, username=DEMO_USER, catalogue=cat)
    except VerificationError as exc:
        result.notes.append(f"Action not verified: {exc}")
    if store.scalar('SELECT count(*) FROM "agents" WHERE "agent_id" = ?', ("A2003",)):
        result.training = act.create_action(
            store, username=DEMO_USER, kind="training", title="Calm, patient language (耐心服务用语)",
            agent_id="A2003", owner="李老师", metric="aht", effective_on=effective, window_days=window_days,
            catalogue=cat,
        )  # fmt: skip
        try:
            result.training_verification = act.verify_action(
                store, result.training.action_id, username=DEMO_USER, catalogue=cat
            )
        except VerificationError as exc:
            result.notes.append(f"Training not verified: {exc}")
    result.action = act.get_action(store, action.action_id)
    return result
