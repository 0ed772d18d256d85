"""``corral user ...``: people and service accounts (admins).

A user is named by id or name. A service account (``--service``) has no password:
it works with API keys (``corral key create --user NAME``), e.g. for an agent
(``--role worker``) or a script.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from corral.cli.client import fail, hub
from corral.cli.output import cli_errors, out, print_json

user_app = typer.Typer(
    help="Manage users and service accounts (admins): list, create, set, deactivate.",
    no_args_is_help=True,
)
UserArg = Annotated[str, typer.Argument(metavar="USER", help="The user's name (or id).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AllowIpOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-ip",
        metavar="CIDR",
        help="Allow only this network (10.0.0.0/8, 2001:db8::/32); repeat for several.",
    ),
]
RoleOpt = Annotated[
    str | None, typer.Option("--role", help="admin, user, or worker (an agent's account).")
]


def _teams(user: dict[str, Any]) -> str:
    return ", ".join(t["name"] for t in user.get("teams") or [])


@user_app.command("list")
def list_(as_json: JsonOpt = False) -> None:
    """List users (others' e-mail and role are shown to admins only).

    Example: corral user list
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        users = client.users.list()
    if as_json:
        print_json(users)
        return
    table = Table(box=None, header_style="bold")
    for column in ("name", "id", "kind", "role", "active", "email", "teams", "allowed ips"):
        table.add_column(column, overflow="fold")
    for u in users:
        table.add_row(
            u["name"],
            u["id"],
            u.get("kind") or "",
            u.get("role") or "",
            "yes" if u["active"] else "no",
            u.get("email") or "",
            _teams(dict(u)),
            ", ".join(u.get("allowed_ips") or []),
        )
    out.print(table)


@user_app.command("create")
def create(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Letters, digits and _.@-")],
    password: Annotated[
        str | None,
        typer.Option(help="A password for the web UI (12+ characters, not easy to guess)."),
    ] = None,
    service: Annotated[
        bool, typer.Option("--service", help="A service account: API keys only, no password.")
    ] = False,
    role: RoleOpt = None,
    email: Annotated[str | None, typer.Option(help="The user's e-mail address.")] = None,
    allow_ip: AllowIpOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user, or a service account for an agent or a script.

    Example: corral user create alice --password 'correct horse battery staple'

    Example: corral user create gpu-agent --service --role worker
    """
    if service and password:
        raise fail("a service account has no password; give it a key with `corral key create`")
    body: dict[str, Any] = {
        "kind": "service" if service else "person",
        "role": role or "user",
        "allowed_ips": allow_ip or [],
    }
    if password is not None:
        body["password"] = password
    if email is not None:
        body["email"] = email
    with cli_errors(), hub() as client:
        user = client.users.create(name, **body)
    if as_json:
        print_json(user)
        return
    kind = "service account" if user["kind"] == "service" else "user"
    out.print(f"created {kind} {user['name']} ({user['id']}, {user['role']})", highlight=False)
    if service:
        out.print(f"give it a key: corral key create --user {user['name']}", highlight=False)


@user_app.command("set")
def set_(
    user: UserArg,
    role: RoleOpt = None,
    email: Annotated[str | None, typer.Option(help="A new e-mail address.")] = None,
    password: Annotated[
        str | None,
        typer.Option(help="Reset the password (admins); the user's browser sessions end."),
    ] = None,
    allow_ip: AllowIpOpt = None,
    any_ip: Annotated[
        bool, typer.Option("--any-ip", help="Remove the user's network allowlist.")
    ] = False,
    activate: Annotated[
        bool, typer.Option("--activate", help="Make a deactivated user active again.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Change a user: role, e-mail, password, network allowlist (admins; users: own e-mail).

    Example: corral user set alice --role admin --allow-ip 10.1.0.0/16
    """
    if allow_ip and any_ip:
        raise fail("give either --allow-ip or --any-ip, not both")
    fields: dict[str, Any] = {}
    if role is not None:
        fields["role"] = role
    if email is not None:
        fields["email"] = email
    if password is not None:
        fields["password"] = password
    if allow_ip:
        fields["allowed_ips"] = allow_ip
    if any_ip:
        fields["allowed_ips"] = []
    if activate:
        fields["active"] = True
    if not fields:
        raise fail("nothing to change: give --role, --email, --password, --allow-ip, --any-ip")
    with cli_errors(), hub() as client:
        changed = client.users.update(user, **fields)
    if as_json:
        print_json(changed)
        return
    out.print(f"updated user {changed['name']}", highlight=False)


@user_app.command("deactivate")
def deactivate(user: UserArg) -> None:
    """Deactivate a user: their sessions end and their keys stop working; their work stays.

    Example: corral user deactivate alice
    """
    with cli_errors(), hub() as client:
        gone = client.users.delete(user)
    out.print(f"deactivated user {gone['name']}", highlight=False)
