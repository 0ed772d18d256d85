"""``corral key ...``: API keys, with their scopes and last use.

A key may be limited: ``--read-only``, to some ``--project``s (and their
subprojects), to an ``--expires`` time, to some networks (``--allow-ip``). A key
is never wider than the rights of the credential that makes it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from corral.cli.client import ago, hub, project_names, when
from corral.cli.output import cli_errors, out, print_json
from corral.cli.timespec import at

key_app = typer.Typer(
    help="Manage API keys: list (with scopes and last use), create, revoke.",
    no_args_is_help=True,
)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _scope(key: dict[str, Any], names: dict[str, str]) -> str:
    parts = []
    if key.get("kind") == "task":
        parts.append(f"task {str(key.get('task_id') or '')[:12]}")
    if key.get("read_only"):
        parts.append("read-only")
    projects = key.get("projects") or []
    if projects:
        parts.append("projects " + ", ".join(names.get(p, p) for p in projects))
    if key.get("allowed_ips"):
        parts.append("from " + ", ".join(key["allowed_ips"]))
    return "; ".join(parts) or "full"


@key_app.command("list")
def list_(
    all_users: Annotated[bool, typer.Option("--all", help="Every user's keys (admins).")] = False,
    user: Annotated[
        str | None, typer.Option("--user", help="This user's keys (admins; name or id).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List API keys with their scope and last use (secrets are never shown again).

    Example: corral key list --all
    """
    from rich.table import Table

    with cli_errors(), hub() as client:
        keys = client.keys.list(all_users=all_users, user=user)
        if as_json:
            print_json(keys)
            return
        names = project_names(client) if any(k.get("projects") for k in keys) else {}
        users = {u["id"]: u["name"] for u in client.users.list()} if (all_users or user) else {}
    table = Table(box=None, header_style="bold")
    columns = ["access key", "label"] + (["user"] if users else []) + ["scope", "expires"]
    for column in [*columns, "last used", "from", "state"]:
        table.add_column(column, overflow="fold")
    for k in keys:
        state = f"revoked {ago(k['revoked_at'])}" if k.get("revoked_at") else "active"
        row = [k["access_key"], k["label"]]
        if users:
            row.append(users.get(k["user_id"], k["user_id"]))
        row += [
            _scope(dict(k), names),
            when(k.get("expires_at")),
            ago(k.get("last_used_at")) or "never",
            k.get("last_used_address") or "",
            state,
        ]
        table.add_row(*row)
    out.print(table)


@key_app.command("create")
def create(
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    user: Annotated[
        str | None, typer.Option(help="Make it for this user or service account (admins).")
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="The key may only read.")] = False,
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project",
            metavar="PROJECT",
            help="Limit the key to this project (name or id) and its subprojects; repeatable.",
        ),
    ] = None,
    expires: Annotated[
        str | None,
        typer.Option(metavar="WHEN", help="When the key stops working: 30d, 12h, or a date."),
    ] = None,
    allow_ip: Annotated[
        list[str] | None,
        typer.Option("--allow-ip", metavar="CIDR", help="Use only from this network; repeatable."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key pair. The secret is shown once.

    Example: corral key create --label dashboards --read-only --project vision --expires 30d
    """
    with cli_errors():
        expires_at = at(expires).isoformat() if expires else None
        with hub() as client:
            key = client.keys.create(
                label,
                user,
                read_only=read_only,
                projects=project or [],
                expires_at=expires_at,
                allowed_ips=allow_ip or [],
            )
    if as_json:
        print_json(key)
        return
    out.print(f"access key: {key['access_key']}\nsecret key: {key['secret_key']}", highlight=False)
    if key.get("expires_at"):
        out.print(f"expires: {when(key['expires_at'])}", highlight=False)
    out.print("Store them now: the secret is not shown again. On another machine: `corral login`.")


@key_app.command("revoke")
def revoke(key: Annotated[str, typer.Argument(help="Key id or access key.")]) -> None:
    """Revoke an API key; requests and open streams with it end at once.

    Example: corral key revoke CK3F2A...
    """
    with cli_errors(), hub() as client:
        k = client.keys.revoke(key)
    out.print(f"revoked {k['access_key']}", highlight=False)
