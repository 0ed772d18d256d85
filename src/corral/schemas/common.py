"""Building blocks of the wire format: strict input models, pages, problems."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

#: limits on strings and lists, also enforced in the OpenAPI schema
NAME_MAX = 255
TAG_MAX = 128
TAGS_MAX = 64
TEXT_MAX = 1024 * 1024
PROJECT_NAME_MAX = 1024

Name = Annotated[str, StringConstraints(min_length=1, max_length=NAME_MAX, strip_whitespace=True)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=TAG_MAX, strip_whitespace=True)]
Tags = Annotated[list[Tag], Field(max_length=TAGS_MAX)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
#: a new record's id chosen by the client (32 lowercase hex, like the hub's own), so that a
#: create retried after a lost answer is recognised (409) instead of stored twice
NewId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


class Input(BaseModel):
    """Base of every request body: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` back as ``cursor`` for the next one."""

    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str = ""


class Problem(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


class Ok(BaseModel):
    ok: bool = True
    detail: dict[str, Any] = Field(default_factory=dict)
