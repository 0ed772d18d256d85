"""``corral team ...``: groups of users that are members of projects as one (admins change them)."""

from __future__ import annotations

from typing import Annotated

import typer

from corral.cli.client import hub
from corral.cli.output import cli_errors, out, print_json

team_app = typer.Typer(
    help="Manage teams: list, show, create, delete, add and remove members.",
    no_args_is_help=True,
)
TeamArg = Annotated[str, typer.Argument(metavar="TEAM", help="The team's name (or id).")]
UsersArg = Annotated[list[str], typer.Argument(metavar="USER...", help="User names (or ids).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@team_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List teams with their members.

    Example: corral team list
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        teams = client.teams.list()
    if as_json:
        print_json(teams)
        return
    table = Table(box=None, header_style="bold")
    for column in ("name", "id", "source", "members", "description"):
        table.add_column(column, overflow="fold")
    for t in teams:
        members = ", ".join(m["name"] for m in t["members"])
        table.add_row(t["name"], t["id"], t["source"], members, t["description"])
    out.print(table)


@team_app.command("show")
def show(team: TeamArg, as_json: JsonOpt = False) -> None:
    """Show a team and its members.

    Example: corral team show vision
    """
    with cli_errors(), hub() as client:
        t = client.teams.get(team)
    if as_json:
        print_json(t)
        return
    members = ", ".join(m["name"] for m in t["members"]) or "none"
    out.print(f"{t['name']} ({t['id']}, {t['source']}): {members}", highlight=False)
    if t["description"]:
        out.print(t["description"], highlight=False)


@team_app.command("create")
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The new team's name.")],
    description: Annotated[str, typer.Option(help="What the team is.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Create a team (admins); add people with `corral team add`.

    Example: corral team create vision --description "the vision group"
    """
    with cli_errors(), hub() as client:
        t = client.teams.create(name, description)
    if as_json:
        print_json(t)
        return
    out.print(f"created team {t['name']} ({t['id']})", highlight=False)


@team_app.command("delete")
def delete(team: TeamArg) -> None:
    """Delete a team (admins): its members lose the project roles it gave them.

    Example: corral team delete vision
    """
    with cli_errors(), hub() as client:
        client.teams.delete(team)
    out.print(f"deleted team {team}", highlight=False)


@team_app.command("add")
def add(team: TeamArg, users: UsersArg) -> None:
    """Put users in a team (admins).

    Example: corral team add vision alice bob
    """
    with cli_errors(), hub() as client:
        t = None
        for user in users:
            t = client.teams.add(team, user)
    if t is not None:
        members = ", ".join(m["name"] for m in t["members"])
        out.print(f"team {t['name']}: {members}", highlight=False)


@team_app.command("remove")
def remove(team: TeamArg, users: UsersArg) -> None:
    """Take users out of a team (admins).

    Example: corral team remove vision bob
    """
    with cli_errors(), hub() as client:
        t = None
        for user in users:
            t = client.teams.remove(team, user)
    if t is not None:
        members = ", ".join(m["name"] for m in t["members"]) or "no members"
        out.print(f"team {t['name']}: {members}", highlight=False)
