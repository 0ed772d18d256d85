"""``torch.save`` through the import hook, with a stand-in ``torch`` package.

The real torch is too heavy for CI: these tests put a tiny stand-in package (a
``torch/__init__.py`` whose ``save(obj, f)`` writes bytes) first on PYTHONPATH of a
subprocess. They check the patching mechanism — the binding installs when ``torch`` is
imported after ``install()``, paths are registered, file objects are not — not the real
``torch.save``.
"""

from __future__ import annotations

from pathlib import Path

from tests.sdk.frameworks.conftest import run_python, write_package

TORCH_STANDIN = {
    "torch/__init__.py": """
        import pickle

        def save(obj, f, pickle_module=pickle, pickle_protocol=2):
            data = pickle_module.dumps(obj, protocol=pickle_protocol)
            if hasattr(f, "write"):
                f.write(data)
            else:
                with open(f, "wb") as out:
                    out.write(data)
    """
}


def test_torch_save_to_a_path_registers_a_pytorch_model(tmp_path: Path) -> None:
    standins = write_package(tmp_path / "standins", TORCH_STANDIN)
    result = run_python(
        f"""
        import io, pathlib
        installed = install(sink)
        result["before"] = "torch" in sys.modules
        import torch
        result["file"] = torch.__file__
        torch.save({{"w": 1}}, {str(tmp_path / "net.pt")!r})
        torch.save({{"w": 2}}, pathlib.Path({str(tmp_path / "ckpt.pth")!r}))
        buffer = io.BytesIO()
        torch.save({{"w": 3}}, buffer)
        result["buffer"] = len(buffer.getvalue())
        original = torch.save.__wrapped__
        installed.uninstall()
        result["restored"] = torch.save is original
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["before"] is False
    assert result["file"].startswith(str(standins))
    assert result["buffer"] > 0
    assert result["calls"] == [
        ["register_output_model", str(tmp_path / "net.pt"), "pytorch", "net"],
        ["register_output_model", str(tmp_path / "ckpt.pth"), "pytorch", "ckpt"],
    ]
    assert (tmp_path / "net.pt").exists() and (tmp_path / "ckpt.pth").exists()
    assert result["restored"] is True


def test_switched_off_pytorch_is_not_installed_on_import(tmp_path: Path) -> None:
    standins = write_package(tmp_path / "standins", TORCH_STANDIN)
    result = run_python(
        f"""
        installed = install(sink, {{"pytorch": False}})
        import torch
        torch.save(1, {str(tmp_path / "net.pt")!r})
        result["wrapped"] = hasattr(torch.save, "__wrapped__")
        result["installed"] = installed.installed
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["wrapped"] is False
    assert result["installed"] == []
    assert result["calls"] == []
