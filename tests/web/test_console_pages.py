"""Console pages: every page in both languages, scope on every drill-down level, findings marked, 360."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csqm.web.conversation_view import segments
from csqm.web.i18n import table
from csqm.web.schemas import FindingPublic
from tests.web.conftest import Console

WEB = Path(__file__).parents[2] / "src" / "csqm" / "web"
PAGES = ["/", "/?days=7", "/teams", "/teams/T1", "/agents/A1", "/conversations/I1", "/customers/K1"]


def test_both_languages_have_exactly_the_same_keys() -> None:
    zh, en = table("zh"), table("en")
    assert set(zh) == set(en)
    assert all(zh[k].strip() and en[k].strip() for k in zh)
    # placeholders agree too
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_no_template_loads_anything_from_another_site() -> None:
    for path in WEB.joinpath("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), path.name
        assert "http://" not in text and "https://" not in text, path.name


@pytest.mark.parametrize(
    "lang,labels", [("zh", ["总览", "团队下钻", "退出"]), ("en", ["Overview", "Drill-down", "Log out"])]
)
def test_every_page_renders_in_both_languages(console: Console, lang: str, labels: list[str]) -> None:
    console.login("admin")
    for path in PAGES:
        sep = "&" if "?" in path else "?"
        response = console.get(f"{path}{sep}lang={lang}")
        assert response.status_code == 200, path
        assert "⟦" not in response.text, (path, re.findall("⟦[^⟧]*⟧", response.text))
        for label in labels:
            assert label in response.text, (path, label)
    other = "Overview" if lang == "zh" else "总览"
    assert other not in console.get(f"/?lang={lang}").text


def test_language_choice_is_remembered(console: Console) -> None:
    console.login("admin")
    console.get("/teams?lang=en")
    assert "Drill-down" in console.get("/teams").text
    assert "团队下钻" in console.get("/teams?lang=zh").text


def test_overview_shows_tiles_of_the_three_dimensions(console: Console) -> None:
    console.login("admin")
    page = console.get("/", **{"from": "2026-01-05", "to": "2026-01-08", "lang": "en"}).text
    for dim in ("efficiency", "quality", "compliance"):
        assert f'id="dim-{dim}"' in page
    # answer rate over the four days: 5 of 6 calls answered = 83.3 %, target 90 % → missed (red)
    tile = re.search(r'<div class="tile (\w+)" data-metric="answer_rate">(.*?)</div>\s*</div>', page, re.S)
    assert tile, "no answer-rate tile"
    assert tile.group(1) == "missed"
    assert "83.3%" in tile.group(2)
    assert "trend-answer_rate" in page and "/static/vendor/echarts.min.js" in page


def test_overview_is_scoped(console: Console) -> None:
    console.login("team_lead")  # team T1: 3 of 4 answered = 75 %
    page = console.get("/", **{"from": "2026-01-05", "to": "2026-01-08"}).text
    tile = re.search(r'data-metric="answer_rate">(.*?)</div>\s*</div>', page, re.S)
    assert tile and "75.0%" in tile.group(1)


def test_drill_down_links_from_team_to_conversation(console: Console) -> None:
    console.login("admin")
    teams = console.get("/teams").text
    assert 'href="/teams/T1"' in teams and 'href="/teams/T2"' in teams
    team = console.get("/teams/T1").text
    assert 'href="/agents/A1"' in team and 'href="/agents/A2"' in team and "/agents/B1" not in team
    agent = console.get("/agents/A1").text
    assert [m for m in re.findall(r'href="/conversations/(I\d)"', agent)] == ["I3", "I2", "I1"]
    conv = console.get("/conversations/I1").text
    assert 'href="/customers/K1"' in conv


def test_conversation_marks_findings_at_their_spans(console: Console) -> None:
    console.login("quality_manager")
    page = console.get("/conversations/I1").text
    # turn 1 "您好，请问…", finding greeting at [0, 2); turn 2 "我的手机号是[PHONE]", pii at [6, 13)
    assert re.search(r'<mark class="info" title="[^"]*" data-rules="greeting">您好</mark>，请问有什么可以帮您', page)
    assert re.search(r'我的手机号是<mark class="non_fatal" title="[^"]*" data-rules="pii">\[PHONE\]</mark>', page)
    assert "85.0" in page  # score
    assert ("u_quality_manager", "allowed", "I1") in console.audit("conversation_view")


def test_segments_split_overlapping_findings() -> None:
    def f(no: int, start: int, end: int, severity: str) -> FindingPublic:
        return FindingPublic(
            finding_no=no, rule_id=f"r{no}", detector=None, category=None, seq=1, span_start=start,
            span_end=end, evidence=None, severity=severity, scorecard_item=None, deduction=None,
        )  # fmt: skip

    parts = segments("abcdefgh", [f(1, 1, 5, "info"), f(2, 3, 7, "fatal"), f(3, 6, 99, "non_fatal")])
    assert [(p.text, [x.rule_id for x in p.findings]) for p in parts] == [
        ("a", []), ("bc", ["r1"]), ("de", ["r1", "r2"]), ("f", ["r2"]), ("g", ["r2", "r3"]), ("h", ["r3"]),
    ]  # fmt: skip
    assert [p.severity for p in parts[1:]] == ["info", "fatal", "fatal", "fatal", "non_fatal"]
    assert [p.text for p in segments("abc", [f(1, 2, 2, "info")])] == ["abc"]
    assert [p.text for p in segments("", [])] == [""]


@pytest.mark.parametrize(
    "path",
    ["/teams/T2", "/agents/B1", "/conversations/I5", "/customers/K2", "/teams/NOPE", "/conversations/NOPE"],
)
def test_team_lead_never_sees_another_team(console: Console, path: str) -> None:
    console.login("team_lead")
    response = console.get(path)
    assert response.status_code == 404
    assert "没有这个页面" in response.text
    main = response.text.split("<main>")[1]  # not the whole page: a random CSRF token may contain "Bo"
    assert "Bo" not in main and "I5" not in main


def test_denied_views_are_audited(console: Console) -> None:
    console.login("team_lead")
    console.get("/conversations/I5")
    console.get("/customers/K2")
    assert ("u_team_lead", "denied", "I5") in console.audit("conversation_view")
    assert ("u_team_lead", "denied", "K2") in console.audit("customer_view")


def test_team_list_of_a_team_lead_is_their_team_only(console: Console) -> None:
    console.login("team_lead")
    page = console.get("/teams").text
    assert 'href="/teams/T1"' in page and "/teams/T2" not in page


def test_agent_sees_only_themselves(console: Console) -> None:
    console.login("agent")  # A1
    assert console.get("/agents/A1").status_code == 200
    assert console.get("/agents/A2").status_code == 404
    assert console.get("/conversations/I4").status_code == 404
    assert "/agents/A2" not in console.get("/teams/T1").text


def test_tester_has_no_service_pages(console: Console) -> None:
    console.login("tester")
    for path in ("/", "/teams", "/conversations/I1"):
        assert console.get(path).status_code == 403, path


def test_customer_360_across_channels(console: Console) -> None:
    console.login("auditor")
    page = console.get("/customers/K1", lang="en").text
    for item in ("I1", "I5", "TK1", "TK2", "S1", "S2", "CP1", "O1", "王**"):
        assert item in page, item
    assert ("u_auditor", "allowed", "K1") in console.audit("customer_view")


def test_customer_360_of_a_team_lead_keeps_to_their_team(console: Console) -> None:
    console.login("team_lead")
    page = console.get("/customers/K1").text.split("<main>")[1]
    assert "I1" in page and "TK1" in page and "S1" in page and "O1" in page
    for other in ("I5", "TK2", "S2", "CP1", "T2 的投诉"):
        assert other not in page, other


CATALOGUE = ["/catalogue/metrics", "/catalogue/metrics/service_level", "/catalogue/rules", "/catalogue/scorecards"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_catalogue_explorer_and_review_pages_are_translated(console: Console, lang: str) -> None:
    console.login("admin")
    for path in [*CATALOGUE, "/explorer", "/explorer?metrics=fcr&grain=week", "/review"]:
        sep = "&" if "?" in path else "?"
        response = console.get(f"{path}{sep}lang={lang}")
        assert response.status_code == 200, path
        assert "⟦" not in response.text, (path, re.findall("⟦[^⟧]*⟧", response.text))


def test_metric_definition_page(console: Console) -> None:
    console.login("team_lead")
    page = console.get("/catalogue/metrics/service_level", lang="en").text
    assert "Population" in page and "Numerator" in page and "threshold_seconds" in page
    assert "80.0%" in page and "business_line=ToB" in page  # target and the ToB scenario target
    assert 'href="/explorer?metrics=service_level&grain=week"' in page
    assert console.get("/catalogue/metrics/nope").status_code == 404
    listing = console.get("/catalogue/metrics", lang="zh").text
    assert 'id="answer_rate"' in listing and "接通率" in listing


def test_rule_and_scorecard_pages_show_the_loaded_packs(console: Console) -> None:
    from csqm.inspection.loading import load_packs

    packs = load_packs()
    console.login("quality_manager")
    rules = console.get("/catalogue/rules").text
    assert all(f'id="rule-{r.rule.id}"' in rules for r in packs.rules)
    cards = console.get("/catalogue/scorecards").text
    assert all(f'id="card-{s.card.id}"' in cards for s in packs.scorecards)
    api = console.api("/api/v1/catalogue/rules", "auditor").json()
    assert {r["rule_id"] for r in api} == {r.rule.id for r in packs.rules}
    cards_api = console.api("/api/v1/catalogue/scorecards", "agent").json()
    first = packs.scorecards[0].card
    got = next(c for c in cards_api if c["scorecard_id"] == first.id)
    assert sum(i["weight"] for i in got["items"]) == sum(i.weight for i in first.items)


ALLOWED_LITERALS = {"ID", "CSAT", "NPS", "CES", "CSQM", "n"}


def test_templates_have_no_untranslated_text() -> None:
    """Outside tags and ``{{ … }}`` / ``{% … %}`` the console's templates contain no words of their own."""
    for path in WEB.joinpath("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", text, flags=re.S)
        text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
        words = set(re.findall(r"[A-Za-z\u4e00-\u9fff]+", text)) - ALLOWED_LITERALS
        assert not words, (path.name, sorted(words))
