"""The review workbench: queues from a sampling plan, verdicts, missed findings, manual scores,
precision / recall per rule and reviewer agreement — API and pages, reviewers only, audited."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from tests.web.conftest import ROLES, Console

REVIEWERS = ("admin", "quality_manager")


def _rules(console: Console) -> None:
    console.store.load_arrow(
        "inspection_rules",
        pa.table(
            {
                "pack_version": ["p1"] * 3,
                "rule_id": ["greeting", "pii", "courtesy"],
                "name_zh": ["问候", "隐私", "礼貌"],
                "name_en": ["Greeting", "Privacy", "Courtesy"],
            }
        ),
    )


def _post(console: Console, path: str, role: str, body: dict[str, Any]) -> Any:
    return console.client.post(path, json=body, headers={"Authorization": f"Bearer {console.tokens[role]}"})


@pytest.fixture
def sampled(any_console: Console) -> Console:
    """On both engines: rules known, and sample 'wk1' drawn by the quality manager (only I1 is inspected)."""
    _rules(any_console)
    created = _post(any_console, "/api/v1/review/samples", "quality_manager", {"name": "wk1", "per_stratum": 5})
    assert created.status_code == 201, created.text
    assert created.json() == {"sample_id": "wk1", "conversations": 1}
    return any_console


@pytest.mark.parametrize("role", [r for r in ROLES if r not in REVIEWERS])
def test_only_reviewers_may_review(console: Console, role: str) -> None:
    assert console.api("/api/v1/review/samples", role).status_code == 403
    assert console.api("/api/v1/review/statistics", role).status_code == 403
    response = _post(console, "/api/v1/review/decisions", role, {"interaction_id": "I1", "rule_id": "greeting",
                                                                   "seq": 1, "verdict": "confirmed"})  # fmt: skip
    assert response.status_code == 403
    assert "may not review" in response.json()["error"]
    assert _post(console, "/api/v1/review/scores", role, {"interaction_id": "I1", "score": 50}).status_code == 403
    console.login(role)
    assert console.get("/review").status_code == 403
    assert not console.store.scalar('SELECT count(*) FROM "review_decisions"')


def test_queue_decisions_scores_and_statistics(sampled: Console) -> None:
    c = sampled
    (item,) = c.api("/api/v1/review/samples/wk1", "quality_manager").json()
    assert (item["interaction_id"], item["stratum"], item["machine_score"], item["findings"]) == (
        "I1",
        "team_id=T1",
        85.0,
        2,
    )
    assert (item["decided"], item["my_score"]) == (0, None)

    def decide(role: str, rule: str, seq: int, verdict: str, note: str | None = None) -> Any:
        body = {"interaction_id": "I1", "rule_id": rule, "seq": seq, "verdict": verdict, "note": note}
        return _post(c, "/api/v1/review/decisions", role, body)

    assert decide("quality_manager", "greeting", 1, "rejected").status_code == 200
    assert decide("quality_manager", "greeting", 1, "confirmed").status_code == 200  # replaces the first
    assert decide("quality_manager", "pii", 2, "rejected", note="客户手机 13812345678 不算").status_code == 200
    assert decide("admin", "greeting", 1, "confirmed").status_code == 200
    assert decide("admin", "pii", 2, "confirmed").status_code == 200
    assert decide("admin", "courtesy", 2, "missed").status_code == 200
    assert c.store.scalar('SELECT count(*) FROM "review_decisions"') == 5
    note = c.store.scalar('SELECT "note" FROM "review_decisions" WHERE "rule_id" = ? AND "reviewer" = ?',
                          ("pii", "u_quality_manager"))  # fmt: skip
    assert "13812345678" not in note and "138****5678" in note

    assert (
        _post(c, "/api/v1/review/scores", "quality_manager", {"interaction_id": "I1", "score": 70}).status_code == 200
    )
    assert _post(c, "/api/v1/review/scores", "admin", {"interaction_id": "I1", "score": 90}).status_code == 200
    (item,) = c.api("/api/v1/review/samples/wk1", "quality_manager").json()
    assert (item["decided"], item["my_score"]) == (2, 70.0)
    assert c.api("/api/v1/review/samples", "admin").json()[0]["reviewed"] == 1

    stats = c.api("/api/v1/review/statistics", "quality_manager").json()
    rules = {r["rule_id"]: r for r in stats["rules"]}
    # greeting: 2 confirmed → precision 1, recall 1; pii: 1 confirmed 1 rejected → precision 0.5;
    # courtesy: only missed → precision undefined, recall 0
    assert (rules["greeting"]["precision"], rules["greeting"]["recall"]) == (1.0, 1.0)
    assert (rules["pii"]["confirmed"], rules["pii"]["rejected"], rules["pii"]["precision"]) == (1, 1, 0.5)
    assert rules["pii"]["misjudgment_rate"] == 0.5
    assert (rules["courtesy"]["missed"], rules["courtesy"]["precision"], rules["courtesy"]["recall"]) == (1, None, 0.0)
    pairs = {(a["rater_a"], a["rater_b"]): a for a in stats["agreement"]}
    # the QM failed I1 (70 < 80), the admin and the machine (85) passed it
    people = pairs[("u_admin", "u_quality_manager")]
    assert (people["conversations"], people["kappa_passed"], people["mean_abs_diff"]) == (1, 0.0, 20.0)
    assert pairs[("(machine)", "u_admin")]["kappa_passed"] == 1.0
    assert pairs[("(machine)", "u_admin")]["within_tolerance"] == 1.0

    actions = c.store.query('SELECT "action", count(*) AS n FROM "web_audit" WHERE "action" LIKE ? GROUP BY "action"',
                            ("review%",))  # fmt: skip
    assert dict(zip(actions["action"], actions["n"], strict=True)) == {
        "review_sample": 1, "review_decision": 6, "review_score": 2,
    }  # fmt: skip


@pytest.mark.parametrize(
    "body,message",
    [
        ({"rule_id": "greeting", "seq": 2, "verdict": "confirmed"}, "found nothing for rule 'greeting' in turn 2"),
        ({"rule_id": "greeting", "seq": 1, "verdict": "missed"}, "already found rule 'greeting'"),
        ({"rule_id": "nope", "seq": 1, "verdict": "missed"}, "There is no rule 'nope'"),
        ({"rule_id": "courtesy", "seq": 9, "verdict": "missed"}, "has no turn 9"),
    ],
)
def test_bad_verdicts_are_refused_and_nothing_is_stored(console: Console, body: dict[str, Any], message: str) -> None:
    _rules(console)
    response = _post(console, "/api/v1/review/decisions", "admin", {"interaction_id": "I1", **body})
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not console.store.scalar('SELECT count(*) FROM "review_decisions"')


def test_bad_scores_and_ids(console: Console) -> None:
    assert _post(console, "/api/v1/review/scores", "admin", {"interaction_id": "I1", "score": 101}).status_code == 422
    missing = _post(console, "/api/v1/review/scores", "admin", {"interaction_id": "NOPE", "score": 50})
    assert missing.status_code == 404
    assert _post(console, "/api/v1/review/samples", "admin", {"name": "a b"}).status_code == 422
    bad = _post(console, "/api/v1/review/samples", "admin", {"name": "x", "by": ["colour"]})
    assert bad.status_code == 400 and "colour" in bad.json()["error"]
    assert console.api("/api/v1/review/samples/none", "admin").status_code == 404


def test_workbench_pages_confirm_a_finding(console: Console) -> None:
    _rules(console)
    console.login("quality_manager")
    token = console.csrf()
    drawn = console.client.post(
        "/review/samples", data={"csrf_token": token, "name": "wk2", "by": "team_id", "per_stratum": "3"},
        follow_redirects=False,
    )  # fmt: skip
    assert drawn.status_code == 303 and drawn.headers["location"] == "/review/samples/wk2"
    queue = console.get("/review/samples/wk2").text
    assert 'href="/review/samples/wk2/I1"' in queue
    item = console.get("/review/samples/wk2/I1", lang="en").text
    assert 'data-action="confirmed"' in item and "Privacy" in item
    form = {"csrf_token": token, "rule_id": "greeting", "seq": "1", "verdict": "confirmed"}
    forged = console.client.post("/review/samples/wk2/I1/decision", data={**form, "csrf_token": "x"})
    assert forged.status_code == 403
    saved = console.client.post("/review/samples/wk2/I1/decision", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/review/samples/wk2/I1?saved=1"
    page = console.get("/review/samples/wk2/I1", saved="1", lang="en").text
    assert "Saved." in page and 'class="status met verdict">Confirmed' in page
    scored = console.client.post(
        "/review/samples/wk2/I1/score", data={"csrf_token": token, "score": "75", "passed": "yes"},
        follow_redirects=False,
    )  # fmt: skip
    assert scored.status_code == 303
    assert console.store.query('SELECT "score", "passed" FROM "review_scores"').values.tolist() == [[75.0, True]]
    wrong = console.client.post("/review/samples/wk2/I1/decision", data={**form, "seq": "5"})
    assert wrong.status_code == 400 and "turn 5" in wrong.text
    stats = console.get("/review").text
    assert 'data-rule="greeting"' in stats and "100.0%" in stats
    assert console.get("/review/samples/wk2/I5").status_code == 404  # not in that sample
