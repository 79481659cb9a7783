"""The planted problems of docs/demo-data.md are present with the documented magnitude."""

from __future__ import annotations

import pandas as pd

from csqm.generate.banks import texts
from tests.generate.signals import FORBIDDEN, NEGATIVE, Identities, handle_seconds, phrase_rate, repeat_rate, week_of

Frames = dict[str, pd.DataFrame]
START = pd.Timestamp("2026-01-05")
LAUNCH_WEEK = 4  # 2026-02-02 .. 2026-02-08


def _contacts(zh: Frames) -> pd.DataFrame:
    inter = zh["interactions"].copy()
    inter["week"] = week_of(inter.offered_at, START)
    inter["handle"] = handle_seconds(inter)
    return inter[inter.agent_id.notna()]


def test_1_forbidden_phrases_and_low_fcr_in_team_t05(zh: Frames, ids: Identities) -> None:
    rate = phrase_rate(zh, FORBIDDEN["zh"], "team_id")
    assert rate["T05"] > 0.3
    assert rate.drop("T05").max() < 0.03
    within_2h, within_24h = repeat_rate(zh, ids, 2), repeat_rate(zh, ids, 24)
    assert within_2h["T05"] > 0.15 and within_2h.drop("T05").max() < 0.1
    assert within_24h["T05"] > 0.28 and within_24h.drop("T05").max() < 0.2
    assert within_24h["T05"] > 2 * within_24h.drop("T05").max()


def test_2_logistics_complaints_concentrate_in_guangdong(zh: Frames) -> None:
    comp = zh["complaints"]
    share = (comp.category == "物流查询").groupby(comp.region).mean()
    counts = comp.region.value_counts()
    assert share["广东"] > 0.45
    others = comp[comp.region != "广东"]
    assert (others.category == "物流查询").mean() < 0.25
    assert share[counts[counts >= 10].index].idxmax() == "广东"


def test_3_launch_week_raises_handle_time_in_every_team(zh: Frames) -> None:
    inter = _contacts(zh)
    inter = inter[(inter.week - LAUNCH_WEEK).abs() <= 2]  # the launch week and the two weeks either side
    launch = inter.week == LAUNCH_WEEK
    by_team = inter.groupby(["team_id", launch]).handle.mean().unstack()
    assert (by_team[True] / by_team[False] > 1.1).all()
    assert inter.handle[launch].mean() / inter.handle[~launch].mean() > 1.2
    in_week = inter[launch]
    x3 = in_week["product"] == "智能手表 X3"
    assert in_week.handle[x3].mean() > 1.25 * in_week.handle[~x3].mean()
    assert 0.25 < x3.mean() < 0.45
    all_contacts = zh["interactions"]
    before = week_of(all_contacts.offered_at, START) < LAUNCH_WEEK
    assert not (all_contacts["product"][before] == "智能手表 X3").any()


def test_4_agent_a2003_degrades_week_by_week(zh: Frames) -> None:
    inter = _contacts(zh)
    mine = inter[inter.agent_id == "A2003"]
    early, late = mine[mine.week < 4], mine[mine.week >= 8]
    assert late.handle.mean() > 1.4 * early.handle.mean()
    surveys = zh["surveys"].merge(inter[["interaction_id", "agent_id", "week"]], on="interaction_id")
    surveys = surveys[surveys.agent_id == "A2003"].dropna(subset=["csat"])
    csat = surveys.csat.astype(float)
    assert csat[surveys.week < 4].mean() - csat[surveys.week >= 8].mean() > 1.0
    negative = phrase_rate(zh, NEGATIVE["zh"], "agent_id")
    assert negative["A2003"] > 0.12 and negative.drop("A2003").max() < 0.05
    negative_ids = _negative_ids(zh)
    early_neg, late_neg = early.interaction_id.isin(negative_ids).mean(), late.interaction_id.isin(negative_ids).mean()
    assert late_neg > 0.25 and late_neg > 2.5 * early_neg


def _negative_ids(zh: Frames) -> set[str]:
    utt = zh["utterances"]
    agent = utt[utt.speaker == "agent"]
    return set(agent[agent.text.str.contains("|".join(NEGATIVE["zh"]))].interaction_id)


def test_5_customers_churn_after_a_bad_experience(zh: Frames, ids: Identities) -> None:
    orders = zh["orders"].assign(cust=ids.key(zh["orders"]))
    surveys = zh["surveys"].assign(cust=ids.key(zh["surveys"]), csat=zh["surveys"].csat.astype(float))
    surveys = surveys.merge(zh["interactions"][["interaction_id", "offered_at"]], on="interaction_id")
    surveys = surveys[surveys.offered_at < pd.Timestamp("2026-03-01")]
    complained = surveys.interaction_id.isin(zh["complaints"].interaction_id)
    bad = surveys[complained & (surveys.csat == 1)].drop_duplicates("cust")
    good = surveys[surveys.csat >= 4].drop_duplicates("cust")
    bad_lost, n_bad = _lost_share(bad, orders)
    good_lost, n_good = _lost_share(good, orders)
    assert n_bad >= 15 and n_good >= 100
    assert bad_lost > 0.8 and good_lost < 0.7


def _lost_share(events: pd.DataFrame, orders: pd.DataFrame) -> tuple[float, int]:
    """Among customers with >= 2 orders in the 120 days before the event: share with no order in the
    28 days after it."""
    joined = events[["cust", "offered_at"]].merge(orders[["cust", "ordered_at"]], on="cust")
    delta = joined.ordered_at - joined.offered_at
    before = (delta < pd.Timedelta(0)) & (delta >= -pd.Timedelta(days=120))
    after = (delta >= pd.Timedelta(0)) & (delta < pd.Timedelta(days=28))
    per = pd.DataFrame({"cust": joined.cust, "before": before, "after": after}).groupby("cust").sum()
    loyal = per[per.before >= 2]
    return float((loyal.after == 0).mean()), len(loyal)


def test_6_pseudo_satisfied_customers(zh: Frames) -> None:
    surveys = zh["surveys"].dropna(subset=["csat"])
    high = surveys[surveys.csat.astype(float) >= 4]
    pseudo = high.comment.isin(texts("zh")["comments"]["pseudo"])
    assert 0.05 < pseudo.mean() < 0.11
    assert high.comment[pseudo].str.contains("没解决|太久|失望|还得|还没到", regex=True).all()
    low = surveys[surveys.csat.astype(float) <= 3]
    assert not low.comment.isin(texts("zh")["comments"]["pseudo"]).any()


def test_planted_problems_also_show_in_english(en: Frames) -> None:
    rate = phrase_rate(en, FORBIDDEN["en"], "team_id")
    assert rate.idxmax() == "T05" and rate["T05"] > 0.25
    comp = en["complaints"]
    share = (comp.category == "Delivery tracking").groupby(comp.region == "Guangdong").mean()
    assert share[True] > 2 * share[False]
