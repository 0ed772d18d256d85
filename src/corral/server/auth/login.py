"""Password checks that never hold a database lock, behind a throttle against guessing.

:meth:`LoginGuard.check` is the one place a user name and a password are checked:
``POST /auth/login``, HTTP Basic ``user:password`` and ``POST /auth/password`` use it.

1. **Refuse at once** (429 + ``Retry-After``, the password is not checked) while the
   user name must wait (a growing delay after ``login_delay_after`` failures: 1 s, 2 s,
   4 s ... at most 60 s), while it is locked out (``login_lockout_after`` failures, for
   ``login_lockout_minutes``) or while the address is locked out
   (``address_lockout_after`` failures). A refusal seen once is remembered by the
   process for a few seconds, so a flood of attempts costs no database work at all.
2. **Claim the attempt** in a short write transaction: it is counted as a failure in
   advance, so guesses sent in parallel cannot slip past the limit; the user's hash
   is read here.
3. **Verify outside any transaction** (argon2 takes a large fraction of a second).
   Unknown and inactive users and users without a password (service accounts, SSO
   users) are verified against a dummy hash: the same work and the same answer as a
   wrong password.
4. **The outcome** in a short write transaction: a success clears the user name's
   counter, gives the address its attempt back and runs the caller's ``on_success``;
   a failure starts the delay from now and runs ``on_failure`` (the caller audits).

Counters are kept per subject (``user:NAME``, ``ip:ADDRESS``) in ``LoginThrottle``, for
names that do not exist as well, so no answer tells which user names exist. The
address only locks (after many failures): people behind one NAT share it. A
subject's failures are forgotten a day after its last one.

This module opens its own transactions (the check must happen between two of them),
so routes that use it do not take ``SessionDep``.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from corral.errors import AuthError, TooManyRequestsError
from corral.server.auth.credentials import digest, hash_password, new_token, verify_password
from corral.server.db.models import LoginThrottle, User, utcnow
from corral.server.db.unit_of_work import Notifier, write_transaction
from corral.server.settings import ServerSettings

__all__ = [
    "ADDRESS",
    "USER",
    "Failure",
    "LoginGuard",
    "WrongPassword",
    "address_subject",
    "clear_lockout",
    "guard_for",
    "list_lockouts",
    "printable",
    "user_subject",
]

T = TypeVar("T")

USER = "user:"
ADDRESS = "ip:"
#: the longest delay between two attempts, in seconds
MAX_DELAY = 60.0
#: failures are forgotten this long after the last one (unless locked out)
FORGET_AFTER = timedelta(hours=24)
#: seconds a process trusts a refusal it saw before asking the database again
#: (another process of the hub may clear a lockout)
RECHECK = 5.0
#: refusals remembered by one process at most
MAX_REMEMBERED = 10_000
#: the longest user name looked up (longer ones cannot exist)
NAME_MAX = 255

WRONG = "wrong user name or password"
DELAYED = (
    "too many failed logins: wait before the next attempt "
    "(the Retry-After header gives the seconds)"
)

_THROTTLE = cast(Table, LoginThrottle.__table__)


class WrongPassword(AuthError):
    """The user name and password do not match (or the user may not log in)."""


def _clean(text: str) -> str | None:
    """``text`` if the databases can store and compare it, else None."""
    if "\x00" in text or len(text) > NAME_MAX:
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return text


def printable(text: str) -> str:
    """``text`` as both databases can store it (for the audit log): NUL bytes and lone
    surrogates escaped, at most ``NAME_MAX`` characters."""
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")
    return safe[:NAME_MAX]


def user_subject(name: str) -> str:
    """The throttle subject of a user name (a digest for names no user can have)."""
    clean = _clean(name)
    return USER + (
        clean if clean is not None else "#" + digest(name.encode("utf-8", "replace").hex())
    )


def address_subject(address: str) -> str:
    return ADDRESS + (address or "unknown")


@dataclass(frozen=True)
class Limits:
    delay_after: int
    lockout_after: int
    lockout: timedelta
    address_lockout_after: int

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> Limits:
        return cls(
            delay_after=settings.login_delay_after,
            lockout_after=settings.login_lockout_after,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
            address_lockout_after=settings.address_lockout_after,
        )

    def delay(self, failures: int) -> float:
        """Seconds before the next attempt of a user name with ``failures`` failures."""
        if failures < self.delay_after:
            return 0.0
        return min(MAX_DELAY, 2.0 ** min(failures - self.delay_after, 16))

    @property
    def lockout_minutes(self) -> str:
        return f"{self.lockout.total_seconds() / 60:g}"


@dataclass(frozen=True)
class Refusal:
    """A subject may not try before ``until``."""

    subject: str
    until: datetime
    locked: bool

    def error(self, limits: Limits) -> TooManyRequestsError:
        wait = math.ceil((self.until - utcnow()).total_seconds())
        if not self.locked:
            detail = DELAYED
        elif self.subject.startswith(ADDRESS):
            detail = (
                f"too many failed logins from your address: it is locked out for "
                f"{limits.lockout_minutes} minutes; an admin can clear the lockout"
            )
        else:
            detail = (
                f"too many failed logins: this account is locked out for "
                f"{limits.lockout_minutes} minutes; an admin can clear the lockout"
            )
        return TooManyRequestsError(detail, retry_after=max(1, wait))


def _refusal(row: LoginThrottle, now: datetime) -> Refusal | None:
    if row.locked_until is not None and row.locked_until > now:
        return Refusal(row.subject, row.locked_until, locked=True)
    if row.next_attempt_at is not None and row.next_attempt_at > now:
        return Refusal(row.subject, row.next_attempt_at, locked=False)
    return None


def _latest(refusals: Iterable[Refusal | None]) -> Refusal | None:
    found = [r for r in refusals if r is not None]
    return max(found, key=lambda r: (r.until, r.locked)) if found else None


@dataclass(frozen=True)
class Failure:
    """A failed attempt, as the caller's ``on_failure`` sees it (to audit it)."""

    #: the name tried, made storable (see ``printable``)
    name: str
    address: str
    #: the user of that name, when there is one
    user_id: str | None
    #: the user name's failures, this one included
    failures: int
    #: this failure locked the user name out
    locked: bool
    #: this failure locked the address out
    address_locked: bool


@dataclass(frozen=True)
class _Claim:
    user_id: str | None
    password_hash: str | None
    address_locked: bool


class _Refusals:
    """Refusals seen lately, so a flood of attempts is answered without the database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, Refusal]] = {}

    def find(self, subjects: Iterable[str], now: datetime) -> Refusal | None:
        clock = time.monotonic()
        found = []
        with self._lock:
            for subject in subjects:
                item = self._items.get(subject)
                if item is None:
                    continue
                recheck, refusal = item
                if clock >= recheck or refusal.until <= now:
                    del self._items[subject]
                else:
                    found.append(refusal)
        return _latest(found)

    def remember(self, refusal: Refusal | None) -> None:
        if refusal is None:
            return
        with self._lock:
            if len(self._items) >= MAX_REMEMBERED:
                self._items.clear()
            self._items[refusal.subject] = (time.monotonic() + RECHECK, refusal)

    def forget(self, subject: str) -> None:
        with self._lock:
            self._items.pop(subject, None)


@functools.cache
def _dummy_hash() -> str:
    """A hash nobody knows the password of, verified for users who cannot log in."""
    return hash_password(new_token())


class LoginGuard:
    """Checks passwords for one hub process (see the module docstring).

    Example::

        guard = guard_for(request.app.state)
        principal = guard.check(
            "ada", password, "10.0.0.7",
            on_success=lambda session, user: open_session(session, user),
            on_failure=lambda session, failure: audit_failure(session, failure),
        )
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        limits: Limits,
        notifier: Notifier | None = None,
    ) -> None:
        self._factory = factory
        self.limits = limits
        self._notifier = notifier
        self._refusals = _Refusals()

    # --- the check --------------------------------------------------------------------

    def refuse_early(self, name: str, address: str) -> None:
        """Raise the 429 of a refusal this process already knows of (no database work)."""
        refusal = self._refusals.find((user_subject(name), address_subject(address)), utcnow())
        if refusal is not None:
            raise refusal.error(self.limits)

    def check(
        self,
        name: str,
        password: str,
        address: str,
        *,
        on_success: Callable[[Session, User], T],
        on_failure: Callable[[Session, Failure], None],
    ) -> T:
        """Check ``password`` for the user ``name`` trying from ``address``.

        ``on_success(session, user)`` runs in the transaction that records the success
        and its result is returned; ``on_failure(session, failure)`` runs in the one that
        records a failure.

        Raises:
            TooManyRequestsError: the name or the address must wait (the password was
                not checked).
            WrongPassword: the name and password do not match, the user is inactive or
                has no password (all answer the same).
        """
        subjects = (user_subject(name), address_subject(address))
        self.refuse_early(name, address)
        self._refuse_from_database(subjects)
        claim = self._claim(name, subjects)
        if self._verify(password, claim):
            result = self._succeed(claim, subjects, on_success)
            self._refusals.forget(subjects[0])
            return result
        self._fail(name, address, claim, subjects, on_failure)
        raise WrongPassword(WRONG)

    def forget(self, subject: str) -> None:
        """Drop what this process remembers of ``subject`` (after an admin cleared it)."""
        self._refusals.forget(subject)

    # --- the steps --------------------------------------------------------------------

    def _refuse_from_database(self, subjects: tuple[str, str]) -> None:
        """A read (no lock): refused subjects never reach the write transaction."""
        now = utcnow()
        with self._factory() as session:
            rows = session.scalars(
                select(LoginThrottle).where(LoginThrottle.subject.in_(subjects))
            ).all()
        refusal = _latest(_refusal(row, now) for row in rows)
        if refusal is not None:
            self._refusals.remember(refusal)
            raise refusal.error(self.limits)

    def _claim(self, name: str, subjects: tuple[str, str]) -> _Claim:
        with write_transaction(self._factory) as session:
            now = utcnow()
            rows = _lock_rows(session, subjects, now)
            refusal = _latest(_refusal(row, now) for row in rows.values())
            if refusal is not None:  # another attempt got there first
                self._refusals.remember(refusal)
                raise refusal.error(self.limits)
            user_row, address_row = rows[subjects[0]], rows[subjects[1]]
            _count(user_row, now)
            _count(address_row, now)
            if user_row.failures >= self.limits.lockout_after:
                user_row.locked_until = now + self.limits.lockout
            else:
                # blocks parallel attempts while this one is checked, if it would delay
                delay = self.limits.delay(user_row.failures)
                user_row.next_attempt_at = now + timedelta(seconds=delay) if delay else None
            address_locked = address_row.failures >= self.limits.address_lockout_after
            if address_locked:
                address_row.locked_until = now + self.limits.lockout
            user = None
            if _clean(name) is not None:
                user = session.scalar(select(User).where(User.name == name))
            return _Claim(
                user_id=user.id if user is not None else None,
                password_hash=user.password_hash if user is not None and user.active else None,
                address_locked=address_locked,
            )

    @staticmethod
    def _verify(password: str, claim: _Claim) -> bool:
        try:
            password.encode("utf-8")
            usable = True
        except UnicodeEncodeError:  # no password can be set to this: same work, no match
            password, usable = "", False
        known = claim.password_hash is not None
        ok = verify_password(password, claim.password_hash if known else _dummy_hash())
        return ok and known and usable

    def _succeed(
        self, claim: _Claim, subjects: tuple[str, str], on_success: Callable[[Session, User], T]
    ) -> T:
        with write_transaction(self._factory, notifier=self._notifier) as session:
            session.execute(delete(LoginThrottle).where(LoginThrottle.subject == subjects[0]))
            address_row = session.get(LoginThrottle, subjects[1], with_for_update=True)
            if address_row is not None:
                address_row.failures = max(0, address_row.failures - 1)
                if claim.address_locked:
                    address_row.locked_until = None
                if address_row.failures == 0 and address_row.locked_until is None:
                    session.delete(address_row)
            user = session.get(User, claim.user_id) if claim.user_id else None
            if user is None or not user.active:  # removed while its password was checked
                raise WrongPassword(WRONG)
            return on_success(session, user)

    def _fail(
        self,
        name: str,
        address: str,
        claim: _Claim,
        subjects: tuple[str, str],
        on_failure: Callable[[Session, Failure], None],
    ) -> None:
        with write_transaction(self._factory, notifier=self._notifier) as session:
            now = utcnow()
            rows = {
                row.subject: row
                for row in session.scalars(
                    select(LoginThrottle)
                    .where(LoginThrottle.subject.in_(subjects))
                    .with_for_update()
                )
            }
            user_row, address_row = rows.get(subjects[0]), rows.get(subjects[1])
            locked = address_locked = False
            failures = 0
            if user_row is not None:  # None: an admin cleared it meanwhile
                failures = user_row.failures
                delay = self.limits.delay(failures)
                user_row.next_attempt_at = now + timedelta(seconds=delay) if delay else None
                locked = failures >= self.limits.lockout_after
                if locked:
                    user_row.locked_until = now + self.limits.lockout
            if address_row is not None:
                address_locked = address_row.failures >= self.limits.address_lockout_after
                if address_locked:
                    address_row.locked_until = now + self.limits.lockout
            _forget_old(session, now)
            on_failure(
                session,
                Failure(printable(name), address, claim.user_id, failures, locked, address_locked),
            )
            refusals = [_refusal(row, now) for row in rows.values()]
        for refusal in refusals:
            self._refusals.remember(refusal)


def _lock_rows(
    session: Session, subjects: tuple[str, str], now: datetime
) -> dict[str, LoginThrottle]:
    """The subjects' rows, created when missing, locked until the transaction ends."""
    values = [
        {"subject": s, "failures": 0, "first_failure_at": now, "last_failure_at": now}
        for s in subjects
    ]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(_THROTTLE).values(values).on_conflict_do_nothing(index_elements=["subject"])
        )
    else:
        session.execute(
            sqlite_insert(_THROTTLE)
            .values(values)
            .on_conflict_do_nothing(index_elements=["subject"])
        )
    rows = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.subject.in_(subjects))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.subject: row for row in rows}


def _count(row: LoginThrottle, now: datetime) -> None:
    """Count one more failure (in advance: a success gives it back)."""
    locked = row.locked_until is not None and row.locked_until > now
    if row.failures and row.last_failure_at < now - FORGET_AFTER and not locked:
        row.failures = 0
        row.first_failure_at = now
        row.next_attempt_at = row.locked_until = None
    row.failures += 1
    row.last_failure_at = now


def _forget_old(session: Session, now: datetime) -> None:
    session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.last_failure_at < now - FORGET_AFTER)
        .where(or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now))
    )


_guard_lock = threading.Lock()


def guard_for(state: Any) -> LoginGuard:
    """The hub process's guard, kept on the application's ``state``."""
    guard: LoginGuard | None = getattr(state, "login_guard", None)
    if guard is None:
        with _guard_lock:
            guard = getattr(state, "login_guard", None)
            if guard is None:
                settings: ServerSettings = state.settings
                guard = LoginGuard(
                    state.sessionmaker,
                    Limits.from_settings(settings),
                    getattr(state, "changes_notifier", None),
                )
                state.login_guard = guard
    return guard


# --- lockouts, for admins ------------------------------------------------------------------


def list_lockouts(session: Session, limit: int = 1000) -> list[LoginThrottle]:
    """Subjects with failures not yet forgotten: locked out, delayed or counting."""
    now = utcnow()
    return list(
        session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.failures > 0)
            .where(
                or_(
                    LoginThrottle.last_failure_at >= now - FORGET_AFTER,
                    LoginThrottle.locked_until > now,
                )
            )
            .order_by(LoginThrottle.last_failure_at.desc(), LoginThrottle.subject)
            .limit(limit)
        )
    )


def clear_lockout(session: Session, subject: str) -> LoginThrottle | None:
    """Forget a subject's failures (its lockout and delay end); None if it had none."""
    row = session.get(LoginThrottle, subject)
    if row is not None:
        session.delete(row)
        session.flush()
    return row
