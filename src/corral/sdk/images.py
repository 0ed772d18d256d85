"""Images reported by the SDK (debug samples), as encoded bytes.

:func:`encode_image` takes what users have at hand (a numpy array, a PIL image,
a file, encoded bytes) and returns bytes ready to upload with their content
type. numpy and Pillow are imported only when an array or an image needs them.
"""

from __future__ import annotations

import io
import mimetypes
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

__all__ = ["chw_to_hwc", "encode_image", "sniff_image_type"]

#: magic prefix -> (content type, extension); WebP is checked apart (RIFF....WEBP)
_MAGIC = {
    b"\x89PNG\r\n\x1a\n": ("image/png", ".png"),
    b"\xff\xd8\xff": ("image/jpeg", ".jpg"),
    b"GIF87a": ("image/gif", ".gif"),
    b"GIF89a": ("image/gif", ".gif"),
}
#: Pillow format -> how a resized image of that format is encoded again
_REENCODE = {"JPEG": ("JPEG", "image/jpeg", ".jpg"), "WEBP": ("WEBP", "image/webp", ".webp")}


def sniff_image_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of encoded PNG, JPEG, GIF or WebP bytes, else None.

    Example:
        >>> sniff_image_type(b"\\x89PNG\\r\\n\\x1a\\n...")
        ('image/png', '.png')
    """
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def encode_image(image: Any, *, max_side: int | None = None) -> tuple[bytes, str, str]:
    """Encode an image for upload: returns ``(data, content_type, extension)``.

    Accepted:

    * a numpy array, H x W (gray) or H x W x C with C in 1, 3, 4 (gray, RGB,
      RGBA): floats are taken as 0..1 and scaled to 0..255 (clipped, NaN as 0),
      other numbers are clipped to 0..255, booleans are black and white;
    * a PIL image;
    * a path (``str`` or ``Path``) to an image file, sent as it is, its content
      type from the suffix (or from the bytes when the suffix says nothing);
    * encoded bytes of a PNG, JPEG, GIF or WebP image, sent as they are.

    Arrays and PIL images are encoded as PNG. With ``max_side``, an image larger
    than that on its longer side is scaled down keeping its aspect ratio (a
    resized JPEG or WebP stays one, anything else becomes PNG).

    Raises:
        TypeError: for an object that is none of the above.
        ValueError: for an array of the wrong shape, or bytes that are no known image.
        FileNotFoundError: for a path that does not exist.

    Example:
        >>> import numpy as np
        >>> data, content_type, ext = encode_image(np.zeros((4, 6, 3), dtype=np.uint8))
        >>> content_type, ext
        ('image/png', '.png')
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1; got {max_side}")
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        kind = sniff_image_type(data)
        if kind is None:
            raise ValueError("bytes are not a PNG, JPEG, GIF or WebP image")
        return _maybe_resize(data, *kind, max_side)
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        if not path.is_file():
            raise FileNotFoundError(f"no image file at {path}")
        data = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0]
        if content_type is None or not content_type.startswith("image/"):
            sniffed = sniff_image_type(data)
            if sniffed is None:
                raise ValueError(f"{path} is not a known image type")
            content_type = sniffed[0]
        return _maybe_resize(data, content_type, path.suffix.lower(), max_side)
    np_module = sys.modules.get("numpy")
    if np_module is not None and isinstance(image, np_module.ndarray):
        return _encode_pil(_array_to_pil(image), max_side)
    pil = sys.modules.get("PIL.Image")
    if pil is not None and isinstance(image, pil.Image):
        return _encode_pil(image, max_side)
    raise TypeError(
        f"cannot encode {type(image).__name__} as an image: "
        "expected a numpy array, a PIL image, a path or encoded bytes"
    )


def chw_to_hwc(array: np.ndarray) -> np.ndarray:
    """Move the channel axis last: C x H x W (TensorBoard, PyTorch) to H x W x C.

    A 2-D (gray) array is returned as it is.

    Raises:
        ValueError: unless the array is H x W or C x H x W with C in 1, 3, 4.

    Example:
        >>> import numpy as np
        >>> chw_to_hwc(np.zeros((3, 4, 5))).shape
        (4, 5, 3)
    """
    if array.ndim == 2:
        return array
    if array.ndim != 3 or array.shape[0] not in (1, 3, 4):
        raise ValueError(
            f"image array must be HxW or CxHxW with C in 1, 3, 4; got shape {tuple(array.shape)}"
        )
    transposed: np.ndarray = array.transpose(1, 2, 0)
    return transposed


def _array_to_pil(array: np.ndarray) -> Image.Image:
    import numpy as np
    from PIL import Image

    shape = tuple(array.shape)
    if not (array.ndim == 2 or (array.ndim == 3 and shape[2] in (1, 3, 4))) or 0 in shape:
        raise ValueError(f"image array must be HxW or HxWxC with C in 1, 3, 4; got shape {shape}")
    kind = array.dtype.kind
    if kind == "b":
        pixels = array.astype(np.uint8) * 255
    elif kind == "f":
        pixels = np.rint(np.clip(np.nan_to_num(array, nan=0.0), 0.0, 1.0) * 255).astype(np.uint8)
    elif kind in "iu":
        pixels = np.clip(array, 0, 255).astype(np.uint8)
    else:
        raise TypeError(f"image array must be numeric or boolean; got dtype {array.dtype}")
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    # uint8 H x W, H x W x 3 and H x W x 4 are L, RGB and RGBA to Pillow
    return Image.fromarray(np.ascontiguousarray(pixels))


def _resized(image: Image.Image, max_side: int | None) -> Image.Image | None:
    """A scaled-down copy when ``image`` is larger than ``max_side``, else None."""
    from PIL import Image

    width, height = image.size
    if max_side is None or max(width, height) <= max_side:
        return None
    scale = max_side / max(width, height)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode_pil(image: Image.Image, max_side: int | None) -> tuple[bytes, str, str]:
    image = _resized(image, max_side) or image
    if image.mode not in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")  # PNG cannot hold it
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue(), "image/png", ".png"


def _maybe_resize(
    data: bytes, content_type: str, extension: str, max_side: int | None
) -> tuple[bytes, str, str]:
    if max_side is None:
        return data, content_type, extension
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        smaller = _resized(image, max_side)
        if smaller is None:
            return data, content_type, extension
        fmt = image.format or ""
    if fmt not in _REENCODE:
        return _encode_pil(smaller, None)
    pil_format, content_type, extension = _REENCODE[fmt]
    buffer = io.BytesIO()
    smaller.save(buffer, format=pil_format, quality=90)
    return buffer.getvalue(), content_type, extension
