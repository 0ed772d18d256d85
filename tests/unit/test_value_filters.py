"""``core.value_filters``: the ``KEY OP VALUE`` parser, and the CSV cells of the export."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from corral.core.value_filters import FilterSyntaxError, ValueFilter, as_number, parse_filter
from corral.server.services.task_export import cell


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "metric:acc:val:max >= 0.9",
            ValueFilter("", "metric", ("acc", "val", "max"), ">=", value=0.9),
        ),
        ("param:Args:opt=adam", ValueFilter("", "param", ("Args", "opt"), "=", value="adam")),
        ('param:Args:opt="32"', ValueFilter("", "param", ("Args", "opt"), "=", value="32")),
        ("param:Args:bs!=32", ValueFilter("", "param", ("Args", "bs"), "!=", value=32)),
        ("param:Args:on=true", ValueFilter("", "param", ("Args", "on"), "=", value=True)),
        ("param:a%3Ab:c%3Dd<1", ValueFilter("", "param", ("a:b", "c=d"), "<", value=1)),
        ("param:Args:v=a..b", ValueFilter("", "param", ("Args", "v"), "=", value="a..b")),
        ("param:Args:lr=1e-3..", ValueFilter("", "param", ("Args", "lr"), "range", lo=0.001)),
        ("metric:l:v:last=..-1", ValueFilter("", "metric", ("l", "v", "last"), "range", hi=-1.0)),
        (
            'param:Args:opt!=["sgd", 2]',
            ValueFilter("", "param", ("Args", "opt"), "not in", values=("sgd", 2)),
        ),
    ],
)
def test_parse_filter_forms(text: str, expected: ValueFilter) -> None:
    got = parse_filter(text)
    assert got == ValueFilter(text, *list(expected.__dict__.values())[1:])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "lr>1",
        "param:a:b",
        "param:a:b>",
        "metric:a:b:last>x",
        "param:a:b<[1]",
        "metric:a:b:last=..",
    ],
)
def test_parse_filter_refuses_with_the_forms(text: str) -> None:
    with pytest.raises(FilterSyntaxError, match="KEY OP VALUE"):
        parse_filter(text)


def test_as_number_reads_numbers_and_numeric_strings_only() -> None:
    assert [as_number(v) for v in (3, 0.5, "0.01", " 1e1 ", "-.5")] == [3, 0.5, 0.01, 10.0, -0.5]
    assert [as_number(v) for v in ("12abc", "1-2", "nan", "inf", True, "", "1e999")] == [None] * 7


def test_csv_cells_guard_formulas_and_write_times_in_utc() -> None:
    assert [cell(v) for v in ("=1+1", "+x", "-x", "@x", "\tx", "-0.5", "+3", "plain")] == [
        "'=1+1",
        "'+x",
        "'-x",
        "'@x",
        "'\tx",
        "-0.5",
        "+3",
        "plain",
    ]
    assert [cell(v) for v in (None, True, 2.0, 0.1, ["a", "=b"], {"k": 1})] == [
        "",
        "true",
        "2",
        "0.1",
        "a, =b",
        '{"k": 1}',
    ]
    paris = datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    assert cell(paris) == "2026-03-01T09:30:00Z"
    assert cell(datetime(2026, 3, 1, 9, 30)) == "2026-03-01T09:30:00Z"  # naive: UTC
