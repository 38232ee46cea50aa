"""AttributeValue types: exact round trips, number normalisation, and invalid values.

Messages are DynamoDB's as recorded by dynalite (mhart/dynalite validations/index.js
validateAttributeValue/checkNum, test/putItem.js "invalid values", "empty/invalid
numbers", "should put really long numbers") unless another source is cited.
"""

import base64
import os

import pytest
from botocore.exceptions import ClientError

from conftest import assert_raw_error, create_table

INVALID = "One or more parameter values were invalid: "
NOT_NUMERIC = "The parameter cannot be converted to a numeric value"
TOO_PRECISE = "Attempting to store more than 38 significant digits in a Number"
OVERFLOW = "Number overflow. Attempting to store a number with magnitude larger than supported range"
UNDERFLOW = ("Number underflow. Attempting to store a number with magnitude smaller than "
             "supported range")
EMPTY_AV = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
TWO_TYPES = ("Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
             "the supported datatypes")


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb)


_seq = iter(range(10 ** 9))


def roundtrip_raw(raw, table, value):
    """Stores {"v": value} (wire JSON) and returns the stored value as read back."""
    key = {"id": {"S": f"k{next(_seq)}"}}
    r = raw.call("PutItem", {"TableName": table, "Item": dict(key, v=value)})
    assert r.status == 200, r
    r = raw.call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
    assert r.status == 200, r
    return r.json["Item"]["v"]


def put_raw(raw, table, value):
    return raw.call("PutItem", {"TableName": table, "Item": {"id": {"S": "bad"}, "v": value}})


def b64(data):
    return base64.b64encode(data).decode()


# ---------------------------------------------------------------------------
# exact round trips

@pytest.mark.parametrize("s", [
    "hello",
    "",                                   # empty strings are fine outside keys (2020-05)
    "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e",
    "\U0001F389\U0001F600 emoji outside the BMP",
    "quotes \" backslash \\ slash / tab \t newline \n cr \r",
    "nul \u0000 inside",
    "\u007f\u0080\u07ff\u0800\uffff",
    " leading and trailing spaces ",
    "x" * 10000,
])
def test_string_round_trips_exactly(raw, ddb, table, s):
    assert roundtrip_raw(raw, table, {"S": s}) == {"S": s}
    # and through boto3 too
    ddb.put_item(TableName=table, Item={"id": {"S": "boto-s"}, "v": {"S": s}})
    assert ddb.get_item(TableName=table, Key={"id": {"S": "boto-s"}})["Item"]["v"] == {"S": s}


@pytest.mark.parametrize("given,stored", [
    ("01.50", "1.5"),
    ("1.0", "1"),
    ("0", "0"),
    ("0.0", "0"),
    ("100", "100"),
    ("1e3", "1000"),
    ("1.23E+2", "123"),
    ("1E-5", "0.00001"),
    ("-0015.789e6", "-15789000"),
    ("-1", "-1"),
    ("-0.5", "-0.5"),
    ("12345678901234567890123456789012345678000", "12345678901234567890123456789012345678000"),
    # dynalite test/putItem.js "should put really long numbers"
    ("0000012345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ("-00001.23456789012345678901234567890123456780000", "-1.2345678901234567890123456789012345678"),
    ("0009.99999999999999999999999999999999999990000e125", "9" * 38 + "0" * 88),
    ("-0009.99999999999999999999999999999999999990000e125", "-" + "9" * 38 + "0" * 88),
    ("0001.000e-130", "0." + "0" * 129 + "1"),
    ("-0001.000e-130", "-0." + "0" * 129 + "1"),
    ("1E+125", "1" + "0" * 125),
])
def test_number_is_normalised(raw, table, given, stored):
    assert roundtrip_raw(raw, table, {"N": given}) == {"N": stored}


@pytest.mark.parametrize("data", [b"\x00\x01\xff", b"", os.urandom(1000), b"a", b"ab", b"abc"])
def test_binary_round_trips_exactly(ddb, table, data):
    ddb.put_item(TableName=table, Item={"id": {"S": "bin"}, "v": {"B": data}})
    assert ddb.get_item(TableName=table, Key={"id": {"S": "bin"}})["Item"]["v"] == {"B": data}


def test_binary_is_base64_on_the_wire(raw, table):
    assert roundtrip_raw(raw, table, {"B": "AAH/"}) == {"B": "AAH/"}
    assert roundtrip_raw(raw, table, {"B": "Yg=="}) == {"B": "Yg=="}


@pytest.mark.parametrize("value", [{"BOOL": True}, {"BOOL": False}, {"NULL": True}])
def test_bool_and_null_round_trip(raw, table, value):
    assert roundtrip_raw(raw, table, value) == value


def test_sets_round_trip_as_sets(raw, table):
    ss = ["a", "b", "\u00e9", "\U0001F389", "zz"]
    got = roundtrip_raw(raw, table, {"SS": ss})
    assert set(got) == {"SS"} and sorted(got["SS"]) == sorted(ss)
    got = roundtrip_raw(raw, table, {"NS": ["1", "2.50", "-3", "1e2", "0.001"]})
    assert set(got) == {"NS"} and sorted(got["NS"]) == sorted(["1", "2.5", "-3", "100", "0.001"])
    bs = [b64(b"a"), b64(b"\x00\xff"), b64(b"longer value")]
    got = roundtrip_raw(raw, table, {"BS": bs})
    assert set(got) == {"BS"} and sorted(got["BS"]) == sorted(bs)


def test_map_and_list_round_trip_with_every_type(raw, table):
    every = {
        "s": {"S": "a"}, "n": {"N": "-56.789"}, "b": {"B": "Yg=="}, "t": {"BOOL": True},
        "f": {"BOOL": False}, "z": {"NULL": True}, "ss": {"SS": ["a"]}, "ns": {"NS": ["-56.789"]},
        "bs": {"BS": ["Yg=="]}, "l": {"L": []}, "m": {"M": {}},
        "empty": {"S": ""}, "e\u00e9 \U0001F389": {"S": "unicode name"},
    }
    value = {"M": dict(every, inner={"M": every}, list={"L": list(every.values())})}
    assert roundtrip_raw(raw, table, value) == value
    lst = {"L": [{"L": [{"L": []}]}, {"M": {"a": {"L": [{"N": "1"}, {"S": "x"}]}}}, {"NULL": True}]}
    assert roundtrip_raw(raw, table, lst) == lst


def deep(levels, leaf=None, kind="M"):
    v = leaf or {"S": "leaf"}
    for _ in range(levels):
        v = {"M": {"n": v}} if kind == "M" else {"L": [v]}
    return v


@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_to_32_levels_round_trips(raw, table, kind):
    # 31 containers around a scalar: the attribute is level 1, the leaf level 32, the
    # deepest DynamoDB accepts (conformance suite captured against real DynamoDB,
    # eu-west-2; AWS quotas: "DynamoDB supports nested attributes up to 32 levels deep").
    value = deep(31, kind=kind)
    assert roundtrip_raw(raw, table, value) == value


@pytest.mark.parametrize("kind", ["M", "L"])
def test_nesting_beyond_32_levels_is_rejected(raw, table, kind):
    msg = assert_raw_error(put_raw(raw, table, deep(32, kind=kind)), "ValidationException")
    # Real DynamoDB: "Nesting Levels have exceeded supported limits: Attributes in the
    # item have nested levels beyond supported limit" (wording varies by region after
    # the colon).
    assert msg.lower().startswith("nesting levels have exceeded supported limits"), msg


# ---------------------------------------------------------------------------
# invalid values

@pytest.mark.parametrize("value,message", [
    ({"SS": []}, INVALID + "An string set  may not be empty"),       # sic: two spaces
    ({"NS": []}, INVALID + "An number set  may not be empty"),
    ({"BS": []}, INVALID + "Binary sets should not be empty"),
    ({"SS": ["a", "a"]}, INVALID + "Input collection [a, a] contains duplicates."),
    ({"BS": ["Yg==", "Yg=="]}, INVALID + "Input collection [Yg==, Yg==]of type BS contains duplicates."),
    ({"NS": ["1", "1"]}, "Input collection contains duplicates"),
    ({"NS": ["1", "1.0"]}, "Input collection contains duplicates"),   # numerically equal
    ({"NS": ["1e2", "100", "3"]}, "Input collection contains duplicates"),
    ({"NULL": False}, INVALID + "Null attribute value types must have the value of true"),
    ({}, EMPTY_AV),
    ({"S": "a", "N": "1"}, TWO_TYPES),
    ({"S": "a", "BOOL": True}, TWO_TYPES),
    ({"M": {"a": {}}}, EMPTY_AV),
    ({"L": [{}]}, EMPTY_AV),
    ({"L": [{"N": "1"}, {"M": {"x": {"S": "a", "NULL": True}}}]}, TWO_TYPES),
])
def test_invalid_attribute_values_are_rejected(raw, table, value, message):
    assert_raw_error(put_raw(raw, table, value), "ValidationException", message)


def test_duplicates_message_cut_inside_a_character_is_still_valid_utf8(raw, ddb, table):
    """The message quotes the set up to a bound (767 bytes); a cut through a multi-byte
    character used to leave invalid UTF-8 in the response, which no client could parse
    (found by fuzz_request). The partial character is dropped."""
    value = {"SS": ["\u5558" * 300, "x", "x"]}
    r = put_raw(raw, table, value)
    r.body.decode("utf-8")   # strict: raises on invalid UTF-8
    assert_raw_error(r, "ValidationException",
                     INVALID + "Input collection [" + "\u5558" * 255 + " contains duplicates.")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=table, Item={"id": {"S": "bad"}, "v": value})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"].endswith(" contains duplicates.")


@pytest.mark.parametrize("n,message", [
    ("123456789012345678901234567890123456789", TOO_PRECISE),
    ("-1.23456789012345678901234567890123456789", TOO_PRECISE),
    ("1.00000000000000000000000000000000000001", TOO_PRECISE),
    ("1e126", OVERFLOW),
    ("-1e126", OVERFLOW),
    ("99999999999999999999999999999999999999e89", OVERFLOW),
    ("1e-131", UNDERFLOW),
    ("-1e-131", UNDERFLOW),
    ("0.1e-130", UNDERFLOW),
    ("", NOT_NUMERIC),
    ("b", NOT_NUMERIC + ": b"),
    ("1.2.3", NOT_NUMERIC + ": 1.2.3"),
    ("12abc", NOT_NUMERIC + ": 12abc"),
    ("NaN", NOT_NUMERIC + ": NaN"),
    ("Infinity", NOT_NUMERIC + ": Infinity"),
    ("0x10", NOT_NUMERIC + ": 0x10"),
])
def test_invalid_numbers_are_rejected(raw, table, n, message):
    assert_raw_error(put_raw(raw, table, {"N": n}), "ValidationException", message)


@pytest.mark.parametrize("ns,message", [
    (["1", ""], NOT_NUMERIC),
    (["1", "b"], NOT_NUMERIC + ": b"),
    (["1", "1e126"], OVERFLOW),
])
def test_invalid_number_set_members_are_rejected(raw, table, ns, message):
    assert_raw_error(put_raw(raw, table, {"NS": ns}), "ValidationException", message)


def test_invalid_values_in_a_get_item_key_are_rejected(raw, table):
    r = raw.call("GetItem", {"TableName": table, "Key": {"id": {"S": "a", "N": "1"}}})
    assert_raw_error(r, "ValidationException", TWO_TYPES)
    r = raw.call("GetItem", {"TableName": table, "Key": {"id": {}}})
    assert_raw_error(r, "ValidationException", EMPTY_AV)


@pytest.mark.parametrize("value", [{"S": 5}, {"N": 5}, {"S": ["a"]}, {"SS": "a"}, {"M": []},
                                   {"L": {}}, {"B": "abc"}, {"B": "a@b="}, {"BOOL": {}}])
def test_wrongly_typed_json_in_attribute_values_is_a_serialization_error(raw, table, value):
    # JSON of the wrong shape fails deserialisation, before validation (dynalite
    # validations/index.js checkTypes: "class ... can not be converted to an String",
    # "Expected list or null", "... can not be converted to a Blob ...").
    assert_raw_error(put_raw(raw, table, value), "SerializationException")
