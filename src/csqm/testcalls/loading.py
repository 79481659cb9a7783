"""Load scenario libraries, plans and FAQ files from YAML; every problem is reported at once with ``file:line``."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from csqm.inspection.yamlloc import Located, dotted, load_located
from csqm.testcalls.errors import TestcallFileError
from csqm.testcalls.model import FaqFile, Plan, PlanFile, Scenario, ScenarioFile

M = TypeVar("M", bound=BaseModel)


def builtin_path(name: str) -> Path:
    """A file shipped in ``csqm/testcalls/data``."""
    return Path(str(resources.files("csqm.testcalls") / "data" / name))


def _parse(text: str, name: str, model: type[M], problems: list[str]) -> tuple[M | None, Located | None]:
    try:
        located = load_located(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problems.append(f"{name}:{line}: not valid YAML ({getattr(exc, 'problem', None) or exc})")
        return None, None
    problems.extend(f"{name}:{line}: {msg}" for line, msg in located.duplicates)
    try:
        return model.model_validate(located.data if located.data is not None else {}), located
    except ValidationError as exc:
        for err in exc.errors():
            if _follows_item_error(err):
                continue
            loc: tuple[Any, ...] = tuple(
                p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-")
            )
            msg = str(err["msg"]).removeprefix("Value error, ")
            problems.append(f"{name}:{located.line_of(loc)}: {dotted(loc)}: {msg}")
        return None, located


def _follows_item_error(err: Any) -> bool:
    """pydantic also reports "too short" for a list whose items failed; the item errors say it all."""
    given = err.get("input")
    minimum = (err.get("ctx") or {}).get("min_length", 0)
    return bool(err["type"] == "too_short" and isinstance(given, (list, tuple)) and len(given) >= minimum)


def load_model(source: Path | str, model: type[M], *, text: str | None = None) -> M:
    """Parse and validate one file (or ``text`` named ``source``) as ``model``."""
    problems: list[str] = []
    name = str(source)
    body = text if text is not None else _read(Path(source), problems)
    parsed, _ = _parse(body or "", name, model, problems) if not problems else (None, None)
    if problems or parsed is None:
        raise TestcallFileError(name, problems or [f"{name}:1: empty"])
    return parsed


def _read(path: Path, problems: list[str]) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: cannot be read ({type(exc).__name__})")
        return None


def _files(paths: Sequence[Path | str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.glob("*.y*ml")) if p.is_dir() else [p])
    return out


def load_scenarios(paths: Sequence[Path | str] = (), *, builtin: bool = True) -> dict[str, Scenario]:
    """The scenario library: the shipped one plus ``paths`` (files or folders); a user scenario with a
    shipped id replaces it, a duplicate id within the user's files is an error."""
    problems: list[str] = []
    library: dict[str, Scenario] = {}
    if builtin:
        library.update({s.id: s for s in load_model(builtin_path("scenarios.yaml"), ScenarioFile).scenarios})
    seen: dict[str, str] = {}
    for path in _files(paths):
        text = _read(path, problems)
        if text is None:
            continue
        parsed, located = _parse(text, str(path), ScenarioFile, problems)
        if parsed is None or located is None:
            continue
        for i, scenario in enumerate(parsed.scenarios):
            where = f"{path}:{located.line_of(('scenarios', i))}"
            if scenario.id in seen:
                problems.append(
                    f"{where}: scenarios[{i}].id: {scenario.id!r} is already defined at {seen[scenario.id]}"
                )
                continue
            seen[scenario.id] = where
            library[scenario.id] = scenario
    if problems:
        raise TestcallFileError("The scenario library", problems)
    return library


def load_plans(path: Path | str, scenarios: dict[str, Scenario], *, text: str | None = None) -> list[Plan]:
    """The plans of one YAML file, checked against the scenario library (unknown scenario ids, scenarios
    of channels outside the plan's scope)."""
    problems: list[str] = []
    name = str(path)
    body = text if text is not None else _read(Path(path), problems)
    if body is None:
        raise TestcallFileError(name, problems)
    parsed, located = _parse(body, name, PlanFile, problems)
    if parsed is not None and located is not None:
        ids = [p.id for p in parsed.plans]
        for i, plan in enumerate(parsed.plans):
            if ids.count(plan.id) > 1 and ids.index(plan.id) != i:
                problems.append(f"{name}:{located.line_of(('plans', i, 'id'))}: plans[{i}].id: duplicate {plan.id!r}")
            for j, sid in enumerate(plan.scenarios):
                where = f"{name}:{located.line_of(('plans', i, 'scenarios', j))}: plans[{i}].scenarios[{j}]"
                if sid not in scenarios:
                    problems.append(f"{where}: unknown scenario {sid!r}")
                elif scenarios[sid].channel not in plan.channels:
                    problems.append(
                        f"{where}: scenario {sid!r} is for channel {scenarios[sid].channel!r}, "
                        "outside the plan's channels"
                    )
            for channel in plan.channels:
                if not any(s in scenarios and scenarios[s].channel == channel for s in plan.scenarios):
                    line = located.line_of(("plans", i, "channels"))
                    problems.append(f"{name}:{line}: plans[{i}].channels: no scenario of the plan is for {channel!r}")
    if problems or parsed is None:
        raise TestcallFileError(name, problems)
    return list(parsed.plans)


def load_faq(path: Path | str | None = None) -> FaqFile:
    """The FAQ of the shipped bot (default: ``data/faq.yaml``)."""
    return load_model(path or builtin_path("faq.yaml"), FaqFile)
