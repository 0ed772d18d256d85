"""LightGBM (real): Booster.save_model(path) registers the file as a lightgbm model."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np

from tests.sdk.frameworks.conftest import Capture, CollectingSink


def test_booster_save_model_registers_a_lightgbm_model(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    data = lightgbm.Dataset(rng.random((50, 3)), label=rng.random(50))
    booster = lightgbm.train(
        {"objective": "regression", "verbose": -1, "min_data_in_leaf": 5}, data, num_boost_round=3
    )
    capture()

    returned = booster.save_model(tmp_path / "gbm.txt")

    assert returned is booster
    assert lightgbm.Booster(model_file=tmp_path / "gbm.txt").num_trees() == 3
    assert sink.of("register_output_model") == [(str(tmp_path / "gbm.txt"), "lightgbm", "gbm")]
