"""Pattern files, the recognizer registry and plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from csqm.errors import ConfigError
from csqm.privacy import (
    ENTRY_POINT_GROUP,
    Masker,
    PatternFileError,
    PatternRecognizer,
    analyze,
    load_recognizers,
    register_provider,
    registry,
    unregister_provider,
)
from csqm.privacy.config import load_pattern_file

PASSPORT = """\
version: 1
recognizers:
  - name: passport_cn
    kind: passport
    regex: '(?<![0-9A-Za-z])[EG][0-9]{8}(?![0-9])'
    score: 0.6
    context: [护照, passport]
    context_required: true
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "patterns.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_builtin_recognizers_load() -> None:
    names = [r.name for r in load_recognizers()]
    assert len(names) == len(set(names))
    assert {"cn_mobile", "prc_id_18", "bank_card_luhn", "email"} <= set(names)
    assert all(isinstance(r, PatternRecognizer) for r in load_recognizers())


def test_user_file_adds_patterns(tmp_path: Path) -> None:
    recognizers = load_recognizers(_write(tmp_path, PASSPORT))
    assert recognizers[-1].name == "passport_cn"
    masker = Masker(b"k" * 16, recognizers=recognizers)
    assert masker.mask_text("护照号E12345678，手机13812345678") == (
        "护照号E1***78，手机138****5678",
        ("passport", "phone"),
    )
    assert masker.mask_text("编号E12345678") == ("编号E12345678", ())  # context required
    assert analyze("护照号E12345678") == []  # not part of the defaults


BAD = """\
version: 1
recognizers:
  - name: ok_one
    kind: phone
    regex: '[0-9]{5}'
    score: 0.5
  - name: Bad-Name
    kind: phone
    regex: '([0-9]'
    score: 1.5
  - name: ok_one
    kind: phone
    regex: 'x*'
    score: 0.5
    validator: no_such_validator
    colour: blue
  - name: needs_context
    kind: phone
    regex: '[0-9]{9}'
    score: 0.5
    context_required: true
  - name: no_kind
    regex: '[0-9]{9}'
    score: 0.5
"""


def test_bad_file_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BAD)
    with pytest.raises(PatternFileError) as info:
        load_pattern_file(path)
    problems = info.value.problems
    expected_lines = {
        7: "recognizers[1].name",
        9: "recognizers[1].regex: invalid regular expression",
        10: "recognizers[1].score",
        11: "recognizers[2].name: duplicate recognizer name 'ok_one'",
        13: "recognizers[2].regex: the regular expression matches the empty string",
        15: "recognizers[2].validator: unknown validator 'no_such_validator'",
        16: "recognizers[2].colour",
        17: "recognizers[3]: context_required is true but no context words",
        22: "recognizers[4].kind",
    }
    for line, fragment in expected_lines.items():
        assert any(p.startswith(f"{path}:{line}: {fragment}") for p in problems), (line, problems)
    assert len(problems) == len(expected_lines)
    assert isinstance(info.value, ConfigError)
    assert str(path) in str(info.value) and "9 problems" in str(info.value)


def test_duplicate_names_in_one_file_and_with_builtins(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
        recognizers:
          - {name: cn_mobile, kind: phone, regex: '1[0-9]{10}', score: 0.5}
          - {name: twice, kind: phone, regex: '[0-9]{9}', score: 0.5}
          - {name: twice, kind: phone, regex: '[0-9]{8}', score: 0.5}
        """,
    )
    with pytest.raises(ConfigError) as info:
        load_recognizers(path)
    assert isinstance(info.value, PatternFileError)
    assert info.value.problems == [
        f"{path}:2: recognizers[0].name: duplicate recognizer name 'cn_mobile'",
        f"{path}:4: recognizers[2].name: duplicate recognizer name 'twice'",
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("recognizers: [\n  {name: a,\n", ":3: not valid YAML"),
        ("", "recognizers: Field required"),
        ("- just a list\n", ":1: (top level)"),
        ("version: 2\nrecognizers: []\n", ":1: version"),
        ("recognizers:\n  - name: a\n    name: b\n", ":3: key 'name' is given twice"),
    ],
)
def test_structural_problems(tmp_path: Path, text: str, fragment: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PatternFileError) as info:
        load_pattern_file(path)
    assert any(fragment in p for p in info.value.problems), info.value.problems


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PatternFileError, match="cannot be read"):
        load_pattern_file(tmp_path / "nope.yaml")


class Tagged(PatternRecognizer):
    """A plugin recognizer class, instantiated without arguments by the registry."""

    def __init__(self) -> None:
        super().__init__("order_tag", "order_tag", "ORD-[0-9]{6}", score=0.5, prefilter="ORD-")


def _fake_entry_points(*eps: SimpleNamespace) -> object:
    def entry_points(group: str) -> list[SimpleNamespace]:
        assert group == ENTRY_POINT_GROUP
        return list(eps)

    return entry_points


@pytest.fixture
def plugin_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Isolate provider registration from other tests."""
    monkeypatch.setattr(registry, "_PROVIDERS", dict(registry._PROVIDERS))


@pytest.mark.usefixtures("plugin_registry")
def test_entry_point_plugins_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    eps = (
        SimpleNamespace(name="tags", value="x:Tagged", load=lambda: Tagged),
        SimpleNamespace(name="more", value="x:more", load=lambda: lambda: [Tagged()]),
    )
    monkeypatch.setattr(registry.metadata, "entry_points", _fake_entry_points(eps[0]))
    recognizers = load_recognizers()
    assert recognizers[-1].name == "order_tag"
    assert Masker(b"k" * 16, recognizers=recognizers).mask_text("单号ORD-123456") == (
        "单号OR***56",
        ("order_tag",),
    )
    monkeypatch.setattr(registry.metadata, "entry_points", _fake_entry_points(*eps))
    with pytest.raises(ConfigError, match="Two PII recognizers are named 'order_tag'"):
        load_recognizers()


@pytest.mark.usefixtures("plugin_registry")
def test_broken_plugin_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise ImportError("no module named my_plugin")

    broken = SimpleNamespace(name="broken", value="my_plugin:make", load=boom)
    monkeypatch.setattr(registry.metadata, "entry_points", _fake_entry_points(broken))
    with pytest.raises(ConfigError, match=r"plugin 'broken'.*cannot be loaded"):
        load_recognizers()


@pytest.mark.usefixtures("plugin_registry")
def test_register_provider_in_code() -> None:
    register_provider("tags", Tagged)
    register_provider("tags", Tagged)  # same provider again: no-op
    with pytest.raises(ConfigError, match="already registered"):
        register_provider("tags", lambda: [])
    assert "order_tag" in [r.name for r in load_recognizers()]
    unregister_provider("tags")
    assert "order_tag" not in [r.name for r in load_recognizers()]


def test_user_pattern_with_backreference_and_no_prefilter(tmp_path: Path) -> None:
    # capturing groups cannot be joined into the combined screening regex: they are searched alone
    path = _write(
        tmp_path,
        r"""
        recognizers:
          - name: lucky_member
            kind: member_id
            regex: '(?<![0-9])([0-9])\1{7}(?![0-9])'
            score: 0.5
        """,
    )
    masker = Masker(b"k" * 16, recognizers=load_recognizers(path))
    assert masker.mask_texts(["会员号88888888", "会员号88888881", "电话13812345678"]) == (
        ["会员号88***88", "会员号88888881", "电话138****5678"],
        ["member_id", None, "phone"],
    )
