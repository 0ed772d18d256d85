"""Rendering shared by CLI commands: tables, JSON, one-line errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from corral.errors import CorralError


def _console(stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    # piped into a file or grep: do not squeeze tables into 80 columns
    return console if console.is_terminal else Console(stderr=stderr, width=250)


out = _console()
err = _console(stderr=True)


def print_json(data: Any) -> None:
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    table = Table()
    for column in columns:
        # fold rather than truncate: ids and keys must stay copyable in a narrow terminal
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(_cell(row.get(c)) for c in columns))
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    # ISO timestamps from the API: minutes are enough in a table
    if len(text) >= 19 and text[4] == "-" and text[10] == "T":
        return text[:16].replace("T", " ")
    return text


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn Corral errors into a one-line message and exit code 1."""
    try:
        yield
    except CorralError as e:
        err.print(f"[red]error:[/] {e.detail}", highlight=False)
        raise typer.Exit(1) from e


def render(data: Any, as_json: bool, table: Callable[[Any], None]) -> None:
    if as_json:
        print_json(data)
    else:
        table(data)
