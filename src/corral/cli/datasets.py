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
from typing import Annotated, Any

import typer
from rich.markup import escape

from corral.cli import datasets_files, datasets_show
from corral.cli.client import fail, hub
from corral.cli.datasets_ref import (
    IdArg,
    IdOpt,
    JsonOpt,
    OutputOpt,
    VariadicCommand,
    WorkersOpt,
    count_files,
    dataset_errors,
    fetch_dataset,
    find_version,
    forget,
    label,
    named,
    open_writable,
    remember,
    report_pending,
    sdk,
)
from corral.cli.output import err, out, print_json
from corral.errors import ConflictError

dataset_app = typer.Typer(
    help="Versioned datasets: create, add files, upload, close, then get a local copy "
    "anywhere. Example: corral dataset create --project data --name parking",
    no_args_is_help=True,
)

# --- create ----------------------------------------------------------------------------


def create(
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="The dataset's project (default: the parent's)."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="The dataset's name (default: the parent's)."),
    ] = None,
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
    if not name and not parents:
        raise fail("give the dataset's --name (and --project), or --parents to take them from")
    with dataset_errors():
        with hub() as client:
            parent_ids = [fetch_dataset(client, ref)["id"] for ref in parents or []]
        made = (
            sdk()
            .create(
                dataset_name=name,
                dataset_project=project,
                dataset_tags=tags or None,
                parent_datasets=parent_ids,
                dataset_version=version,
                description=description,
                output_uri=output_uri,
            )
            .data
        )
    remember(made)
    if as_json:
        print_json(made)
        return
    inherited = made["stats"]["file_count"]
    out.print(
        f"created dataset {escape(label(made))} ({made['id']}) "
        f"in project {escape(made.get('project') or made['project_id'])}"
        + (f", {count_files(inherited)} from its parents" if inherited else ""),
        highlight=False,
    )
    err.print(
        "it is the current dataset: next `corral dataset add --files PATH` "
        "then `corral dataset close`",
        style="dim",
        highlight=False,
    )


# --- upload, close -----------------------------------------------------------------------


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
    with dataset_errors(resumable=True):
        version, ds = open_writable(dataset_id)
        ds.upload(
            show_progress=True,
            output_url=output_uri,
            compression=compression,
            chunk_size=chunk_size,
            max_workers=max_workers,
        )
        report_pending(version["id"], f"uploaded {named(version)}")


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
    with dataset_errors(resumable=True):
        version, ds = open_writable(dataset_id)
        if not no_upload:
            ds.upload(show_progress=True, output_url=output_uri, max_workers=max_workers)
        with hub() as client:
            pending = client.datasets.get(version["id"])["stats"].get("pending_count", 0)
        if pending:
            raise fail(
                f"{count_files(pending)} of {label(version)} not uploaded: run "
                "`corral dataset upload` (or `corral dataset close` without --no-upload)"
            )
        ds.finalize()
    out.print(f"dataset {escape(label(version))} ({version['id']}) is final", highlight=False)


# --- get ---------------------------------------------------------------------------------


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
    part: Annotated[
        int | None,
        typer.Option("--part", min=0, help="Only this part (0 to --num-parts - 1): split work."),
    ] = None,
    num_parts: Annotated[
        int | None, typer.Option("--num-parts", min=1, help="How many parts with --part.")
    ] = None,
    verify: Annotated[
        bool, typer.Option("--verify", help="Check every cached file's SHA-256, not only its size.")
    ] = False,
    max_workers: WorkersOpt = None,
) -> None:
    """Fetch a final version and print its folder (stdout holds the path only).

    Without --copy the folder is a read-only copy in the machine's dataset cache
    (CORRAL_DATASET_CACHE), shared by every process; fetching it again costs nothing,
    and a damaged cached file is fetched again. Example:
    cd "$(corral dataset get --project data --name parking)"
    """
    if (dataset_id is None) == (name is None):
        raise fail("give a dataset ID, or --name (with --project, --version) but not both")
    if (part is None) != (num_parts is None) or (part is not None and part >= (num_parts or 0)):
        raise fail("--part K goes with --num-parts N, and 0 <= K < N")
    if overwrite and copy is None:
        raise fail("--overwrite goes with --copy DIR")
    target = copy.expanduser() if copy is not None else None
    if target is not None and not overwrite and target.is_dir() and any(target.iterdir()):
        raise fail(f"{target} is not empty: add --overwrite to replace what it holds")
    with dataset_errors(resumable=True):
        with hub() as client:
            found = (
                fetch_dataset(client, dataset_id)
                if dataset_id
                else find_version(client, project, str(name), version)
            )
        if found["state"] != "final":
            raise fail(f"dataset {label(found)} is not final yet: `corral dataset close` it first")
        folder = _fetch(
            found["id"],
            target,
            overwrite=overwrite,
            link=link,
            verify=verify,
            part=part,
            num_parts=num_parts,
            max_workers=max_workers,
        )
    typer.echo(str(folder))


def _fetch(dataset_id: str, target: Path | None, **options: Any) -> Path:
    """The cached copy (or a writable one in ``target``), through the SDK's fetch."""
    from corral.datasets import fetch
    from corral.sdk.session import hub_client

    client = hub_client()
    common = {k: options[k] for k in ("part", "num_parts", "max_workers")}
    if target is not None:
        return fetch.mutable_copy(
            client, dataset_id, target, overwrite=options["overwrite"], **common
        )
    return fetch.local_copy(
        client, dataset_id, use_soft_links=options["link"], verify=options["verify"], **common
    )


# --- delete, squash ----------------------------------------------------------------------


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
            deleted = sdk().delete(dataset_id=found["id"], force=force)
        except ConflictError as e:
            if force:
                raise
            reason = e.detail.split("; pass force")[0]  # the hub's words for the API
            raise fail(f"{reason}: add --force to delete it anyway") from e
        forget([found["id"], *deleted])
    out.print(f"deleted dataset {escape(label(found))} ({found['id']})", highlight=False)


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
        f"{count_files(made['stats']['file_count'])}",
        highlight=False,
    )


# in the order of a dataset's life, as `corral dataset --help` lists them
for _name, _command, _cls in (
    ("create", create, VariadicCommand),
    ("add", datasets_files.add, VariadicCommand),
    ("remove", datasets_files.remove, VariadicCommand),
    ("sync", datasets_files.sync, None),
    ("upload", upload, None),
    ("close", close, None),
    ("list", datasets_show.list_, VariadicCommand),
    ("show", datasets_show.show, None),
    ("get", get, None),
    ("diff", datasets_show.diff, None),
    ("delete", delete, None),
    ("squash", squash, VariadicCommand),
):
    dataset_app.command(_name, cls=_cls)(_command)
