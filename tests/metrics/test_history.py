"""Metric history (M7): versions with effective dates; each period uses the version in effect then."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from csqm.metrics import compute_metrics, default_catalogue
from csqm.metrics.history import history_frame, in_effect
from csqm.metrics.history import load as load_versions
from csqm.store import Store
from tests.metrics.helpers import d, load, ts, with_changes, with_params


def _calls(store: Store) -> None:
    rows = []
    for month in ("2026-02-10", "2026-03-10", "2026-04-10"):
        for n, wait in enumerate((10, 25)):
            at = ts(f"{month} 02:00")
            rows.append(
                {
                    "interaction_id": f"{month}-{n}",
                    "channel": "phone",
                    "direction": "inbound",
                    "offered_at": at,
                    "answered_at": at + timedelta(seconds=wait),
                    "abandoned": False,
                }
            )
    load(store, {"interactions": rows})


def monthly(store: Store, **kwargs: object) -> dict[date, tuple[float, int, float]]:
    frame = compute_metrics(
        store, ["service_level"], grain="month", start=d("2026-02-01"), end=d("2026-04-30"), **kwargs
    )  # type: ignore[arg-type]
    return {
        p.date(): (v, int(ver), t)
        for p, v, ver, t in zip(frame["period"], frame["value"], frame["version"], frame["target"], strict=True)
    }


def test_the_first_query_records_every_metric_once(store: Store) -> None:
    _calls(store)
    compute_metrics(store, ["service_level"], today=d("2026-03-01"))
    compute_metrics(store, ["service_level"], today=d("2026-03-02"))
    versions = load_versions(store)
    assert set(versions) == {m.id for m in default_catalogue().metrics.values()}
    assert {len(v) for v in versions.values()} == {1}
    assert versions["service_level"][0].effective_from == d("2026-03-01")


def test_a_new_target_applies_from_its_effective_date(store: Store) -> None:
    _calls(store)
    compute_metrics(store, ["service_level"], today=d("2026-03-01"))
    retarget = with_changes("service_level", target=85.0, warning=80.0, effective_from=d("2026-04-01"))
    got = monthly(store, catalogue=retarget, today=d("2026-03-20"))
    assert got == {
        d("2026-02-01"): (50.0, 1, 80.0),  # before the first version: the first version
        d("2026-03-01"): (50.0, 1, 80.0),
        d("2026-04-01"): (50.0, 2, 85.0),
    }
    history = history_frame(store, ["service_level"])
    assert history[["version", "effective_from", "target"]].values.tolist() == [
        [1, d("2026-03-01"), 80.0],
        [2, d("2026-04-01"), 85.0],
    ]


def test_a_new_definition_computes_old_periods_the_old_way(store: Store) -> None:
    _calls(store)
    compute_metrics(store, ["service_level"], today=d("2026-03-01"))
    redefine = with_params("service_level", {"threshold_seconds": 30})
    redefine = with_changes("service_level", redefine, effective_from=d("2026-04-01"))
    got = monthly(store, catalogue=redefine, today=d("2026-03-20"))
    assert got == {
        d("2026-02-01"): (50.0, 1, 80.0),  # 10 s in time, 25 s not (Y = 20)
        d("2026-03-01"): (50.0, 1, 80.0),
        d("2026-04-01"): (100.0, 2, 80.0),  # both within Y = 30
    }


def test_without_a_grain_the_version_at_the_start_of_the_range_applies(store: Store) -> None:
    _calls(store)
    compute_metrics(store, ["service_level"], today=d("2026-03-01"))
    retarget = with_changes("service_level", target=85.0, warning=80.0, effective_from=d("2026-04-01"))
    march = compute_metrics(store, ["service_level"], catalogue=retarget, start=d("2026-03-01"), end=d("2026-04-30"))
    april = compute_metrics(store, ["service_level"], catalogue=retarget, start=d("2026-04-01"), end=d("2026-04-30"))
    assert (march.at[0, "version"], march.at[0, "target"]) == (1, 80)
    assert (april.at[0, "version"], april.at[0, "target"]) == (2, 85)


def test_an_effective_date_not_after_the_last_version_means_today(store: Store) -> None:
    compute_metrics(store, ["aht"], today=d("2026-03-01"))
    changed = with_changes("aht", target=300.0, warning=400.0, effective_from=d("2026-01-01"))
    compute_metrics(store, ["aht"], catalogue=changed, today=d("2026-05-05"))
    versions = load_versions(store, ["aht"])["aht"]
    assert [(v.version, v.effective_from) for v in versions] == [(1, d("2026-03-01")), (2, d("2026-05-05"))]
    assert in_effect(versions, d("2026-05-04")).version == 1  # type: ignore[union-attr]


def test_history_can_be_switched_off(store: Store) -> None:
    frame = compute_metrics(store, ["aht"], record_history=False)
    assert frame.at[0, "version"] is None or frame["version"].isna().all()
    assert frame.at[0, "definition_hash"] == default_catalogue()["aht"].definition_hash()


@pytest.mark.parametrize("grain", ["week", "quarter"])
def test_a_version_starting_mid_period_applies_from_the_next_period(store: Store, grain: str) -> None:
    _calls(store)
    compute_metrics(store, ["service_level"], today=d("2026-02-01"))
    retarget = with_changes("service_level", target=85.0, warning=80.0, effective_from=d("2026-03-11"))
    frame = compute_metrics(
        store,
        ["service_level"],
        catalogue=retarget,
        grain=grain,
        start=d("2026-02-01"),
        end=d("2026-04-30"),
        today=d("2026-03-01"),
    )
    first_new = {"week": d("2026-03-16"), "quarter": d("2026-04-01")}[grain]
    for period, version in zip(frame["period"], frame["version"], strict=True):
        assert version == (2 if period.date() >= first_new else 1), (period, version)
