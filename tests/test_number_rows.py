"""The compiled reading of a reply of number rows against its plain reference (json + float)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.exchange.number_rows import number_rows, number_rows_reference

prices = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def field(draw):
    """A number as exchanges write them: fixed decimals, repr, an exponent, an integer; bare
    or quoted."""
    x = draw(prices)
    form = draw(st.sampled_from(["fixed", "repr", "exp", "int"]))
    if form == "fixed":
        text = f"{x:.{draw(st.integers(0, 8))}f}"
    elif form == "repr":
        text = repr(x)
    elif form == "exp":
        text = f"{x:.{draw(st.integers(0, 6))}e}"
    else:
        text = str(int(x))
    return f'"{text}"' if draw(st.booleans()) else text


@st.composite
def reply(draw):
    rows = draw(st.lists(st.lists(field(), min_size=6, max_size=12), max_size=30))
    comma = draw(st.sampled_from([",", ", ", " ,\n "]))
    return "[" + comma.join("[" + comma.join(row) + "]" for row in rows) + "]"


@settings(max_examples=150, deadline=None)
@given(reply())
def test_the_kernel_reads_what_json_and_float_read(body):
    """Wherever the kernel reads a reply, it reads the same doubles as `float` does; it
    reads every reply of numbers of up to 15 digits and a point."""
    reference = number_rows_reference(body, 6)
    read = number_rows(body.encode(), 6)
    assert reference is not None
    if read is not None:
        assert read.shape == reference.shape
        assert np.array_equal(read, reference)
    # the most digits of any field (the longest text may hold fewer: "[[-100000000.0000")
    digits = max(sum(c.isdigit() for c in f) for f in body.replace('"', "").split(","))
    if "e" not in body and digits <= 15:
        assert read is not None, body


def test_a_binance_page_is_read_compact_or_spaced():
    rng = np.random.default_rng(5)
    rows = [[1640995200000 + 60_000 * k, *(f"{p:.8f}" for p in rng.uniform(1, 1e5, 5)),
             1640995259999 + 60_000 * k, "0", 1, "0", "0", "0"] for k in range(1000)]  # fmt: skip
    for separators in [(",", ":"), (", ", ": ")]:
        body = json.dumps(rows, separators=separators)
        read = number_rows(body.encode(), 6)
        assert read is not None and read.shape == (1000, 6)
        assert np.array_equal(read, number_rows_reference(body, 6))


@pytest.mark.parametrize(
    "body",
    [
        "[[1,2,3,4,5]]",  # a row too short
        "[[1,2,3,4,5,6]",  # unclosed
        "[[1,2,3,4,5,6],]",  # a trailing comma
        "[[1,2,3,4,5,6]] x",  # something after the rows
        "[[01,2,3,4,5,6]]",  # a leading zero JSON refuses
        "[[1.,2,3,4,5,6]]",  # a point without digits
        '[[".5",2,3,4,5,6]]',  # no digit before the point
        "[[1e400,2,3,4,5,6]]",  # beyond the exact powers of ten
        "[[12345678901234567890,2,3,4,5,6]]",  # more digits than a double holds exactly
        '[["1",2,3,4,5,6,null]]',  # not a number after the six
        '[["1\\u0032",2,3,4,5,6]]',  # an escape
        '{"code": -1121}',  # not rows
        '[[1,"2,3,4,5,6]]',  # an unclosed quote
    ],
)
def test_the_kernel_declines_what_it_cannot_read_exactly(body):
    """Declined, the reply is decoded as JSON by the caller: what JSON and float make of it
    (an error, or numbers) stands."""
    assert number_rows(body.encode(), 6) is None


def test_an_empty_reply_is_no_rows():
    assert number_rows(b"[]", 6).shape == (0, 6)
    assert number_rows(b" [ ] ", 6).shape == (0, 6)


def test_a_field_of_16_digits_is_declined_beside_a_longer_text_of_fewer():
    """Hypothesis found it: the test took the longest field's digits, 13, not the most."""
    body = "[[-100000000.0000,0.0,0,90071993.42578125,0,0]]"
    assert number_rows(body.encode(), 6) is None  # past 2**53: json and float read it
    assert number_rows_reference(body, 6)[0, 3] == 90071993.42578125
