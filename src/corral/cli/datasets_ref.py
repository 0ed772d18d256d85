"""What the ``corral dataset`` commands share: the current dataset, id look-ups, errors.

The *current dataset* is the clearml-data habit: ``corral dataset create`` remembers the
new version's id, and ``add``/``remove``/``sync``/``upload``/``close`` without ``--id``
work on it. It is kept per hub in ``current_dataset.json`` next to the client config
file (``~/.corral/current_dataset.json``); every command names the version it changed
in its output, so the user sees which one it was.

Example::

    with dataset_errors(), hub() as client:
        version = fetch_dataset(client, current_id(None))
        writable(version)  # a final version: one-line error naming the next command
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from typer.core import TyperCommand

from corral.cli.client import MIN_PREFIX, fail, hub, size
from corral.cli.output import err, out
from corral.errors import CorralError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from typer._click.core import Context

    from corral.client.http import HubClient
    from corral.datasets import Dataset

STATE_FILE = "current_dataset.json"
_ID = re.compile(r"^[0-9a-f]{1,64}$")

IdOpt = Annotated[
    str | None,
    typer.Option(
        "--id",
        metavar="ID",
        help="The dataset version (id or 6+ first characters); default: the current "
        "dataset (the last one `corral dataset create` made).",
    ),
]
IdArg = Annotated[
    str, typer.Argument(metavar="ID", help="The dataset version's id (or 6+ first characters).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option("--max-workers", min=1, help="Parallel transfers (default: a few per core)."),
]
OutputOpt = Annotated[
    str | None,
    typer.Option(
        "--output-uri",
        "--storage",
        metavar="URL",
        help="Store the blobs there (s3://bucket/prefix, gs://..., file:///...) instead of "
        "the hub.",
    ),
]


class VariadicCommand(TyperCommand):
    """Lets an option that may repeat take several values after one flag, as
    clearml-data's do: ``--files a b c`` reads as ``--files a --files b --files c``."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        names = {
            name
            for param in self.params
            if getattr(param, "multiple", False)
            for name in getattr(param, "opts", [])
        }
        fixed: list[str] = []
        flag: str | None = None
        for i, arg in enumerate(args):
            if arg == "--":
                fixed.extend(args[i:])
                break
            if arg.startswith("-"):
                flag = arg if arg in names else None
            elif flag is not None and fixed and fixed[-1] != flag:
                fixed.append(flag)  # one more value of the last repeatable flag
            fixed.append(arg)
        return super().parse_args(ctx, fixed)


# --- the current dataset ------------------------------------------------------------


def _state_path() -> Path:
    from corral.client.config import config_path

    return config_path().parent / STATE_FILE


def _hub_url() -> str:
    from corral.client.config import load

    return load().url.rstrip("/")


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(_state_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remember(version: dict[str, Any]) -> None:
    """Make ``version`` the current dataset of this hub (written atomically, mode 0600)."""
    state = _read_state()
    state[_hub_url()] = {
        "id": version["id"],
        "name": version.get("name", ""),
        "version": version.get("version", ""),
    }
    _write_state(state)


def _write_state(state: dict[str, Any]) -> None:
    path = _state_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.chmod(0o600)
    tmp.replace(path)


def forget(dataset_ids: list[str]) -> None:
    """Stop using the current dataset when it is one of ``dataset_ids`` (it was deleted)."""
    state = _read_state()
    current = state.get(_hub_url()) or {}
    if current.get("id") in dataset_ids:
        del state[_hub_url()]
        _write_state(state)


def current_id(explicit: str | None) -> str:
    """``explicit`` when given, else the current dataset's id.

    Commands name the version they changed in their output (:func:`named`), so a
    user sees which one the current dataset was; errors stay one line.
    """
    if explicit:
        return explicit
    current = _read_state().get(_hub_url()) or {}
    if not current.get("id"):
        raise fail(
            "no current dataset: give --id ID, or create one with "
            "`corral dataset create --project P --name N`"
        )
    return str(current["id"])


# --- look-ups ------------------------------------------------------------------------


def fetch_dataset(client: HubClient, ref: str) -> dict[str, Any]:
    """The version ``ref`` names: its id, or a unique prefix of 6+ characters of it.

    Raises:
        NotFoundError: no dataset version has this id (or it is a task, not a dataset).
        ValidationError: ``ref`` is not an id, or starts the ids of several tasks.
    """
    ref = ref.strip().lower()
    hint = "see `corral dataset list`"
    if not _ID.match(ref):
        raise ValidationError(f"{ref!r} is not a dataset id (ids are hex, {hint})")
    try:
        return client.datasets.get(ref)
    except NotFoundError:
        if len(ref) < MIN_PREFIX or len(ref) >= 32:
            raise NotFoundError(f"no dataset with id {ref!r} ({hint})") from None
    # a prefix: dataset versions are tasks, so the task search finds their ids
    page = client.tasks.list(text=ref, archived="", limit=500)
    ids = sorted({row["id"] for row in page["items"] if row["id"].startswith(ref)})
    if len(ids) > 1:
        raise ValidationError(f"{ref!r} starts the ids of {len(ids)} tasks; give more characters")
    try:
        if ids:
            return client.datasets.get(ids[0])
    except NotFoundError:
        pass
    raise NotFoundError(f"no dataset with id {ref!r} ({hint})")


def find_version(
    client: HubClient, project: str | None, name: str, version: str | None
) -> dict[str, Any]:
    """The final version ``version`` (default: the highest) of dataset ``name``."""
    params: dict[str, Any] = {"name": name, "state": "final", "sort": "-version", "limit": 1}
    if project:
        params["project"] = project
    if version:
        params["version"] = version
    rows = client.datasets.list(**params)["items"]
    if not rows:
        where = f" in project {project!r}" if project else ""
        which = f"final version {version} of " if version else "final version of "
        raise NotFoundError(f"no {which}dataset {name!r}{where} (see `corral dataset list`)")
    return dict(rows[0])


def label(version: dict[str, Any]) -> str:
    """``parking 1.0.2`` for messages."""
    return f"{version.get('name', '')} {version.get('version', '')}".strip()


def sdk() -> type[Dataset]:
    """The SDK's ``Dataset`` class (imported when a command needs it)."""
    from corral.datasets import Dataset

    return Dataset


def open_writable(
    dataset_id: str | None, client: HubClient | None = None
) -> tuple[dict[str, Any], Dataset]:
    """The version ``dataset_id`` names (default: the current dataset), as hub JSON and
    as an SDK ``Dataset`` talking through ``client`` (default: the SDK's); refuses a
    final version in one line."""
    with hub() as reader:
        version = fetch_dataset(reader, current_id(dataset_id))
    writable(version)
    return version, sdk()(version, client=client)


def report_pending(dataset_id: str, done: str) -> None:
    """Print ``done`` and what is left to upload (the hub's count)."""
    with hub() as client:
        stats = client.datasets.get(dataset_id)["stats"]
    pending = stats.get("pending_count", 0)
    todo = (
        f"; {count_files(pending)} ({size(stats.get('pending_bytes'))}) to upload: "
        "`corral dataset upload` or `corral dataset close`"
        if pending
        else "; nothing to upload"
    )
    out.print(escape(done + todo), highlight=False)


def count_files(n: int) -> str:
    """``1 file``, ``3 files``."""
    return f"{n} file" if n == 1 else f"{n} files"


def named(version: dict[str, Any]) -> str:
    """``parking 1.0.2 (3f2a...)`` for messages."""
    return f"{label(version)} ({version['id']})"


def writable(version: dict[str, Any]) -> None:
    """Refuse, in one line naming the next step, to change a ``final`` version."""
    if version.get("state") == "final":
        raise fail(
            f"dataset {label(version)} is final: create a child version with "
            f"`corral dataset create --parents {version['id']}` (same project and name)"
        )


# --- errors --------------------------------------------------------------------------


@contextmanager
def dataset_errors(resumable: bool = False) -> Iterator[None]:
    """One-line errors (exit 1) for Corral, file-system and argument errors; Ctrl-C exits
    with 130, saying (``resumable``) that the same command goes on where it stopped."""
    try:
        yield
    except (typer.Exit, typer.Abort):  # click's are RuntimeErrors: let them through
        raise
    except CorralError as e:
        raise fail(e.detail) from e
    except (OSError, ValueError, RuntimeError) as e:  # a local file, an argument
        raise fail(_os_message(e)) from e
    except KeyboardInterrupt as e:
        line = " ".join(["corral", *(shlex.quote(a) for a in sys.argv[1:])])
        more = f": run `{line}` again to go on where it stopped" if resumable else ""
        err.print(f"[red]interrupted[/]{escape(more)}", highlight=False)
        raise typer.Exit(130) from e


def _os_message(e: Exception) -> str:
    if isinstance(e, OSError) and e.filename is not None:
        reason = e.strerror or type(e).__name__
        return f"{e.filename}: {reason}"
    return str(e) or type(e).__name__
