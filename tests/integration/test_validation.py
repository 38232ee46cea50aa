"""Protocol-level validation over raw HTTP: malformed JSON, unknown and unimplemented
operations, wrongly typed parameters, missing parameters.

Sources: dynalite index.js (request handling order: JSON parse -> target check ->
validation; SerializationException / UnknownOperationException bodies),
validations/index.js (checkTypes -> SerializationException, checkValidations ->
"N validation error(s) detected: ..." joined by "; "), test/listTables.js.
"""

import json
import zlib

import pytest
from botocore.exceptions import ClientError

from conftest import TARGET_PREFIX, assert_raw_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb)


# ---------------------------------------------------------------------------
# malformed bodies

@pytest.mark.parametrize("body", [
    '{"TableName": ',
    "not json",
    '{"Limit": 1,}',
    "{'Limit': 1}",
    '{"Limit": 1} trailing',
    '{"Limit": tru}',
])
def test_malformed_json_is_a_serialization_exception(raw, body):
    assert_raw_error(raw.request(body, op="ListTables"), "SerializationException")


def test_empty_body_is_a_serialization_exception(raw):
    # dynalite test/listTables.js "should return 400 if no body"
    assert_raw_error(raw.request(None, op="ListTables"), "SerializationException")


@pytest.mark.parametrize("body", [
    b'{"TableName": "\xff\xfe"}',
    b"\x00\x01\x02",
    b'{"a":' * 10000 + b"1" + b"}" * 10000,
    b"[" * 100000,
])
def test_hostile_bodies_get_a_400_and_the_server_keeps_serving(raw, body):
    r = raw.request(body, op="DescribeTable")
    assert r.status == 400, r
    assert r.error_type in ("SerializationException", "ValidationException"), r
    assert raw.call("ListTables", {}).status == 200


# ---------------------------------------------------------------------------
# X-Amz-Target

@pytest.mark.parametrize("target", [
    TARGET_PREFIX + "FooBar",
    TARGET_PREFIX + "listTables",           # operation names are case-sensitive
    TARGET_PREFIX,
    "DynamoDB_20991231.ListTables",
    "ListTables",
    "DynamoDB_20120810.ListTables.Extra",
])
def test_unknown_target_is_unknown_operation_exception(raw, target):
    r = raw.request({}, target=target)
    assert_raw_error(r, "UnknownOperationException")


def test_missing_target_is_unknown_operation_exception(raw):
    assert_raw_error(raw.request({}), "UnknownOperationException")


@pytest.mark.parametrize("op,body", [
    ("RestoreTableToPointInTime", {"SourceTableName": "{t}", "TargetTableName": "t2"}),
    ("CreateGlobalTable", {"GlobalTableName": "{t}", "ReplicationGroup": []}),
    ("ExportTableToPointInTime", {"TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/{t}",
                                  "S3Bucket": "b"}),
])
def test_unimplemented_operation_is_an_error_naming_it(raw, table, op, body):
    # Not a DynamoDB behaviour: portico's walking skeleton must refuse operations it
    # does not implement yet, saying which. Update this test when one lands.
    payload = json.loads(json.dumps(body).replace("{t}", table))
    r = raw.call(op, payload)
    assert r.status == 400, r
    assert r.error_type, r
    assert op in (r.message or ""), r


def test_unimplemented_operation_surfaces_through_boto3(ddb, table):
    with pytest.raises(ClientError) as ei:
        ddb.restore_table_to_point_in_time(SourceTableName="abc", TargetTableName="abd")
    assert "RestoreTableToPointInTime" in ei.value.response["Error"]["Message"]


# ---------------------------------------------------------------------------
# wrongly typed parameters: SerializationException (checked before validation)

@pytest.mark.parametrize("op,body", [
    ("DescribeTable", {"TableName": 5}),
    ("DescribeTable", {"TableName": True}),
    ("DescribeTable", {"TableName": ["abc"]}),
    ("DescribeTable", {"TableName": {"a": "b"}}),
    ("ListTables", {"Limit": "5"}),
    ("ListTables", {"Limit": True}),
    ("ListTables", {"ExclusiveStartTableName": 12}),
    ("CreateTable", {"TableName": "abc", "KeySchema": "id"}),
    ("CreateTable", {"TableName": "abc", "KeySchema": [["id", "HASH"]]}),
    ("CreateTable", {"TableName": "abc", "AttributeDefinitions": {"id": "S"}}),
    ("CreateTable", {"TableName": "abc", "ProvisionedThroughput": 5}),
    ("CreateTable", {"TableName": "abc", "ProvisionedThroughput": {"ReadCapacityUnits": "1"}}),
    ("PutItem", {"TableName": "abc", "Item": []}),
    ("PutItem", {"TableName": "abc", "Item": {"id": "a"}}),
    ("PutItem", {"TableName": "abc", "Item": {"id": {"S": "a"}}, "ReturnValues": 1}),
    ("GetItem", {"TableName": "abc", "Key": "id"}),
    ("GetItem", {"TableName": "abc", "Key": {"id": {"S": "a"}}, "ConsistentRead": 5}),
    ("GetItem", {"TableName": "abc", "Key": {"id": {"S": "a"}}, "AttributesToGet": "a"}),
    ("DeleteItem", {"TableName": "abc", "Key": [{"id": {"S": "a"}}]}),
])
def test_wrongly_typed_parameters_are_serialization_exceptions(raw, op, body):
    assert_raw_error(raw.call(op, body), "SerializationException")


def test_unknown_and_null_parameters_are_ignored(raw):
    # dynalite test/listTables.js "random attributes" / "null attributes"
    assert raw.call("ListTables", {"hi": "yo", "stuff": ["things"]}).status == 200
    assert raw.call("ListTables", {"ExclusiveStartTableName": None, "Limit": None}).status == 200


# ---------------------------------------------------------------------------
# missing or invalid parameters: ValidationException

def test_missing_key_on_get_item(raw, table):
    assert_raw_error(raw.call("GetItem", {"TableName": table}), "ValidationException",
                     "1 validation error detected: Value null at 'key' failed to satisfy "
                     "constraint: Member must not be null")


def test_validation_errors_are_counted_and_joined(raw):
    # dynalite test/getItem.js "empty TableName": three errors, any order.
    msg = assert_raw_error(raw.call("GetItem", {"TableName": ""}), "ValidationException")
    prefix = "3 validation errors detected: "
    assert msg.startswith(prefix), msg
    assert sorted(msg[len(prefix):].split("; ")) == sorted([
        "Value '' at 'tableName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
        "Value '' at 'tableName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 3",
        "Value null at 'key' failed to satisfy constraint: Member must not be null",
    ])


def test_long_invalid_value_is_cut_at_a_character_boundary(raw):
    # The echoed value is cut at 300 bytes; 1 + 3k bytes never ends there,
    # so a cut by bytes would split a 3-byte character and the answer would
    # not be UTF-8 JSON (found by fuzz_request).
    name = "a" + "\u20ac" * 150
    msg = assert_raw_error(raw.call("GetItem", {"TableName": name, "Key": {"id": {"S": "x"}}}),
                           "ValidationException")
    kept = "a" + "\u20ac" * 99   # 298 bytes: the next character would end at byte 301
    assert f"Value '{kept}...' at 'tableName' failed to satisfy constraint" in msg, msg


def test_enum_parameters_are_validated(raw, table):
    # dynalite test/getItem.js "incorrect attributes"
    r = raw.call("GetItem", {"TableName": table, "Key": {"id": {"S": "a"}},
                             "ReturnConsumedCapacity": "hi"})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value 'hi' at 'returnConsumedCapacity' failed to "
                     "satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")


# ---------------------------------------------------------------------------
# every answer is well formed

def test_error_responses_carry_request_id_and_crc32(raw):
    for r in (raw.request("{", op="ListTables"), raw.request({}, target="Nope.Nope"),
              raw.call("DescribeTable", {"TableName": "no-such-table"})):
        assert r.status == 400
        assert r.headers.get("x-amzn-requestid"), r.headers
        # botocore verifies x-amz-crc32 on every DynamoDB response.
        assert int(r.headers["x-amz-crc32"]) == zlib.crc32(r.body), r.headers
        assert r.json is not None and "__type" in r.json, r
