"""Overdue reminders reach the alert log once per action per day, scoped to the action's team (both engines)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from csqm.cli.main import cli
from csqm.improvement import create_action, update_action
from csqm.improvement.reminders import KIND, remind_overdue
from csqm.realtime.alerts import list_alerts
from csqm.settings import Settings
from csqm.store import Store, open_store
from csqm.web.auth import Principal
from tests.improvement.conftest import seed


def _action(store: Store, team: str, due: str) -> str:
    return create_action(
        store, username="qm", title=f"Coach {team}", metric="answer_rate", scope_kind="team", scope_value=team,
        owner="王芳", department="培训部", effective_on="2026-02-16", due_on=due,
    ).action_id  # fmt: skip


def test_one_reminder_per_overdue_action_per_day(store: Store) -> None:
    seed(store)
    late = _action(store, "T1", "2026-03-01")
    _action(store, "T2", "2026-03-05")  # not yet due on 3 March
    done = _action(store, "T2", "2026-02-20")
    update_action(store, done, username="qm", changes={"status": "done"})

    first = remind_overdue(store, today=date(2026, 3, 3), now=datetime(2026, 3, 3, 1))
    assert [(a.kind, a.subject_id, a.team_id, a.severity) for a in first] == [(KIND, late, "T1", "warning")]
    assert "overdue: due 2026-03-01, status open" in first[0].message and "王芳" in first[0].evidence
    assert remind_overdue(store, today=date(2026, 3, 3), now=datetime(2026, 3, 3, 9)) == []  # same day: once
    second = remind_overdue(store, today=date(2026, 3, 4), now=datetime(2026, 3, 4, 1, 5))
    assert [a.subject_id for a in second] == [late]  # the next day it reminds again
    sixth = remind_overdue(store, today=date(2026, 3, 6), now=datetime(2026, 3, 6, 2))
    assert len(sixth) == 2  # the T2 action is now overdue too

    lead_t2 = Principal(username="lead2", role="team_lead", team_id="T2")
    seen = list_alerts(store, principal=lead_t2)
    assert {a.subject_id for a in seen if a.kind == KIND} == {a.subject_id for a in sixth if a.team_id == "T2"}


def test_cli_reminds_once_a_day(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSQM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CSQM_SECRET", "s" * 20)
    monkeypatch.delenv("CSQM_STORE_URL", raising=False)
    with open_store(settings=Settings.from_env()) as store:
        seed(store)
        late = _action(store, "T1", "2026-03-01")
    args = ["actions", "overdue", "--today", "2026-03-03", "--remind", "--no-webhook"]
    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0 and late in first.output
    assert "1 reminder alert(s) raised (0 already sent today)" in first.output
    again = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert "0 reminder alert(s) raised (1 already sent today)" in again.output
