"""The policy (``auth.policy.Access``) on a real SQLite database, rule by rule."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from corral.errors import NotFoundError, PermissionDeniedError
from corral.server.auth.policy import Access
from corral.server.auth.principal import Principal
from corral.server.db.migrate import upgrade
from corral.server.db.models import (
    Model,
    Project,
    ProjectMember,
    Task,
    Team,
    TeamMember,
    User,
    Worker,
)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = create_engine(f"sqlite:///{tmp_path / 'policy.db'}")
    upgrade(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


def _user(s: Session, name: str, role: str = "user") -> Principal:
    u = User(name=name, role=role)
    s.add(u)
    s.flush()
    return Principal(user_id=u.id, name=name, role=role)


def _project(s: Session, name: str, parent: Project | None = None, **kw: object) -> Project:
    p = Project(name=name, parent_id=parent.id if parent else None, **kw)
    s.add(p)
    s.flush()
    return p


def _task(s: Session, project: Project, **kw: object) -> Task:
    t = Task(name="t", project_id=project.id, **kw)
    s.add(t)
    s.flush()
    return t


def test_owner_member_and_outsider_on_a_private_tree(session: Session) -> None:
    owner, member, outsider = (_user(session, n) for n in ("own", "mem", "out"))
    root = _project(session, "r", visibility="private", owner_id=owner.id)
    child = _project(session, "r/c", root)  # public itself, private by its ancestor
    session.add(
        ProjectMember(project_id=root.id, member_type="user", member_id=member.id, role="viewer")
    )
    session.flush()
    assert Access(session, owner).role(child.id) == "owner"
    assert Access(session, member).role(child.id) == "viewer"
    assert Access(session, outsider).role(child.id) is None
    assert Access(session, outsider).visible_projects() == frozenset()
    task = _task(session, child)
    with pytest.raises(NotFoundError):
        Access(session, outsider).require("read", task)
    with pytest.raises(PermissionDeniedError, match="editor"):
        Access(session, member).require("write", task)
    Access(session, owner).require("manage", child)


def test_the_strongest_role_wins_and_teams_count(session: Session) -> None:
    user = _user(session, "u")
    team = Team(name="vision")
    session.add(team)
    session.flush()
    session.add(TeamMember(team_id=team.id, user_id=user.id))
    root = _project(session, "root", visibility="private")
    sub = _project(session, "root/sub", root)
    session.add_all(
        [
            ProjectMember(project_id=root.id, member_type="user", member_id=user.id, role="viewer"),
            ProjectMember(project_id=sub.id, member_type="team", member_id=team.id, role="editor"),
        ]
    )
    session.flush()
    access = Access(session, user)
    assert (access.role(root.id), access.role(sub.id)) == ("viewer", "editor")


def test_public_projects_give_the_public_role(session: Session) -> None:
    user = _user(session, "u")
    open_ = _project(session, "open")
    assert Access(session, user).role(open_.id) == "viewer"
    assert Access(session, user, public_role="editor").role(open_.id) == "editor"


def test_admins_see_everything_unless_the_key_is_limited(session: Session) -> None:
    admin = _user(session, "a", role="admin")
    p = _project(session, "p", visibility="private")
    q = _project(session, "q", visibility="private")
    assert Access(session, admin).visible_projects() is None
    limited = Principal(user_id=admin.id, name="a", role="admin", projects=frozenset({p.id}))
    assert Access(session, limited).visible_projects() == {p.id}
    assert not Access(session, limited).can("admin")
    assert Access(session, limited).role(q.id) is None


def test_read_only_caps_every_role(session: Session) -> None:
    owner = _user(session, "o")
    p = _project(session, "p", owner_id=owner.id)
    ro = Principal(user_id=owner.id, name="o", role="user", read_only=True)
    assert Access(session, ro).role(p.id) == "viewer"
    assert not Access(session, ro).can("write", p)


def test_a_task_token_writes_only_its_task_its_children_and_its_project(session: Session) -> None:
    owner = _user(session, "o", role="admin")
    home = _project(session, "home", owner_id=owner.id)
    other = _project(session, "other", owner_id=owner.id)
    run = _task(session, home)
    child = _task(session, home, parent_id=run.id)
    sibling = _task(session, home)
    elsewhere = _task(session, other)
    token = Principal(
        user_id=owner.id, name="o", role="admin", task_id=run.id, task_project_id=home.id
    )
    access = Access(session, token)
    assert not access.can("admin")
    assert access.can("write", run) and access.can("write", child)
    assert not access.can("write", sibling)
    assert access.can("read", sibling) and access.can("read", elsewhere)
    assert not access.can("write", elsewhere)
    assert access.can("write", home.id)  # new tasks and models in its project
    assert not access.can("write", other.id)
    assert not access.can("manage", home)
    model = Model(name="m", project_id=home.id)
    session.add(model)
    session.flush()
    assert access.can("write", model)
    with pytest.raises(PermissionDeniedError):
        access.require_create_project("brand-new")


def test_a_worker_account_sees_only_tasks_leased_to_its_workers(session: Session) -> None:
    worker = _user(session, "agent", role="worker")
    p = _project(session, "p")
    mine = _task(session, p, worker="w1")
    theirs = _task(session, p, worker="w2")
    free = _task(session, p)
    session.add_all(
        [Worker(id="w1", name="w1", user_id=worker.id), Worker(id="w2", name="w2", user_id=None)]
    )
    session.flush()
    access = Access(session, worker)
    assert access.can("read", mine) and access.can("write", mine)
    assert not access.can("read", theirs) and not access.can("read", free)
    assert access.visible_projects() == frozenset()
    assert access.can("work") and not access.can("admin")
    with pytest.raises(PermissionDeniedError):
        access.require_create_project("x")
