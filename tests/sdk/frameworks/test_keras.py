"""``keras.Model.save`` through the import hook, with a stand-in ``keras`` package.

Keras/TensorFlow are too heavy for CI: a tiny stand-in ``keras/__init__.py`` (a ``Model``
whose ``save(filepath)`` writes a file, and a ``Sequential`` that inherits it) is put
first on PYTHONPATH of a subprocess. This checks the patching mechanism, not real Keras.
"""

from __future__ import annotations

from pathlib import Path

from tests.sdk.frameworks.conftest import run_python, write_package


def test_model_save_registers_a_keras_model_and_uninstall_restores(tmp_path: Path) -> None:
    standins = write_package(
        tmp_path / "standins",
        {
            "keras/__init__.py": """
                class Model:
                    def save(self, filepath, overwrite=True, **kwargs):
                        with open(filepath, "w") as out:
                            out.write("weights")

                class Sequential(Model):
                    pass
            """
        },
    )
    result = run_python(
        f"""
        install(sink)
        result["before"] = "keras" in sys.modules
        import keras
        original = keras.Model.save.__wrapped__
        keras.Model().save({str(tmp_path / "classifier.keras")!r})
        keras.Sequential().save(filepath={str(tmp_path / "seq.h5")!r})
        from corral.sdk.capture import frameworks
        frameworks.install(sink, False)  # a new installation first undoes the previous one
        result["restored"] = keras.Model.__dict__["save"] is original
        result["sequential_own_save"] = "save" in vars(keras.Sequential)
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["before"] is False
    assert result["calls"] == [
        ["register_output_model", str(tmp_path / "classifier.keras"), "keras", "classifier"],
        ["register_output_model", str(tmp_path / "seq.h5"), "keras", "seq"],
    ]
    assert result["restored"] is True
    assert result["sequential_own_save"] is False
