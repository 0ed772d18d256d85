"""Users (admins manage them) and API keys (everyone manages their own)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from corral.errors import PermissionDeniedError
from corral.schemas.users import KeyCreate, KeyCreated, KeyOut, UserCreate, UserOut, UserUpdate
from corral.server.api.deps import AdminUser, CurrentPrincipal, CurrentUser, SessionDep
from corral.server.services import users

router = APIRouter(tags=["users"])


def not_a_task_token(principal: CurrentPrincipal) -> None:
    """A task's token acts for one run: it never sees or makes keys, nor changes accounts."""
    if principal.is_task_token:
        raise PermissionDeniedError("a task's token cannot manage keys or accounts")


NoTaskToken = Depends(not_a_task_token)


@router.get("/users", response_model=list[UserOut])
def list_users(session: SessionDep, _user: CurrentUser) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in users.list_users(session)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, session: SessionDep, _admin: AdminUser) -> UserOut:
    return UserOut.model_validate(users.create_user(session, body))


@router.get("/users/{user_id}", response_model=UserOut)
def get_user(user_id: str, session: SessionDep, _user: CurrentUser) -> UserOut:
    return UserOut.model_validate(users.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=[NoTaskToken])
def update_user(user_id: str, body: UserUpdate, session: SessionDep, user: CurrentUser) -> UserOut:
    return UserOut.model_validate(users.update_user(session, user, user_id, body))


@router.delete("/users/{user_id}", response_model=UserOut)
def deactivate_user(user_id: str, session: SessionDep, admin: AdminUser) -> UserOut:
    """Deactivate a user: their keys and sessions stop working; their tasks stay."""
    return UserOut.model_validate(
        users.update_user(session, admin, user_id, UserUpdate(active=False))
    )


@router.get("/keys", response_model=list[KeyOut], dependencies=[NoTaskToken])
def list_keys(session: SessionDep, user: CurrentUser, all: bool = False) -> list[KeyOut]:
    """The caller's keys (``all=true``: every user's, admins only)."""
    return [KeyOut.model_validate(k) for k in users.list_keys(session, user, all_users=all)]


@router.post("/keys", response_model=KeyCreated, status_code=201, dependencies=[NoTaskToken])
def create_key(body: KeyCreate, session: SessionDep, user: CurrentUser) -> KeyCreated:
    key, secret = users.create_key(session, user, body)
    return KeyCreated(**KeyOut.model_validate(key).model_dump(), secret_key=secret)


@router.delete("/keys/{key_id}", response_model=KeyOut, dependencies=[NoTaskToken])
def revoke_key(key_id: str, session: SessionDep, user: CurrentUser) -> KeyOut:
    return KeyOut.model_validate(users.revoke_key(session, user, key_id))
