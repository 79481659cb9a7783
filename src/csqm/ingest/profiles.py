"""Column-mapping profiles: map an export's headers and value codes onto the data model, in YAML.

A profile names, for each data kind it produces, how every canonical field is computed from the
source columns. A field spec is one of:

- ``"Source header"`` — copy that column;
- ``{from: "Header", map: {Y: "true", N: "false"}, default: "..."}`` — copy with value codes mapped;
- ``{const: "phone"}`` — the same value on every row;
- ``{template: "{Date} {Time}"}`` — join columns and literal text (null if any column is empty);
- ``{add_seconds: {start: "{Date} {Time}", seconds: "Speed of answer in seconds"}}`` — a timestamp
  plus a number of seconds (null when the seconds are empty).

Whole-file reshaping that a table mapping cannot express (e.g. reply chains of tweets becoming
conversations) is a *transform*: a registered function named by the profile (see
``csqm.ingest.transforms``). Built-in profiles live in ``csqm/ingest/profiles/*.yaml``; users pass
their own file with ``--profile path.yaml``.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from csqm.errors import ConfigError
from csqm.ingest.canonical import canonical_fields
from csqm.ingest.coerce import as_number, as_text, as_timestamp
from csqm.store.schema import INGEST_KINDS

_REF = re.compile(r"\{([^{}]+)\}")


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str | None = None
    map: dict[str, str | None] | None = None
    default: str | None = None
    const: str | None = None
    template: str | None = None
    add_seconds: dict[str, str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from_": data}
        if isinstance(data, dict) and "from" in data:
            data = dict(data)
            data["from_"] = data.pop("from")
        return data

    @model_validator(mode="after")
    def _one_source(self) -> FieldSpec:
        sources = [self.from_, self.const, self.template, self.add_seconds]
        if sum(s is not None for s in sources) != 1:
            raise ValueError("give exactly one of from, const, template, add_seconds")
        if self.add_seconds is not None and set(self.add_seconds) != {"start", "seconds"}:
            raise ValueError("add_seconds needs exactly the keys start and seconds")
        return self

    def columns(self) -> set[str]:
        """Source columns this field reads."""
        if self.from_ is not None:
            return {self.from_}
        if self.template is not None:
            return set(_REF.findall(self.template))
        if self.add_seconds is not None:
            start = self.add_seconds["start"]
            refs = set(_REF.findall(start)) or {start}
            return refs | {self.add_seconds["seconds"]}
        return set()


class Profile(BaseModel):
    """A named mapping from one export format to one or more data kinds."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    timezone: str | None = None
    encoding: str | None = None
    transform: str | None = None
    outputs: dict[str, dict[str, FieldSpec]] = {}
    only_when: dict[str, str] = {}  # kind -> source column that must be non-empty for a row to count

    @model_validator(mode="after")
    def _known_fields(self) -> Profile:
        problems = []
        for kind, fields in self.outputs.items():
            if kind not in INGEST_KINDS:
                problems.append(f"unknown data kind {kind!r}")
                continue
            allowed = set(canonical_fields(kind))
            problems += [f"{kind}: unknown field {f!r}" for f in fields if f not in allowed]
        if not self.outputs and not self.transform:
            problems.append("a profile needs outputs or a transform")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def source_columns(self) -> set[str]:
        used = {c for fields in self.outputs.values() for spec in fields.values() for c in spec.columns()}
        return used | set(self.only_when.values())

    def apply(self, frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """Compute every output kind's canonical fields from a chunk of source rows."""
        out = {}
        for kind, fields in self.outputs.items():
            rows = frame
            if kind in self.only_when:
                rows = frame[as_text(frame[self.only_when[kind]]).notna()]
            out[kind] = pd.DataFrame({f: _field(spec, rows) for f, spec in fields.items()}, index=rows.index)
        return out


def _template(template: str, frame: pd.DataFrame) -> pd.Series:
    parts = _REF.split(template)  # literal, column, literal, column, ...
    out = pd.Series(parts[0], index=frame.index, dtype=object)
    missing = pd.Series(False, index=frame.index)
    for i, part in enumerate(parts[1:], start=1):
        if i % 2:
            text = as_text(frame[part])
            missing |= text.isna()
            out = out + text.fillna("")
        else:
            out = out + part
    return out.where(~missing, None)


def _field(spec: FieldSpec, frame: pd.DataFrame) -> pd.Series:
    if spec.const is not None:
        return pd.Series(spec.const, index=frame.index, dtype=object)
    if spec.template is not None:
        return _template(spec.template, frame)
    if spec.add_seconds is not None:
        start_spec = spec.add_seconds["start"]
        start = _template(start_spec, frame) if "{" in start_spec else frame[start_spec]
        stamps, _ = as_timestamp(start, "UTC")  # local wall time kept; the validator applies the zone
        seconds, _ = as_number(frame[spec.add_seconds["seconds"]], durations=True)
        result = stamps + pd.to_timedelta(seconds, unit="s")
        text: pd.Series = result.dt.strftime("%Y-%m-%d %H:%M:%S")
        return text.where(result.notna(), None)
    assert spec.from_ is not None
    values = frame[spec.from_]
    if spec.map is not None:
        mapping = spec.map
        text = as_text(values)
        values = text.map(lambda v: mapping.get(v, v) if v is not None else None)
    if spec.default is not None:
        values = as_text(values).fillna(spec.default)
    return pd.Series(values)


def builtin_profiles() -> dict[str, Path]:
    folder = resources.files("csqm.ingest").joinpath("profiles")
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith(".yaml")}


def load_profile(name_or_path: str | Path) -> Profile:
    """A built-in profile by name, or a user's YAML file; every problem reported at once."""
    path = Path(name_or_path)
    builtins = builtin_profiles()
    if str(name_or_path) in builtins:
        path = builtins[str(name_or_path)]
    elif not path.exists():
        raise ConfigError(
            f"No profile {str(name_or_path)!r}: built-in profiles are {', '.join(sorted(builtins))}, "
            "or give the path of a YAML file."
        )
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"Profile {path}{where}: not valid YAML ({getattr(exc, 'problem', exc)}).") from None
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'profile'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Profile {path} is invalid: {errors}.") from None
