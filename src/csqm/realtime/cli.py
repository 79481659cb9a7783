"""``csqm realtime``: real-time ingress, workers and replay."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import click

from csqm.cli.context import AppContext, pass_app
from csqm.realtime.workers import DEFAULT_PARTITIONS, DEFAULT_PREFIX, DEFAULT_URL


@click.group("realtime")
def realtime() -> None:
    """Real-time monitoring: ingress server, NATS workers, alerts, replay.

    \b
    csqm realtime serve                       # API + live board + timers + webhook, one process
    csqm realtime worker --nats URL           # a NATS JetStream worker (several share the load)
    csqm realtime replay ./demo-out --speed 10 --token TOKEN   # demo conversations as live events
    csqm realtime check                       # validate the real-time settings
    """


@realtime.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help="Settings YAML.")
def check(config_path: Path | None) -> None:
    """Validate the real-time settings (CSQM_REALTIME_CONFIG or the shipped realtime.yaml) against the packs."""
    from csqm.inspection import load_packs
    from csqm.realtime.config import check_rules, load_config

    config = load_config(config_path)
    check_rules(config, load_packs(), config_path)
    click.echo(
        f"OK: {len(config.threat_words)} threat words, {len(config.realtime_rules)} real-time rules, "
        f"dedup window {config.dedup_window_seconds:g} s, chat SLA {config.sla.chat_first_reply_seconds:g} s."
    )


@realtime.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@click.option("--webhook-url", envvar="CSQM_ALERT_WEBHOOK_URL", help="POST every alert here (signed).")
@click.option(
    "--webhook-secret",
    envvar="CSQM_ALERT_WEBHOOK_SECRET",
    help="HMAC key of the signature (default: the store secret).",
)
@click.option("--interval", default=1.0, show_default=True, type=click.FloatRange(0.05, 60), help="Timer period, s.")
@click.option(
    "--store-threads",
    default=1,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads of the embedded store in this server: 1 runs the ingress's many small statements "
    "cheapest; raise it if this server also answers heavy console queries. Ignored on PostgreSQL.",
)
@pass_app
def serve(
    app_ctx: AppContext,
    host: str,
    port: int,
    webhook_url: str | None,
    webhook_secret: str | None,
    interval: float,
    store_threads: int,
) -> None:
    """Serve the API with the real-time ingress (POST /api/v1/events, WS /api/v1/events/ws), the live
    board (/realtime in the console), the SLA and queue timers and the webhook sender, until Ctrl-C."""
    import gc

    import uvicorn

    from csqm.realtime.runtime import Runtime
    from csqm.web.app import create_app

    app = create_app(app_ctx.settings)
    state = app.state.csqm
    runtime = Runtime(
        state,
        webhook_url=webhook_url or "",
        webhook_secret=webhook_secret.encode() if webhook_secret else None,
        interval=interval,
        store_threads=store_threads,
    )
    app.state.csqm_realtime = runtime
    runtime.freeze_seconds = 10.0
    runtime.processor.warm_up()  # the first requests do not pay for loading the matchers and models
    runtime.start()
    gc.collect()  # what was loaded so far lives as long as the server: out of the collector's way
    gc.freeze()
    click.echo(f"CSQM real time on http://{host}:{port}: POST /api/v1/events, live board /realtime")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        runtime.stop()


@realtime.command("worker")
@click.option("--nats", "url", default=DEFAULT_URL, show_default=True, envvar="CSQM_NATS_URL", help="NATS server.")
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True, help="Subject prefix (stream = upper-cased).")
@click.option("--batch", default=1024, show_default=True, type=click.IntRange(1, 10_000), help="Events per fetch.")
@click.option("--ack-wait", default=30.0, show_default=True, type=click.FloatRange(0.5), help="Redelivery after, s.")
@click.option("--idle-exit", type=click.FloatRange(0.1), help="Stop after this many seconds without events.")
@pass_app
def worker(app_ctx: AppContext, url: str, prefix: str, batch: int, ack_wait: float, idle_exit: float | None) -> None:
    """Process events from NATS JetStream until SIGTERM: one durable consumer per partition
    (<prefix>_p0 …, explicit acks after the commit), the partitions shared out over the live
    workers. Run several on a PostgreSQL store (CSQM_STORE_URL) to share the load; with the embedded
    DuckDB store run only one. See docs/realtime.md."""
    from csqm.realtime.engine import Processor
    from csqm.realtime.workers import Worker

    store = app_ctx.store()
    processor = Processor(store, settings=app_ctx.settings)
    stats = asyncio.run(
        Worker(processor, url=url, prefix=prefix, batch=batch, ack_wait=ack_wait).run(idle_exit=idle_exit)
    )
    click.echo(
        f"Worker stopped: {stats.accepted} events accepted, {stats.duplicates} duplicates, "
        f"{stats.rejected} rejected, {stats.alerts} alerts."
    )


@realtime.command("replay")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--url", default="http://127.0.0.1:8000/api/v1/events", show_default=True, help="Events endpoint.")
@click.option("--token", envvar="CSQM_TOKEN", help="API token of an admin or quality manager (or CSQM_TOKEN).")
@click.option("--nats", "nats_url", help="Publish to this NATS server instead of posting over HTTP.")
@click.option("--prefix", default=DEFAULT_PREFIX, show_default=True, help="NATS subject prefix.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(0.01), help="10 = ten times faster.")
@click.option("--every", default=2.0, show_default=True, type=click.FloatRange(0), help="Seconds between starts.")
@click.option("--limit", type=click.IntRange(1), help="Replay only this many conversations.")
@click.option("--id-prefix", default=None, help="Prefix for conversation ids (default: a fresh one per run).")
def replay_cmd(
    folder: Path,
    url: str,
    token: str | None,
    nats_url: str | None,
    prefix: str,
    speed: float,
    every: float,
    limit: int | None,
    id_prefix: str | None,
) -> None:
    """Stream the conversations of a generated FOLDER (csqm generate) as live events, in real time
    divided by --speed, so the live board and escalations can be watched."""
    from csqm.cli.progress import cumulative_bar
    from csqm.realtime.events import utcnow
    from csqm.realtime.replay import load_schedule, replay, stamped

    run = id_prefix if id_prefix is not None else f"R{os.getpid()}-"
    items = load_schedule(folder, every=every, prefix=run, limit=limit)
    if nats_url:
        from csqm.realtime.workers import publish

        async def go() -> int:
            import nats

            nc = await nats.connect(nats_url)
            try:
                js = nc.jetstream()
                from csqm.realtime.workers import ensure_stream

                await ensure_stream(js, prefix)
                began = asyncio.get_running_loop().time()
                sent = 0
                for delay, event in stamped(items, utcnow(), speed):
                    wait = delay - (asyncio.get_running_loop().time() - began)
                    if wait > 0:
                        await asyncio.sleep(wait)
                    sent += await publish(js, prefix, [event], DEFAULT_PARTITIONS)
                return sent
            finally:
                await nc.drain()

        click.echo(f"Published {asyncio.run(go())} events to {nats_url} ({prefix}.events.*).")
        return
    if not token:
        raise click.UsageError("Give --token (or CSQM_TOKEN): an API token of an admin or quality manager.")
    from csqm.realtime.replay import http_sender

    with cumulative_bar("replay events", len(items)) as progress:
        summary = replay(items, http_sender(url, token), speed=speed, progress=progress)
    click.echo(
        f"Replayed {summary.events} events in {summary.seconds:.1f} s: {summary.accepted} accepted, "
        f"{summary.errors} errors, {summary.alerts} alerts."
    )
