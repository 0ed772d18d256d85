"""``corral dataset ...``: versioned, content-addressed datasets from the shell.

The verbs of ``clearml-data``: ``create`` a version (it becomes the *current dataset*),
``add``/``remove``/``sync`` files, ``upload`` them, ``close`` it (upload + finalize),
then ``get`` a local copy anywhere, ``diff`` two versions, ``delete`` or ``squash``.
Writes go through the SDK's :class:`corral.Dataset`; reads (``list``, ``show``,
``diff``) through ``client.datasets``. Transfers show a Rich bar (files, bytes, rate,
ETA) on a terminal. Options taking several values accept them after one flag
(``--files a b``) or with the flag repeated (``--files a --files b``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.markup import escape
from typer.core import TyperCommand

from corral.cli import datasets_show
from corral.cli.client import fail, hub, size
from corral.cli.datasets_ref import (
    current_id,
    dataset_errors,
    fetch_dataset,
    find_version,
    forget,
    label,
    remember,
    writable,
)
from corral.cli.output import err, out, print_json
from corral.errors import ConflictError

if TYPE_CHECKING:
    from typer._click.core import Context

    from corral.datasets import Dataset


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


dataset_app = typer.Typer(
    help="Versioned datasets: create, add files, upload, close, then get a local copy "
    "anywhere. Example: corral dataset create --project data --name parking",
    no_args_is_help=True,
)
dataset_app.command("list", cls=VariadicCommand)(datasets_show.list_)
dataset_app.command("show")(datasets_show.show)
dataset_app.command("diff")(datasets_show.diff)

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
        metavar="URL",
        help="Store the blobs there (s3://bucket/prefix, gs://..., file:///...) instead of "
        "the hub.",
    ),
]


def _sdk() -> type[Dataset]:
    from corral.datasets import Dataset

    return Dataset


def _open(dataset_id: str | None) -> tuple[dict[str, Any], Dataset]:
    """The version (hub JSON) and its SDK object; refuses a final one."""
    with hub() as client:
        version = fetch_dataset(client, current_id(dataset_id))
    writable(version)
    return version, _sdk().get(dataset_id=version["id"], only_completed=False)


# --- create ----------------------------------------------------------------------------


@dataset_app.command("create", cls=VariadicCommand)
def create(
    project: Annotated[str, typer.Option("--project", "-p", help="The dataset's project.")],
    name: Annotated[str, typer.Option("--name", "-n", help="The dataset's name.")],
    version: Annotated[
        str | None,
        typer.Option(
            "--version", help="Semantic version (1.2.0); default: the highest one bumped."
        ),
    ] = None,
    parents: Annotated[
        list[str] | None,
        typer.Option("--parents", metavar="ID...", help="Final versions to start from (merged)."),
    ] = None,
    tags: Annotated[list[str] | None, typer.Option("--tags", metavar="TAG...")] = None,
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    output_uri: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a dataset version; it becomes the current dataset of the commands below.

    A child (--parents) starts with its parents' files: add only what changed, and only
    new content is uploaded. Example:
    corral dataset create --project data --name parking --parents 3f2a9c41
    """
    with dataset_errors(), hub() as client:
        parent_ids = [fetch_dataset(client, ref)["id"] for ref in parents or []]
        made = client.datasets.create(
            name=name,
            project=project,
            version=version,
            parents=parent_ids,
            tags=tags or [],
            description=description,
            output_uri=output_uri or "",
        )
    remember(made)
    if as_json:
        print_json(made)
        return
    inherited = made["stats"]["file_count"]
    out.print(
        f"created dataset {escape(label(made))} ({made['id']}) in project {escape(project)}"
        + (f", {inherited} files from its parents" if inherited else ""),
        highlight=False,
    )
    err.print(
        "it is the current dataset: next `corral dataset add --files PATH` "
        "then `corral dataset close`",
        style="dim",
        highlight=False,
    )


# --- add, remove, sync -------------------------------------------------------------------


@dataset_app.command("add", cls=VariadicCommand)
def add(
    files: Annotated[
        list[str],
        typer.Option("--files", "-f", metavar="PATH...", help="Local files or folders to add."),
    ],
    dataset_id: IdOpt = None,
    wildcard: Annotated[
        list[str] | None,
        typer.Option("--wildcard", "-w", metavar="GLOB...", help="Only names matching (*.jpg)."),
    ] = None,
    dataset_folder: Annotated[
        str | None, typer.Option("--dataset-folder", help="Put them under this dataset folder.")
    ] = None,
    non_recursive: Annotated[
        bool, typer.Option("--non-recursive", help="Do not go into subfolders.")
    ] = False,
    max_workers: WorkersOpt = None,
) -> None:
    """Add local files or folders (hashed here; the bytes go with `upload` or `close`).

    Hashing shows a progress bar on a terminal. A file already in the version (or a parent) with the same content changes nothing,
    and the same content under a new name is never uploaded again. Example:
    corral dataset add --files ~/data/images labels.csv --wildcard '*.jpg' '*.csv'
    """
    with dataset_errors():
        paths = [Path(p).expanduser() for p in files]
        for path in paths:
            if not path.exists():
                raise fail(f"no file or folder {path}: nothing was added")
        version, ds = _open(dataset_id)
        count = 0
        for path in paths:
            count += ds.add_files(
                str(path),
                wildcard=wildcard or None,
                dataset_path=dataset_folder,
                recursive=not non_recursive,
                max_workers=max_workers,
            )
        _report_pending(version["id"], f"{count} files added or changed in {label(version)}")


@dataset_app.command("remove", cls=VariadicCommand)
def remove(
    files: Annotated[
        list[str],
        typer.Option(
            "--files", "-f", metavar="PATH...", help="Dataset paths, folders or globs (a/*.jpg)."
        ),
    ],
    dataset_id: IdOpt = None,
    non_recursive: Annotated[
        bool, typer.Option("--non-recursive", help="A folder loses its own files only.")
    ] = False,
) -> None:
    """Remove files from the version (paths inside the dataset, not local paths).

    Example: corral dataset remove --files images/old 'labels/*.tmp'
    """
    with dataset_errors():
        version, ds = _open(dataset_id)
        removed = sum(
            ds.remove_files(dataset_path=pattern, recursive=not non_recursive) for pattern in files
        )
        if not removed:
            raise fail(
                f"no file of {label(version)} matches {' '.join(files)} "
                f"(see `corral dataset show {version['id']} --files`)"
            )
    out.print(f"removed {removed} files from {escape(label(version))}", highlight=False)


@dataset_app.command("sync")
def sync(
    folder: Annotated[
        Path, typer.Option("--folder", help="The local folder the dataset should mirror.")
    ],
    dataset_id: IdOpt = None,
    dataset_folder: Annotated[
        str | None, typer.Option("--dataset-folder", help="Mirror it under this dataset folder.")
    ] = None,
) -> None:
    """Make the version mirror a local folder (prints removed/added/modified).

    New files are added, changed ones replaced, missing ones removed.
    Example: corral dataset sync --folder ~/data/parking
    """
    with dataset_errors():
        local = folder.expanduser()
        if not local.is_dir():
            raise fail(f"no folder {local}: nothing was changed")
        version, ds = _open(dataset_id)
        removed, added, modified = ds.sync_folder(str(local), dataset_path=dataset_folder)
        _report_pending(
            version["id"],
            f"{label(version)}: {removed} removed, {added} added, {modified} modified",
        )


def _report_pending(dataset_id: str, done: str) -> None:
    with hub() as client:
        stats = client.datasets.get(dataset_id)["stats"]
    pending = stats.get("pending_count", 0)
    todo = (
        f"; {pending} files ({size(stats.get('pending_bytes'))}) to upload: "
        "`corral dataset upload` or `corral dataset close`"
        if pending
        else "; nothing to upload"
    )
    out.print(escape(done + todo), highlight=False)


# --- upload, close -----------------------------------------------------------------------

Compression = Literal["none", "deflate"]


@dataset_app.command("upload")
def upload(
    dataset_id: IdOpt = None,
    output_uri: OutputOpt = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, metavar="MB", help="Small files packed per chunk."),
    ] = None,
    max_workers: WorkersOpt = None,
    compression: Annotated[
        str | None,
        typer.Option(
            "--compression",
            help="deflate (default; never for .jpg, .zip... already compressed) or none.",
        ),
    ] = None,
) -> None:
    """Upload the files added since the last upload (resumable).

    An interrupted upload (Ctrl-C, network, crash) continues where it stopped when run
    again: only what was not stored yet is sent.

    Example: corral dataset upload --chunk-size 64 --max-workers 8
    """
    if compression not in (None, "none", "deflate"):
        raise fail(f"unknown compression {compression!r}: use none or deflate")
    with dataset_errors(resume="corral dataset upload"):
        version, ds = _open(dataset_id)
        ds.upload(
            show_progress=True,
            output_url=output_uri,
            compression=compression,
            chunk_size=chunk_size,
            max_workers=max_workers,
        )
        _report_pending(version["id"], f"uploaded {label(version)}")


@dataset_app.command("close")
def close(
    dataset_id: IdOpt = None,
    no_upload: Annotated[
        bool, typer.Option("--no-upload", help="Only finalize: every file must be uploaded.")
    ] = False,
    output_uri: OutputOpt = None,
    max_workers: WorkersOpt = None,
) -> None:
    """Upload what is pending, then finalize the version (clearml-data close).

    A final version is read-only, can be fetched (`corral dataset get`) and be a parent.

    Example: corral dataset close
    """
    with dataset_errors(resume="corral dataset close"):
        version, ds = _open(dataset_id)
        if not no_upload:
            ds.upload(show_progress=True, output_url=output_uri, max_workers=max_workers)
        with hub() as client:
            pending = client.datasets.get(version["id"])["stats"].get("pending_count", 0)
        if pending:
            raise fail(
                f"{pending} files of {label(version)} are not uploaded: run "
                "`corral dataset upload` (or `corral dataset close` without --no-upload)"
            )
        ds.finalize()
    out.print(f"dataset {escape(label(version))} ({version['id']}) is final", highlight=False)


# --- get ---------------------------------------------------------------------------------


@dataset_app.command("get")
def get(
    dataset_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="The version (or use --project/--name).")
    ] = None,
    project: Annotated[str | None, typer.Option("--project", "-p")] = None,
    name: Annotated[str | None, typer.Option("--name", "-n", help="The dataset's name.")] = None,
    version: Annotated[
        str | None, typer.Option("--version", help="This version (default: the highest final).")
    ] = None,
    copy: Annotated[
        Path | None,
        typer.Option("--copy", metavar="DIR", help="A writable copy in DIR instead of the cache."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="With --copy: replace what DIR holds.")
    ] = False,
    link: Annotated[
        bool | None,
        typer.Option("--link/--no-link", help="Files as links into the cache (default: SDK's)."),
    ] = None,
    max_workers: WorkersOpt = None,
) -> None:
    """Fetch a final version and print its folder (stdout holds the path only).

    Without --copy the folder is a read-only copy in the machine's dataset cache,
    shared by every process; fetching it again costs nothing. Example:
    cd "$(corral dataset get --project data --name parking)"
    """
    if (dataset_id is None) == (name is None):
        raise fail("give a dataset ID, or --name (with --project, --version) but not both")
    if overwrite and copy is None:
        raise fail("--overwrite goes with --copy DIR")
    with dataset_errors(resume="corral dataset get"):
        with hub() as client:
            found = (
                fetch_dataset(client, dataset_id)
                if dataset_id
                else find_version(client, project, str(name), version)
            )
        if found["state"] != "final":
            raise fail(f"dataset {label(found)} is not final yet: `corral dataset close` it first")
        ds = _sdk().get(dataset_id=found["id"])
        if copy is not None:
            folder = ds.get_mutable_local_copy(
                str(copy.expanduser()), overwrite=overwrite, max_workers=max_workers
            )
        else:
            folder = ds.get_local_copy(use_soft_links=link, max_workers=max_workers)
    err.print(f"dataset {escape(label(found))} ({found['id']}):", style="dim", highlight=False)
    typer.echo(str(folder))


# --- delete, squash ----------------------------------------------------------------------


@dataset_app.command("delete")
def delete(
    dataset_id: IdArg,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Also when it is a parent of other versions or tasks used it."
        ),
    ] = False,
) -> None:
    """Delete a dataset version; blobs no other version uses are freed from storage.

    Example: corral dataset delete 3f2a9c41
    """
    with dataset_errors():
        with hub() as client:
            found = fetch_dataset(client, dataset_id)
        try:
            _sdk().delete(dataset_id=found["id"], force=force)
        except ConflictError as e:
            if force:
                raise
            raise fail(f"{e.detail}: add --force to delete it anyway") from e
        forget([found["id"]])
    out.print(f"deleted dataset {escape(label(found))} ({found['id']})", highlight=False)


@dataset_app.command("squash", cls=VariadicCommand)
def squash(
    name: Annotated[str, typer.Option("--name", "-n", help="The new dataset's name.")],
    ids: Annotated[list[str], typer.Option("--ids", metavar="ID...", help="Final versions.")],
    project: Annotated[
        str | None, typer.Option("--project", "-p", help="Its project (default: the first's).")
    ] = None,
    version: Annotated[str | None, typer.Option("--version", help="Its version.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge final versions into one new final version without parents.

    Later ids win at the same path. Nothing is uploaded: the blobs are shared.

    Example: corral dataset squash --name parking-all --ids 3f2a9c41 8be0d2f7
    """
    if len(ids) < 2:
        raise fail("squash needs at least two versions: --ids A B ...")
    with dataset_errors(), hub() as client:
        full = [fetch_dataset(client, ref)["id"] for ref in ids]
        made = client.datasets.squash(name=name, ids=full, project=project, version=version)
    if as_json:
        print_json(made)
        return
    out.print(
        f"squashed {len(full)} versions into {escape(label(made))} ({made['id']}), "
        f"{made['stats']['file_count']} files",
        highlight=False,
    )
