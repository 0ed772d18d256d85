"""``corral login``: store credentials for a hub."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from corral.cli.output import cli_errors, out
from corral.client import config

if TYPE_CHECKING:
    from corral.client.http import HubClient


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
