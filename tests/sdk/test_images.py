"""Encoding of debug-sample images."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from corral.sdk.images import chw_to_hwc, encode_image, sniff_image_type


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_gray_uint8_array_is_png_of_same_pixels() -> None:
    array = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    data, content_type, extension = encode_image(array)
    assert (content_type, extension) == ("image/png", ".png")
    image = decode(data)
    assert (image.format, image.mode, image.size) == ("PNG", "L", (4, 3))
    assert np.array_equal(np.asarray(image), array)


def test_single_channel_array_is_gray() -> None:
    array = np.full((2, 5, 1), 7, dtype=np.uint8)
    image = decode(encode_image(array)[0])
    assert (image.mode, image.size) == ("L", (5, 2))
    assert np.array_equal(np.asarray(image), array[:, :, 0])


@pytest.mark.parametrize(("channels", "mode"), [(3, "RGB"), (4, "RGBA")])
def test_uint8_color_arrays_keep_their_channels(channels: int, mode: str) -> None:
    array = np.random.default_rng(1).integers(0, 256, (6, 8, channels), dtype=np.uint8)
    image = decode(encode_image(array)[0])
    assert (image.mode, image.size) == (mode, (8, 6))
    assert np.array_equal(np.asarray(image), array)


@pytest.mark.parametrize(("channels", "mode"), [(None, "L"), (3, "RGB"), (4, "RGBA")])
def test_float_arrays_are_scaled_from_unit_range_and_clipped(
    channels: int | None, mode: str
) -> None:
    row = np.array([-0.5, 0.0, 0.5, 1.0, 2.0, np.nan])
    array = row.reshape(1, 6) if channels is None else np.repeat(row.reshape(1, 6, 1), channels, 2)
    image = decode(encode_image(array.astype(np.float32))[0])
    assert image.mode == mode
    pixels = np.asarray(image).reshape(6, -1)[:, 0]
    assert pixels.tolist() == [0, 0, 128, 255, 255, 0]


def test_other_numbers_are_clipped_and_bools_are_black_and_white() -> None:
    ints = np.array([[-10, 0, 100, 300]], dtype=np.int32)
    assert np.asarray(decode(encode_image(ints)[0])).tolist() == [[0, 0, 100, 255]]
    bools = np.array([[True, False]])
    assert np.asarray(decode(encode_image(bools)[0])).tolist() == [[255, 0]]


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 4, 2), (5,), (0, 3)])
def test_bad_array_shape_is_a_clear_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as info:
        encode_image(np.zeros(shape, dtype=np.uint8))
    assert str(info.value) == (
        f"image array must be HxW or HxWxC with C in 1, 3, 4; got shape {shape}"
    )


def test_unsupported_types_are_type_errors() -> None:
    with pytest.raises(TypeError, match="cannot encode list as an image"):
        encode_image([[0, 1], [1, 0]])
    with pytest.raises(TypeError, match="numeric or boolean"):
        encode_image(np.array([["a", "b"]]))


def test_pil_image_is_encoded_as_png_without_changing_it() -> None:
    original = Image.new("RGB", (40, 20), (10, 200, 30))
    data, content_type, _ = encode_image(original, max_side=10)
    image = decode(data)
    assert (content_type, image.size) == ("image/png", (10, 5))
    assert image.getpixel((5, 2)) == (10, 200, 30)
    assert original.size == (40, 20)


def test_pil_image_in_a_mode_png_cannot_hold_is_converted() -> None:
    image = decode(encode_image(Image.new("CMYK", (3, 3), (0, 0, 0, 0)))[0])
    assert (image.mode, image.getpixel((1, 1))) == ("RGB", (255, 255, 255))


def test_max_side_keeps_aspect_ratio_of_arrays() -> None:
    image = decode(encode_image(np.zeros((100, 300, 3), dtype=np.uint8), max_side=60)[0])
    assert image.size == (60, 20)
    same = decode(encode_image(np.zeros((10, 30), dtype=np.uint8), max_side=60)[0])
    assert same.size == (30, 10)


def test_image_file_is_sent_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    Image.new("RGB", (16, 8), (255, 0, 0)).save(path, format="JPEG")
    for source in (path, str(path)):
        data, content_type, extension = encode_image(source)
        assert (data, content_type, extension) == (path.read_bytes(), "image/jpeg", ".jpg")


def test_resized_jpeg_file_stays_jpeg(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpeg"
    Image.new("RGB", (64, 32), (0, 0, 255)).save(path, format="JPEG")
    data, content_type, extension = encode_image(path, max_side=16)
    image = decode(data)
    assert (content_type, extension, image.format, image.size) == (
        "image/jpeg",
        ".jpg",
        "JPEG",
        (16, 8),
    )


def test_file_without_image_suffix_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "sample.bin"
    Image.new("L", (2, 2)).save(path, format="PNG")
    assert encode_image(path)[1:] == ("image/png", ".bin")
    (tmp_path / "notes.bin").write_bytes(b"hello")
    with pytest.raises(ValueError, match="not a known image type"):
        encode_image(tmp_path / "notes.bin")


def test_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        encode_image(tmp_path / "missing.png")


@pytest.mark.parametrize(
    ("pil_format", "content_type", "extension"),
    [
        ("PNG", "image/png", ".png"),
        ("JPEG", "image/jpeg", ".jpg"),
        ("GIF", "image/gif", ".gif"),
        ("WEBP", "image/webp", ".webp"),
    ],
)
def test_encoded_bytes_are_sniffed_and_kept(
    pil_format: str, content_type: str, extension: str
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format=pil_format)
    data = buffer.getvalue()
    assert encode_image(data) == (data, content_type, extension)
    assert sniff_image_type(data) == (content_type, extension)


def test_unknown_bytes_are_rejected() -> None:
    with pytest.raises(ValueError, match="not a PNG, JPEG, GIF or WebP"):
        encode_image(b"not an image")


def test_resized_png_bytes_are_png() -> None:
    buffer = io.BytesIO()
    Image.new("RGBA", (50, 100)).save(buffer, format="PNG")
    data, content_type, _ = encode_image(buffer.getvalue(), max_side=10)
    assert (content_type, decode(data).size) == ("image/png", (5, 10))


def test_chw_to_hwc_moves_channels_last() -> None:
    chw = np.arange(24).reshape(3, 2, 4)
    hwc = chw_to_hwc(chw)
    assert hwc.shape == (2, 4, 3)
    assert hwc[1, 2, 0] == chw[0, 1, 2]
    gray = np.zeros((5, 6))
    assert chw_to_hwc(gray) is gray
    with pytest.raises(ValueError, match=r"got shape \(5, 2, 2\)"):
        chw_to_hwc(np.zeros((5, 2, 2)))
