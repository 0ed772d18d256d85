"""joblib (real): a dump to a path registers an output model; to a file object it does not."""

from __future__ import annotations

import io
from pathlib import Path

import joblib
import pytest

from tests.sdk.frameworks.conftest import Capture, CollectingSink


class LinearRegression:
    """Stands for an sklearn estimator (sklearn is not installed): only its module matters."""

    coef_ = [1.0, 2.0]

    def __reduce__(self) -> tuple[type, tuple[dict[str, list[float]]]]:
        # its class is not importable under the module it claims: pickle it as its state
        return dict, ({"coef_": self.coef_},)


LinearRegression.__module__ = "sklearn.linear_model._base"


@pytest.fixture(autouse=True)
def _installed(capture: Capture) -> None:
    capture()


def test_dump_to_a_path_registers_a_joblib_model(sink: CollectingSink, tmp_path: Path) -> None:
    path = tmp_path / "weights.pkl"
    returned = joblib.dump({"w": [1, 2]}, path)

    assert returned == [str(path)]
    assert joblib.load(path) == {"w": [1, 2]}
    assert sink.of("register_output_model") == [(str(path), "joblib", "weights")]


def test_dump_of_an_sklearn_estimator_is_a_scikit_learn_model(
    sink: CollectingSink, tmp_path: Path
) -> None:
    joblib.dump(LinearRegression(), str(tmp_path / "model.joblib.gz"), compress=3)
    assert sink.of("register_output_model") == [
        (str(tmp_path / "model.joblib.gz"), "scikit-learn", "model.joblib")
    ]


def test_dump_to_a_file_object_is_not_registered(sink: CollectingSink) -> None:
    buffer = io.BytesIO()
    joblib.dump({"w": 1}, buffer)
    assert buffer.getvalue()
    assert sink.of("register_output_model") == []


def test_a_relative_path_is_registered_absolute(
    sink: CollectingSink, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    joblib.dump([1], filename="relative.pkl")
    assert sink.of("register_output_model") == [
        (str(tmp_path / "relative.pkl"), "joblib", "relative")
    ]
