"""XGBoost ``save_model`` through the import hook, with a stand-in ``xgboost`` package.

xgboost is too heavy for CI: a stand-in ``xgboost/__init__.py`` is put first on
PYTHONPATH of a subprocess. Like the real one, its ``XGBModel.save_model`` calls the
booster's ``save_model``; the re-entrancy guard must make that one registration.
"""

from __future__ import annotations

from pathlib import Path

from tests.sdk.frameworks.conftest import run_python, write_package


def test_booster_and_sklearn_wrapper_save_model_register_once(tmp_path: Path) -> None:
    standins = write_package(
        tmp_path / "standins",
        {
            "xgboost/__init__.py": """
                class Booster:
                    def save_model(self, fname):
                        with open(fname, "w") as out:
                            out.write("{}")

                class XGBModel:
                    def get_booster(self):
                        return Booster()

                    def save_model(self, fname):
                        self.get_booster().save_model(fname)

                class XGBClassifier(XGBModel):
                    pass
            """
        },
    )
    result = run_python(
        f"""
        import io
        install(sink)
        import xgboost
        xgboost.Booster().save_model({str(tmp_path / "booster.json")!r})
        xgboost.XGBClassifier().save_model({str(tmp_path / "clf.ubj")!r})
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["calls"] == [
        ["register_output_model", str(tmp_path / "booster.json"), "xgboost", "booster"],
        ["register_output_model", str(tmp_path / "clf.ubj"), "xgboost", "clf"],
    ]
