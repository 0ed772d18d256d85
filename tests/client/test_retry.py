"""The retry policy: what is retried, how long it waits, and Retry-After (transport as seam)."""

from __future__ import annotations

import random
import threading

import httpx
import pytest

from corral.client.config import HubCredentials
from corral.client.http import HubClient
from corral.client.retry import RETRY_AFTER_MAX, RetryPolicy, retry_after, retryable
from corral.errors import ConflictError, CorralError, NotFoundError, ServerUnavailableError


def scripted(
    *answers: int | Exception, retry_after: str | None = None
) -> tuple[HubClient, list[int]]:
    """A client whose hub answers ``answers`` in turn (a status, or a transport error)."""
    calls: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        answer = answers[min(len(calls), len(answers) - 1)]
        calls.append(len(calls))
        if isinstance(answer, Exception):
            raise answer
        headers = {"Retry-After": retry_after} if retry_after and answer >= 400 else {}
        if answer >= 400:
            body = {"title": "x", "detail": f"answer {answer}", "status": answer}
            return httpx.Response(answer, json=body, headers=headers)
        return httpx.Response(answer, json={"ok": True})

    creds = HubCredentials("http://hub.test", "k", "s")
    return HubClient(creds, transport=httpx.MockTransport(handle)), calls


@pytest.mark.parametrize("status", [429, 502, 503, 504])
def test_busy_answers_are_retried_until_one_passes(status: int) -> None:
    client, calls = scripted(status, status, 200)
    pauses: list[float] = []
    result = RetryPolicy(first=0.5, retries=5).call(lambda: client.get("x"), sleep=pauses.append)
    assert result == {"ok": True}
    assert len(calls) == 3 and len(pauses) == 2


def test_unreachable_hub_is_retried() -> None:
    client, calls = scripted(httpx.ConnectError("refused"), 200)
    pauses: list[float] = []
    assert RetryPolicy(retries=3).call(lambda: client.get("x"), sleep=pauses.append)
    assert len(calls) == 2


@pytest.mark.parametrize("status", [400, 404, 409, 422, 500])
def test_other_answers_are_raised_at_once(status: int) -> None:
    client, calls = scripted(status, 200)
    pauses: list[float] = []
    with pytest.raises(CorralError) as e:
        RetryPolicy(retries=5).call(lambda: client.get("x"), sleep=pauses.append)
    assert e.value.status == status and len(calls) == 1 and pauses == []


def test_the_last_error_is_raised_when_retries_run_out() -> None:
    client, calls = scripted(503)
    pauses: list[float] = []
    with pytest.raises(ServerUnavailableError):
        RetryPolicy(retries=2).call(lambda: client.get("x"), sleep=pauses.append)
    assert len(calls) == 3 and len(pauses) == 2


def test_a_wider_status_set_retries_server_errors() -> None:
    client, calls = scripted(500, 200)
    policy = RetryPolicy(retries=2, statuses=frozenset(range(500, 600)))
    assert policy.call(lambda: client.get("x"), sleep=lambda _: None) == {"ok": True}
    assert len(calls) == 2


def test_retry_after_of_a_429_sets_the_pause() -> None:
    client, _ = scripted(429, 200, retry_after="7")
    pauses: list[float] = []
    RetryPolicy(first=0.1, cap=1.0, retries=1).call(lambda: client.get("x"), sleep=pauses.append)
    assert pauses == [7.0]


def test_retry_after_is_bounded_and_dates_are_ignored() -> None:
    huge = CorralError("busy")
    huge.headers = {"Retry-After": "100000"}
    date = CorralError("busy")
    date.headers = {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    assert retry_after(huge) == RETRY_AFTER_MAX
    assert retry_after(date) is None
    assert retry_after(None) is None


def test_pauses_grow_to_the_cap_within_the_jitter() -> None:
    policy = RetryPolicy(first=1.0, cap=8.0, factor=2.0, jitter=0.25, rng=random.Random(7))
    nominal = [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    for attempt, top in enumerate(nominal):
        pause = policy.delay(attempt)
        assert top * 0.75 <= pause <= top


def test_backoff_starts_over_after_a_success() -> None:
    backoff = RetryPolicy(first=0.5, cap=2.0, jitter=0).backoff()
    assert [backoff.next(), backoff.next(), backoff.next(), backoff.next()] == [0.5, 1.0, 2.0, 2.0]
    backoff.reset()
    assert backoff.next() == 0.5


def test_a_set_stop_event_ends_the_wait_and_raises() -> None:
    client, calls = scripted(503)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ServerUnavailableError):
        RetryPolicy(first=60, retries=None).call(lambda: client.get("x"), stop=stop)
    assert len(calls) == 1


def test_retryable_sorts_errors() -> None:
    assert retryable(ServerUnavailableError("away"))
    assert retryable(httpx.ReadTimeout("slow"))
    assert not retryable(NotFoundError("gone"))
    assert not retryable(ConflictError("no"))
    assert not retryable(ValueError("bug"))
