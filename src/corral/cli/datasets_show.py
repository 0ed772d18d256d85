"""``corral dataset list|show|diff``: read dataset versions, their files and differences.

Listings of files and diffs are paged by the hub; ``diff`` streams its lines (and its
``--json``) page by page, so a million-file diff prints in bounded memory.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer
from rich.markup import escape
from rich.text import Text

from corral.cli.client import fail, hub, size, when
from corral.cli.datasets_ref import dataset_errors, fetch_dataset, label
from corral.cli.output import err, out, print_json

if TYPE_CHECKING:
    from rich.table import Table

    from corral.client.http import HubClient

STATE_STYLE = {"draft": "dim", "uploading": "yellow", "final": "green"}
CHANGE_MARK = {"added": ("A", "green"), "removed": ("D", "red"), "modified": ("M", "yellow")}
CHANGES = ("added", "removed", "modified")
#: tasks that used a version, listed by ``show``
USAGES_SHOWN = 10
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="The dataset version's id (or 6+ first characters).")
]


def list_(
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Only this project.")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Only names containing this.")
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tags", "-t", metavar="TAG", help="Only with this tag; repeat (all)."),
    ] = None,
    only_final: Annotated[bool, typer.Option("--only-final", help="Only final versions.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 100,
    as_json: JsonOpt = False,
) -> None:
    """List dataset versions, highest version first.

    Example: corral dataset list --project data --name parking --only-final
    """
    params: dict[str, Any] = {"project": project, "partial_name": name, "tag": tags or None}
    if only_final:
        params["only_final"] = True
    with dataset_errors(), hub() as client:
        rows = list(client.datasets.iter(limit=limit, **params))
    if as_json:
        print_json(rows)
        return
    if not rows:
        err.print("no dataset version matches (create one with `corral dataset create`)")
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "project", "name", "version", "state"):
        table.add_column(column, overflow="fold")
    for column in ("files", "size"):
        table.add_column(column, justify="right")
    table.add_column("tags", overflow="fold")
    table.add_column("created")
    for row in rows:
        stats = row.get("stats") or {}
        table.add_row(
            row["id"],
            Text(row.get("project", "")),
            Text(row["name"]),
            row["version"],
            _state(row["state"]),
            str(stats.get("file_count", 0)),
            size(stats.get("total_size", 0)),
            Text(", ".join(row.get("tags") or [])),
            when(row["created_at"])[:16],
        )
    out.print(table)


def _state(state: str) -> Text:
    return Text(state, style=STATE_STYLE.get(state, ""))


def show(
    dataset_id: IdArg,
    files: Annotated[bool, typer.Option("--files", help="List its files (one page).")] = False,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Files under this path.")] = None,
    search: Annotated[
        str | None, typer.Option("--search", help="Files whose path contains this.")
    ] = None,
    change: Annotated[
        str | None, typer.Option("--change", help="Files added, modified or unchanged.")
    ] = None,
    pending: Annotated[bool, typer.Option("--pending", help="Files not uploaded yet.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="Files per page.")] = 100,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="The next page (printed after a page).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show a version: state, parents, tags, description, counts; --files lists files.

    Counts of added, modified and removed files are against its parents. With --files,
    one page of its files (sorted by path); the next page's --cursor is printed after it.

    Example: corral dataset show 3f2a9c41 --files --prefix images/ --limit 50
    """
    with dataset_errors(), hub() as client:
        version = fetch_dataset(client, dataset_id)
        if files:
            params: dict[str, Any] = {
                "prefix": prefix,
                "search": search,
                "change": change,
                "cursor": cursor,
            }
            if pending:
                params["pending"] = True
            page = client.datasets.files(version["id"], **params, limit=limit)
            _files(page, as_json)
            return
        if as_json:
            print_json(version)
            return
        parents = [_parent(client, p) for p in version.get("parents") or []]
        usages = client.datasets.usages(version["id"], limit=USAGES_SHOWN)
    _summary(version, parents, usages)


def _parent(client: HubClient, parent_id: str) -> str:
    from corral.errors import NotFoundError

    try:
        return f"{label(client.datasets.get(parent_id))} ({parent_id})"
    except NotFoundError:
        return f"{parent_id} (deleted)"


def _summary(version: dict[str, Any], parents: list[str], usages: dict[str, Any]) -> None:
    from rich.panel import Panel
    from rich.table import Table

    grid: Table = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    stats = version.get("stats") or {}
    rows: list[tuple[str, str | Text]] = [
        ("state", _state(version["state"])),
        ("project", Text(version.get("project") or version["project_id"])),
        ("files", f"{stats.get('file_count', 0)} ({size(stats.get('total_size', 0))})"),
        ("changes", _changes(stats, "added", "modified", "removed")),
    ]
    if stats.get("pending_count"):
        rows.append(
            ("pending", f"{stats['pending_count']} ({size(stats.get('pending_bytes'))}) to upload")
        )
    if stats.get("external_count"):
        rows.append(("external", f"{stats['external_count']} links"))
    rows.append(("parents", Text("\n".join(parents) or "none")))
    if version.get("tags"):
        rows.append(("tags", Text(", ".join(version["tags"]))))
    if version.get("description"):
        rows.append(("description", Text(version["description"])))
    if version.get("output_uri"):
        rows.append(("output", Text(version["output_uri"])))
    used = [f"{u['task_name']} ({u['task_id']}) as {u['alias']}" for u in usages["items"]]
    if usages.get("next_cursor"):
        used.append("and more")
    if used:
        rows.append(("used by", Text("\n".join(used))))
    rows.append(("created", f"{when(version['created_at'])} by {version.get('user') or '?'}"))
    if version.get("finalized_at"):
        rows.append(("final since", when(version["finalized_at"])))
    for key, value in rows:
        grid.add_row(key, value)
    head = Text.assemble((label(version), "bold"), "  ", (version["id"], "dim"))
    out.print(Panel(grid, title=head, title_align="left", expand=False))


def _changes(stats: dict[str, Any], *kinds: str) -> str:
    return ", ".join(f"{stats.get(k, 0)} {k} ({size(stats.get(f'{k}_bytes', 0))})" for k in kinds)


def _files(page: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(page)
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    table.add_column("path", overflow="fold")
    table.add_column("size", justify="right")
    for column in ("sha256", "change", "stored"):
        table.add_column(column)
    for row in page["items"]:
        stored = (
            "link"
            if row.get("external_url")
            else (row.get("blob_kind") or "")
            if row.get("blob_id")
            else Text("pending", style="yellow")
        )
        table.add_row(
            Text(row["path"]), size(row["size"]), row["sha256"][:12], row["change"], stored
        )
    out.print(table)
    if page.get("next_cursor"):
        err.print(f"more files: add --cursor {page['next_cursor']}", highlight=False)


def diff(
    dataset_id: IdArg,
    against: Annotated[
        str | None,
        typer.Argument(metavar="[B]", help="The version to compare with (default: its parents)."),
    ] = None,
    change: Annotated[
        str | None, typer.Option("--change", help="Only added, removed or modified.")
    ] = None,
    prefix: Annotated[str | None, typer.Option("--prefix", help="Only under this path.")] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="At most this many paths; 0: all of them.")
    ] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """What changed from B (default: ID's parents) to ID, and a summary line.

    One line per path (A added, D removed, M modified), read page by page: fine for a
    million files.

    Example: corral dataset diff 8be0d2f7 3f2a9c41 --change modified
    """
    if change is not None and change not in CHANGES:
        raise fail(f"unknown change {change!r}: use added, removed or modified")
    with dataset_errors(), hub() as client:
        version = fetch_dataset(client, dataset_id)
        other = fetch_dataset(client, against) if against else None
        other_id = other["id"] if other else None
        summary = client.datasets.diff_summary(version["id"], against=other_id)
        rows = client.datasets.iter_diff(
            version["id"], against=other_id, change=change, prefix=prefix
        )
        if as_json:
            _diff_json(version, other, summary, rows, limit)
            return
        shown = _diff_lines(rows, limit)
        base = f"{label(other)} ({other_id})" if other else "its parents"
    total = sum(summary.get(k, 0) for k in CHANGES)
    if change is None and prefix is None and shown < total:
        err.print(f"{total - shown} more paths: raise --limit (0: all)", highlight=False)
    out.print(
        f"{escape(label(version))} against {escape(base)}: {_changes(summary, *CHANGES)}",
        highlight=False,
    )


def _diff_lines(rows: Any, limit: int) -> int:
    shown = 0
    for row in rows:
        if limit and shown >= limit:
            break
        mark, style = CHANGE_MARK[row["change"]]
        sizes = (
            f"{size(row['old_size'])} -> {size(row['size'])}"
            if row["change"] == "modified"
            else size(row["size"] if row["change"] == "added" else row["old_size"])
        )
        out.print(Text.assemble((mark, style), " ", row["path"], (f"  {sizes}", "dim")))
        shown += 1
    return shown


def _diff_json(
    version: dict[str, Any],
    other: dict[str, Any] | None,
    summary: dict[str, Any],
    rows: Any,
    limit: int,
) -> None:
    """``{"id", "against", "summary", "items": [...]}`` written row by row."""
    write = sys.stdout.write
    head = {"id": version["id"], "against": other["id"] if other else None, "summary": summary}
    write(orjson.dumps(head).decode()[:-1] + ', "items": [')
    for shown, row in enumerate(rows):
        if limit and shown >= limit:
            break
        write(("," if shown else "") + "\n  " + orjson.dumps(row).decode())
    write("\n]}\n")
    sys.stdout.flush()
