"""``csqm serve``: run the API with uvicorn on the configured store (registered by ``csqm.cli``)."""

from __future__ import annotations

from typing import cast

import click

from csqm.cli.context import AppContext, pass_app
from csqm.web.tables import ROLES


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port.")
@pass_app
def serve(app_ctx: AppContext, host: str, port: int) -> None:
    """Serve the console (/) and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json) until Ctrl-C.

    Behind an https proxy set CSQM_SECURE_COOKIES=1 (or send X-Forwarded-Proto) so the session cookie is Secure.
    """
    import uvicorn

    from csqm.metrics import rollup
    from csqm.web.app import create_app

    app = create_app(app_ctx.settings)
    built = rollup.ensure_built(app.state.csqm.store)
    if built is not None:
        click.echo(f"Built the KPI rollup ({built.rows:,} rows) in {built.seconds:.1f} s.")
    click.echo(f"CSQM console on http://{host}:{port}/ and API on http://{host}:{port}/api/v1")
    uvicorn.run(app, host=host, port=port, log_level="info")


@click.group("users")
def users() -> None:
    """Manage console and API users.

    Roles: admin, quality_manager, team_lead, agent, auditor, test_call_manager, tester.
    """


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(list(ROLES)), help="What the user may see.")
@click.option("--team-id", help="Team of a team lead (they see only this team).")
@click.option("--agent-id", help="Agent id of an agent (they see only their own conversations).")
@click.option("--password", "with_password", is_flag=True, help="Also generate a console password and print it once.")
@pass_app
def add_user(
    app_ctx: AppContext, username: str, role: str, team_id: str | None, agent_id: str | None, with_password: bool
) -> None:
    """Create USERNAME and print their first API token (shown once; only its hash is stored)."""
    from csqm.web.auth import Role, create_user_with_token
    from csqm.web.tables import ensure_tables

    store = app_ctx.store()
    ensure_tables(store)
    user, token = create_user_with_token(
        store,
        username=username,
        role=cast(Role, role),
        team_id=team_id,
        agent_id=agent_id,
    )
    click.echo(f"Created {user.username} ({role}). API token, shown only now:")
    click.echo(token)
    if with_password:
        from csqm.web.auth import set_password

        click.echo(f"Console password, shown only now: {set_password(store, username=username)}")


@users.command("password")
@click.argument("username")
@pass_app
def password_command(app_ctx: AppContext, username: str) -> None:
    """Give USERNAME a new generated console password, printed once (their sessions stay valid until logout)."""
    from csqm.web.auth import record_audit, set_password
    from csqm.web.tables import ensure_tables

    store = app_ctx.store()
    ensure_tables(store)
    password = set_password(store, username=username)
    record_audit(store, username=None, action="password_reset", target=username, outcome="allowed", detail="CLI.")
    click.echo(f"New console password for {username}, shown only now: {password}")


@users.command("list")
@pass_app
def list_command(app_ctx: AppContext) -> None:
    """List users with their role, scope and whether they can log in to the console."""
    from csqm.store.rows import records
    from csqm.web.tables import ensure_tables

    store = app_ctx.store()
    ensure_tables(store)
    frame = store.query(
        'SELECT "username", "role", "team_id", "agent_id", "active", "password_hash" IS NOT NULL AS console '
        'FROM "web_users" ORDER BY "username"'
    )
    for row in records(frame):
        scope = str(row["team_id"] or row["agent_id"] or "-")
        state = "active" if row["active"] else "disabled"
        console = "yes" if row["console"] else "no"
        click.echo(f"{row['username']}\t{row['role']}\t{scope}\t{state}\tconsole={console}")


@users.command("disable")
@click.argument("username")
@pass_app
def disable_command(app_ctx: AppContext, username: str) -> None:
    """Disable USERNAME: their tokens and sessions stop working at once."""
    from csqm.errors import ConfigError
    from csqm.web.auth import forget_tokens, record_audit
    from csqm.web.tables import ensure_tables

    store = app_ctx.store()
    ensure_tables(store)
    if not store.execute('UPDATE "web_users" SET "active" = false WHERE "username" = ?', (username,)):
        raise ConfigError(f"There is no user {username!r}.")
    forget_tokens(username)
    record_audit(store, username=None, action="user_disable", target=username, outcome="allowed", detail="CLI.")
    click.echo(f"Disabled {username}.")
