"""BatchGetItem and BatchWriteItem.

Messages are DynamoDB's as recorded by dynalite (mhart/dynalite validations/batchGetItem.js,
validations/batchWriteItem.js, validations/index.js, actions/batch*.js, db/index.js) unless
another source is cited. Coral renders the offending value of a constraint message with
Java's toString, which no emulator reproduces exactly; those tests pin the rest of the
message (count, path, constraint) and only check the value part's shape.
"""

import re
import threading

import boto3
import pytest
from botocore.config import Config

from conftest import REGION, assert_client_error, assert_raw_error, create_table, unique_name

NOT_MATCH = "The provided key element does not match the schema"
NOT_FOUND = "Requested resource not found"
DUPLICATES = "Provided list of item keys contains duplicates"
TOO_MANY_GET = "Too many items requested for the BatchGetItem call"
TOO_MANY_WRITE = "Too many items requested for the BatchWriteItem call"
TOO_BIG = "Item size has exceeded the maximum allowed size"
NOT_ONE_REQUEST = ("Supplied AttributeValue has more than one datatypes set, "
                   "must contain exactly one of the supported datatypes")
MAP_VALUE_25 = ("Map value must satisfy constraint: [Member must have length less than or equal to 25, "
                "Member must have length greater than or equal to 1]")
MAP_KEYS = ("Map keys must satisfy constraint: [Member must have length less than or equal to 255, "
            "Member must have length greater than or equal to 3, "
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+]")
PARAMETERIZED_CAST = (
    "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class "
    "java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class "
    "are in module java.base of loader 'bootstrap')")
MAX_RESPONSE = 16 * 1024 * 1024


def constraint_re(path, constraint, count=1):
    """A Coral constraint message for one value, whatever its rendering."""
    errors = "error" if count == 1 else "errors"
    return re.compile(re.escape(f"{count} validation {errors} detected: Value '") + r".*" +
                      re.escape(f"' at '{path}' failed to satisfy constraint: {constraint}") + r"$",
                      re.S)


def s(v):
    return {"S": v}


def put(item):
    return {"PutRequest": {"Item": item}}


def delete(key):
    return {"DeleteRequest": {"Key": key}}


@pytest.fixture
def two_tables(ddb):
    return create_table(ddb), create_table(ddb)


def get_all(ddb, table, ids):
    r = ddb.batch_get_item(RequestItems={table: {"Keys": [{"id": s(i)} for i in ids],
                                                 "ConsistentRead": True}})
    return sorted(item["id"]["S"] for item in r["Responses"][table])


# ---------------------------------------------------------------------------
# BatchWriteItem: behaviour

def test_batch_write_puts_and_deletes_across_tables(ddb, raw, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=b, Item={"id": s("old")})
    r = raw.call("BatchWriteItem", {"RequestItems": {
        a: [put({"id": s("a1"), "v": {"N": "1"}}), put({"id": s("a2")})],
        b: [put({"id": s("b1")}), delete({"id": s("old")})],
    }})
    assert r.status == 200, r
    assert r.json == {"UnprocessedItems": {}}
    assert ddb.get_item(TableName=a, Key={"id": s("a1")})["Item"] == {"id": s("a1"), "v": {"N": "1"}}
    assert get_all(ddb, a, ["a1", "a2"]) == ["a1", "a2"]
    assert get_all(ddb, b, ["b1", "old"]) == ["b1"]


def test_batch_write_put_replaces_whole_item_and_delete_of_absent_item_succeeds(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": s("k"), "a": s("1")})
    r = ddb.batch_write_item(RequestItems={hash_table: [put({"id": s("k"), "b": s("2")}),
                                                        delete({"id": s("never")})]})
    assert r["UnprocessedItems"] == {}
    assert ddb.get_item(TableName=hash_table, Key={"id": s("k")})["Item"] == {"id": s("k"), "b": s("2")}


def test_batch_write_25_requests_is_the_limit(ddb, hash_table):
    r = ddb.batch_write_item(RequestItems={hash_table: [put({"id": s(f"k{i}")}) for i in range(25)]})
    assert r["UnprocessedItems"] == {}
    assert len(get_all(ddb, hash_table, [f"k{i}" for i in range(25)])) == 25


def test_batch_write_same_key_in_two_tables_is_not_a_duplicate(ddb, two_tables):
    a, b = two_tables
    ddb.batch_write_item(RequestItems={a: [put({"id": s("x")})], b: [put({"id": s("x")})]})
    assert get_all(ddb, a, ["x"]) == ["x"] and get_all(ddb, b, ["x"]) == ["x"]


def test_batch_write_range_table(ddb, range_table):
    ddb.batch_write_item(RequestItems={range_table: [
        put({"pk": s("p"), "sk": s("1")}), put({"pk": s("p"), "sk": s("2")})]})
    ddb.batch_write_item(RequestItems={range_table: [delete({"pk": s("p"), "sk": s("1")})]})
    r = ddb.batch_get_item(RequestItems={range_table: {"Keys": [
        {"pk": s("p"), "sk": s("1")}, {"pk": s("p"), "sk": s("2")}]}})
    assert r["Responses"][range_table] == [{"pk": s("p"), "sk": s("2")}]


def test_batch_write_consumed_capacity_total_per_table(ddb, raw, two_tables):
    a, b = two_tables
    r = raw.call("BatchWriteItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        a: [put({"id": s("1")}), put({"id": s("2"), "big": s("x" * 1500)})],  # 1 + 2 units
        b: [delete({"id": s("absent")})],                                    # 1 unit
    }})
    assert r.status == 200, r
    assert r.json == {"UnprocessedItems": {}, "ConsumedCapacity": [
        {"TableName": a, "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0},
        {"TableName": b, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0},
    ]}


def test_batch_write_overwrites_bill_the_larger_item_and_keep_statistics_exact(ddb, raw, hash_table):
    """A put replacing a bigger item is billed by the old item's size, and
    ItemCount / TableSizeBytes count each item once at its new size."""
    ddb.batch_write_item(RequestItems={hash_table: [put({"id": s("big"), "p": s("x" * 2500)}),
                                                    put({"id": s("small")})]})
    r = raw.call("BatchWriteItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {hash_table: [
        put({"id": s("big")}),                      # replaces ~2.5 KB: 3 units
        put({"id": s("small"), "p": s("y" * 10)}),  # 1 unit
        put({"id": s("new")}),                      # 1 unit
    ]}})
    assert r.status == 200, r
    assert r.json["ConsumedCapacity"] == [{"TableName": hash_table, "CapacityUnits": 5.0,
                                           "WriteCapacityUnits": 5.0}]
    t = ddb.describe_table(TableName=hash_table)["Table"]
    assert t["ItemCount"] == 3
    # sizes: "id"+"big" = 5, "id"+"small" + "p"+10 = 7 + 11, "id"+"new" = 5
    assert t["TableSizeBytes"] == 5 + 18 + 5


def test_batch_write_consumed_capacity_indexes_and_item_collection_metrics(ddb, raw, hash_table):
    r = raw.call("BatchWriteItem", {"ReturnConsumedCapacity": "INDEXES", "ReturnItemCollectionMetrics": "SIZE",
                                    "RequestItems": {hash_table: [put({"id": s("1")})]}})
    assert r.status == 200, r
    assert r.json == {"UnprocessedItems": {}, "ConsumedCapacity": [
        {"TableName": hash_table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0,
         "Table": {"CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}}]}


def test_batch_write_none_modes_return_no_capacity(raw, hash_table):
    r = raw.call("BatchWriteItem", {"ReturnConsumedCapacity": "NONE", "ReturnItemCollectionMetrics": "NONE",
                                    "RequestItems": {hash_table: [put({"id": s("1")})]}})
    assert r.status == 200 and r.json == {"UnprocessedItems": {}}


# ---------------------------------------------------------------------------
# BatchWriteItem: all or nothing

def test_batch_write_missing_table_writes_nothing(ddb, hash_table):
    missing = unique_name()
    assert_client_error(ddb.batch_write_item, "ResourceNotFoundException", NOT_FOUND,
                        RequestItems={hash_table: [put({"id": s("kept-out")})], missing: [put({"id": s("x")})]})
    assert get_all(ddb, hash_table, ["kept-out"]) == []


def test_batch_write_bad_key_in_any_request_writes_nothing(ddb, hash_table):
    assert_client_error(ddb.batch_write_item, "ValidationException", NOT_MATCH,
                        RequestItems={hash_table: [put({"id": s("good")}), put({"other": s("x")})]})
    assert get_all(ddb, hash_table, ["good"]) == []


@pytest.mark.parametrize("request_", [
    put({"nokey": s("x")}),                          # "Missing the key id in the item" in PutItem
    put({"id": {"N": "1"}}),                         # "Type mismatch for key" in PutItem
    delete({"id": s("a"), "extra": s("b")}),
    delete({"other": s("a")}),
    delete({"id": {"N": "1"}}),
])
def test_batch_write_key_not_matching_schema(ddb, hash_table, request_):
    assert_client_error(ddb.batch_write_item, "ValidationException", NOT_MATCH,
                        RequestItems={hash_table: [request_]})


def test_batch_write_empty_key_value_keeps_its_own_message(ddb, hash_table):
    assert_client_error(ddb.batch_write_item, "ValidationException",
                        "One or more parameter values are not valid. The AttributeValue for a key attribute "
                        "cannot contain an empty string value. Key: id",
                        RequestItems={hash_table: [put({"id": s("")})]})


@pytest.mark.parametrize("pair", [
    (put({"id": s("d")}), put({"id": s("d"), "v": s("other")})),
    (put({"id": s("d")}), delete({"id": s("d")})),
    (delete({"id": s("d")}), delete({"id": s("d")})),
])
def test_batch_write_same_item_twice_is_a_duplicate(ddb, hash_table, pair):
    assert_client_error(ddb.batch_write_item, "ValidationException", DUPLICATES,
                        RequestItems={hash_table: list(pair)})
    assert get_all(ddb, hash_table, ["d"]) == []


def test_batch_write_numbers_equal_in_value_are_duplicates(ddb):
    t = create_table(ddb, ("n", "N"))
    assert_client_error(ddb.batch_write_item, "ValidationException", DUPLICATES,
                        RequestItems={t: [put({"n": {"N": "1"}}), put({"n": {"N": "1.00"}})]})


def test_batch_write_duplicate_is_reported_before_a_later_bad_key(ddb, hash_table):
    assert_client_error(ddb.batch_write_item, "ValidationException", DUPLICATES,
                        RequestItems={hash_table: [put({"id": s("a")}), put({"id": s("a")}),
                                                   put({"bad": s("a")})]})


def test_batch_write_item_too_big(ddb, hash_table):
    assert_client_error(ddb.batch_write_item, "ValidationException", TOO_BIG,
                        RequestItems={hash_table: [put({"id": s("big"), "v": s("x" * 409600)})]})


def test_batch_write_item_size_checked_before_table_exists(ddb):
    assert_client_error(ddb.batch_write_item, "ValidationException", TOO_BIG,
                        RequestItems={unique_name(): [put({"id": s("big"), "v": s("x" * 409600)})]})


def test_batch_write_invalid_attribute_value(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.batch_write_item, "ValidationException",
                        "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
                        RequestItems={hash_table: [put({"id": s("a"), "v": {}})]})


# ---------------------------------------------------------------------------
# BatchWriteItem: limits and request shape

def test_batch_write_26_requests_for_one_table(raw, hash_table):
    r = raw.call("BatchWriteItem", {"RequestItems": {hash_table: [put({"id": s(f"k{i}")}) for i in range(26)]}})
    msg = assert_raw_error(r, "ValidationException")
    assert constraint_re("requestItems", MAP_VALUE_25).match(msg), msg


def test_batch_write_empty_request_list(raw, hash_table):
    r = raw.call("BatchWriteItem", {"RequestItems": {hash_table: []}})
    msg = assert_raw_error(r, "ValidationException")
    assert constraint_re("requestItems", MAP_VALUE_25).match(msg), msg


def test_batch_write_more_than_25_across_tables(ddb, two_tables):
    a, b = two_tables
    assert_client_error(ddb.batch_write_item, "ValidationException", TOO_MANY_WRITE,
                        RequestItems={a: [put({"id": s(f"a{i}")}) for i in range(13)],
                                      b: [put({"id": s(f"b{i}")}) for i in range(13)]})
    assert get_all(ddb, a, ["a0"]) == []


def test_batch_write_request_items_missing(raw):
    r = raw.call("BatchWriteItem", {})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: "
                     "Member must not be null")


def test_batch_write_request_items_empty(raw):
    r = raw.call("BatchWriteItem", {"RequestItems": {}})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
                     "Member must have length greater than or equal to 1")


def test_batch_write_invalid_table_name(raw):
    r = raw.call("BatchWriteItem", {"RequestItems": {"ab": [put({"id": s("a")})]}})
    msg = assert_raw_error(r, "ValidationException")
    assert constraint_re("requestItems", MAP_KEYS).match(msg), msg


def test_batch_write_errors_are_collected_in_order(raw):
    r = raw.call("BatchWriteItem", {"ReturnConsumedCapacity": "bad", "ReturnItemCollectionMetrics": "bad",
                                    "RequestItems": {"a!": []}})
    msg = assert_raw_error(r, "ValidationException")
    assert msg.startswith("4 validation errors detected: "
                          "Value 'bad' at 'returnConsumedCapacity' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; "
                          "Value 'bad' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
                          "Member must satisfy enum value set: [SIZE, NONE]; Value '"), msg
    assert MAP_KEYS in msg and msg.endswith(MAP_VALUE_25), msg


def test_batch_write_put_request_without_item(raw, hash_table):
    r = raw.call("BatchWriteItem", {"RequestItems": {hash_table: [put({"id": s("a")}), {"PutRequest": {}}]}})
    assert_raw_error(r, "ValidationException",
                     f"1 validation error detected: Value null at 'requestItems.{hash_table}.member.2.member."
                     "putRequest.item' failed to satisfy constraint: Member must not be null")


def test_batch_write_delete_request_without_key(raw, hash_table):
    r = raw.call("BatchWriteItem", {"RequestItems": {hash_table: [{"DeleteRequest": {}}]}})
    assert_raw_error(r, "ValidationException",
                     f"1 validation error detected: Value null at 'requestItems.{hash_table}.member.1.member."
                     "deleteRequest.key' failed to satisfy constraint: Member must not be null")


@pytest.mark.parametrize("request_", [
    {},
    {"PutRequest": {"Item": {"id": s("a")}}, "DeleteRequest": {"Key": {"id": s("b")}}},
])
def test_batch_write_request_must_be_exactly_one_of_put_or_delete(raw, hash_table, request_):
    r = raw.call("BatchWriteItem", {"RequestItems": {hash_table: [request_]}})
    assert_raw_error(r, "ValidationException", NOT_ONE_REQUEST)


@pytest.mark.parametrize("body,message", [
    ({"RequestItems": []}, "Unrecognized collection type java.util.Map<java.lang.String, "
                           "java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>>"),
    ({"RequestItems": "x"}, "Unexpected field type"),
    ({"RequestItems": {"abc": "x"}}, PARAMETERIZED_CAST),
    ({"RequestItems": {"abc": {}}}, "Start of structure or map found where not expected"),
    ({"RequestItems": {"abc": ["x"]}}, "Unexpected value type in payload"),
    ({"RequestItems": {"abc": [[]]}}, "Unrecognized collection type class "
                                      "com.amazonaws.dynamodb.v20120810.WriteRequest"),
    ({"RequestItems": {"abc": [{"PutRequest": "x"}]}}, "Unexpected field type"),
    ({"RequestItems": {"abc": [{"PutRequest": {"Item": []}}]}},
     "Unrecognized collection type java.util.Map<java.lang.String, "
     "com.amazonaws.dynamodb.v20120810.AttributeValue>"),
    ({"ReturnConsumedCapacity": 1, "RequestItems": {}}, "NUMBER_VALUE cannot be converted to String"),
])
def test_batch_write_wrong_json_kinds_are_serialization_errors(raw, body, message):
    assert_raw_error(raw.call("BatchWriteItem", body), "SerializationException", message)


# ---------------------------------------------------------------------------
# BatchGetItem: behaviour

def test_batch_get_across_tables_omits_missing_items(ddb, raw, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=a, Item={"id": s("1"), "v": s("x")})
    ddb.put_item(TableName=a, Item={"id": s("2")})
    r = raw.call("BatchGetItem", {"RequestItems": {
        a: {"Keys": [{"id": s("1")}, {"id": s("missing")}, {"id": s("2")}]},
        b: {"Keys": [{"id": s("nothing")}]},
    }})
    assert r.status == 200, r
    assert r.json == {"Responses": {a: [{"id": s("1"), "v": s("x")}, {"id": s("2")}], b: []},
                      "UnprocessedKeys": {}}


def test_batch_get_100_keys_is_the_limit(ddb, hash_table):
    for start in range(0, 100, 25):
        ddb.batch_write_item(RequestItems={hash_table: [put({"id": s(f"k{i}")}) for i in range(start, start + 25)]})
    assert len(get_all(ddb, hash_table, [f"k{i}" for i in range(100)])) == 100


def test_batch_get_range_table(ddb, range_table):
    ddb.put_item(TableName=range_table, Item={"pk": s("p"), "sk": s("a"), "v": s("1")})
    r = ddb.batch_get_item(RequestItems={range_table: {"Keys": [{"pk": s("p"), "sk": s("a")},
                                                                {"pk": s("p"), "sk": s("b")}]}})
    assert r["Responses"] == {range_table: [{"pk": s("p"), "sk": s("a"), "v": s("1")}]}


def test_batch_get_attributes_to_get(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": s("1"), "a": s("x"), "b": s("y"), "c": s("z")})
    r = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"id": s("1")}], "AttributesToGet": ["a", "c", "q"]}})
    assert r["Responses"][hash_table] == [{"a": s("x"), "c": s("z")}]


def test_batch_get_projection_expression_with_names(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": s("1"), "a": s("x"), "size": s("y"), "c": s("z")})
    r = ddb.batch_get_item(RequestItems={hash_table: {
        "Keys": [{"id": s("1")}], "ProjectionExpression": "a, #s", "ExpressionAttributeNames": {"#s": "size"}}})
    assert r["Responses"][hash_table] == [{"a": s("x"), "size": s("y")}]


def test_batch_get_projection_expression_nested_paths(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": s("1"), "m": {"M": {"x": s("1"), "y": s("2")}},
                                             "l": {"L": [s("a"), s("b"), s("c")]}, "z": s("z")})
    r = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"id": s("1")}],
                                                      "ProjectionExpression": "m.x, l[1]"}})
    assert r["Responses"][hash_table] == [{"m": {"M": {"x": s("1")}}, "l": {"L": [s("b")]}}]


def test_batch_get_unused_expression_attribute_name(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ValidationException",
                        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}",
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}], "ProjectionExpression": "a",
                                                   "ExpressionAttributeNames": {"#u": "u"}}})


def test_batch_get_projection_syntax_error(ddb, hash_table):
    msg = assert_client_error(ddb.batch_get_item, "ValidationException", None,
                              RequestItems={hash_table: {"Keys": [{"id": s("a")}], "ProjectionExpression": "a,,b"}})
    assert msg.startswith("Invalid ProjectionExpression: Syntax error; token: "), msg


def test_batch_get_consumed_capacity(ddb, raw, two_tables):
    a, b = two_tables
    ddb.put_item(TableName=a, Item={"id": s("1")})
    ddb.put_item(TableName=a, Item={"id": s("big"), "v": s("x" * 5000)})  # 2 units consistent
    r = raw.call("BatchGetItem", {"ReturnConsumedCapacity": "TOTAL", "RequestItems": {
        a: {"Keys": [{"id": s("1")}, {"id": s("big")}, {"id": s("missing")}], "ConsistentRead": True},
        b: {"Keys": [{"id": s("1")}]},
    }})
    assert r.status == 200, r
    assert r.json["ConsumedCapacity"] == [
        {"TableName": a, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
        {"TableName": b, "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5},
    ]
    r = raw.call("BatchGetItem", {"ReturnConsumedCapacity": "INDEXES",
                                  "RequestItems": {a: {"Keys": [{"id": s("1")}]}}})
    assert r.json["ConsumedCapacity"] == [{"TableName": a, "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5,
                                           "Table": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}}]


def test_batch_get_response_over_16mb_returns_the_rest_as_unprocessed_keys(ddb, hash_table):
    blob = "x" * 390000
    ids = [f"k{i:02d}" for i in range(50)]
    for start in range(0, 50, 25):
        ddb.batch_write_item(RequestItems={hash_table: [put({"id": s(i), "blob": s(blob)})
                                                        for i in ids[start:start + 25]]})
    item_size = len("id") + 3 + len("blob") + len(blob)
    fits = MAX_RESPONSE // item_size  # 43
    request = {hash_table: {"Keys": [{"id": s(i)} for i in ids], "ConsistentRead": True}}
    r = ddb.batch_get_item(RequestItems=request)
    got = [item["id"]["S"] for item in r["Responses"][hash_table]]
    assert len(got) == fits
    unprocessed = r["UnprocessedKeys"][hash_table]
    assert unprocessed["ConsistentRead"] is True
    assert len(unprocessed["Keys"]) == 50 - fits
    # sending UnprocessedKeys back as they are fetches the rest
    r2 = ddb.batch_get_item(RequestItems=r["UnprocessedKeys"])
    assert r2["UnprocessedKeys"] == {}
    got += [item["id"]["S"] for item in r2["Responses"][hash_table]]
    assert sorted(got) == ids


def test_batch_get_projection_counts_towards_16mb_after_projecting(ddb, hash_table):
    blob = "x" * 390000
    for start in range(0, 50, 25):
        ddb.batch_write_item(RequestItems={hash_table: [put({"id": s(f"p{i:02d}"), "blob": s(blob)})
                                                        for i in range(start, start + 25)]})
    r = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"id": s(f"p{i:02d}")} for i in range(50)],
                                                      "AttributesToGet": ["id"]}})
    assert len(r["Responses"][hash_table]) == 50
    assert r["UnprocessedKeys"] == {}


# ---------------------------------------------------------------------------
# BatchGetItem: errors

def test_batch_get_101_keys_for_one_table(raw, hash_table):
    r = raw.call("BatchGetItem", {"RequestItems": {hash_table: {"Keys": [{"id": s(f"k{i}")} for i in range(101)]}}})
    msg = assert_raw_error(r, "ValidationException")
    assert constraint_re(f"requestItems.{hash_table}.member.keys",
                         "Member must have length less than or equal to 100").match(msg), msg


def test_batch_get_more_than_100_keys_across_tables(ddb, two_tables):
    a, b = two_tables
    assert_client_error(ddb.batch_get_item, "ValidationException", TOO_MANY_GET,
                        RequestItems={a: {"Keys": [{"id": s(f"k{i}")} for i in range(60)]},
                                      b: {"Keys": [{"id": s(f"k{i}")} for i in range(41)]}})


def test_batch_get_empty_key_list(raw, hash_table):
    r = raw.call("BatchGetItem", {"RequestItems": {hash_table: {"Keys": []}}})
    assert_raw_error(r, "ValidationException",
                     f"1 validation error detected: Value '[]' at 'requestItems.{hash_table}.member.keys' "
                     "failed to satisfy constraint: Member must have length greater than or equal to 1")


def test_batch_get_keys_missing(raw, hash_table):
    r = raw.call("BatchGetItem", {"RequestItems": {hash_table: {"ConsistentRead": True}}})
    assert_raw_error(r, "ValidationException",
                     f"1 validation error detected: Value null at 'requestItems.{hash_table}.member.keys' "
                     "failed to satisfy constraint: Member must not be null")


def test_batch_get_request_items_missing_or_empty(raw):
    assert_raw_error(raw.call("BatchGetItem", {}), "ValidationException",
                     "1 validation error detected: Value null at 'requestItems' failed to satisfy constraint: "
                     "Member must not be null")
    assert_raw_error(raw.call("BatchGetItem", {"RequestItems": {}}), "ValidationException",
                     "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: "
                     "Member must have length greater than or equal to 1")


def test_batch_get_invalid_table_name(raw):
    r = raw.call("BatchGetItem", {"RequestItems": {"x": {"Keys": [{"id": s("a")}]}}})
    msg = assert_raw_error(r, "ValidationException")
    assert constraint_re("requestItems", MAP_KEYS).match(msg), msg


def test_batch_get_duplicate_keys(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ValidationException", DUPLICATES,
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}, {"id": s("b")}, {"id": s("a")}]}})


def test_batch_get_duplicate_keys_checked_before_table_exists(ddb):
    assert_client_error(ddb.batch_get_item, "ValidationException", DUPLICATES,
                        RequestItems={unique_name(): {"Keys": [{"id": s("a")}, {"id": s("a")}]}})


def test_batch_get_missing_table(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ResourceNotFoundException", NOT_FOUND,
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}]},
                                      unique_name(): {"Keys": [{"id": s("a")}]}})


@pytest.mark.parametrize("key", [
    {"other": s("a")},
    {"id": {"N": "1"}},
    {"id": s("a"), "extra": s("b")},
])
def test_batch_get_key_not_matching_schema(ddb, hash_table, key):
    assert_client_error(ddb.batch_get_item, "ValidationException", NOT_MATCH,
                        RequestItems={hash_table: {"Keys": [key]}})


def test_batch_get_projection_and_attributes_to_get_together(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ValidationException",
                        "Can not use both expression and non-expression parameters in the same request: "
                        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}], "AttributesToGet": ["a"],
                                                   "ProjectionExpression": "a"}})


def test_batch_get_names_without_expression(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ValidationException",
                        "ExpressionAttributeNames can only be specified when using expressions",
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}],
                                                   "ExpressionAttributeNames": {"#a": "a"}}})


def test_batch_get_duplicate_attributes_to_get(ddb, hash_table):
    assert_client_error(ddb.batch_get_item, "ValidationException",
                        "One or more parameter values were invalid: Duplicate value in attribute name: a",
                        RequestItems={hash_table: {"Keys": [{"id": s("a")}], "AttributesToGet": ["a", "b", "a"]}})


def test_batch_get_bad_return_consumed_capacity(raw, hash_table):
    r = raw.call("BatchGetItem", {"ReturnConsumedCapacity": "ALL",
                                  "RequestItems": {hash_table: {"Keys": [{"id": s("a")}]}}})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value 'ALL' at 'returnConsumedCapacity' failed to satisfy "
                     "constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")


@pytest.mark.parametrize("body,message", [
    ({"RequestItems": []}, "Unrecognized collection type java.util.Map<java.lang.String, "
                           "com.amazonaws.dynamodb.v20120810.KeysAndAttributes>"),
    ({"RequestItems": {"abc": "x"}}, "Unexpected value type in payload"),
    ({"RequestItems": {"abc": []}}, "Unrecognized collection type class "
                                    "com.amazonaws.dynamodb.v20120810.KeysAndAttributes"),
    ({"RequestItems": {"abc": {"Keys": "x"}}}, "Unexpected field type"),
    ({"RequestItems": {"abc": {"Keys": ["x"]}}}, PARAMETERIZED_CAST),
    ({"RequestItems": {"abc": {"Keys": [{"id": s("a")}], "ConsistentRead": 1}}},
     "NUMBER_VALUE cannot be converted to Boolean"),
    ({"RequestItems": {"abc": {"Keys": [{"id": s("a")}], "AttributesToGet": "a"}}}, "Unexpected field type"),
])
def test_batch_get_wrong_json_kinds_are_serialization_errors(raw, body, message):
    assert_raw_error(raw.call("BatchGetItem", body), "SerializationException", message)


# ---------------------------------------------------------------------------
# one snapshot, one commit

def test_batch_get_sees_each_batch_write_whole(ddb, server, hash_table):
    """Every BatchWriteItem sets all 25 items to one version; a BatchGetItem read
    concurrently must never see two versions (writes commit together, reads use one
    snapshot)."""
    ids = [f"v{i}" for i in range(25)]
    ddb.batch_write_item(RequestItems={hash_table: [put({"id": s(i), "ver": {"N": "0"}}) for i in ids]})
    stop = threading.Event()
    errors = []

    def writer():
        from conftest import make_client
        client = make_client(server.endpoint)
        for ver in range(1, 60):
            client.batch_write_item(RequestItems={hash_table: [put({"id": s(i), "ver": {"N": str(ver)}})
                                                               for i in ids]})
        stop.set()

    t = threading.Thread(target=writer)
    t.start()
    reads = 0
    while not stop.is_set() or reads < 5:
        r = ddb.batch_get_item(RequestItems={hash_table: {"Keys": [{"id": s(i)} for i in ids]}})
        versions = {item["ver"]["N"] for item in r["Responses"][hash_table]}
        if len(versions) != 1 or len(r["Responses"][hash_table]) != 25:
            errors.append(versions)
        reads += 1
    t.join()
    assert errors == []


# ---------------------------------------------------------------------------
# higher-level clients, unmodified

@pytest.fixture(scope="module")
def resource(server):
    return boto3.resource("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                          aws_access_key_id="x", aws_secret_access_key="x",
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_boto3_batch_writer(resource, ddb, hash_table):
    table = resource.Table(hash_table)
    with table.batch_writer(overwrite_by_pkeys=["id"]) as batch:
        for i in range(60):
            batch.put_item(Item={"id": f"w{i}", "n": i, "tags": {"a", "b"}})
        batch.put_item(Item={"id": "w0", "n": 1000})  # same key again: de-duplicated by the writer
        batch.delete_item(Key={"id": "w1"})
    assert table.get_item(Key={"id": "w0"})["Item"] == {"id": "w0", "n": 1000}
    assert "Item" not in table.get_item(Key={"id": "w1"})
    assert table.get_item(Key={"id": "w59"})["Item"] == {"id": "w59", "n": 59, "tags": {"a", "b"}}


def test_document_style_batch_get_and_write(resource, two_tables):
    a, b = two_tables
    r = resource.batch_write_item(RequestItems={
        a: [{"PutRequest": {"Item": {"id": "d1", "list": [1, "x", {"m": True}]}}}],
        b: [{"PutRequest": {"Item": {"id": "d2", "n": 5}}}],
    })
    assert r["UnprocessedItems"] == {}
    r = resource.batch_get_item(RequestItems={a: {"Keys": [{"id": "d1"}]},
                                              b: {"Keys": [{"id": "d2"}], "ConsistentRead": True}})
    assert r["Responses"][a] == [{"id": "d1", "list": [1, "x", {"m": True}]}]
    assert r["Responses"][b] == [{"id": "d2", "n": 5}]
    assert r["UnprocessedKeys"] == {}
