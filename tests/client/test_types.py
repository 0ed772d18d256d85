"""The client's TypedDict views name only fields their wire schemas have."""

from __future__ import annotations

import importlib
import typing

import pytest

from corral.client import types

VIEWS = sorted(types.MIRRORS.items())


@pytest.mark.parametrize(("view", "schema"), VIEWS, ids=[v for v, _ in VIEWS])
def test_view_fields_are_fields_of_its_schema(view: str, schema: str) -> None:
    module, _, name = schema.partition(".")
    model = getattr(importlib.import_module(f"corral.schemas.{module}"), name)
    keys = set(typing.get_type_hints(getattr(types, view)))
    assert keys <= set(model.model_fields), f"{view}: {keys - set(model.model_fields)}"
