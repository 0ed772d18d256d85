"""Artifacts of a task: ``/tasks/{task_id}/artifacts`` (names may contain ``/``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from corral.schemas.artifacts import ArtifactCreate, ArtifactMode, ArtifactOut
from corral.schemas.common import Ok
from corral.server.api.deps import AccessDep, SessionDep
from corral.server.api.guards import task_for
from corral.server.services import artifacts

router = APIRouter(prefix="/tasks", tags=["artifacts"])


@router.get("/{task_id}/artifacts", response_model=list[ArtifactOut])
def list_artifacts(
    task_id: str, session: SessionDep, access: AccessDep, mode: ArtifactMode | None = None
) -> list[ArtifactOut]:
    """The task's artifacts by name (``mode`` keeps only inputs or outputs)."""
    task_for(access, session, task_id, "read")
    return [
        ArtifactOut.model_validate(a) for a in artifacts.list_artifacts(session, task_id, mode=mode)
    ]


@router.post(
    "/{task_id}/artifacts",
    response_model=ArtifactOut,
    status_code=201,
    responses={200: {"model": ArtifactOut, "description": "an artifact of that name was replaced"}},
)
def put_artifact(
    task_id: str, body: ArtifactCreate, response: Response, session: SessionDep, access: AccessDep
) -> ArtifactOut:
    """Create an artifact (201), or replace the one with the same name (200).

    Output artifacts while the task accepts results (not once published); input
    artifacts only in a draft. Otherwise 409.
    """
    task_for(access, session, task_id, "write")
    artifact, created = artifacts.put_artifact(session, task_id, body)
    if not created:
        response.status_code = 200
    return ArtifactOut.model_validate(artifact)


@router.get("/{task_id}/artifacts/{name:path}", response_model=ArtifactOut)
def get_artifact(task_id: str, name: str, session: SessionDep, access: AccessDep) -> ArtifactOut:
    task_for(access, session, task_id, "read")
    return ArtifactOut.model_validate(artifacts.get_artifact(session, task_id, name))


@router.delete("/{task_id}/artifacts/{name:path}", response_model=Ok)
def delete_artifact(task_id: str, name: str, session: SessionDep, access: AccessDep) -> Ok:
    """Delete an artifact; a hub file only it referred to is removed (outside the task's folder)."""
    task_for(access, session, task_id, "write")
    artifacts.delete_artifact(session, task_id, name)
    return Ok()
