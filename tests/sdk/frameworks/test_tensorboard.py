"""TensorBoard writers (real tensorboardX): calls are reported and the event files written."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import tensorboardX
from tensorboardX.proto.event_pb2 import Event

from corral.sdk.capture.frameworks.tensorboard import bin_heights, split_tag, to_hwc
from tests.sdk.frameworks.conftest import Capture, CollectingSink, run_python, write_package


def _logged_tags(logdir: Path) -> list[str]:
    """The summary tags in every event file under ``logdir`` (TFRecord framing)."""
    tags = []
    for path in sorted(logdir.rglob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            (length,) = struct.unpack_from("<Q", data, pos)
            event = Event.FromString(data[pos + 12 : pos + 12 + length])
            tags += [value.tag for value in event.summary.value]
            pos += 12 + length + 4
    return tags


@pytest.fixture
def writer(tmp_path: Path, capture: Capture) -> tensorboardX.SummaryWriter:
    capture()
    return tensorboardX.SummaryWriter(str(tmp_path / "tb"))


def test_add_scalar_is_reported_and_still_written(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink, tmp_path: Path
) -> None:
    writer.add_scalar("loss/train", 0.5, 10)
    writer.add_scalar("loss/train", np.float32(0.25), global_step=11)
    writer.add_scalar("lr", 0.1)  # no step: a counter per tag
    writer.add_scalar("lr", 0.05)
    writer.close()

    assert sink.of("report_scalar") == [
        ("loss", "train", 0.5, 10),
        ("loss", "train", 0.25, 11),
        ("lr", "lr", 0.1, 0),
        ("lr", "lr", 0.05, 1),
    ]
    assert _logged_tags(tmp_path / "tb") == ["loss/train", "loss/train", "lr", "lr"]


def test_add_scalars_reports_each_key_as_a_series(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink, tmp_path: Path
) -> None:
    writer.add_scalars("accuracy", {"train": 0.9, "val": 0.8}, 3)
    writer.close()

    assert sink.of("report_scalar") == [("accuracy", "train", 0.9, 3), ("accuracy", "val", 0.8, 3)]
    assert sorted(_logged_tags(tmp_path / "tb")) == ["accuracy", "accuracy"]


def test_add_image_is_reported_as_hwc(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink, tmp_path: Path
) -> None:
    chw = np.zeros((3, 8, 16), dtype=np.float32)
    chw[0] = 1.0  # a red image
    writer.add_image("samples/red", chw, 2)
    writer.add_image("hwc", np.full((8, 16, 3), 7, dtype=np.uint8), 0, dataformats="HWC")
    writer.close()

    (title, series, step, image), (_, _, _, hwc) = sink.of("report_image")
    assert (title, series, step) == ("samples", "red", 2)
    assert image.shape == (8, 16, 3)
    assert image.dtype == np.uint8
    assert (image[..., 0] == 255).all() and (image[..., 1:] == 0).all()
    assert hwc.shape == (8, 16, 3) and (hwc == 7).all()
    assert _logged_tags(tmp_path / "tb") == ["samples/red", "hwc"]


def test_add_images_is_reported_as_one_grid(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink
) -> None:
    writer.add_images("batch", np.random.default_rng(0).random((10, 3, 4, 5)), 0)
    writer.close()

    ((_, _, _, grid),) = sink.of("report_image")
    assert grid.shape == (2 * 4, 8 * 5, 3)  # 8 columns, 2 rows


def test_add_histogram_reports_bin_heights(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink, tmp_path: Path
) -> None:
    values = np.random.default_rng(0).normal(size=500)
    writer.add_histogram("weights", values, 4)
    writer.add_histogram("weights", values, 5, bins=10)
    writer.close()

    (first, second) = sink.of("report_histogram")
    assert first[:3] == ("weights", "weights", 4)
    assert first[3].sum() == 500
    assert second[2] == 5
    assert list(second[3]) == list(np.histogram(values, bins=10)[0])
    assert _logged_tags(tmp_path / "tb") == ["weights", "weights"]


def test_add_text_is_reported_as_console_text(
    writer: tensorboardX.SummaryWriter, sink: CollectingSink
) -> None:
    writer.add_text("notes", "first epoch done", 1)
    writer.close()
    assert sink.of("report_text") == [("notes: first epoch done",)]


def test_helpers() -> None:
    assert split_tag("a/b/c") == ("a/b", "c")
    assert split_tag("loss") == ("loss", "loss")
    assert to_hwc(np.zeros((4, 6)), "HW").shape == (4, 6)
    assert to_hwc(np.zeros((6, 4)), "WH").shape == (4, 6)
    assert to_hwc(np.zeros((1, 4, 6)), "CHW").shape == (4, 6)
    assert bin_heights([1.0, float("nan"), 2.0, float("inf")], bins=2).tolist() == [1, 1]


def test_torch_summary_writer_is_patched_when_imported_later(tmp_path: Path) -> None:
    """``torch.utils.tensorboard`` through the import hook.

    torch is too heavy for CI, so a stand-in package (a ``SummaryWriter`` with torch's
    ``add_scalar`` signature) is put first on PYTHONPATH; the real package is not used.
    """
    standins = write_package(
        tmp_path / "standins",
        {
            "torch/__init__.py": "",
            "torch/utils/__init__.py": "",
            "torch/utils/tensorboard/__init__.py": """
                class SummaryWriter:
                    written = []
                    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None,
                                   new_style=False, double_precision=False):
                        self.written.append((tag, scalar_value, global_step))
            """,
        },
    )
    result = run_python(
        """
        installed = install(sink, {"pytorch": False})
        from torch.utils.tensorboard import SummaryWriter
        result["installed"] = installed.installed
        w = SummaryWriter()
        w.add_scalar("loss/val", 0.5, 7)
        result["written"] = w.written
        """,
        tmp_path,
        first_on_path=standins,
    )
    assert result["installed"] == ["tensorboard"]
    assert result["written"] == [["loss/val", 0.5, 7]]
    assert result["calls"] == [["report_scalar", "loss", "val", 0.5, 7]]
