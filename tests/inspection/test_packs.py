"""Rule packs: the shipped ones load, every problem is reported at once with file and line,
user packs override shipped rules by id, and the version is a content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from csqm.inspection.loading import PackError, load_packs
from tests.inspection.helpers import CARD, rule, write_pack

BAD = """\
version: 1
pack: {id: bad, name_zh: 坏, name_en: Bad}
rules:
  - id: ok.rule
    name_zh: 好
    name_en: Good
    category: test
    detector: keywords
    params: {any: [好]}
  - id: Bad Id
    name_zh: 坏
    name_en: Bad
    category: test
    detector: keywords
    params: {any: [x]}
  - id: bad.detector
    name_zh: 坏
    name_en: Bad
    category: test
    detector: telepathy
  - id: bad.params
    name_zh: 坏
    name_en: Bad
    category: test
    detector: keywords
    params:
      any: [x]
      all: [y]
  - id: bad.severity
    name_zh: 坏
    name_en: Bad
    category: test
    detector: keywords
    params: {any: [x]}
    severity: deadly
    channels: [fax]
  - id: bad.item
    name_zh: 坏
    name_en: Bad
    category: test
    detector: keywords
    params: {any: [x]}
    item: nowhere
  - id: ok.rule
    name_zh: 重复
    name_en: Duplicate
    category: test
    detector: keywords
    params: {any: [y]}
"""


def test_shipped_packs_load() -> None:
    packs = load_packs()
    ids = {r.rule.id for r in packs.rules}
    assert {"zh.forbidden.shirking", "zh.script.greeting", "en.script.greeting", "zh.security.personal_data"} <= ids
    assert {c.card.id for c in packs.scorecards} >= {"zh_phone", "zh_online", "en_phone"}
    assert load_packs().version == packs.version and len(packs.version) == 12


def test_every_problem_at_once_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD, encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_packs([tmp_path], builtin=False)
    problems = caught.value.problems
    name = str(tmp_path / "bad.yaml")
    expected = [
        (10, "rules[1].id"),
        (20, "unknown detector 'telepathy'"),
        (26, "rules[3].params: give exactly one of any, all or near"),
        (35, "rules[4].severity"),
        (36, "rules[4].channels: unknown channel(s) fax"),
        (43, "item 'nowhere' is in no scorecard"),
        (44, "id 'ok.rule' is already defined"),
    ]
    for line, text in expected:
        assert any(p.startswith(f"{name}:{line}:") and text in p for p in problems), (line, text, problems)
    assert len(problems) == len(expected)


def test_syntax_error_has_a_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("pack: {id: x\nrules: [\n", encoding="utf-8")
    (tmp_path / "dupe.yaml").write_text("pack: {id: y, name_zh: a, name_en: b}\npack: {id: z}\n", encoding="utf-8")
    with pytest.raises(PackError) as caught:
        load_packs([tmp_path], builtin=False)
    text = str(caught.value)
    assert "broken.yaml:" in text and "not valid YAML" in text
    assert "dupe.yaml:2: pack: duplicate key" in text


def test_user_pack_overrides_shipped_rule_by_id(tmp_path: Path) -> None:
    shipped = load_packs()
    mine = rule("keywords", {"any": ["不好意思"]}, id="zh.forbidden.shirking", speaker="agent", item="responsibility")
    write_pack(tmp_path, "mine", [mine], languages=["zh"])
    packs = load_packs([tmp_path])
    assert len(packs.rules) == len(shipped.rules)
    assert packs.rule("zh.forbidden.shirking").rule.params == {"any": ["不好意思"]}
    assert packs.version != shipped.version


def test_disable_a_shipped_rule(tmp_path: Path) -> None:
    off = rule("keywords", {"any": ["x"]}, id="zh.commitment.absolute", enabled=False)
    write_pack(tmp_path, "off", [off])
    assert "zh.commitment.absolute" not in {r.rule.id for r in load_packs([tmp_path]).rules}


def test_version_is_content_hash(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    write_pack(a, "p", [rule("keywords", {"any": ["x"]}, item="item_a")], [CARD])
    write_pack(b, "p", [rule("keywords", {"any": ["x"]}, item="item_a")], [CARD])
    assert load_packs([a], builtin=False).version == load_packs([b], builtin=False).version
    write_pack(b, "p", [rule("keywords", {"any": ["y"]}, item="item_a")], [CARD])
    assert load_packs([a], builtin=False).version != load_packs([b], builtin=False).version


def test_missing_directory() -> None:
    from csqm.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        load_packs(["/nonexistent/packs"])
