"""The import hook: bindings install when their framework is imported after install()."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from corral.sdk.capture.frameworks.hook import ImportWatcher
from tests.sdk.frameworks.conftest import Capture, run_python


@pytest.fixture
def modules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on sys.path for throw-away modules, removed from sys.modules after."""
    root = tmp_path / "mods"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    before = set(sys.modules)
    yield root
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.fixture
def watcher() -> Iterator[tuple[ImportWatcher, list[tuple[str, bool]]]]:
    seen: list[tuple[str, bool]] = []

    def loaded(name: str) -> None:
        module = sys.modules[name]
        seen.append((name, getattr(module, "DONE", False)))

    w = ImportWatcher(loaded)
    yield w, seen
    w.close()


def test_callback_runs_once_after_the_module_code_ran(
    modules_dir: Path, watcher: tuple[ImportWatcher, list[tuple[str, bool]]]
) -> None:
    (modules_dir / "corral_hook_a.py").write_text("DONE = True\n")
    w, seen = watcher
    w.watch(["corral_hook_a"])
    w.attach()

    import corral_hook_a

    importlib.reload(corral_hook_a)
    assert seen == [("corral_hook_a", True)]
    assert w.watched == frozenset()
    # the module keeps the real loader, not our proxy
    assert isinstance(corral_hook_a.__loader__, importlib.machinery.SourceFileLoader)
    assert isinstance(corral_hook_a.__spec__.loader, importlib.machinery.SourceFileLoader)


def test_unwatched_and_missing_modules_import_as_usual(
    modules_dir: Path, watcher: tuple[ImportWatcher, list[tuple[str, bool]]]
) -> None:
    (modules_dir / "corral_hook_b.py").write_text("DONE = True\n")
    w, seen = watcher
    w.watch(["corral_hook_missing"])
    w.attach()

    import corral_hook_b  # noqa: F401

    with pytest.raises(ModuleNotFoundError) as missing:
        import corral_hook_missing  # noqa: F401
    assert missing.value.name == "corral_hook_missing"
    assert seen == []


def test_a_failing_import_raises_its_own_error_and_is_watched_again(
    modules_dir: Path, watcher: tuple[ImportWatcher, list[tuple[str, bool]]]
) -> None:
    module = modules_dir / "corral_hook_c.py"
    module.write_text("raise LookupError('broken module')\n")
    w, seen = watcher
    w.watch(["corral_hook_c"])
    w.attach()

    with pytest.raises(LookupError, match="broken module"):
        import corral_hook_c
    assert seen == []
    assert "corral_hook_c" not in sys.modules

    module.write_text("DONE = True\n")  # a different size: the cached bytecode is stale
    import corral_hook_c  # noqa: F401

    assert seen == [("corral_hook_c", True)]


def test_a_spec_only_looked_at_does_not_count_as_imported(
    modules_dir: Path, watcher: tuple[ImportWatcher, list[tuple[str, bool]]]
) -> None:
    (modules_dir / "corral_hook_d.py").write_text("DONE = True\n")
    w, seen = watcher
    w.watch(["corral_hook_d"])
    w.attach()

    spec = importlib.util.find_spec("corral_hook_d")  # "is it installed?", as libraries ask
    assert spec is not None and spec.loader is not None
    side_copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(side_copy)  # loaded by hand, never in sys.modules
    assert seen == []

    import corral_hook_d  # noqa: F401

    assert seen == [("corral_hook_d", True)]


def test_close_leaves_meta_path(watcher: tuple[ImportWatcher, list[tuple[str, bool]]]) -> None:
    w, _ = watcher
    w.watch(["anything"])
    w.attach()
    w.attach()
    assert sys.meta_path.count(w) == 1
    w.close()
    assert w not in sys.meta_path


def test_concurrent_imports_each_call_back_once(
    modules_dir: Path, watcher: tuple[ImportWatcher, list[tuple[str, bool]]]
) -> None:
    names = [f"corral_hook_t{i}" for i in range(16)]
    for name in names:
        (modules_dir / f"{name}.py").write_text("DONE = True\n")
    w, seen = watcher
    w.watch(names)
    w.attach()
    start = threading.Barrier(4)

    def worker(offset: int) -> None:
        start.wait()
        for name in names[offset:] + names[:offset]:  # every thread imports every module
            importlib.import_module(name)

    threads = [threading.Thread(target=worker, args=(i * 4,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == sorted((name, True) for name in names)


def test_a_framework_imported_after_install_is_captured(tmp_path: Path) -> None:
    """matplotlib is not imported when install() runs; importing it installs the binding."""
    result = run_python(
        f"""
        installed = install(sink)
        result["before"] = "matplotlib" in sys.modules
        result["installed_before"] = installed.installed
        import matplotlib.pyplot as plt
        result["installed_after"] = installed.installed
        fig = plt.figure()
        fig.gca().plot([1, 2, 3])
        fig.gca().set_title("curve")
        fig.savefig({str(tmp_path / "fig.png")!r})
        result["loader"] = type(plt.__loader__).__name__
        """,
        tmp_path,
    )
    assert result["before"] is False
    assert result["installed_before"] == []
    assert result["installed_after"] == ["matplotlib"]
    assert result["calls"] == [["report_matplotlib_figure", "curve", "plot", 0]]
    assert result["loader"] == "SourceFileLoader"


def test_a_missing_framework_still_raises_module_not_found(
    capture: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # xgboost made unfindable whether or not it is installed: no site-packages on the path
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "-packages" not in p])
    for name in [m for m in sys.modules if m == "xgboost" or m.startswith("xgboost.")]:
        monkeypatch.delitem(sys.modules, name)
    capture()
    with pytest.raises(ModuleNotFoundError) as missing:
        import xgboost  # noqa: F401
    assert missing.value.name == "xgboost"
