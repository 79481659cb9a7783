"""Every KPI of the catalogue in plain pandas, written independently of the SQL compiler.

Used by the differential test (same numbers on both engines as this code) and by the benchmark (the
same KPIs with pandas). Inputs are the store's tables as DataFrames (naive UTC timestamps);
``kpis()`` returns ``metric, [period], [dim], value`` rows. The definitions follow
``docs/metrics.md``; nothing here imports ``csqm.metrics``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

Tables = dict[str, pd.DataFrame]
HOUR, DAY = 3600.0, 86400.0
FREQ = {"hour": "h", "day": "D", "week": "W-SUN", "month": "M", "quarter": "Q"}  # weeks end on Sunday


@dataclass(frozen=True)
class Slice:
    """Breakdown, grain and local date range (inclusive) in a zone."""

    by: tuple[str, ...] = ()
    grain: str | None = None
    start: date | None = None
    end: date | None = None
    zone: str = "Asia/Shanghai"

    def keys(self) -> list[str]:
        return (["period"] if self.grain else []) + list(self.by)


def flag(series: pd.Series) -> pd.Series:
    """A nullable boolean column as plain bools, null → False."""
    return series.astype("boolean").fillna(False).astype(bool)


def seconds(later: pd.Series, earlier: pd.Series) -> pd.Series:
    return (pd.to_datetime(later) - pd.to_datetime(earlier)).dt.total_seconds()


def local(ts: pd.Series, zone: str) -> pd.Series:
    return pd.to_datetime(ts).dt.tz_localize("UTC").dt.tz_convert(zone).dt.tz_localize(None)


def period_of(moments: pd.Series, grain: str) -> pd.Series:
    return moments.dt.to_period(FREQ[grain]).dt.start_time


def in_range(ts: pd.Series, s: Slice) -> pd.Series:
    moments = local(ts, s.zone)
    keep = pd.Series(True, index=ts.index)
    if s.start:
        keep &= moments >= pd.Timestamp(s.start)
    if s.end:
        keep &= moments < pd.Timestamp(s.end) + pd.Timedelta(days=1)
    return keep


def dated(frame: pd.DataFrame, time_column: str, s: Slice) -> pd.DataFrame:
    """Rows of ``frame`` in the range, with a ``period`` column when there is a grain."""
    out = frame[in_range(frame[time_column], s)].copy()
    if s.grain:
        out["period"] = period_of(local(out[time_column], s.zone), s.grain)
    return out


NULL = "<null>"  # group label of a missing key (SQL groups nulls together)


class Groups:
    """Group codes of a frame's key columns, computed once and reused by every measure."""

    def __init__(self, frame: pd.DataFrame, keys: list[str]) -> None:
        if not keys:
            self.codes, self.index = np.zeros(len(frame), dtype=np.int64), pd.Index([("",)])
            return
        parts = [pd.factorize(frame[k].astype(object).where(frame[k].notna(), NULL)) for k in keys]
        sizes = tuple(max(len(u), 1) for _, u in parts)
        combined = np.ravel_multi_index([c for c, _ in parts], sizes) if len(frame) else np.array([], dtype=np.int64)
        self.codes, unique = pd.factorize(combined)
        levels = np.unravel_index(unique, sizes)
        self.index = pd.MultiIndex.from_arrays([parts[i][1][levels[i]] for i in range(len(keys))], names=keys)

    def _series(self, values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=self.index, dtype="float64")

    def count(self, mask: pd.Series) -> pd.Series:
        weights = mask.to_numpy(dtype="float64")
        return self._series(np.bincount(self.codes, weights=weights, minlength=len(self.index)))

    def sum(self, values: pd.Series, mask: pd.Series) -> pd.Series:
        weights = values.where(mask).fillna(0).to_numpy(dtype="float64")
        return self._series(np.bincount(self.codes, weights=weights, minlength=len(self.index)))

    def distinct(self, values: pd.Series, mask: pd.Series) -> pd.Series:
        keep = (mask & values.notna()).to_numpy()
        pairs = pd.DataFrame({"g": self.codes[keep], "v": values.to_numpy()[keep]}).drop_duplicates()
        counts = np.bincount(pairs["g"].to_numpy(dtype=np.int64), minlength=len(self.index))
        return self._series(counts.astype("float64"))

    def quantile(self, values: pd.Series, q: float) -> pd.Series:
        got = pd.Series(values.to_numpy(dtype="float64")).groupby(self.codes).quantile(q)
        return self._series(got.reindex(range(len(self.index))).to_numpy())


def ratio(num: pd.Series, den: pd.Series, scale: float) -> pd.Series:
    both = pd.concat([num.rename("n"), den.rename("d")], axis=1)
    n, d = both["n"].fillna(0), both["d"].fillna(0)
    return (n * scale / d).where(d != 0)


# -- preparing tables ------------------------------------------------------------------------------


def contacts(t: Tables) -> pd.DataFrame:
    """Interactions with dimension columns and derived seconds."""
    ix = t["interactions"].merge(t["teams"][["team_id", "centre_id"]], on="team_id", how="left")
    ix = ix.merge(t["customers"][["customer_id", "segment"]], on="customer_id", how="left")
    ix = ix.rename(columns={"team_id": "team", "agent_id": "agent", "centre_id": "centre"})
    ix["inbound"] = ix["direction"].fillna("inbound") == "inbound"
    ix["wait"] = seconds(ix["answered_at"].fillna(ix["ended_at"]), ix["offered_at"])
    ix["answered"] = ix["answered_at"].notna()
    ix["abandoned_"] = flag(ix["abandoned"])
    ix["bot_"] = flag(ix["handled_by_bot"])
    ix["escalated_"] = flag(ix["escalated"])
    ix["handle"] = ix["talk_seconds"] + ix["hold_seconds"].fillna(0) + ix["acw_seconds"].fillna(0)
    ix["gap_next"] = _next_contact_gap(ix)
    return ix


def _next_contact_gap(ix: pd.DataFrame) -> pd.Series:
    ordered = ix[["customer_id", "topic", "offered_at", "interaction_id"]].assign(
        _dir=ix["direction"].fillna("inbound")
    )
    ordered = ordered.sort_values(["offered_at", "interaction_id"])
    nxt = ordered.groupby(["customer_id", "topic", "_dir"], dropna=False, sort=False)["offered_at"].shift(-1)
    return seconds(nxt, ordered["offered_at"]).reindex(ix.index)


def tickets_table(ix: pd.DataFrame, t: Tables) -> pd.DataFrame:
    """Tickets with their dimensions: own team, agent, channel and category; the rest via the contact."""
    tk = t["tickets"].merge(t["teams"][["team_id", "centre_id"]], on="team_id", how="left")
    tk = tk.rename(columns={"team_id": "team", "agent_id": "agent", "centre_id": "centre", "category": "topic"})
    linked = ix[["interaction_id", "queue", "product", "region", "business_line"]]
    tk = tk.merge(linked, on="interaction_id", how="left")
    return tk.merge(t["customers"][["customer_id", "segment"]], on="customer_id", how="left")


CONTACT_DIMS = ["team", "agent", "centre", "channel", "queue", "topic", "product", "region", "business_line"]


def with_contact_dims(frame: pd.DataFrame, ix: pd.DataFrame, own: tuple[str, ...] = ()) -> pd.DataFrame:
    """Add the linked contact's dimensions (surveys, complaints), keeping the ``own`` columns."""
    taken = [d for d in CONTACT_DIMS if d not in own]
    linked = ix[["interaction_id", *taken]]
    return frame.drop(columns=[c for c in taken if c in frame.columns]).merge(linked, on="interaction_id", how="left")


# -- the KPIs --------------------------------------------------------------------------------------

Result = dict[str, pd.Series]


def efficiency(c: pd.DataFrame, tk: pd.DataFrame, s: Slice) -> Result:
    g, gt = Groups(c, s.keys()), Groups(tk, s.keys())
    phone = c["inbound"] & (c["channel"] == "phone")
    short = c["abandoned_"] & (c["wait"] < 5)
    online = c["inbound"] & c["channel"].isin(["chat", "social"])
    agent = c["inbound"] & c["answered"] & ~c["bot_"]
    handled = agent & c["talk_seconds"].notna()
    moved = agent & c["transfers"].notna()
    fr = c["first_response_seconds"]
    late_pop = online & (fr.notna() | ~c["abandoned_"])
    asa_pop = phone & c["answered"] & c["wait"].notna()
    bot = c["channel"] == "bot"
    resolution = seconds(tk["resolved_at"], tk["created_at"])
    first = seconds(tk["first_response_at"], tk["created_at"])
    complex_ = flag(tk["is_complex"])
    done = resolution.fillna(seconds(tk["closed_at"], tk["created_at"]))
    every = pd.Series(True, tk.index)
    coverage = g.distinct(c["channel"], c["inbound"])
    return {
        "service_level": ratio(
            g.count(phone & ~short & c["answered"] & (c["wait"] <= 20)), g.count(phone & ~short), 100
        ),
        "asa": ratio(g.sum(c["wait"], asa_pop), g.count(asa_pop), 1),
        "answer_rate": ratio(g.count(phone & c["answered"]), g.count(phone), 100),
        "abandon_rate": ratio(g.count(phone & ~short & c["abandoned_"]), g.count(phone & ~short), 100),
        "first_response_time": ratio(g.sum(fr, online & fr.notna()), g.count(online & fr.notna()), 1),
        "online_response_30s": ratio(g.count(late_pop & (fr <= 30)), g.count(late_pop), 100),
        "aht": ratio(g.sum(c["handle"], handled), g.count(handled), 1),
        "transfer_rate": ratio(g.count(moved & (c["transfers"] > 0)), g.count(moved), 100),
        "ticket_resolution_p50": gt.quantile(resolution.where(resolution >= 0), 0.5) / HOUR,
        "ticket_resolution_p90": gt.quantile(resolution.where(resolution >= 0), 0.9) / HOUR,
        "sla_first_response": ratio(gt.count(first <= 900), gt.count(every), 100),
        "sla_complex_resolution": ratio(gt.count(complex_ & (done <= DAY)), gt.count(complex_), 100),
        "channel_coverage": coverage.where(coverage > 0),
        "bot_containment": ratio(g.count(bot & c["bot_"] & ~c["escalated_"]), g.count(bot), 100),
        "bot_escalation_rate": ratio(g.count(bot & c["escalated_"]), g.count(bot), 100),
        "automation_share": ratio(
            g.count(c["inbound"] & c["bot_"]), g.count(c["inbound"] & (c["answered"] | c["bot_"])), 100
        ),
    }


def quality(c: pd.DataFrame, tk: pd.DataFrame, s: Slice) -> Result:
    g, gt = Groups(c, s.keys()), Groups(tk, s.keys())
    judged = c["inbound"] & c["answered"] & ~c["bot_"] & c["customer_id"].notna() & c["topic"].notna()
    recorded = c["answered"] & c["resolved"].notna()
    human = c["inbound"] & c["answered"] & (c["channel"] != "bot") & ~c["bot_"]
    out: Result = {
        name: ratio(g.count(judged & ~(c["gap_next"] <= window)), g.count(judged), 100)
        for name, window in (("fcr", 2 * HOUR), ("fcr_24h", DAY), ("fcr_7d", 7 * DAY))
    }
    out["resolution_rate"] = ratio(g.count(recorded & flag(c["resolved"])), g.count(recorded), 100)
    out["escalation_rate"] = ratio(g.count(human & c["escalated_"]), g.count(human), 100)
    closed = tk["resolved_at"].notna() | tk["closed_at"].notna()
    out["reopen_rate"] = ratio(gt.count(closed & (tk["reopen_count"].fillna(0) > 0)), gt.count(closed), 100)
    return out


def surveys(sv: pd.DataFrame, s: Slice) -> Result:
    g = Groups(sv, s.keys())
    csat, nps, ces = sv["csat"], sv["nps"], sv["ces"]
    answered = sv["answered_at"].notna() | csat.notna() | nps.notna() | ces.notna()
    promoters = ratio(g.count(nps >= 9), g.count(nps.notna()), 100)
    detractors = ratio(g.count(nps <= 6), g.count(nps.notna()), 100)
    return {
        "csat": ratio(g.count(csat >= 4), g.count(csat.notna()), 100),
        "csat_mean": ratio(g.sum(csat, csat.notna()), g.count(csat.notna()), 1),
        "nps_promoters": promoters,
        "nps_detractors": detractors,
        "nps": promoters - detractors,
        "ces": ratio(g.sum(ces, ces.notna()), g.count(ces.notna()), 1),
        "survey_response_rate": ratio(g.count(answered), g.count(pd.Series(True, sv.index)), 100),
    }


def complaints_table(ix: pd.DataFrame, t: Tables) -> pd.DataFrame:
    cp = with_contact_dims(t["complaints"], ix, own=("channel", "product", "region"))
    cp = cp.drop(columns="business_line").merge(
        t["customers"][["customer_id", "segment", "business_line"]], on="customer_id", how="left"
    )
    ordered = cp[["customer_id", "category", "created_at", "complaint_id"]].sort_values(["created_at", "complaint_id"])
    prev = ordered.groupby(["customer_id", "category"])["created_at"].shift(1)
    cp["gap_prev"] = seconds(ordered["created_at"], prev).reindex(cp.index)
    orders = t["orders"]
    bought = orders[orders["status"].fillna("paid") != "cancelled"][["customer_id", "ordered_at"]]
    pairs = cp[["complaint_id", "customer_id", "created_at"]].merge(bought, on="customer_id")
    pairs = pairs[pairs["ordered_at"] > pairs["created_at"]]
    first = pairs.groupby("complaint_id")["ordered_at"].min()
    cp["gap_order"] = seconds(cp["complaint_id"].map(first), cp["created_at"])
    return cp


def complaints(cp: pd.DataFrame, c: pd.DataFrame, s: Slice) -> Result:
    g, gc = Groups(cp, s.keys()), Groups(c, s.keys())
    every = pd.Series(True, cp.index)
    repeat = cp["customer_id"].notna() & cp["category"].notna() & (cp["gap_prev"] <= 30 * DAY)
    in_time = seconds(cp["resolved_at"], cp["created_at"]) <= 48 * HOUR
    known = cp["customer_id"].notna()
    won = g.distinct(cp["customer_id"], known & (cp["gap_order"] <= 90 * DAY))
    return {
        "complaint_rate": ratio(g.count(every), gc.count(c["inbound"]), 1000),
        "repeat_complaint_rate": ratio(g.count(repeat), g.count(every), 100),
        "complaint_resolution_sla": ratio(g.count(in_time), g.count(every), 100),
        "complainer_repurchase_rate": ratio(won, g.distinct(cp["customer_id"], known), 100),
    }


def compliance(tk: pd.DataFrame, s: Slice) -> Result:
    g = Groups(tk, s.keys())
    total, filled = tk["mandatory_fields_total"], tk["mandatory_fields_filled"].fillna(0)
    has = total > 0
    closed = tk["closed_at"].notna()
    proper = closed & tk["resolved_at"].notna() & (tk["resolved_at"] <= tk["closed_at"])
    return {
        "ticket_field_completeness": ratio(g.sum(np.minimum(filled, total), has), g.sum(total, has), 100),
        "tickets_fully_filled": ratio(g.count(has & (filled >= total)), g.count(has), 100),
        "ticket_close_process": ratio(g.count(proper), g.count(closed), 100),
    }


ACTIVITY_STATES = {
    "work": ("available", "on_call", "acw"),
    "break": ("break",),
    "meeting": ("meeting",),
    "training": ("training",),
}


def staff(t: Tables) -> pd.DataFrame:
    out = t["agents"][["agent_id", "team_id"]].merge(
        t["teams"][["team_id", "centre_id", "business_line"]], on="team_id", how="left"
    )
    return out.rename(columns={"team_id": "team", "centre_id": "centre"}).assign(agent=out["agent_id"])


def workforce(t: Tables, s: Slice) -> Result:
    people = staff(t)
    st = dated(t["agent_states"].merge(people, on="agent_id", how="left"), "started_at", s)
    sc = dated(t["schedules"].merge(people, on="agent_id", how="left"), "starts_at", s)
    g, gs = Groups(st, s.keys()), Groups(sc, s.keys())
    dur = seconds(st["ended_at"], st["started_at"])
    ok = dur >= 0
    handling = ok & st["state"].isin(["on_call", "acw"])
    staffed = ok & st["state"].isin(["available", "on_call", "acw"])
    worked = ok & ~st["state"].isin(["offline", "break"])
    planned = seconds(sc["ends_at"], sc["starts_at"])
    adherent = adherent_seconds(sc, t["agent_states"])
    plan_work = (sc["activity"].fillna("work") != "break") & (planned > 0)
    return {
        "occupancy": ratio(g.sum(dur, handling), g.sum(dur, staffed), 100),
        "utilisation": ratio(g.sum(dur, handling), g.sum(dur, ok & (st["state"] != "offline")), 100),
        "schedule_adherence": ratio(gs.sum(adherent, planned > 0), gs.sum(planned, planned > 0), 100),
        "schedule_conformance": ratio(g.sum(dur, worked), gs.sum(planned, plan_work), 100),
    }


def adherent_seconds(schedules: pd.DataFrame, states: pd.DataFrame) -> pd.Series:
    """Per schedule row: seconds overlapping a state that matches the planned activity.

    Intervals are joined on (agent, each UTC day they touch), so only nearby intervals are paired.
    """
    plan = _by_day(
        schedules[["agent_id", "starts_at", "ends_at", "activity"]].reset_index(names="plan"), "starts_at", "ends_at"
    )
    acts = _by_day(
        states[["agent_id", "state", "started_at", "ended_at"]].dropna(subset=["ended_at"]).reset_index(names="act"),
        "started_at",
        "ended_at",
    )
    pairs = plan.merge(acts, on=["agent_id", "_day"]).drop_duplicates(["plan", "act"])
    wanted = pairs["activity"].map(ACTIVITY_STATES)
    match = [isinstance(w, tuple) and st in w for w, st in zip(wanted, pairs["state"], strict=True)]
    start = np.maximum(pairs["starts_at"], pairs["started_at"])
    end = np.minimum(pairs["ends_at"], pairs["ended_at"])
    overlap = seconds(end, start).clip(lower=0).where(np.array(match, dtype=bool), 0)
    return overlap.groupby(pairs["plan"]).sum().reindex(schedules.index).fillna(0)


def _by_day(frame: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    start_day, end_day = frame[first].dt.floor("D"), frame[last].dt.floor("D")
    days = (end_day - start_day).dt.days.fillna(0).clip(lower=0).astype(int)
    repeated = frame.loc[frame.index.repeat(days + 1)].copy()
    offset = repeated.groupby(level=0).cumcount().to_numpy()
    repeated["_day"] = start_day.loc[repeated.index].to_numpy() + pd.to_timedelta(offset, unit="D")
    return repeated.reset_index(drop=True)


def attrition(t: Tables, s: Slice) -> Result:
    assert s.start is not None and s.end is not None
    people = t["agents"].merge(t["teams"][["team_id", "centre_id", "business_line"]], on="team_id", how="left")
    people = people.rename(columns={"team_id": "team", "centre_id": "centre", "agent_id": "agent"})
    if s.grain:
        starts = list(pd.period_range(pd.Timestamp(s.start), pd.Timestamp(s.end), freq=FREQ[s.grain]).start_time)
    else:
        starts = [pd.Timestamp(s.start)]
    hired, left = pd.to_datetime(people["hired_on"]), pd.to_datetime(people["left_on"])
    rows = []
    for i, first in enumerate(starts):
        last = starts[i + 1] if i + 1 < len(starts) else _after(first, s)
        employed = (hired.isna() | (hired < last)) & (left.isna() | (left >= first))
        rows.append(people[employed].assign(period=first, _left=((left >= first) & (left < last))[employed]))
    frame = pd.concat(rows, ignore_index=True)
    g = Groups(frame, s.keys())
    return {"attrition": ratio(g.count(frame["_left"]), g.count(pd.Series(True, frame.index)), 100)}


def _after(first: pd.Timestamp, s: Slice) -> pd.Timestamp:
    if not s.grain:
        return pd.Timestamp(s.end) + pd.Timedelta(days=1)
    return (first.to_period(FREQ[s.grain]) + 1).start_time


def repurchase(t: Tables, s: Slice) -> Result:
    orders = t["orders"].merge(
        t["customers"][["customer_id", "segment", "region", "business_line"]], on="customer_id", how="left"
    )
    kept = orders[(orders["status"].fillna("paid") != "cancelled") & orders["customer_id"].notna()]
    kept = kept.sort_values(["ordered_at", "order_id"])
    kept = kept.assign(gap=seconds(kept["ordered_at"], kept.groupby("customer_id")["ordered_at"].shift(1)))
    kept = dated(kept, "ordered_at", s)
    g = Groups(kept, s.keys())
    every = pd.Series(True, kept.index)
    return {
        "repurchase_rate": ratio(
            g.distinct(kept["customer_id"], kept["gap"] <= 365 * DAY), g.distinct(kept["customer_id"], every), 100
        )
    }


STAFF_DIMENSIONS = {"agent", "team", "centre", "business_line"}
ORDER_DIMENSIONS = {"product", "region", "business_line", "segment"}

INSPECTION_CATEGORIES = {
    "forbidden_phrase_rate": "forbidden",
    "customer_thanks_share": "thanks",
    "history_referenced_rate": "history",
    "negative_emotion_share": "negative_emotion",
}


def inspection(t: Tables, ix: pd.DataFrame, sv: pd.DataFrame, s: Slice) -> Result:
    """QA KPIs from the inspection tables, dated by the conversation's own offered_at."""
    results = t["inspection_results"].drop(columns=["offered_at"])
    results = results.merge(ix[["interaction_id", "offered_at", "segment", *CONTACT_DIMS]], on="interaction_id")
    scored = dated(results[results["score"].notna()], "offered_at", s)
    g = Groups(scored, s.keys())
    every = pd.Series(True, index=scored.index)
    out: Result = {
        "qa_score_avg": ratio(g.sum(scored["score"], every), g.count(every), 1),
        "qa_pass_rate": ratio(g.count(scored["passed"].fillna(False).astype(bool)), g.count(every), 100),
        "qa_fatal_rate": ratio(g.count(scored["fatal_count"] > 0), g.count(every), 100),
    }
    findings = t["inspection_findings"]
    for metric, category in INSPECTION_CATEGORIES.items():
        with_category = set(findings.loc[findings["category"] == category, "interaction_id"])
        out[metric] = ratio(g.count(scored["interaction_id"].isin(with_category)), g.count(every), 100)
    feedback = t["inspection_feedback"]
    negative = set(feedback.loc[feedback["negative"].fillna(False).astype(bool), "survey_id"])
    complained = set(t["complaints"]["interaction_id"].dropna())
    happy = sv[sv["csat"] >= 4]
    gs = Groups(happy, s.keys())
    pseudo = happy["survey_id"].isin(negative) | happy["interaction_id"].isin(complained)
    out["pseudo_satisfied_share"] = ratio(gs.count(pseudo), gs.count(pd.Series(True, index=happy.index)), 100)
    return out


def kpis(t: Tables, s: Slice) -> pd.DataFrame:
    """Every KPI for the slice as rows ``metric, *keys, value`` (null keys as None)."""
    ix = contacts(t)
    c = dated(ix, "offered_at", s)
    tk = dated(tickets_table(ix, t), "created_at", s)
    sv = with_contact_dims(t["surveys"], ix).merge(
        t["customers"][["customer_id", "segment"]], on="customer_id", how="left"
    )
    results: Result = {**efficiency(c, tk, s), **quality(c, tk, s), **compliance(tk, s)}
    results.update(surveys(dated(sv, "sent_at", s), s))
    results.update(inspection(t, ix, dated(sv, "sent_at", s), s))
    results.update(complaints(dated(complaints_table(ix, t), "created_at", s), c, s))
    if set(s.by) <= STAFF_DIMENSIONS:
        results.update(workforce(t, s))
        if s.start is not None and s.end is not None:
            results.update(attrition(t, s))
    if set(s.by) <= ORDER_DIMENSIONS:
        results.update(repurchase(t, s))
    return _rows(results, s.keys())


def _rows(results: Result, keys: list[str]) -> pd.DataFrame:
    rows = []
    for metric, series in results.items():
        for key, value in series.items():
            parts = key if isinstance(key, tuple) else (key,)
            labels = {k: (None if v == NULL else v) for k, v in zip(keys, parts, strict=False)}
            rows.append({"metric": metric, **labels, "value": value})
    return pd.DataFrame(rows)
