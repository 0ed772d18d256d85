"""Browser sessions: opened by a login, listed and ended by their user (or an admin).

The cookie carries a random token; only its SHA-256 (``token_hash``) is stored. A
session's public id is the first 16 hex characters of that hash, never the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from corral.server.auth.credentials import digest, new_token
from corral.server.auth.login import Failure
from corral.server.db.models import User, WebSession
from corral.server.services import audit, changes
from corral.server.services.clock import now

#: characters of ``token_hash`` that make a session's public id
PUBLIC_ID_LENGTH = 16
#: ``last_seen_at`` is written at most this often per session
SEEN_EVERY = timedelta(minutes=1)


def public_id(web: WebSession) -> str:
    return web.token_hash[:PUBLIC_ID_LENGTH]


def open_session(
    session: Session, user: User, *, hours: float, address: str | None, user_agent: str
) -> tuple[WebSession, str]:
    """Open a browser session for ``user``. Returns (the row, the cookie token)."""
    token = new_token()
    at = now()
    web = WebSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=new_token(),
        created_at=at,
        expires_at=at + timedelta(hours=hours),
        last_seen_at=at,
        address=address,
        user_agent=user_agent[:255],
    )
    session.add(web)
    # Expired sessions of anyone are dropped here, so the table does not grow forever.
    session.execute(delete(WebSession).where(WebSession.expires_at < at))
    session.flush()
    return web, token


def session_for_token(session: Session, token: str) -> WebSession | None:
    return session.get(WebSession, digest(token))


def logout(session: Session, token: str) -> WebSession | None:
    """End the session of a cookie token; the ended row, or None."""
    web = session_for_token(session, token)
    if web is not None:
        session.delete(web)
        session.flush()
        _record_end(session, web)
    return web


def list_sessions(session: Session, user_id: str) -> list[WebSession]:
    """A user's sessions that have not expired, newest first."""
    return list(
        session.scalars(
            select(WebSession)
            .where(WebSession.user_id == user_id, WebSession.expires_at > now())
            .order_by(WebSession.created_at.desc(), WebSession.token_hash)
        )
    )


def find(session: Session, session_id: str) -> WebSession | None:
    """The session with this public id (16 hex characters), if any."""
    if len(session_id) != PUBLIC_ID_LENGTH:
        return None
    return session.scalar(
        select(WebSession)
        .where(WebSession.token_hash >= session_id)
        .where(WebSession.token_hash < session_id + "g")  # hex digits sort before "g"
        .order_by(WebSession.token_hash)
        .limit(1)
    )


def revoke(session: Session, web: WebSession, owner_name: str) -> None:
    """End one session (its cookie stops working at once)."""
    session.delete(web)
    session.flush()
    _record_end(session, web)
    audit.record(
        session,
        "session.revoked",
        target_type="session",
        target_id=public_id(web),
        target_name=owner_name,
        detail={"user_id": web.user_id},
    )


def end_other_sessions(session: Session, user_id: str, keep: str | None) -> int:
    """End every session of a user but ``keep`` (a token hash); how many ended."""
    rows = list(
        session.scalars(
            select(WebSession).where(
                WebSession.user_id == user_id, WebSession.token_hash != (keep or "")
            )
        )
    )
    for web in rows:
        session.delete(web)
        _record_end(session, web)
    session.flush()
    return len(rows)


def touch(session: Session, token_hash: str, at: datetime | None = None) -> None:
    """Record that a session was used (at most once per ``SEEN_EVERY``)."""
    at = at or now()
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == token_hash)
        .where((WebSession.last_seen_at.is_(None)) | (WebSession.last_seen_at < at - SEEN_EVERY))
        .values(last_seen_at=at)
    )


def needs_touch(last_seen_at: datetime | None, at: datetime | None = None) -> bool:
    return last_seen_at is None or last_seen_at < (at or now()) - SEEN_EVERY


def _record_end(session: Session, web: WebSession) -> None:
    """A change readers (open streams) can act on: this session no longer exists."""
    changes.record(session, "session", public_id(web), "revoked", payload={"user_id": web.user_id})


# --- the audit of password checks ---------------------------------------------------------


def record_login(session: Session, user: User, address: str | None, via: str) -> None:
    audit.record(
        session,
        "login.ok",
        target_type="user",
        target_id=user.id,
        target_name=user.name,
        detail={"via": via},
        actor=(user.id, user.name),
        address=address,
    )


def record_failure(
    session: Session, failure: Failure, via: str, actor: tuple[str | None, str] | None = None
) -> None:
    """``login.failed`` (the name tried, from where), and ``login.locked`` when it locked."""
    detail = {"user": failure.name, "via": via, "failures": failure.failures}
    entries = [("login.failed", "failed", detail)]
    if failure.locked or failure.address_locked:
        locked = "user" if failure.locked else "address"
        entries.append(("login.locked", "denied", {**detail, "locked": locked}))
    for action, outcome, what in entries:
        audit.record(
            session,
            action,
            target_type="user",
            target_id=failure.user_id or "",
            target_name=failure.name,
            outcome=outcome,
            detail=what,
            actor=actor or (None, ""),
            address=failure.address,
        )
