"""Referential integrity and value domains of a generated dataset."""

from __future__ import annotations

import pandas as pd

from csqm.store.schema import AGENT_ROLES, AGENT_STATES, CHANNELS, KB_EVENTS, ORDER_STATUSES, PRIORITIES, SPEAKERS
from tests.generate.signals import IDENTITY_FIELDS

Frames = dict[str, pd.DataFrame]


def _subset(child: pd.Series, parent: pd.Series) -> bool:
    return bool(child.dropna().isin(set(parent)).all())


def test_organisation_references(zh: Frames) -> None:
    assert len(zh["centres"]) == 2 and len(zh["teams"]) == 8
    assert _subset(zh["teams"].centre_id, zh["centres"].centre_id)
    assert _subset(zh["agents"].team_id, zh["teams"].team_id)
    assert set(zh["agents"].role) == set(AGENT_ROLES)
    assert set(zh["teams"].business_line) == {"ToC", "ToB"}
    assert zh["agents"].agent_id.is_unique


def test_contact_references(zh: Frames) -> None:
    inter = zh["interactions"]
    assert inter.interaction_id.is_unique
    for kind in ("utterances", "tickets", "surveys", "complaints", "kb_events"):
        assert _subset(zh[kind].interaction_id, inter.interaction_id), kind
    assert _subset(inter.ticket_id, zh["tickets"].ticket_id)
    assert _subset(zh["complaints"].ticket_id, zh["tickets"].ticket_id)
    for kind in ("interactions", "tickets", "kb_events", "agent_states", "schedules"):
        assert _subset(zh[kind].agent_id, zh["agents"].agent_id), kind
    agent_team = zh["agents"].set_index("agent_id").team_id
    handled = inter[inter.agent_id.notna()]
    assert (handled.agent_id.map(agent_team) == handled.team_id).all()


def test_agents_only_handle_contacts_while_employed(zh: Frames) -> None:
    agents = zh["agents"].set_index("agent_id")
    inter = zh["interactions"].dropna(subset=["agent_id"])
    day = inter.offered_at.dt.normalize()
    hired = pd.to_datetime(inter.agent_id.map(agents.hired_on))
    left = pd.to_datetime(inter.agent_id.map(agents.left_on)).fillna(pd.Timestamp("2100-01-01"))
    assert ((hired <= day) & (day <= left)).all()


def test_every_customer_row_has_an_identifier_and_identifiers_are_unique(zh: Frames) -> None:
    cust = zh["customers"]
    assert cust[list(IDENTITY_FIELDS)].notna().any(axis=1).all()
    for field in IDENTITY_FIELDS:
        assert cust[field].dropna().is_unique, field
    assert cust.customer_name.notna().all() and cust.customer_address.notna().all()
    assert set(cust.segment) == {"VIP", "regular", "new", "potential"}
    for kind in ("interactions", "tickets", "surveys", "complaints", "orders"):
        assert zh[kind][list(IDENTITY_FIELDS)].notna().any(axis=1).all(), kind


def test_identities_are_spread_over_channels_and_linked_on_some_rows(zh: Frames) -> None:
    inter = zh["interactions"]
    by_channel = inter.groupby("channel")[list(IDENTITY_FIELDS)].apply(lambda g: g.notna().mean())
    assert by_channel.loc["phone", "customer_phone"] == 1.0
    assert by_channel.loc["email", "customer_email"] == 1.0
    assert by_channel.loc["chat", "customer_wechat"] > 0.4
    assert by_channel.loc["social", "customer_social_handle"] > 0.2
    two = inter[list(IDENTITY_FIELDS)].notna().sum(axis=1) >= 2
    assert 0.1 < two.mean() < 0.4


def test_interaction_domains_and_timing(zh: Frames) -> None:
    inter = zh["interactions"]
    assert set(inter.channel) <= set(CHANNELS) and inter.channel.nunique() == 7
    assert set(inter.direction) == {"inbound", "outbound"}
    abandoned = inter.abandoned == "true"
    assert 0.01 < abandoned.mean() < 0.08
    assert inter.answered_at.isna().equals(abandoned)
    assert (inter.answered_at.dropna() >= inter.offered_at[~abandoned]).all()
    assert (inter.ended_at >= inter.answered_at.fillna(inter.offered_at)).all()
    for col in ("talk_seconds", "hold_seconds", "acw_seconds", "transfers"):
        assert (inter[col].astype(float) >= 0).all(), col
    online = inter.channel.isin(["chat", "social"]) & ~abandoned & (inter.direction == "inbound")
    assert inter.first_response_seconds[online].notna().all()
    assert inter.first_response_seconds[inter.channel == "phone"].isna().all()
    bot = inter[inter.channel == "bot"]
    assert (bot.handled_by_bot == "true").mean() > 0.6 and (bot.escalated == "true").any()
    assert bot.agent_id[bot.handled_by_bot == "true"].isna().all()


def test_utterances_fit_their_interactions(zh: Frames) -> None:
    utt, inter = zh["utterances"], zh["interactions"].set_index("interaction_id")
    assert set(utt.speaker) == set(SPEAKERS)
    assert not utt.duplicated(["interaction_id", "seq"]).any()
    seq = utt.seq.astype(int)
    assert (seq.groupby(utt.interaction_id).max() == utt.groupby("interaction_id").size()).all()
    offset = utt.offset_seconds.astype(float)
    assert (offset >= 0).all()
    offered, ended = utt.interaction_id.map(inter.offered_at), utt.interaction_id.map(inter.ended_at)
    assert ((utt.spoken_at >= offered) & (utt.spoken_at <= ended)).all()
    assert (utt.spoken_at == offered + pd.to_timedelta(offset.astype(int), unit="s")).all()
    abandoned = inter.index[inter.abandoned == "true"]
    assert not utt.interaction_id.isin(abandoned).any()
    turns = utt.groupby("interaction_id").size()
    channel = turns.index.map(inter.channel)
    assert turns[channel == "phone"].between(6, 30).all() and turns[channel == "phone"].mean() > 10
    assert turns[channel == "chat"].between(4, 20).all()
    assert turns[channel == "email"].between(2, 6).all()


def test_outcome_domains(zh: Frames) -> None:
    surveys = zh["surveys"]
    answered = surveys[surveys.answered_at.notna()]
    assert answered.csat.astype(float).between(1, 5).all()
    assert answered.nps.astype(float).between(0, 10).all()
    assert answered.ces.astype(float).between(1, 7).all()
    unanswered = surveys[surveys.answered_at.isna()]
    assert len(unanswered) > 0 and unanswered[["csat", "nps", "ces", "comment"]].isna().all().all()
    tickets = zh["tickets"]
    assert set(tickets.priority) == set(PRIORITIES)
    assert (tickets.first_response_at >= tickets.created_at).all()
    assert (tickets.resolved_at.dropna() >= tickets.created_at[tickets.resolved_at.notna()]).all()
    filled, total = tickets.mandatory_fields_filled.astype(int), tickets.mandatory_fields_total.astype(int)
    assert (filled <= total).all() and (filled < total).any()
    assert (tickets.reopen_count.astype(int) > 0).any()
    assert set(zh["orders"].status) == set(ORDER_STATUSES)
    assert (zh["orders"].amount.astype(float) > 0).all()
    assert set(zh["kb_events"].event) == set(KB_EVENTS)
    assert zh["complaints"].category.nunique() >= 8


def test_agent_states_follow_the_schedules(zh: Frames) -> None:
    states, sched = zh["agent_states"], zh["schedules"]
    assert set(states.state) == set(AGENT_STATES)
    assert set(sched.activity) == {"work", "break", "meeting", "training"}
    closed = states.ended_at.notna()
    assert (states.ended_at[closed] >= states.started_at[closed]).all()
    assert states.ended_at[~closed].index.equals(states.index[states.state == "offline"])
    shifts = sched.groupby(["agent_id", sched.starts_at.dt.date]).agg(
        start=("starts_at", "min"), end=("ends_at", "max")
    )
    keyed = shifts.reindex(list(zip(states.agent_id, states.started_at.dt.date, strict=True)))
    assert keyed.start.notna().all()
    slack = pd.Timedelta(minutes=40)
    assert (states.started_at.values >= (keyed.start - slack).values).all()
    assert (states.started_at.values <= (keyed.end + slack).values).all()
