"""``tracklog login``: save a server's token for the SDK, the CLI and ``Api`` (``wandb login``
habits: the token as an argument, ``--host``, ``--relogin``)."""

from __future__ import annotations

import click

from tracklog.cli.state import CliState, pass_state


@click.command("login")
@click.argument("key", required=False)
@click.option("--key", "key_option", metavar="TOKEN", help="The token (or give it as KEY).")
@click.option(
    "--host",
    metavar="URL",
    help="The server, http(s)://HOST:PORT [default: --uri or $TRACKLOG_URI, if a server].",
)
@click.option("--relogin", is_flag=True, help="Ask for a token even if one is saved.")
@click.option("--verify", is_flag=True, help="Check the token with the server before saving.")
@pass_state
def login(
    state: CliState,
    key: str | None,
    key_option: str | None,
    host: str | None,
    relogin: bool,
    verify: bool,
) -> None:
    """Save a token for a tracklog server in the user's credentials file
    ($XDG_CONFIG_HOME/tracklog/credentials.json, mode 0600); used when $TRACKLOG_TOKEN is
    not set. Without a token one is asked for."""
    from tracklog.client import credentials
    from tracklog.sdk.login import check_token
    from tracklog.store.location import is_server_uri

    url = host or state.uri
    if not is_server_uri(url):
        raise click.UsageError("give --host http(s)://HOST:PORT (a local store needs no login)")
    credentials.host_key(url)
    token = key_option or key
    if token is None:
        if credentials.token_for(url) and not relogin:
            click.echo(f"a token for {url} is saved already (--relogin to replace it)", err=True)
            return
        token = click.prompt(f"token for {url}", hide_input=True).strip()
    if verify:
        check_token(url, token)
    saved = credentials.save(url, token)
    click.echo(f"saved the token for {credentials.host_key(url)} in {saved}", err=True)
