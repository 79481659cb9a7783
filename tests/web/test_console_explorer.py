"""The KPI explorer: chart and table from compute_kpis, scoped; CSV / XLSX exports audited."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

from tests.web.conftest import Console

QUERY = {"metrics": "answer_rate", "by": "team", "from": "2026-01-05", "to": "2026-01-08"}


def _chart(page: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)
    assert found, "no chart data"
    data: dict[str, object] = json.loads(found.group(1))
    return data


def test_explorer_form_lists_metrics_and_dimensions(console: Console) -> None:
    console.login("admin")
    page = console.get("/explorer", lang="en").text
    assert 'value="answer_rate"' in page and 'value="qa_score_avg"' in page
    assert 'name="by" value="channel"' in page
    assert 'id="chart"' not in page  # nothing asked yet


def test_bars_by_team_with_values_against_target(console: Console) -> None:
    console.login("admin")
    page = console.get("/explorer", **QUERY).text
    chart = _chart(page)
    assert chart["kind"] == "bar" and chart["x"] == ["T1", "T2"]
    assert chart["series"] == [{"name": "接通率", "axis": 0, "data": [75.0, 100.0]}]  # 3/4 and 2/2
    assert 'href="/catalogue/metrics/answer_rate"' in page  # definition one click away
    assert page.count('<span class="status missed">') == 1 and page.count('<span class="status met">') == 1


def test_lines_over_days_and_two_units_get_two_axes(console: Console) -> None:
    console.login("admin")
    page = console.get(
        "/explorer", metrics=["answer_rate", "aht"], grain="day", **{"from": "2026-01-05", "to": "2026-01-08"}
    )
    chart = _chart(page.text)
    assert chart["kind"] == "line"
    assert chart["x"] == ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08"]
    assert chart["units"] == ["%", "s"]
    by_name = {s["name"]: s for s in chart["series"]}  # type: ignore[attr-defined]
    # local days (UTC+8): 01-05 I1,I5 answered; 01-06 I2 answered, I3 not; 01-07 I4; 01-08 I6
    assert by_name["接通率"]["data"] == [100.0, 50.0, 100.0, 100.0]
    assert by_name["平均处理时长"]["axis"] == 1


def test_explorer_is_scoped(console: Console) -> None:
    console.login("team_lead")
    chart = _chart(console.get("/explorer", **QUERY).text)
    assert chart["x"] == ["T1"]
    assert chart["series"][0]["data"] == [75.0]  # type: ignore[index]


def test_bad_requests_explain_themselves(console: Console) -> None:
    console.login("admin")
    assert "Unknown metric &#39;nope&#39;" in console.get("/explorer", metrics="nope").text
    assert "Unknown dimension &#39;colour&#39;" in console.get("/explorer", metrics="answer_rate", by="colour").text
    assert console.get("/explorer/export.pdf", **QUERY).status_code == 400


def test_csv_export_is_excel_friendly_and_audited(console: Console) -> None:
    console.login("quality_manager")
    response = console.get("/explorer/export.csv", **QUERY)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["team"], float(r["value"]), r["status"]) for r in rows] == [("T1", 75.0, "bad"), ("T2", 100.0, "good")]
    assert [(u, o, t) for u, o, t in console.audit("export")] == [("u_quality_manager", "allowed", "csv")]


def test_xlsx_export(console: Console) -> None:
    console.login("admin")
    response = console.get("/explorer/export.xlsx", **QUERY)
    assert response.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(response.content))
    assert "xl/worksheets/sheet1.xml" in book.namelist()
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["metric", "name", "team", "value"]
    assert [(r[2], r[3]) for r in values[1:]] == [("T1", 75.0), ("T2", 100.0)]
    assert console.audit("export")[0][1:] == ("allowed", "xlsx")


def test_team_lead_export_keeps_to_their_team(console: Console) -> None:
    console.login("team_lead")
    text = console.get("/explorer/export.csv", **QUERY).content.decode("utf-8-sig")
    assert "T1" in text and "T2" not in text


def test_a_bad_filter_is_shown_not_a_crash(console: Console) -> None:
    console.login("admin")
    response = console.get("/explorer", metrics="answer_rate", where="colour=red")
    assert response.status_code == 200
    assert 'class="message error"' in response.text
