"""``tracklog users``: create, list and delete users, set passwords, grant permissions."""

from __future__ import annotations

import sys

import click

from tracklog.cli import output
from tracklog.cli.auth_db import open_auth
from tracklog.cli.state import CliState, pass_state


@click.group("users")
def users() -> None:
    """Manage the users of 'tracklog server --auth' (in the --uri database)."""


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; only the line break is dropped, so a password may hold spaces.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May do everything, on every project.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="Sign in with tokens only.")
@pass_state
def create(
    state: CliState, name: str, admin: bool, password_stdin: bool, no_password: bool
) -> None:
    """Create user NAME (prompts for a password unless told otherwise)."""
    if no_password and password_stdin:
        raise click.UsageError("--no-password and --password-stdin exclude each other")
    password = None if no_password else _read_password(password_stdin)
    with open_auth(state) as auth:
        auth.create_user(name, password, admin=admin)
    click.echo(f"created user {name!r}" + (" (admin)" if admin else ""))


@users.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_state
def set_password(state: CliState, name: str, password_stdin: bool) -> None:
    """Replace the password of user NAME."""
    with open_auth(state) as auth:
        auth.get_user(name)  # an unknown name fails before the prompt
        auth.set_password(name, _read_password(password_stdin))
    click.echo(f"password of {name!r} changed")


@users.command("ls")
@click.option("--json", "as_json", is_flag=True, help="Print users as JSON lines.")
@pass_state
def ls(state: CliState, as_json: bool) -> None:
    """List users with their permissions."""
    with open_auth(state) as auth:
        found = auth.users()
        grants = auth.grants()
    held: dict[str, list[str]] = {}
    for g in grants:
        held.setdefault(g.user, []).append(f"{g.project}:{g.permission}")
    if as_json:
        for u in found:
            output.echo_json(
                {
                    "name": u.name,
                    "admin": u.is_admin,
                    "created_at": u.created_at,
                    "permissions": held.get(u.name, []),
                }
            )
        return
    if not found:
        click.echo("no users yet", err=True)
        return
    t = output.table("name", "admin", "created", "permissions")
    for u in found:
        perms = ", ".join(held.get(u.name, [])) or output.MISSING
        t.add_row(*output.cells(u.name, u.is_admin, output.fmt_time(u.created_at), perms))
    output.console().print(t)


@users.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Delete user NAME with their tokens and permissions (their runs stay)."""
    with open_auth(state) as auth:
        auth.delete_user(name)
    click.echo(f"deleted user {name!r}")


@users.command("grant")
@click.argument("name")
@click.argument("project")
@click.argument("permission", metavar="READ|EDIT|MANAGE")
@pass_state
def grant(state: CliState, name: str, project: str, permission: str) -> None:
    """Give user NAME a permission on PROJECT (replacing the one they had)."""
    with open_auth(state) as auth:
        auth.grant(name, project, permission)
    click.echo(f"{name!r} has {permission.upper()} on project {project!r}")


@users.command("revoke")
@click.argument("name")
@click.argument("project")
@pass_state
def revoke(state: CliState, name: str, project: str) -> None:
    """Take away user NAME's permission on PROJECT."""
    with open_auth(state) as auth:
        auth.revoke(name, project)
    click.echo(f"{name!r} has no permission on project {project!r} any more")
