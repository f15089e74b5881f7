"""The raw-file scan (retail_warehouse/inputs/raw_files.py, ByteScan) finds a control character
in a value wherever the file's chunks split it, and none in a clean file: staging strips
control characters only in the files where it found some."""

from __future__ import annotations

import pytest

from retail_warehouse.inputs.raw_files import ByteScan, InputError


def scan(*chunks: bytes, limit: int = 1000) -> ByteScan:
    lines = ByteScan(limit, ord('"'))
    for chunk in chunks:
        lines.add(chunk)
    return lines


@pytest.mark.parametrize(
    "chunks",
    [
        [b"a,b\n1,2\n"],
        [b"a,b\r\n1,2\r\n"],
        [b'a,b\n"1,5",2\n'],
        # A quoted value that spans the chunks, without a line break in it.
        [b'a,b\n"1,', b'5",2\n3,4\n'],
        [b"a,b\n1,\xc3\xa9\n"],
    ],
)
def test_a_file_without_control_characters_has_none(chunks):
    assert not scan(*chunks).has_control_characters


@pytest.mark.parametrize(
    "chunks",
    [
        [b"a,b\n1\t,2\n"],
        [b"a,b\n1\r2,3\n"],
        [b"a,b\n1,2\x7f\n"],
        [b"a,b\n1,2\x00\n"],
        [b'a,b\n"1\n5",2\n'],
        # The line break is in quotes that opened in the chunk before.
        [b'a,b\n"1', b'\n5",2\n'],
        # A C1 control as UTF-8, its two bytes in two chunks, and in one.
        [b"a,b\n1,\xc2", b"\x85\n"],
        [b"a,b\n1,\xc2\x9f\n"],
        # Found in a later chunk after clean ones.
        [b"a,b\n", b"1,2\n", b"3,\x1b4\n"],
    ],
)
def test_a_control_character_in_a_value_is_found(chunks):
    assert scan(*chunks).has_control_characters


def test_lines_are_counted_and_an_overlong_line_named():
    assert scan(b"a,b\n1,2\n", b"3,4\n").lines == 3
    with pytest.raises(InputError, match=r"line 2 .* is 12 bytes"):
        scan(b"a,b\n1,2345", b"678901\n", limit=10)
