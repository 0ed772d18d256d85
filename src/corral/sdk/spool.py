"""A folder of operations waiting for the hub: the spool of a run that lost the hub, and
the folder of an offline run.

::

    <folder>/
      meta.json        {"task_id": ..., "name": ..., "project": ..., "offline": bool, "created": ...}
      ops.jsonl        one operation per line, in order (see ``corral.sdk.outbox``)
      done             how many lines of ops.jsonl the hub has acknowledged
      files/           copies of the files that upload operations send
      lock             held (``flock``) by the process writing the folder

Operations the hub refuses for good (a 4xx other than 401, 408 and 429: bad input,
a missing task, a quota) are set aside, never retried and never in the way of what
comes after: :func:`set_aside` appends them, with the hub's reason, to
``~/.corral/rejected/<task id>.jsonl`` (the files they would upload under
``rejected/files/``), next to the spool.

Every operation is idempotent (event batches carry their ids, creates carry the
client's id, the rest are PUT-like), so replaying a line twice stores it once: a
replay that stops half-way starts again from ``done``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

import orjson

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, folders are per process anyway
    fcntl = None  # type: ignore[assignment]

Op = dict[str, Any]


def spool_root() -> Path:
    """``~/.corral/spool``: where runs that lost the hub leave what the hub has not got."""
    return Path(os.environ.get("CORRAL_SPOOL_DIR") or Path.home() / ".corral" / "spool")


def rejected_root() -> Path:
    """``~/.corral/rejected``, next to the spool: operations the hub refused for good."""
    return spool_root().parent / "rejected"


def set_aside(op: Op, reason: str, task_id: str = "") -> Path:
    """Keep an operation the hub refused (with why) out of every spool; returns where.

    A file the operation would have uploaded, and that nobody else keeps (``remove_src``),
    moves to ``rejected/files/``.
    """
    root = rejected_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    if op.get("kind") == "upload" and op.get("remove_src"):
        src = Path(op["src"])
        if src.exists():
            (root / "files").mkdir(mode=0o700, exist_ok=True)
            target = root / "files" / f"{time.time_ns()}-{src.name}"
            shutil.move(src, target)
            op = {**op, "src": str(target)}
    path = root / f"{task_id or 'unknown'}.jsonl"
    line = {"time": time.time(), "task_id": task_id, "reason": reason, "op": op}
    with path.open("ab") as f:
        f.write(orjson.dumps(line) + b"\n")
    return path


def offline_root() -> Path:
    """``~/.corral/offline``: where offline runs record (``corral task import`` uploads them)."""
    return Path(os.environ.get("CORRAL_OFFLINE_DIR") or Path.home() / ".corral" / "offline")


class SpoolWriter:
    """Appends operations to a folder; holds the folder's lock while open."""

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        (folder / "files").mkdir(parents=True, exist_ok=True)
        self._lock = _lock(folder)
        meta_path = folder / "meta.json"
        if not meta_path.exists():
            _write_atomic(meta_path, json.dumps({**meta, "created": time.time()}))
        self._ops: TextIO = (folder / "ops.jsonl").open("a", encoding="utf-8")
        self._files = 0

    def append(self, op: Op) -> None:
        """Write one operation; an upload's file is copied (or moved) into ``files/`` first."""
        if op.get("kind") == "upload" and not _inside(Path(op["src"]), self.folder):
            op = self._keep_file(op)
        # orjson writes NaN and infinities as null, as the hub stores missing values
        self._ops.write(orjson.dumps(op).decode() + "\n")

    def flush(self) -> None:
        self._ops.flush()
        os.fsync(self._ops.fileno())

    def close(self) -> None:
        if not self._ops.closed:
            self.flush()
            self._ops.close()
        _unlock(self._lock)

    def _keep_file(self, op: Op) -> Op:
        src = Path(op["src"])
        self._files += 1
        target = self.folder / "files" / f"{self._files:06d}-{src.name}"
        while target.exists():
            self._files += 1
            target = self.folder / "files" / f"{self._files:06d}-{src.name}"
        if op.get("remove_src"):
            shutil.move(src, target)
        else:
            shutil.copyfile(src, target)
        return {**op, "src": str(target), "remove_src": True}


def pending(folder: Path) -> Iterator[tuple[int, Op]]:
    """The operations not yet acknowledged, with their line numbers."""
    done = read_done(folder)
    path = folder / "ops.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n < done or not line.endswith("\n"):
                continue  # a line without its newline was cut off by a crash: never acknowledged
            yield n, json.loads(line)


def count_ops(folder: Path) -> int:
    path = folder / "ops.jsonl"
    if not path.exists():
        return 0
    with path.open("rb") as f:
        return sum(1 for line in f if line.endswith(b"\n"))


def read_done(folder: Path) -> int:
    try:
        return int((folder / "done").read_text().strip() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def mark_done(folder: Path, count: int) -> None:
    _write_atomic(folder / "done", str(count))


def read_meta(folder: Path) -> dict[str, Any]:
    try:
        data = json.loads((folder / "meta.json").read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def try_lock(folder: Path) -> Any | None:
    """The folder's lock if no live process holds it (an orphan), else ``None``."""
    try:
        return _lock(folder, blocking=False)
    except BlockingIOError:
        return None


def release(handle: Any) -> None:
    _unlock(handle)


def orphans(root: Path | None = None) -> list[Path]:
    """Spool folders whose writer has exited, oldest first."""
    base = root or spool_root()
    if not base.is_dir():
        return []
    found = [p for p in base.iterdir() if (p / "ops.jsonl").exists()]
    return sorted(found, key=lambda p: p.stat().st_mtime)


def _lock(folder: Path, blocking: bool = True) -> Any:
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / "lock").open("a")
    if fcntl is not None:
        flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(handle.fileno(), flags)
        except BlockingIOError:
            handle.close()
            raise
    return handle


def _unlock(handle: Any) -> None:
    if handle is None or handle.closed:
        return
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    handle.close()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
