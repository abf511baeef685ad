"""The one JSON encoder module: each form as its readers need it, NaN kept in every one."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tracklog.errors import InvalidTypeError
from tracklog.store import json_input, json_output
from tracklog.store.wire import encode_record, iter_records

VALUE = {"b": [1, math.nan, math.inf], "a": {"y": -math.inf, "x": "é"}}


def test_stored_text_sorts_keys_so_equal_values_are_equal_text() -> None:
    text = json_output.dumps(VALUE)
    assert text == '{"a": {"x": "\\u00e9", "y": -Infinity}, "b": [1, NaN, Infinity]}'
    assert text == json_output.dumps(dict(reversed(list(VALUE.items()))))


def test_wire_text_is_compact_keeps_nan_and_converts_numpy() -> None:
    body = {"v": np.float32(0.5), "a": np.arange(3), "n": math.nan}
    assert json_output.wire_text(body) == '{"v":0.5,"a":[0,1,2],"n":NaN}'
    assert json_output.wire_bytes(body) == json_output.wire_text(body).encode()
    parsed = json_input.loads(json_output.wire_bytes(body), "body")
    assert parsed["a"] == [0, 1, 2] and math.isnan(parsed["n"])
    with pytest.raises(InvalidTypeError, match="object cannot be sent as JSON"):
        json_output.wire_text({"x": object()})


def test_record_headers_and_exports_keep_nan_and_read_back() -> None:
    (record,) = iter_records(encode_record("set_summary", {"run_id": "r", "values": VALUE}))
    assert (record.op, json_output.dumps(record.args["values"])) == (
        "set_summary",
        json_output.dumps(VALUE),
    )
    text = json_output.export_text(VALUE)
    assert text.endswith("}\n") and '"x": "é"' in text and "\n  " in text
    assert json_output.dumps(json.loads(text)) == json_output.dumps(VALUE)
