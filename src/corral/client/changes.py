"""Following the hub's change log: every change after a cursor, in order, once.

:class:`ChangeFollower` reads ``GET /changes`` with a cursor (long-poll) or the
server-sent events of ``GET /changes/stream``, with the log's filters
(``entity_type``, a set of ``entity_id``, ``project_id``). It starts at the end of
the log (``"latest"``) or at a given cursor, keeps its cursor, and when the hub is
away it waits (:class:`~corral.client.retry.RetryPolicy`) and resumes from that
cursor: no change is lost or handed over twice across reconnects. ``stop()`` from
any thread ends it at once.

The set of followed ids may change while it runs (:meth:`ChangeFollower.follow_ids`):
an agent follows the tasks running on it. The stretch of the log read with the old
set is read again with the new one, and only what the old set had not matched is
handed over. With an empty set it asks the hub nothing and waits for ids.

Example::

    follower = client.changes.follow(entity_type="task", entity_ids=[task_id])
    threading.Thread(target=follower.run, args=(on_change,), daemon=True).start()
    ...
    follower.stop()

    for change in client.changes.follow(project_id=pid, cursor=0):  # iterator form
        print(change["action"], change["entity_id"])
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast

import httpx
import orjson

from corral.client.retry import RetryPolicy
from corral.errors import CorralError, error_for_status

if TYPE_CHECKING:
    from corral.client.types import Change, ChangePage

log = logging.getLogger("corral.client")

#: the pauses after a failed read: from half a second up to 30 s
FOLLOW_RETRY = RetryPolicy(first=0.5, cap=30.0, statuses=frozenset(range(500, 600)) | {429})
#: seconds a long-poll is held by the hub (at most 60)
WAIT = 25.0
#: seconds between keep-alives of an SSE stream (so a stop is seen within this)
SSE_HEARTBEAT = 5
#: seconds a request may take beyond its wait before it counts as lost
MARGIN = 15.0


class FollowClient(Protocol):
    """What a follower needs of a client (``HubClient`` is one)."""

    def request(self, method: str, path: str, **kwargs: Any) -> Any: ...
    def clone(self, *, timeout: float | httpx.Timeout | None = None) -> FollowClient: ...
    def interrupt(self) -> None: ...
    def close(self) -> None: ...
    @property
    def http(self) -> httpx.Client: ...


class Changes:
    """``/changes``: pages of the change log, its end, and followers."""

    def __init__(self, client: FollowClient) -> None:
        self._client = client

    def latest(self) -> int:
        """The id of the newest change (0 when the log is empty): a new reader starts here."""
        return int(self._client.request("GET", "changes/latest")["cursor"])

    def page(
        self,
        cursor: int,
        *,
        wait: float = 0,
        limit: int | None = None,
        entity_type: str | None = None,
        entity_ids: Iterable[str] | None = None,
        project_id: str | None = None,
    ) -> ChangePage:
        """The changes after ``cursor`` (oldest first); ``wait`` holds an empty answer."""
        params = _filters(entity_type, entity_ids, project_id)
        params.update(cursor=cursor, wait=wait)
        if limit is not None:
            params["limit"] = limit
        return cast("ChangePage", self._client.request("GET", "changes", params=params))

    def follow(self, **options: Any) -> ChangeFollower:
        """A :class:`ChangeFollower` on a client of its own (same options)."""
        return ChangeFollower(self._client, **options)


def _filters(
    entity_type: str | None, entity_ids: Iterable[str] | None, project_id: str | None
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if entity_type:
        params["entity_type"] = entity_type
    if entity_ids is not None:
        params["entity_id"] = sorted(entity_ids)
    if project_id:
        params["project_id"] = project_id
    return params


class ChangeFollower:
    """Every matching change after a cursor, in order, once; survives hub restarts.

    One follower is iterated once (its client is closed when the iteration ends).

    Args:
        client: the hub; the follower reads on a clone of it (its own connections,
            closed by :meth:`stop`), so the caller's client is never interrupted.
        entity_type: only changes of this type (``task``, ``model``...).
        entity_ids: only changes of these entities; an empty set reads nothing until
            :meth:`follow_ids` gives some. ``None``: any entity.
        project_id: only changes of this project (its tasks and models too).
        cursor: ``"latest"`` (the end of the log when the follower starts) or the id
            of the last change already seen (``0``: the whole log).
        wait: seconds the hub holds a poll when nothing matches.
        limit: most changes per page (1-1000).
        sse: read ``/changes/stream`` instead of polling ``/changes``.
        retry: the pauses between tries while the hub is away.
    """

    def __init__(
        self,
        client: FollowClient,
        *,
        entity_type: str | None = None,
        entity_ids: Iterable[str] | None = None,
        project_id: str | None = None,
        cursor: int | Literal["latest"] = "latest",
        wait: float = WAIT,
        limit: int = 1000,
        sse: bool = False,
        retry: RetryPolicy = FOLLOW_RETRY,
    ) -> None:
        self._client = client.clone(timeout=httpx.Timeout(MARGIN, read=wait + MARGIN))
        self.entity_type = entity_type
        self.project_id = project_id
        self.wait = wait
        self.limit = limit
        self.sse = sse
        self.retry = retry
        self._cursor: int | None = None if cursor == "latest" else int(cursor)
        self._ids = None if entity_ids is None else frozenset(entity_ids)
        self._ids_version = 0
        #: after changes of ids: (the last id handed over, the ids then followed)
        self._seen: list[tuple[int, frozenset[str] | None]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()

    @property
    def cursor(self) -> int | None:
        """Where the next read starts: the last change handed over (or looked at).

        ``None`` before the start. Save it to resume later; after :meth:`follow_ids` it
        steps back to the start of the read being done again.
        """
        return self._cursor

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def follow_ids(self, entity_ids: Iterable[str]) -> None:
        """Follow these entities from now on (thread-safe); what they did since the cursor
        is read too. A read in flight with the old set is cut short."""
        with self._lock:
            self._ids = frozenset(entity_ids)
            self._ids_version += 1
        self._wake.set()
        self._client.interrupt()

    def stop(self) -> None:
        """End the follower (from any thread): the iterator or :meth:`run` returns soon."""
        self._stop.set()
        self._wake.set()
        self._client.interrupt()

    def run(self, callback: Callable[[Change], object]) -> None:
        """Call ``callback`` with each change until :meth:`stop` (for a daemon thread).

        An exception of ``callback`` is logged and ends the follower; its cursor is
        then that change's id. An error the retry policy does not retry (a ``401``...)
        is raised.
        """
        for change in self:
            try:
                callback(change)
            except Exception:
                log.exception("change follower: the callback failed on change %s", change["id"])
                self.stop()

    def __iter__(self) -> Iterator[Change]:
        backoff = self.retry.backoff()
        try:
            while not self._stop.is_set():
                version = self._ids_version
                try:
                    yield from self._read()
                except (CorralError, httpx.HTTPError) as e:
                    if self._stop.is_set() or self._ids_version != version:
                        continue  # cut short on purpose (stop, or new ids): no pause
                    if isinstance(e, CorralError) and not self.retry.retryable(e):
                        raise
                    pause = backoff.next(e)
                    log.debug("change follower: %s; again in %.2gs", e, pause)
                    self._stop.wait(pause)
                    continue
                backoff.reset()
        finally:
            self._client.close()

    # --- one read: a page of the long-poll, or one SSE connection ----------------------

    def _read(self) -> Iterator[Change]:
        with self._lock:
            ids, version = self._ids, self._ids_version
            self._wake.clear()
        if self._cursor is None:  # "latest": the end of the log when the follower starts
            self._cursor = Changes(self._client).latest()
        if ids is not None and not ids:
            self._wake.wait(self.wait)  # nothing to follow: ask nothing until ids come
            return
        start = self._cursor
        changes = self._stream(ids, start) if self.sse else self._poll(ids, start)
        try:
            for change in changes:
                if self._stop.is_set():
                    return
                if self._handed_over(change):
                    continue
                self._cursor = change["id"]
                yield change
                if self._ids_version != version:
                    return
        finally:
            if self._ids_version != version:
                # the set changed during this read: read its stretch again with the new
                # set, handing over only what the old set had not matched
                self._seen.append((self._cursor, ids))
                self._cursor = start

    def _handed_over(self, change: Change) -> bool:
        """Whether ``change`` was handed over before the set of ids changed."""
        self._seen = [(upto, ids) for upto, ids in self._seen if change["id"] <= upto]
        return any(ids is None or change["entity_id"] in ids for _, ids in self._seen)

    def _poll(self, ids: frozenset[str] | None, start: int) -> Iterator[Change]:
        page = Changes(self._client).page(
            start,
            wait=self.wait,
            limit=self.limit,
            entity_type=self.entity_type,
            entity_ids=ids,
            project_id=self.project_id,
        )
        yield from page["items"]
        # past the changes that did not match, unless this page is read again
        self._cursor = max(self._cursor or 0, int(page["next_cursor"]))

    def _stream(self, ids: frozenset[str] | None, start: int) -> Iterator[Change]:
        params = _filters(self.entity_type, ids, self.project_id)
        params["heartbeat"] = max(1, min(int(self.wait), SSE_HEARTBEAT))
        headers = {"Last-Event-ID": str(start), "Accept": "text/event-stream"}
        http = self._client.http
        with http.stream("GET", "/api/v1/changes/stream", params=params, headers=headers) as r:
            if r.status_code >= 400:
                raise _stream_error(r)
            for data in sse_data(r.iter_lines()):
                yield cast("Change", orjson.loads(data))
                if self._stop.is_set():
                    return
        # the hub ended the stream (a restart): the next read reconnects from the cursor


def _stream_error(response: httpx.Response) -> CorralError:
    response.read()
    try:
        body = response.json()
        detail = str(body.get("detail") or body.get("title") or response.reason_phrase)
    except ValueError:
        detail = response.text[:500] or response.reason_phrase
    return error_for_status(response.status_code, detail)


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The ``data`` of each server-sent event in ``lines`` (comments and ids skipped).

    Example:
        >>> list(sse_data(["retry: 2000", ": connected", "", "id: 1", "data: {}", ""]))
        ['{}']
    """
    data: list[str] = []
    for line in lines:
        if not line:  # a blank line ends an event
            if data:
                yield "\n".join(data)
            data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
