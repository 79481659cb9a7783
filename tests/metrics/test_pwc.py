"""Real data: the PwC call-centre case study, ingested with its profile.

Per agent, the catalogue's answer rate, resolution rate, average speed of answer, average talk time
and mean satisfaction must equal values computed here directly from the CSV with pandas.
"""

from __future__ import annotations

import pandas as pd
import pytest

from csqm.ingest import ingest_file
from csqm.metrics import compute_metrics
from csqm.settings import Settings
from csqm.store import Store
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def expected_per_agent() -> pd.DataFrame:
    calls = pd.read_csv(shared_data("pwc_callcenter", "calls.csv"))
    answered = calls[calls["Answered (Y/N)"] == "Y"]
    talk = pd.to_timedelta(answered["AvgTalkDuration"]).dt.total_seconds()
    by = answered.groupby("Agent")
    return pd.DataFrame(
        {
            "answer_rate": 100 * calls.groupby("Agent")["Answered (Y/N)"].apply(lambda s: (s == "Y").mean()),
            "resolution_rate": 100 * by["Resolved"].apply(lambda s: (s == "Y").mean()),
            "asa": by["Speed of answer in seconds"].mean(),
            "aht": talk.groupby(answered["Agent"]).mean(),
            "csat_mean": calls.groupby("Agent")["Satisfaction rating"].mean(),
        }
    )


def test_per_agent_kpis_match_the_spreadsheet(store: Store, settings: Settings) -> None:
    summary = ingest_file(shared_data("pwc_callcenter", "calls.csv"), store=store, settings=settings,
                          profile="pwc_callcenter")  # fmt: skip
    assert summary.kinds["interactions"].inserted == 5000
    expected = expected_per_agent()
    got = compute_metrics(store, list(expected.columns), by=["agent"])
    table = got.pivot(index="agent", columns="metric", values="value")[list(expected.columns)]
    assert sorted(table.index) == sorted(expected.index) and len(table) == 8
    pd.testing.assert_frame_equal(table.sort_index(), expected.sort_index(), check_names=False, rtol=1e-9)
    # the per-agent numbers are not all alike (the comparison is not vacuous)
    assert table["asa"].nunique() == 8 and table["answer_rate"].between(75, 90).all()
