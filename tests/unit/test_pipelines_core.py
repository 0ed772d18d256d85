"""The pure parts of pipelines: DAG order and cycles, references, cache keys, and the
standalone check of a function step's code."""

from __future__ import annotations

import pytest

from corral.core import pipelines as P
from corral.errors import ValidationError
from corral.pipelines.function_code import missing_names, step_script


def test_order_puts_parents_first_and_keeps_the_given_order_otherwise() -> None:
    parents = {"c": ["a", "b"], "a": [], "b": ["a"], "d": []}
    assert P.order(parents) == ["a", "b", "c", "d"]


def test_a_cycle_is_named() -> None:
    with pytest.raises(ValidationError, match="cycle: a -> b -> c -> a"):
        P.order({"a": ["b"], "b": ["c"], "c": ["a"]})
    with pytest.raises(ValidationError, match="cycle: a -> a"):
        P.order({"a": ["a"]})


def test_an_unknown_parent_is_refused() -> None:
    with pytest.raises(ValidationError, match="step 'b' has an unknown parent 'x'"):
        P.order({"a": [], "b": ["x"]})


def test_references_are_found_deeply_and_substituted() -> None:
    value = {"lr": "${pipeline.lr}", "runs": ["${prep.id}", "x ${prep.id} y"], "n": 3}
    assert [(r.step, r.path) for r in P.refs_in(value)] == [
        ("pipeline", ("lr",)), ("prep", ("id",)), ("prep", ("id",)),
    ]  # fmt: skip
    out = P.substitute(value, lambda ref: 0.1 if ref.step == "pipeline" else "T1")
    # a whole-string reference keeps the value's type; inside text it is text
    assert out == {"lr": 0.1, "runs": ["T1", "x T1 y"], "n": 3}


@pytest.mark.parametrize("bad", ["${}", "${prep}", "${prep..id}", "${.id}"])
def test_a_malformed_reference_is_a_clear_error(bad: str) -> None:
    with pytest.raises(ValidationError, match="bad reference"):
        P.refs_in({"x": bad})


@pytest.mark.parametrize("name", ["", "1st", "-a", "a b", "pipeline", "a" * 101, "a.b"])
def test_bad_step_names(name: str) -> None:
    with pytest.raises(ValidationError, match="bad step name"):
        P.check_step_name(name)


def test_the_cache_key_follows_each_input() -> None:
    base = {"code": "c", "environment": {"pip": "x"}, "parameters": {"n": 1},
            "configuration": {}, "inputs": {"data": "h1"}}  # fmt: skip
    key = P.cache_key(**base)
    assert key == P.cache_key(**{**base, "parameters": {"n": 1}})
    for field, other in [("code", "d"), ("environment", {"pip": "y"}),
                         ("parameters", {"n": 2}), ("configuration", {"a": 1}),
                         ("inputs", {"data": "h2"})]:  # fmt: skip
        assert P.cache_key(**{**base, field: other}) != key, field


# --- standalone functions -----------------------------------------------------------------


def _helper(x):  # type: ignore[no-untyped-def]
    return x + 1


def _uses_helper(x):  # type: ignore[no-untyped-def]
    import math

    return math.floor(_helper(x))


def _uses_a_global(x):  # type: ignore[no-untyped-def]
    return pytest.approx(x)


def test_a_function_with_its_helpers_stands_alone() -> None:
    script = step_script(_uses_helper, [_helper], returns=["y"], step="s")
    namespace: dict[str, object] = {"__name__": "not_main"}
    exec(compile(script, "step.py", "exec"), namespace)
    assert namespace["_uses_helper"](1.5) == 2  # type: ignore[operator]
    assert "run_function_step(_uses_helper, returns=['y'])" in script


def test_a_missing_name_is_named() -> None:
    with pytest.raises(ValidationError, match="uses '_helper', defined outside it"):
        step_script(_uses_helper, [], step="s")
    with pytest.raises(ValidationError, match="uses 'pytest'"):
        step_script(_uses_a_global, [], step="s")


def test_lambdas_and_closures_are_refused() -> None:
    with pytest.raises(ValidationError, match="a lambda cannot be a pipeline function"):
        step_script(lambda x: x, step="s")
    factor = 3

    def scaled(x):  # type: ignore[no-untyped-def]
        return x * factor

    with pytest.raises(ValidationError, match="closure over factor"):
        step_script(scaled, step="s")


def test_missing_names_sees_scopes_it_binds() -> None:
    source = (
        "def f(a, *rest, k=1, **kw):\n"
        "    import os.path as p\n"
        "    from json import dumps\n"
        "    total = [x * a for x in rest]\n"
        "    for i, j in kw.items():\n"
        "        total.append(j)\n"
        "    try:\n"
        "        pass\n"
        "    except ValueError as e:\n"
        "        print(e)\n"
        "    with open(p.join('a')) as fh:\n"
        "        data = fh.read()\n"
        "    return dumps([total, data, k, i, unknown])\n"
    )
    assert missing_names(source) == ["unknown"]
