"""The path policy on its own: which store paths every store accepts, and the cursors."""

from __future__ import annotations

import pytest

from corral.errors import ValidationError
from corral.server.storage import PATH_MAX, check_path, decode_cursor, encode_cursor

# --- check_path --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "a",
        "tasks/0123abcd/artifacts/data.csv",
        "a b/c d.txt",
        "données/été.txt",
        "a..b/..c/c..",
        ".hidden/.x",
        "a/.tmp/b",  # only the top-level .tmp is the store's
        ".tmpfile",
        "50%/100%zz",  # a '%' not followed by two hex digits is just a character
        "C:x",
        "x" * 255,
        "a/" * (PATH_MAX // 2 - 1) + "bb",  # exactly PATH_MAX characters
    ],
)
def test_check_path_accepts_plain_relative_paths(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/etc/passwd",
        "//server/share",
        "..",
        ".",
        "../x",
        "a/../../etc/passwd",
        "a/..",
        "a/./b",
        "a//b",
        "a/",
        "a\\b",
        "..\\..\\etc",
        "C:\\Windows",
        "\\\\server\\share",
        "C:/Windows",
        "C:",
        "a\x00b",
        "a\nb",
        "a\tb",
        "a\x7fb",
        "a\x85b",
        "%2e%2e/x",
        "a/%2E%2e/b",
        "%2e%2e%2fetc%2fpasswd",
        "%252e%252e%252f",
        "a%00",
        ".tmp",
        ".tmp/x",
        ".TMP/x",
        "é" * 128,  # 256 bytes in UTF-8
        "a/" + "b" * 256,
        "a" * (PATH_MAX + 1),
        "a/\udcff",  # not valid UTF-8
    ],
)
def test_check_path_refuses_anything_that_could_escape_or_confuse(path: str) -> None:
    with pytest.raises(ValidationError) as e:
        check_path(path)
    assert e.value.status == 422 and e.value.errors


def test_bad_cursor_is_422() -> None:
    with pytest.raises(ValidationError):
        decode_cursor("!!!")
    with pytest.raises(ValidationError):
        decode_cursor(encode_cursor("x")[:-1] + "_w")  # not UTF-8 once decoded
