"""Artifacts on the wire: the record a task keeps of a file, table, array or object."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, StringConstraints, field_validator

from corral.schemas.common import NAME_MAX, Input, Name, Output

ArtifactType = Literal["file", "folder", "dataframe", "numpy", "json", "image", "pickle", "custom"]
ArtifactMode = Literal["output", "input"]

#: longest preview text, in UTF-8 bytes
PREVIEW_MAX_BYTES = 64 * 1024
URI_MAX = 4096
#: most keys in ``metadata``
METADATA_KEYS_MAX = 1024

Uri = Annotated[str, StringConstraints(max_length=URI_MAX)]
Key = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX)]
Metadata = Annotated[dict[Key, Any], Field(max_length=METADATA_KEYS_MAX)]


class ArtifactCreate(Input):
    """Create an artifact, or replace the task's artifact of the same name.

    ``uri`` says where the content is: ``hub://tasks/<id>/artifacts/...`` for the hub's
    own file store, or ``s3://``, ``gs://``, ``file://``... ``preview`` is a short text
    shown in the UI (the head of a table, an array's shape).
    """

    name: Name
    type: ArtifactType = "custom"
    #: ``output``: produced by the run; ``input``: given to a draft before it runs
    mode: ArtifactMode = "output"
    uri: Uri = ""
    size: Annotated[int, Field(ge=0)] | None = None
    hash: Annotated[str, StringConstraints(max_length=128)] | None = None
    content_type: Annotated[str, StringConstraints(max_length=255)] | None = None
    preview: str = ""
    metadata: Metadata = Field(default_factory=dict)

    @field_validator("preview")
    @classmethod
    def _preview_size(cls, value: str) -> str:
        if len(value.encode("utf-8", "surrogatepass")) > PREVIEW_MAX_BYTES:
            raise ValueError(f"preview is longer than {PREVIEW_MAX_BYTES} bytes")
        return value


class ArtifactOut(Output):
    id: str
    task_id: str
    name: str
    type: str
    mode: str
    uri: str
    size: int | None
    hash: str | None
    content_type: str | None
    preview: str
    #: read from the ORM's ``meta`` (``metadata`` is SQLAlchemy's) or from JSON
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("meta", "metadata"))
    #: when this version of the artifact was stored
    created_at: datetime
