"""The typed task outputs mirror the request bodies, and the runtime is kept as stored."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from corral.schemas import tasks as s

PAIRS = [
    (s.Script, s.ScriptOut),
    (s.Container, s.ContainerOut),
    (s.Hyperparam, s.HyperparamOut),
    (s.ConfigItem, s.ConfigItemOut),
    (s.ModelRef, s.ModelRefOut),
    (s.TaskModels, s.TaskModelsOut),
]


@pytest.mark.parametrize(("body", "answer"), PAIRS, ids=lambda m: m.__name__)
def test_an_answer_has_the_fields_of_its_body(
    body: type[BaseModel], answer: type[BaseModel]
) -> None:
    assert list(answer.model_fields) == list(body.model_fields)
    for name, field in body.model_fields.items():
        if not field.is_required():
            assert answer.model_fields[name].get_default(call_default_factory=True) == (
                field.get_default(call_default_factory=True)
            )


def test_stored_keys_the_hub_does_not_know_are_left_out() -> None:
    out = s.ScriptOut.model_validate({"commit": "abc", "legacy": 1})
    assert out.commit == "abc" and "legacy" not in out.model_dump()


def test_runtime_answers_only_what_was_stored() -> None:
    assert s.Runtime.model_validate({}).model_dump() == {}
    stored = {"os": "Linux", "cpu_cores": 8, "gpu_memory_gb": 0, "team": {"a": [1]}}
    runtime = s.Runtime.model_validate(stored)
    assert runtime.cpu_cores == 8 and runtime.model_dump() == stored


def test_runtime_keeps_a_user_property_that_shares_a_facts_name() -> None:
    stored = {"gpu_count": "two", "os": ["not", "a", "string"]}
    assert s.Runtime.model_validate(stored).model_dump() == stored
    assert s.Runtime.model_validate(stored).model_dump_json() == (
        '{"gpu_count":"two","os":["not","a","string"]}'
    )


def test_brief_carries_allowed_actions_but_does_not_read_them() -> None:
    assert "allowed_actions" not in s.TaskBrief.model_fields  # not a column to select
    assert "allowed_actions" in s.TaskBrief.model_computed_fields
