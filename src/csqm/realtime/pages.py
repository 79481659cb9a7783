"""Console pages of this capability, mounted by the console's page router.

``GET /realtime/board``: the live board. Alerts arrive over server-sent events
(``/api/v1/alerts/stream``), can be acknowledged in place, and the live queue KPIs
(``/api/v1/queues/live``) refresh every five seconds. The page itself holds no data: it reads the
API with the token given as ``?token=`` (kept in the browser's session storage) or the console's.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()

_PAGE = """<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>实时监控 Live board · CSQM</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:1.5rem;color:#1d2430}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #dde;padding:.35rem .5rem;text-align:left}
.critical{background:#fde8e8}.warning{background:#fff6dc}.acked{opacity:.55}
.bad{color:#b42318;font-weight:600}#status{font-size:.85rem;color:#667}
button{cursor:pointer}
</style></head><body>
<h1>实时监控 Live board</h1><div id="status">connecting…</div>
<h2>队列实时指标 Live queue KPIs (last 15 min)</h2>
<table><thead><tr><th>level</th><th>queue / team</th><th>offered</th><th>answered</th><th>abandoned</th>
<th>waiting</th><th>服务水平 SL %</th><th>30 s 接通 %</th><th>放弃率 %</th></tr></thead>
<tbody id="kpis"></tbody></table>
<h2>预警 Alerts</h2>
<table><thead><tr><th>time (UTC)</th><th>kind</th><th>subject</th><th>message</th><th>evidence</th><th></th></tr>
</thead><tbody id="alerts"></tbody></table>
<script>
const params = new URLSearchParams(location.search);
if (params.get("token")) sessionStorage.setItem("csqm_token", params.get("token"));
const token = sessionStorage.getItem("csqm_token") || "";
const auth = {headers: {"Authorization": "Bearer " + token}};
const api = "/api/v1";
function cell(row, text, cls) { const td = document.createElement("td"); td.textContent = text ?? "";
  if (cls) td.className = cls; row.appendChild(td); return td; }
function fmt(v) { return v === null || v === undefined ? "–" : Number(v).toFixed(1); }
async function kpis() {
  const r = await fetch(api + "/queues/live", auth); if (!r.ok) return;
  const body = await r.json(); const tb = document.getElementById("kpis"); tb.replaceChildren();
  for (const k of body.kpis) { const tr = document.createElement("tr");
    for (const v of [k.level, k.key, k.offered, k.answered, k.abandoned, k.waiting]) cell(tr, v);
    cell(tr, fmt(k.service_level)); cell(tr, fmt(k.answered_30s)); cell(tr, fmt(k.abandon_rate)); tb.appendChild(tr); }
}
async function ack(id, tr, btn) {
  const r = await fetch(api + "/alerts/" + encodeURIComponent(id) + "/ack", {method: "POST", ...auth});
  if (r.ok) { tr.classList.add("acked"); btn.remove(); }
}
const shown = new Set();
function show(a) {
  if (shown.has(a.alert_id)) return; shown.add(a.alert_id);
  const tr = document.createElement("tr"); tr.className = a.severity + (a.acknowledged_at ? " acked" : "");
  cell(tr, (a.created_at || "").replace("T", " ").slice(0, 19)); cell(tr, a.kind); cell(tr, a.subject_id);
  cell(tr, a.message); cell(tr, a.evidence);
  const td = cell(tr, "");
  if (!a.acknowledged_at) { const b = document.createElement("button"); b.textContent = "确认 Ack";
    b.onclick = () => ack(a.alert_id, tr, b); td.appendChild(b); }
  const tb = document.getElementById("alerts"); tb.insertBefore(tr, tb.firstChild);
}
async function start() {
  const r = await fetch(api + "/alerts?limit=50", auth);
  if (r.ok) { (await r.json()).alerts.reverse().forEach(show); }
  const es = new EventSource(api + "/alerts/stream?token=" + encodeURIComponent(token));
  const st = document.getElementById("status");
  es.addEventListener("alert", e => show(JSON.parse(e.data)));
  es.onopen = () => { st.textContent = "live"; }; es.onerror = () => { st.textContent = "reconnecting…"; };
  kpis(); setInterval(kpis, 5000);
}
start();
</script></body></html>
"""


@router.get("/realtime/board", response_class=HTMLResponse, include_in_schema=False)
def live_board() -> HTMLResponse:
    """The live board page."""
    return HTMLResponse(_PAGE)
