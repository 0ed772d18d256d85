"""install(): which bindings are switched on, exact uninstall, no double patching, and the
rule that reporting never breaks the user's call."""

from __future__ import annotations

import inspect
import io
import logging
import sys
from pathlib import Path
from typing import Any

import joblib
import joblib.numpy_pickle
import lightgbm
import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.figure
import matplotlib.pyplot as plt
import tensorboardX

from corral.sdk.capture.frameworks import BINDINGS, ModelFileBinding, enabled_bindings, paused
from corral.sdk.capture.frameworks.hook import ImportWatcher
from tests.sdk.frameworks.conftest import Capture, CollectingSink, run_python


def _originals() -> dict[str, tuple[Any, str, Any]]:
    """name -> (owner, attribute, the object ``vars(owner)`` holds now)."""
    owners = {
        "joblib.dump": (joblib, "dump"),
        "joblib.numpy_pickle.dump": (joblib.numpy_pickle, "dump"),
        "Figure.savefig": (matplotlib.figure.Figure, "savefig"),
        "pyplot.show": (plt, "show"),
        "Booster.save_model": (lightgbm.Booster, "save_model"),
        **{
            f"SummaryWriter.{m}": (tensorboardX.SummaryWriter, m)
            for m in ("add_scalar", "add_scalars", "add_image", "add_histogram", "add_text")
        },
    }
    return {name: (owner, attr, vars(owner)[attr]) for name, (owner, attr) in owners.items()}


def test_importing_the_package_imports_no_framework(tmp_path: Path) -> None:
    result = run_python(
        """
        import corral.sdk.capture.frameworks
        heavy = ["matplotlib", "tensorboardX", "joblib", "lightgbm", "numpy", "torch"]
        result["loaded"] = [m for m in heavy if m in sys.modules]
        """,
        tmp_path,
    )
    assert result["loaded"] == []


def test_enabled_bindings_follow_clearml_semantics() -> None:
    assert enabled_bindings(True) == list(BINDINGS)
    assert enabled_bindings(False) == []
    assert enabled_bindings({"matplotlib": False, "pytorch": True}) == [
        n for n in BINDINGS if n != "matplotlib"
    ]
    assert enabled_bindings({"fastai": False}) == list(BINDINGS)  # unknown names: ignored


def test_switched_off_binding_is_not_installed(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    original_dump = joblib.dump
    installed = capture({"joblib": False})

    assert "joblib" not in installed.installed
    assert "matplotlib" in installed.installed
    assert joblib.dump is original_dump
    joblib.dump([1], tmp_path / "m.pkl")
    assert sink.of("register_output_model") == []


def test_all_switched_off_patches_nothing_and_adds_no_hook(capture: Capture) -> None:
    before = _originals()
    meta_path = list(sys.meta_path)

    installed = capture(False)

    assert installed.installed == []
    assert sys.meta_path == meta_path
    for owner, attr, original in before.values():
        assert vars(owner)[attr] is original


def _watchers() -> int:
    """Import watchers on ``sys.meta_path`` (the command-line capture may have one of its own)."""
    return sum(isinstance(f, ImportWatcher) for f in sys.meta_path)


def test_uninstall_restores_the_exact_original_objects(capture: Capture) -> None:
    before = _originals()
    others = _watchers()
    installed = capture()
    assert _watchers() == others + 1  # e.g. torch, still to come
    for name, (owner, attr, original) in before.items():
        assert vars(owner)[attr] is not original, name

    installed.uninstall()

    for name, (owner, attr, original) in before.items():
        assert vars(owner)[attr] is original, name
    assert _watchers() == others
    installed.uninstall()  # a second uninstall changes nothing


def test_installing_twice_does_not_double_patch(capture: Capture, tmp_path: Path) -> None:
    original = joblib.dump
    others = _watchers()
    first, second = CollectingSink(), CollectingSink()
    capture(to=first)
    capture(to=second)

    assert joblib.dump.__wrapped__ is original
    joblib.dump([1], tmp_path / "m.pkl")
    assert first.calls == []
    assert len(second.of("register_output_model")) == 1
    assert _watchers() == others + 1


def test_wrappers_keep_name_docstring_and_signature(capture: Capture) -> None:
    before = _originals()
    capture()
    for owner, attr, original in before.values():
        wrapper = getattr(owner, attr)
        assert wrapper.__name__ == original.__name__
        assert wrapper.__doc__ == original.__doc__
        assert inspect.signature(wrapper) == inspect.signature(original)


class _BrokenSink(CollectingSink):
    def __getattribute__(self, name: str) -> Any:
        if name.startswith(("report_", "register_")):
            raise RuntimeError("sink is broken")
        return super().__getattribute__(name)


def test_a_failing_sink_does_not_break_the_users_call(
    capture: Capture, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    capture(to=_BrokenSink())
    path = tmp_path / "m.pkl"

    with caplog.at_level(logging.DEBUG, logger="corral.sdk"):
        returned = joblib.dump({"w": 1}, path)
        writer = tensorboardX.SummaryWriter(str(tmp_path / "tb"))
        writer.add_scalar("loss", 0.5, 1)
        writer.close()

    assert returned == [str(path)]
    assert joblib.load(path) == {"w": 1}
    logged = [r for r in caplog.records if r.name == "corral.sdk" and r.exc_info]
    assert {str(r.exc_info[1]) for r in logged if r.exc_info} == {"sink is broken"}
    assert len(logged) == 2  # the dump and the scalar
    assert {r.levelno for r in logged} == {logging.DEBUG}


class _Boom(Exception):
    pass


class _Unpicklable:
    error = _Boom("cannot pickle me")

    def __reduce__(self) -> Any:
        raise self.error


def test_the_users_exception_propagates_unchanged(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    capture()
    with pytest.raises(_Boom) as raised:
        joblib.dump(_Unpicklable(), tmp_path / "m.pkl")
    assert raised.value is _Unpicklable.error
    assert sink.calls == []


class _RenderingSink(CollectingSink):
    """Renders figures with ``savefig``, as the SDK does to upload them."""

    def report_matplotlib_figure(
        self, title: str, series: str, iteration: int, figure: Any
    ) -> None:
        figure.savefig(io.BytesIO(), format="png")
        super().report_matplotlib_figure(title, series, iteration, figure)


def test_a_savefig_inside_the_sink_is_not_reported(capture: Capture, tmp_path: Path) -> None:
    sink = _RenderingSink()
    capture(to=sink)
    fig = plt.figure()
    try:
        fig.gca().plot([1, 2, 3])
        fig.savefig(tmp_path / "a.png")
        fig.gca().plot([3, 2, 1])
        fig.savefig(tmp_path / "b.png")
    finally:
        plt.close(fig)
    assert [args[2] for args in sink.of("report_matplotlib_figure")] == [0, 1]


def test_paused_calls_are_not_reported(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    capture()
    with paused():
        joblib.dump([1], tmp_path / "inside.pkl")
    joblib.dump([1], tmp_path / "outside.pkl")
    assert [args[2] for args in sink.of("register_output_model")] == ["outside"]


class _Saver:
    def save(self, path: str) -> str:
        return f"saved {path}"


class _Child(_Saver):
    pass


class _ChildBinding(ModelFileBinding):
    """A binding of our own, through the ABC, on a method the class inherits."""

    name = "child"
    modules = (__name__,)
    framework = "custom"
    targets = ((__name__, "_Child.save"),)
    path_param = "path"


def test_a_binding_on_an_inherited_method_is_removed_again(sink: CollectingSink) -> None:
    binding = _ChildBinding()
    binding.install(sink)
    binding.install(sink)  # idempotent
    try:
        assert _Child().save("/tmp/a.bin") == "saved /tmp/a.bin"
        assert _Saver().save("/tmp/b.bin") == "saved /tmp/b.bin"  # the base is untouched
        assert sink.of("register_output_model") == [("/tmp/a.bin", "custom", "a")]
    finally:
        binding.uninstall()
    assert "save" not in vars(_Child)
    assert _Child.save is _Saver.save


def test_uninstall_leaves_a_later_wrapper_in_place_and_goes_quiet(
    capture: Capture, sink: CollectingSink, tmp_path: Path
) -> None:
    original = joblib.dump
    installed = capture({name: name == "joblib" for name in BINDINGS})
    ours = joblib.dump

    def theirs(*args: Any, **kwargs: Any) -> Any:  # another tool patching after us
        return ours(*args, **kwargs)

    joblib.dump = theirs
    try:
        installed.uninstall()
        assert joblib.dump is theirs
        joblib.dump([1], tmp_path / "m.pkl")
        assert sink.calls == []
    finally:
        joblib.dump = original
