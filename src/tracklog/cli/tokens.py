"""``tracklog tokens``: create, list and revoke API tokens."""

from __future__ import annotations

import click

from tracklog.cli import output
from tracklog.cli.auth_db import open_auth
from tracklog.cli.state import CliState, pass_state


@click.group("tokens")
def tokens() -> None:
    """Manage API tokens for 'tracklog server --auth' (in the --uri database)."""


@tokens.command("create")
@click.option("--user", "user", required=True, help="The user the token acts as.")
@click.option("--name", "label", help="A label to tell tokens apart.")
@click.option(
    "--expires",
    metavar="WHEN",
    help="Refuse the token from then on: a duration (90d, 12h, 30m, 2w) or an ISO date "
    "(2027-03-01, UTC) [default: never].",
)
@pass_state
def create(state: CliState, user: str, label: str | None, expires: str | None) -> None:
    """Create a token and print its secret: the only time it is shown."""
    from tracklog.store.auth import parse_expiry  # argon2 and SQLAlchemy: only when used
    from tracklog.store.clock import now_ms

    expires_at = None if expires is None else parse_expiry(expires, now_ms())
    with open_auth(state) as auth:
        new = auth.create_token(user, label, expires_at=expires_at)
    # The secret alone on stdout, so TOKEN=$(tracklog tokens create ...) works.
    click.echo(new.secret)
    until = "" if expires_at is None else f", expires on {output.fmt_time(expires_at)}"
    click.echo(
        f"token {new.info.id} for {user!r}{until}: keep the secret now, it cannot be shown again",
        err=True,
    )


@tokens.command("ls")
@click.option("--user", "user", help="Only this user's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print tokens as JSON lines.")
@pass_state
def ls(state: CliState, user: str | None, as_json: bool) -> None:
    """List tokens (never their secrets), revoked ones included."""
    with open_auth(state) as auth:
        found = auth.tokens(user)
    if as_json:
        for tok in found:
            output.echo_json(tok)
        return
    if not found:
        click.echo("no tokens", err=True)
        return
    t = output.table("id", "user", "name", "created", "last used", "revoked", "expires")
    for tok in found:
        t.add_row(
            *output.cells(
                tok.id,
                tok.user,
                tok.name,
                output.fmt_time(tok.created_at),
                output.fmt_time(tok.last_used_at),
                output.fmt_time(tok.revoked_at),
                output.fmt_time(tok.expires_at),
            )
        )
    output.console().print(t)


@tokens.command("revoke")
@click.argument("token_id", metavar="ID", type=int)
@pass_state
def revoke(state: CliState, token_id: int) -> None:
    """Revoke token ID for good."""
    with open_auth(state) as auth:
        auth.revoke_token(token_id)
    click.echo(f"token {token_id} revoked")
