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
    """Serve the REST API (/api/v1, OpenAPI at /api/v1/openapi.json) until Ctrl-C."""
    import uvicorn

    from csqm.web.app import create_app

    app = create_app(app_ctx.settings)
    click.echo(f"CSQM API on http://{host}:{port}/api/v1 (schema: /api/v1/openapi.json)")
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
@pass_app
def add_user(app_ctx: AppContext, username: str, role: str, team_id: str | None, agent_id: str | None) -> None:
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
