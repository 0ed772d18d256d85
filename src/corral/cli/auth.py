"""``corral login``, ``corral user ...`` and ``corral key ...``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from corral.cli.output import cli_errors, out, print_table, render
from corral.client import config

if TYPE_CHECKING:
    from corral.client.http import HubClient

user_app = typer.Typer(help="Manage users (admins).", no_args_is_help=True)
key_app = typer.Typer(help="Manage your API keys.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _hub(creds: config.HubCredentials | None = None) -> HubClient:
    """A client of the hub (imported here: ``corral server`` needs no HTTP client)."""
    from corral.client.http import HubClient

    return HubClient(creds) if creds else HubClient.from_config()


def login(
    url: Annotated[str, typer.Option(help="The hub's URL.", prompt="Hub URL")] = config.DEFAULT_URL,
    access_key: Annotated[str, typer.Option(help="API access key.", prompt=True)] = "",
    secret_key: Annotated[
        str, typer.Option(help="API secret key.", prompt=True, hide_input=True)
    ] = "",
) -> None:
    """Store credentials for a hub (e.g. on another machine) in the client config file.

    Create a key on the hub with `corral key create` or in the web UI. The
    credentials are checked against the hub before they are saved.
    """
    creds = config.HubCredentials(url=url.rstrip("/"), access_key=access_key, secret_key=secret_key)
    with cli_errors(), _hub(creds) as client:
        me = client.users.me()
    path = config.save(creds)
    out.print(f"Logged in to {creds.url} as [bold]{me['name']}[/]; credentials saved in {path}")


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """List users."""
    with cli_errors(), _hub() as client:
        users = client.users.list()
    render(
        users, as_json, lambda rows: print_table(rows, ["id", "name", "role", "active", "email"])
    )


@user_app.command("create")
def user_create(
    name: str,
    password: Annotated[
        str | None, typer.Option(help="Password for the web UI (8+ characters).")
    ] = None,
    role: Annotated[str, typer.Option(help="admin or user.")] = "user",
    email: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (admins only)."""
    with cli_errors(), _hub() as client:
        user = client.users.create(name, password=password, role=role, email=email)
    render(user, as_json, lambda u: out.print(f"created user {u['name']} ({u['id']}, {u['role']})"))


@user_app.command("deactivate")
def user_deactivate(user: Annotated[str, typer.Argument(help="User id or name.")]) -> None:
    """Deactivate a user: their keys and sessions stop working (admins only)."""
    with cli_errors(), _hub() as client:
        u = client.users.delete(user)
    out.print(f"deactivated user {u['name']}")


@key_app.command("list")
def key_list(
    all_users: Annotated[bool, typer.Option("--all", help="Every user's keys (admins).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List API keys (secrets are never shown again)."""
    with cli_errors(), _hub() as client:
        keys = client.keys.list(all_users=all_users)
    render(
        keys,
        as_json,
        lambda rows: print_table(
            rows,
            ["access_key", "label", "created_at", "last_used_at", "revoked_at"],
        ),
    )


@key_app.command("create")
def key_create(
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    user: Annotated[str | None, typer.Option(help="Create it for this user id (admins).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key pair. The secret is shown once."""
    with cli_errors(), _hub() as client:
        key = client.keys.create(label, user)

    def show(k: dict) -> None:
        out.print(f"access key: {k['access_key']}\nsecret key: {k['secret_key']}")
        out.print(
            "Store them now: the secret is not shown again. On another machine: `corral login`."
        )

    render(key, as_json, show)


@key_app.command("revoke")
def key_revoke(key: Annotated[str, typer.Argument(help="Key id or access key.")]) -> None:
    """Revoke an API key; requests with it fail from now on."""
    with cli_errors(), _hub() as client:
        k = client.keys.revoke(key)
    out.print(f"revoked {k['access_key']}")
