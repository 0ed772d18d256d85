"""TensorBoard writers: what a ``SummaryWriter`` writes is reported to the task too.

Both ``tensorboardX.SummaryWriter`` and ``torch.utils.tensorboard.SummaryWriter`` are
patched (whichever is imported). The event files are still written: the original
method runs first, and is reported only once it returned.

Tags map to title/series as ClearML does: ``"loss/train"`` is title ``loss``, series
``train``; a tag without ``/`` is both. ``add_scalars(main_tag, {...})`` reports each key
as a series of ``main_tag``. A ``global_step`` of ``None`` is replaced by a per-tag
counter (0, 1, 2...).
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from typing import Any

from corral.sdk.capture.frameworks.base import Binding, CaptureSink

_WRITERS = (("tensorboardX", "SummaryWriter"), ("torch.utils.tensorboard", "SummaryWriter"))


def split_tag(tag: str) -> tuple[str, str]:
    """``"a/b/c"`` -> ``("a/b", "c")``; ``"loss"`` -> ``("loss", "loss")``."""
    title, _, series = str(tag).rpartition("/")
    return (title, series) if title else (series, series)


def to_numpy(value: Any) -> Any:
    """A numpy array of a tensor (torch, tf, jax) or array-like."""
    import numpy as np

    if hasattr(value, "detach"):  # torch: off the graph and the GPU first
        value = value.detach().cpu()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        value = value.numpy()
    return np.asarray(value)


def to_hwc(image: Any, dataformats: str) -> Any:
    """An image of any TensorBoard ``dataformats`` as a uint8 HWC (or HW) array.

    Batches (``N`` in ``dataformats``) are tiled into a grid of up to 8 columns. Floats are
    taken as [0, 1] and scaled to [0, 255], as TensorBoard does.
    """
    import numpy as np

    arr, fmt = to_numpy(image), dataformats.upper()
    order = [fmt.index(c) for c in "NHWC" if c in fmt]
    arr = arr.transpose(order)
    if "N" in fmt:
        arr = arr if "C" in fmt else arr[..., None]
        n, h, w, c = arr.shape
        cols = min(n, 8)
        rows = -(-n // cols)
        grid = np.zeros((rows * h, cols * w, c), dtype=arr.dtype)
        for i in range(n):
            y, x = divmod(i, cols)
            grid[y * h : (y + 1) * h, x * w : (x + 1) * w] = arr[i]
        arr = grid
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.dtype != np.uint8:
        arr = (arr.astype(np.float32) * 255).clip(0, 255).astype(np.uint8)
    return arr


def bin_heights(values: Any, bins: Any = "tensorflow", max_bins: int | None = None) -> Any:
    """The histogram counts of ``values`` (non-finite values dropped)."""
    import numpy as np

    arr = to_numpy(values).astype(np.float64).ravel()
    arr = arr[np.isfinite(arr)]
    if isinstance(bins, str) and bins == "tensorflow":
        bins = "auto"  # TensorBoard's exponential buckets have no numpy spelling
    counts, _ = np.histogram(arr, bins=bins)
    limit = max_bins or 100
    if counts.size > limit:
        counts, _ = np.histogram(arr, bins=limit)
    return counts


def _scalar(tag: Any, scalar_value: Any, global_step: Any = None, *_: Any, **__: Any) -> Any:
    return tag, scalar_value, global_step


def _scalars(
    main_tag: Any, tag_scalar_dict: Any, global_step: Any = None, *_: Any, **__: Any
) -> Any:
    return main_tag, tag_scalar_dict, global_step


def _image(
    tag: Any,
    img_tensor: Any,
    global_step: Any = None,
    walltime: Any = None,
    dataformats: Any = None,
    **__: Any,
) -> Any:
    return tag, img_tensor, global_step, dataformats


def _histogram(
    tag: Any,
    values: Any,
    global_step: Any = None,
    bins: Any = "tensorflow",
    walltime: Any = None,
    max_bins: Any = None,
    **__: Any,
) -> Any:
    return tag, values, global_step, bins, max_bins


def _text(tag: Any, text_string: Any, global_step: Any = None, *_: Any, **__: Any) -> Any:
    return tag, text_string


class TensorBoardBinding(Binding):
    """Reports ``SummaryWriter`` scalars, images, histograms and text."""

    name = "tensorboard"
    modules = tuple(module for module, _ in _WRITERS)

    def __init__(self) -> None:
        super().__init__()
        self._steps: defaultdict[tuple[str, str], itertools.count[int]] = defaultdict(
            itertools.count
        )

    def install(self, sink: CaptureSink) -> None:
        """Patch the ``SummaryWriter`` of each TensorBoard module imported so far."""
        with self._lock:
            self.sink = sink
            for module, cls in _WRITERS:
                writer = getattr(sys.modules.get(module), cls, None)
                if writer is None:
                    continue
                for method, hook in (
                    ("add_scalar", self._add_scalar),
                    ("add_scalars", self._add_scalars),
                    ("add_image", self._add_image),
                    ("add_images", self._add_images),
                    ("add_histogram", self._add_histogram),
                    ("add_text", self._add_text),
                ):
                    if hasattr(writer, method):
                        self.patch(writer, method, after=hook)

    def _step(self, kind: str, tag: Any, global_step: Any) -> int:
        if global_step is not None:
            return int(global_step)
        with self._lock:  # one counter per (kind, tag), even when threads race to create it
            counter = self._steps[kind, str(tag)]
        return next(counter)

    def _add_scalar(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tag, value, step = _scalar(*args[1:], **kwargs)
        if self.sink is not None:
            self.sink.report_scalar(*split_tag(tag), float(value), self._step("scalar", tag, step))

    def _add_scalars(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        main_tag, values, step = _scalars(*args[1:], **kwargs)
        iteration = self._step("scalar", main_tag, step)
        for series, value in values.items():
            if self.sink is not None:
                self.sink.report_scalar(str(main_tag), str(series), float(value), iteration)

    def _add_image(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tag, image, step, dataformats = _image(*args[1:], **kwargs)
        if self.sink is not None:
            image = to_hwc(image, dataformats or "CHW")
            self.sink.report_image(*split_tag(tag), self._step("image", tag, step), image)

    def _add_images(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tag, images, step, dataformats = _image(*args[1:], **kwargs)
        fmt = dataformats or "NCHW"
        if isinstance(images, (list, tuple)):  # a list of CHW/HWC tensors is a batch too
            import numpy as np

            images, fmt = np.stack([to_numpy(i) for i in images]), "N" + fmt
        if self.sink is not None:
            self.sink.report_image(
                *split_tag(tag), self._step("image", tag, step), to_hwc(images, fmt)
            )

    def _add_histogram(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tag, values, step, bins, max_bins = _histogram(*args[1:], **kwargs)
        if self.sink is not None:
            heights = bin_heights(values, bins, max_bins)
            self.sink.report_histogram(*split_tag(tag), self._step("histogram", tag, step), heights)

    def _add_text(self, result: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        tag, text = _text(*args[1:], **kwargs)
        if self.sink is not None:
            self.sink.report_text(f"{tag}: {text}")
