"""What `csqm demo` prints after loading: inspection results and where the planted problems show."""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path

from rich.table import Table

from csqm.cli.progress import console, cumulative_bar
from csqm.inspection import inspect
from csqm.settings import Settings
from csqm.store import Store

_BY_TEAM = """
SELECT i."team_id" AS team,
       count(*) AS conversations,
       avg(r."score") AS qa_score,
       avg(CASE WHEN EXISTS (SELECT 1 FROM "inspection_findings" f
                             WHERE f."interaction_id" = r."interaction_id" AND f."category" = 'forbidden')
           THEN 1.0 ELSE 0.0 END) AS forbidden_share
FROM "inspection_results" r JOIN "interactions" i ON i."interaction_id" = r."interaction_id"
WHERE r."score" IS NOT NULL AND i."team_id" IS NOT NULL
GROUP BY i."team_id" ORDER BY forbidden_share DESC, team
"""


def inspection_section(store: Store) -> None:
    """Inspect every conversation, then show the forbidden-phrase share per team (the QA KPIs appear
    with every other KPI in the catalogue summary)."""
    total = store.count("interactions")
    with cumulative_bar("inspect conversations", total) as report:
        summary = inspect(store, progress=report)
    console.print(
        f"Inspected {summary.inspected:,} conversations ({summary.up_to_date:,} already up to date): "
        f"{summary.findings:,} findings, {summary.fatal:,} fatal, in {summary.seconds:.1f} s"
    )
    teams = store.query(_BY_TEAM)
    table = Table(title="Forbidden phrases by team (禁用语, planted: team T05)")
    for name in ("team", "conversations", "QA score", "with forbidden phrases"):
        table.add_column(name, justify="left" if name == "team" else "right")
    for team, n, score, share in teams.itertuples(index=False):
        table.add_row(str(team), f"{int(n):,}", f"{float(score):.1f}", f"{float(share):.1%}")
    console.print(table)


def testcall_section(store: Store, *, seed: int) -> None:
    """A quarter's test-call plan, scheduled and executed (chat tasks by the robot against the FAQ bot)."""
    from csqm.testcalls import demo_programme

    counts = demo_programme(store, seed=seed)
    console.print(
        f"Plan {counts['plan_id']}: {counts['tasks']} tasks scheduled; {counts['robot']} run by the robot tester "
        f"against the FAQ bot, {counts['human']} recorded by testers; {counts['published']} results published."
    )
    console.print("Report: `csqm testcalls report`; console: /testcalls.")


def improvement_section(store: Store) -> None:
    """Findings from inspection, KPIs and test calls; one action and one training, verified by their metrics."""
    from csqm.improvement import demo_loop

    for line in demo_loop(store).summary():
        console.print(line)


def serve_console(
    settings: Settings, store: Store, *, host: str, port: int, replay_from: Path | None = None, speed: float = 10.0
) -> None:
    """Serve the console on the demo store until Ctrl-C, after printing its address and a login.

    The login is the first admin when the store has no user yet, otherwise the ``demo`` admin, whose
    password is replaced by a new one; either password is printed once and only its hash is stored.
    """
    import uvicorn

    from csqm.metrics import rollup
    from csqm.web import create_app
    from csqm.web.auth import demo_login
    from csqm.web.tables import ensure_tables

    ensure_tables(store)
    rollup.ensure_built(store)
    username, password = demo_login(store)
    app = create_app(settings, store=store)
    app.state.csqm_realtime_autostart = True  # the live board's timers and background inspection
    console.print(f"Console: [bold]http://{host}:{port}/[/bold]  (API: http://{host}:{port}/api/v1/docs)")
    console.print(f"Login:   [bold]{username}[/bold] / [bold]{password}[/bold]  (shown only now)")
    if replay_from is not None:
        from csqm.web.auth import issue_token

        token = issue_token(store, username=username, label="demo replay")
        url = f"http://{host}:{port}/api/v1/events"
        threading.Thread(target=_replay, args=(replay_from, url, token, speed), daemon=True).start()
        console.print(f"Replaying the demo conversations live at {speed:g}× speed: watch /realtime (实时看板).")
    console.print("Press Ctrl-C to stop.")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _replay(folder: Path, url: str, token: str, speed: float) -> None:
    """Stream ``folder``'s conversations to the console's event endpoint once it answers."""
    from csqm.realtime.replay import http_sender, load_schedule, replay

    health = url.replace("/api/v1/events", "/api/v1/openapi.json")
    for _ in range(100):
        try:
            with urllib.request.urlopen(health, timeout=1):
                break
        except OSError:
            time.sleep(0.1)
    items = load_schedule(folder, prefix=f"LIVE{int(time.time())}-")
    summary = replay(items, http_sender(url, token), speed=speed)
    console.print(
        f"Replay finished: {summary.accepted:,} events accepted, {summary.alerts:,} alerts, {summary.errors} errors."
    )
