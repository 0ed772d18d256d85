"""``corral audit``: the audit log (admins): who did what, when, from where."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.text import Text

from corral.cli.client import hub, when
from corral.cli.output import cli_errors, out, print_json
from corral.cli.timespec import at

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.client.types import AuditEntry

#: seconds between two looks for new entries with --follow
FOLLOW_EVERY = 2.0
_OUTCOME_STYLE = {"ok": "green", "denied": "red", "failed": "yellow"}


def _target(e: AuditEntry) -> str:
    if not e["target_type"]:
        return ""
    name = e["target_name"] or e["target_id"]
    return f"{e['target_type']} {name}"


def _detail(e: AuditEntry) -> str:
    return orjson.dumps(e["detail"]).decode() if e["detail"] else ""


def _print_table(entries: list[AuditEntry]) -> None:
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("time", "actor", "action", "target", "from", "outcome", "detail"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            when(e["time"]),
            e["actor_name"] or e["actor_id"] or "",
            e["action"],
            _target(e),
            e["address"] or "",
            Text(e["outcome"], style=_OUTCOME_STYLE.get(e["outcome"], "")),
            _detail(e),
        )
    out.print(table)


def _line(e: AuditEntry) -> None:
    out.print(
        Text.assemble(
            f"{when(e['time'])}  {e['actor_name'] or '-'}  ",
            (e["action"], "bold"),
            f"  {_target(e)}  {e['address'] or ''}  ",
            (e["outcome"], _OUTCOME_STYLE.get(e["outcome"], "")),
            f"  {_detail(e)}",
        )
    )


def _follow(client: HubClient, params: dict[str, Any], seen: int, as_json: bool) -> None:
    """Print new entries as they come, until Ctrl-C."""
    since = params.get("since")
    try:
        while True:
            time.sleep(FOLLOW_EVERY)
            page = client.audit.list(**{**params, "since": since, "limit": 500})
            new = [e for e in page["items"] if e["id"] > seen]
            for e in reversed(new):
                if as_json:
                    typer.echo(orjson.dumps(e).decode())
                else:
                    _line(e)
            sys.stdout.flush()  # piped into grep or a file: each entry as it comes
            if new:
                seen = max(e["id"] for e in new)
                since = new[0]["time"]
    except KeyboardInterrupt:
        return


def audit(
    actor: Annotated[str | None, typer.Option(help="Who acted: a user name or id.")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="An action (key.created), or a prefix ending in * (login.*)."),
    ] = None,
    target_type: Annotated[
        str | None, typer.Option(help="What was acted on: user, team, key, task, project...")
    ] = None,
    target_id: Annotated[str | None, typer.Option(help="The id of what was acted on.")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok, denied or failed.")] = None,
    since: Annotated[
        str | None, typer.Option(metavar="WHEN", help="Entries since: 2h, 7d, or a date.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="WHEN", help="Entries before: 2h (ago), or a date.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many entries.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new entries (Ctrl-C stops).")
    ] = False,
) -> None:
    """Show the audit log (admins), newest last: logins, keys, roles, teams, deletions...

    Example: corral audit --action 'login.*' --outcome failed --since 1d
    """
    with cli_errors():
        params: dict[str, Any] = {
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            "outcome": outcome,
            "since": at(since, ago=True).isoformat() if since else None,
            "until": at(until, ago=True).isoformat() if until else None,
        }
        with hub() as client:
            entries = list(client.audit.iter(limit=limit, **params))
            if as_json and not follow:
                print_json(entries)
                return
            entries.reverse()
            if as_json:
                for e in entries:
                    typer.echo(orjson.dumps(e).decode())
            elif entries:
                _print_table(entries)
            elif not follow:
                out.print("no audit entries match")
            if follow:
                sys.stdout.flush()
                seen = max((e["id"] for e in entries), default=0)
                _follow(client, params, seen, as_json)
