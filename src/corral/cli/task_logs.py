"""``corral task logs``: print a task's console, or follow it while it runs."""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer

from corral.cli.client import FINAL_STATUSES, fetch_task, hub
from corral.cli.output import cli_errors
from corral.cli.task_show import TaskArg

if TYPE_CHECKING:
    from corral.client.http import HubClient
    from corral.client.types import LogLine

#: lines asked for per request (the hub's largest page)
PAGE = 5000


def logs(
    task: TaskArg,
    follow: Annotated[
        bool,
        typer.Option(
            "--follow", "-f", help="Keep printing new lines until the task ends (Ctrl-C stops)."
        ),
    ] = False,
    tail: Annotated[
        int | None, typer.Option("--tail", "-n", min=1, max=5000, help="Only the last N lines.")
    ] = None,
    interval: Annotated[
        float, typer.Option("--interval", min=0.1, help="Seconds between polls with --follow.")
    ] = 1.0,
) -> None:
    """Print a task's console output (stdout and stderr, in order).

    With --follow, new lines print as they arrive until the task ends (exit code 0).

    Ctrl-C stops following (exit code 130).

    Example: corral task logs 3f2a9c41 --tail 50 -f
    """
    try:
        with cli_errors(), hub() as client:
            task_id = fetch_task(client, task)["id"]
            last = _print_all(client, task_id, tail)
            if follow:
                _follow(client, task_id, last, interval)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except BrokenPipeError:  # `corral task logs ID | head`: the reader has had enough
        # Python flushes stdout again at exit: point it at /dev/null so that says nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(0) from None


def _print_all(client: HubClient, task_id: str, tail: int | None) -> int | None:
    """Print the whole console (or its last ``tail`` lines); return the last ``seq``."""
    if tail:
        page = client.tasks.logs(task_id, tail=tail)
        _write(page["items"])
        return page["last_seq"]
    return _drain(client, task_id, None)


def _drain(client: HubClient, task_id: str, after: int | None) -> int | None:
    """Print every line after ``after``; return the new last ``seq``."""
    while True:
        params: dict[str, Any] = {"limit": PAGE}
        if after is not None:
            params["after"] = after
        page = client.tasks.logs(task_id, **params)
        _write(page["items"])
        if page["last_seq"] is not None:
            after = page["last_seq"]
        if not page["has_more"]:
            return after


def _follow(client: HubClient, task_id: str, after: int | None, interval: float) -> None:
    while True:
        # the status is read before the lines: a task found ended has written its last
        # line before this drain, so nothing is missed when we stop after it
        status = client.tasks.get(task_id)["status"]
        after = _drain(client, task_id, after)
        if status in FINAL_STATUSES:
            # an agent may still send the last lines of the process it ran
            time.sleep(min(interval, 1.0))
            _drain(client, task_id, after)
            return
        time.sleep(interval)


def _write(items: list[LogLine]) -> None:
    if not items:
        return
    text = "".join(i["text"] if i["text"].endswith("\n") else i["text"] + "\n" for i in items)
    sys.stdout.write(text)
    sys.stdout.flush()
