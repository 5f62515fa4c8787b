"""Callback data: one compact versioned format; anything else is refused politely, never crashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.screens import callbacks
from bot.screens.callbacks import Action, BadCallback, parse


@pytest.mark.parametrize(
    "action",
    [
        Action("card", code=404),
        Action("details", code=599),
        Action("class", digit=4, page=3),
        Action("home"),
        Action("lang", lang="zh"),
        Action("random"),
        Action("noop"),
    ],
)
def test_round_trip(action):
    data = action.encode()
    assert len(data.encode()) <= callbacks.MAX_BYTES
    assert parse(data) == action


def test_the_format_is_versioned_and_compact():
    assert callbacks.card(404) == "1|c|404"
    assert callbacks.status_class(5, 1) == "1|k|5|1"


@pytest.mark.parametrize(
    "data",
    ["", "0|c|404", "2|c|404", "1|c|4040", "1|c|abc", "1|c|099", "1|z", "1|k|6|0", "1|k|4", "1|l|fr", "1|h|x",
     "1|k|4|100", "x" * 65, None, 42, "1|c|404|extra", "1|c|" + "٤٠٤"],
)  # fmt: skip
def test_stale_or_forged_data_is_refused(data):
    with pytest.raises(BadCallback):
        parse(data)


@given(st.one_of(st.text(max_size=80), st.binary(max_size=80).map(lambda b: b.decode("latin-1"))))
def test_parse_only_ever_raises_bad_callback(data):
    try:
        action = parse(data)
    except BadCallback:
        return
    assert parse(action.encode()) == action
