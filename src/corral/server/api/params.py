"""Query parameter types shared by the list endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import BeforeValidator

#: a repeatable filter (``?tag=a&tag=b``), at most 200 values
ListParam = Annotated[list[str], Query(max_length=200)]


def _blank_is_none(value: Any) -> Any:
    return None if value == "" else value


#: a yes/no filter where an empty value (``archived=``) means "either"
OptionalFlag = Annotated[bool | None, BeforeValidator(_blank_is_none), Query()]
