"""The ``tracklog`` command: the root group, its global ``--uri`` and error handling."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import click

from tracklog._version import __version__
from tracklog.cli.db import db
from tracklog.cli.demo import demo
from tracklog.cli.gc import gc
from tracklog.cli.importers import import_group
from tracklog.cli.login import login
from tracklog.cli.output import error_line, print_error
from tracklog.cli.projects import projects
from tracklog.cli.runs import runs
from tracklog.cli.server import server
from tracklog.cli.state import CliState
from tracklog.cli.sweeps import agent, sweep
from tracklog.cli.sync import sync
from tracklog.cli.tokens import tokens
from tracklog.cli.ui import ui
from tracklog.cli.users import users
from tracklog.errors import TracklogError

# Raised for a group called without a command (click 8.2+); its message is the whole help.
_HELP_ERRORS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class TracklogGroup(click.Group):
    """The root group; every error of every command ends here as one ``error:`` line."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except _HELP_ERRORS as exc:
            exc.show()
            code = exc.exit_code
        except click.UsageError as exc:
            print_error(_misplaced(exc) or _with_help_hint(exc))
            code = exc.exit_code
        except click.ClickException as exc:
            print_error(error_line(exc))
            code = exc.exit_code
        except click.Abort:
            print_error("aborted")
            code = 1
        except TracklogError as exc:
            print_error(error_line(exc))
            code = 1
        sys.exit(code if isinstance(code, int) else 0)


@click.group(
    "tracklog", cls=TracklogGroup, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--uri",
    metavar="URI",
    help="Store: a folder, sqlite:///FILE, postgresql://... or a server's http(s)://HOST:PORT "
    "[default: $TRACKLOG_URI, else ./tracklog]",
)
@click.version_option(__version__, prog_name="tracklog")
@click.pass_context
def cli(ctx: click.Context, uri: str | None) -> None:
    """tracklog: a self-hosted experiment tracker."""
    state = CliState(uri)
    ctx.obj = state
    ctx.call_on_close(state.close)


for command in (
    runs,
    projects,
    sync,
    db,
    demo,
    server,
    ui,
    users,
    tokens,
    login,
    gc,
    import_group,
    sweep,
    agent,
):
    cli.add_command(command)


def _with_help_hint(exc: click.UsageError) -> str:
    hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
    return error_line(exc) + hint


def _misplaced(exc: click.UsageError) -> str | None:
    """For an option of ``tracklog`` itself given after a command (``tracklog runs ls --uri
    X``), where it belongs; None for other errors."""
    if not isinstance(exc, click.NoSuchOption) or exc.ctx is None or exc.ctx.parent is None:
        return None
    root = exc.ctx.find_root()
    if not any(exc.option_name in p.opts for p in root.command.params):
        return None
    path = exc.ctx.command_path.split(" ", 1)[1]
    return (
        f"{exc.option_name} is an option of 'tracklog' itself: put it before the command, "
        f"as in 'tracklog {exc.option_name} ... {path}'"
    )


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="tracklog")
