"""Registered artifacts: live pandas DataFrames the task keeps up to date on the hub.

``task.register_artifact("train", df)`` uploads ``df`` at once and then watches it: a
background thread ("corral-artifacts") looks at every registered frame each
``CORRAL_ARTIFACT_SYNC_INTERVAL`` seconds (30 by default), and so do ``task.flush()``,
reading ``task.artifacts`` and the end of the run. A frame whose content changed is
uploaded again (the artifact of the same name is replaced), so the hub has the last
content when the run closes. Unchanged frames cost a hash, never an upload.

The content is compared by a digest of ``pandas.util.hash_pandas_object`` over rows
and index, with the columns and dtypes: cheap next to writing the file. The
uniqueness of rows (over ``uniqueness_columns``) goes into the artifact's metadata
and preview, as ClearML's data audit does.

Example::

    df = pd.DataFrame({"id": [1, 2], "label": ["cat", "dog"]})
    task.register_artifact("train", df, uniqueness_columns=["id"])
    df.loc[2] = [3, "cow"]          # uploaded again at the next look, or task.flush()
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from corral.sdk import threads
from corral.sdk.artifacts import store_artifact
from corral.sdk.handle import RunHandle

log = logging.getLogger("corral.sdk")

#: seconds between two looks at the registered frames (``CORRAL_ARTIFACT_SYNC_INTERVAL``)
DEFAULT_INTERVAL = 30.0


@dataclass
class _Entry:
    frame: Any
    metadata: dict[str, Any]
    columns: list[str] | None  # None: every column
    digest: str | None = None  # of the content last uploaded
    warned: set[str] = field(default_factory=set)


class RegisteredArtifacts(Mapping[str, Any]):
    """The run's registered DataFrames by name, and the thread that keeps them synced."""

    def __init__(self, handle: RunHandle, interval: float | None = None) -> None:
        self._handle = handle
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()  # one look at a time: the thread, flush or close
        self._interval = interval if interval is not None else _interval()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the mapping: name -> the live object ------------------------------------------

    def __getitem__(self, name: str) -> Any:
        return self._entries[name].frame

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    # --- the task's calls ----------------------------------------------------------------

    def register(
        self,
        name: str,
        frame: Any,
        metadata: Mapping[str, Any] | None,
        uniqueness_columns: bool | str | Sequence[str],
    ) -> None:
        """Watch ``frame`` as artifact ``name`` and upload it now (see ``Task``)."""
        pd = _pandas_of(frame)
        if pd is None:
            raise TypeError(
                f"register_artifact watches a pandas DataFrame, not a {type(frame).__name__}; "
                "use upload_artifact for other objects"
            )
        if not isinstance(name, str) or not name or len(name) > 255:
            raise ValueError("an artifact name is a str of 1 to 255 characters")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise TypeError(f"metadata is a dict, not a {type(metadata).__name__}")
        columns = _uniqueness_columns(uniqueness_columns, frame)
        entry = _Entry(frame, dict(metadata or {}), columns)
        with self._lock:
            self._entries[name] = entry
            self._sync_one(name, entry)
        self._start()

    def unregister(self, name: str) -> None:
        """Stop watching ``name``, after one last look (its last content is uploaded)."""
        with self._lock:
            entry = self._entries.get(name)
            if entry is None:
                known = ", ".join(map(repr, self._entries)) or "none"
                raise ValueError(f"no registered artifact named {name!r} (registered: {known})")
            self._sync_one(name, entry)
            del self._entries[name]

    def sync(self) -> None:
        """Upload every registered frame whose content changed since its last upload."""
        with self._lock:
            for name, entry in list(self._entries.items()):
                self._sync_one(name, entry)

    def stop(self) -> None:
        """The run ends: one last look, then the thread stops."""
        self._stop.set()
        self.sync()

    # --- inside -------------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is not None or self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._run, name="corral-artifacts", daemon=True)
        threads.start(self._thread)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.sync()
            except Exception:  # never let the thread die: the next look tries again
                log.warning("corral: could not look at the registered artifacts", exc_info=True)

    def _sync_one(self, name: str, entry: _Entry) -> None:
        try:
            digest = content_digest(entry.frame)
        except Exception as e:  # the script is changing the frame right now: next look
            log.debug("registered artifact %r: no digest (%s)", name, e)
            return
        if digest is not None and digest == entry.digest:
            return
        facts = self._facts(name, entry)
        facts["content_hash"] = digest
        try:
            store_artifact(
                self._handle,
                name,
                entry.frame,
                metadata={**entry.metadata, **facts},
                preview=_preview(entry.frame, facts),
            )
        except Exception:
            log.warning("corral: could not upload registered artifact %r", name, exc_info=True)
            return
        try:
            after = content_digest(entry.frame)
        except Exception:
            after = None
        # changed while it was being written: what was stored may be neither state, so
        # the next look uploads again whatever the content is then
        entry.digest = digest if after == digest else None

    def _facts(self, name: str, entry: _Entry) -> dict[str, Any]:
        frame = entry.frame
        facts: dict[str, Any] = {"registered": True, "rows": len(frame)}
        columns = entry.columns
        if columns is not None:
            present = [c for c in columns if c in frame.columns]
            missing = [c for c in columns if c not in frame.columns]
            if missing and repr(missing) not in entry.warned:
                entry.warned.add(repr(missing))
                log.warning(
                    "corral: registered artifact %r has no column %s; uniqueness over %s",
                    name,
                    ", ".join(map(repr, missing)),
                    present or "no column",
                )
            columns = present
            facts["uniqueness_columns"] = [str(c) for c in present]
        if columns == []:
            return facts
        try:
            import pandas as pd

            subset = frame if columns is None else frame[columns]
            unique = int(pd.util.hash_pandas_object(subset, index=False).nunique())
        except Exception:  # unhashable cells (lists, dicts): no uniqueness figure
            return facts
        facts["unique_rows"] = unique
        facts["uniqueness"] = round(100.0 * unique / len(frame), 2) if len(frame) else 100.0
        return facts


def content_digest(frame: Any) -> str | None:
    """A digest of a DataFrame's content: values, index, column names and dtypes.

    ``None`` when it cannot be computed (cells pandas cannot hash and pickle cannot
    write): the frame is then uploaded at every look.

    Example:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"a": [1, 2]})
        >>> before = content_digest(df)
        >>> df.loc[0, "a"] = 5
        >>> content_digest(df) != before
        True
    """
    import pandas as pd

    digest = hashlib.sha256()
    digest.update(repr([(str(c), str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(repr([str(n) for n in frame.index.names]).encode())
    try:
        rows = pd.util.hash_pandas_object(frame, index=True)
        digest.update(rows.to_numpy().tobytes())
    except TypeError:  # unhashable cells (lists, dicts...)
        try:
            digest.update(pickle.dumps(frame, protocol=5))
        except Exception:
            return None
    return digest.hexdigest()


def _preview(frame: Any, facts: Mapping[str, Any]) -> str:
    text = frame.head(10).to_string()
    summary = f"{facts['rows']} rows"
    if "unique_rows" in facts:
        summary += f", {facts['unique_rows']} unique ({facts['uniqueness']}% uniqueness)"
    return f"{text}\n\n{summary}"


def _pandas_of(obj: Any) -> Any:
    import sys

    pd = sys.modules.get("pandas")
    return pd if pd is not None and isinstance(obj, pd.DataFrame) else None


def _uniqueness_columns(value: bool | str | Sequence[str], frame: Any) -> list[str] | None:
    if value is True:
        return None
    if isinstance(value, str):
        value = [value]
    if isinstance(value, bool) or not isinstance(value, Sequence) or not value:
        raise ValueError(
            "uniqueness_columns is True (every column) or a non-empty list of column names, "
            f"not {value!r}"
        )
    missing = [c for c in value if c not in frame.columns]
    if missing:
        raise ValueError(
            f"uniqueness_columns {missing!r} are not columns of the DataFrame "
            f"(its columns: {[str(c) for c in frame.columns][:20]})"
        )
    return list(value)


def _interval() -> float:
    try:
        value = float(os.environ.get("CORRAL_ARTIFACT_SYNC_INTERVAL", DEFAULT_INTERVAL))
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value > 0 else DEFAULT_INTERVAL


def registry_of(handle: RunHandle) -> RegisteredArtifacts:
    """The run's registry, made (and tied to the run's end) on first use."""
    registry = handle.registered
    if isinstance(registry, RegisteredArtifacts):
        return registry
    run = handle.run
    if run is None or not run.active:
        raise ValueError(
            "register_artifact works on the task this process runs (Task.init), which "
            "uploads the frame as it changes; for another task use upload_artifact"
        )
    registry = RegisteredArtifacts(handle)
    handle.registered = registry
    run.on_stop(registry.stop)
    return registry
