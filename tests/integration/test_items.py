"""Item operations: PutItem, GetItem, DeleteItem (ReturnValues NONE / ALL_OLD).

Messages are DynamoDB's as recorded by dynalite (mhart/dynalite test/putItem.js,
test/getItem.js, test/deleteItem.js, db/index.js validateKey/validateItem/checkKeySize,
validations/putItem.js) unless another source is cited.
"""

import pytest

from conftest import (MAX_ITEM_SIZE, assert_client_error, assert_raw_error, client_error,
                      create_table, unique_name)

NOT_MATCH = "The provided key element does not match the schema"
NOT_FOUND = "Requested resource not found"
RV_ONLY = "ReturnValues can only be ALL_OLD or NONE"
TOO_BIG = "Item size has exceeded the maximum allowed size"
HASH_TOO_BIG = ("One or more parameter values were invalid: "
                "Size of hashkey has exceeded the maximum size limit of2048 bytes")  # sic: "of2048"
RANGE_TOO_BIG = ("One or more parameter values were invalid: "
                 "Aggregated size of all range keys has exceeded the size limit of 1024 bytes")


def empty_key_msg(attr, kind="string"):
    return (f"One or more parameter values are not valid. The AttributeValue for a key attribute "
            f"cannot contain an empty {kind} value. Key: {attr}")


# ---------------------------------------------------------------------------
# round trips

def test_put_then_get_returns_the_item(ddb, raw, hash_table):
    item = {"id": {"S": "k1"}, "name": {"S": "Ada"}, "age": {"N": "36"}, "ok": {"BOOL": True}}
    r = raw.call("PutItem", {"TableName": hash_table, "Item": item})
    assert r.status == 200
    assert r.json == {}  # no Attributes unless ReturnValues asks for them
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": "k1"}})["Item"] == item
    r = raw.call("GetItem", {"TableName": hash_table, "Key": {"id": {"S": "k1"}}})
    assert r.status == 200 and r.json == {"Item": item}


def test_put_replaces_the_whole_item(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": {"S": "k"}, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=hash_table, Item={"id": {"S": "k"}, "c": {"S": "3"}})
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": "k"}})["Item"] == {
        "id": {"S": "k"}, "c": {"S": "3"}}


def test_get_missing_item_returns_no_item_key(ddb, raw, hash_table):
    r = raw.call("GetItem", {"TableName": hash_table, "Key": {"id": {"S": "absent"}}})
    assert r.status == 200
    assert r.json == {}
    assert "Item" not in ddb.get_item(TableName=hash_table, Key={"id": {"S": "absent"}})


def test_delete_item_removes_it(ddb, raw, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": {"S": "gone"}, "v": {"S": "x"}})
    r = raw.call("DeleteItem", {"TableName": hash_table, "Key": {"id": {"S": "gone"}}})
    assert r.status == 200 and r.json == {}
    assert "Item" not in ddb.get_item(TableName=hash_table, Key={"id": {"S": "gone"}})
    # Deleting an absent item succeeds too.
    r = raw.call("DeleteItem", {"TableName": hash_table, "Key": {"id": {"S": "gone"}}})
    assert r.status == 200 and r.json == {}


def test_range_table_keeps_items_apart_by_sort_key(ddb, range_table):
    a = {"pk": {"S": "p"}, "sk": {"S": "a"}, "v": {"N": "1"}}
    b = {"pk": {"S": "p"}, "sk": {"S": "b"}, "v": {"N": "2"}}
    c = {"pk": {"S": "q"}, "sk": {"S": "a"}, "v": {"N": "3"}}
    for it in (a, b, c):
        ddb.put_item(TableName=range_table, Item=it)
    for it in (a, b, c):
        key = {"pk": it["pk"], "sk": it["sk"]}
        assert ddb.get_item(TableName=range_table, Key=key)["Item"] == it
    ddb.delete_item(TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"S": "a"}})
    assert "Item" not in ddb.get_item(TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"S": "a"}})
    assert ddb.get_item(TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"S": "b"}})["Item"] == b


def test_number_key_matches_numerically(ddb):
    name = create_table(ddb, ("n", "N"))
    ddb.put_item(TableName=name, Item={"n": {"N": "01.50"}, "v": {"S": "x"}})
    for spelled in ("1.5", "1.50", "15e-1", "0001.5"):
        got = ddb.get_item(TableName=name, Key={"n": {"N": spelled}})["Item"]
        assert got == {"n": {"N": "1.5"}, "v": {"S": "x"}}
    ddb.put_item(TableName=name, Item={"n": {"N": "1.500"}, "v": {"S": "y"}})  # same key
    assert ddb.describe_table(TableName=name)["Table"]["ItemCount"] == 1


def test_binary_key_round_trips(ddb):
    name = create_table(ddb, ("b", "B"))
    key = bytes(range(256))
    ddb.put_item(TableName=name, Item={"b": {"B": key}, "v": {"S": "bin"}})
    got = ddb.get_item(TableName=name, Key={"b": {"B": key}})["Item"]
    assert got == {"b": {"B": key}, "v": {"S": "bin"}}
    assert "Item" not in ddb.get_item(TableName=name, Key={"b": {"B": key[:-1]}})


def test_get_item_accepts_attributes_to_get_and_consistent_read(ddb, hash_table):
    item = {"id": {"S": "p"}, "a": {"S": "1"}, "b": {"S": "2"}, "c": {"N": "3"}}
    ddb.put_item(TableName=hash_table, Item=item)
    for consistent in (True, False):
        got = ddb.get_item(TableName=hash_table, Key={"id": {"S": "p"}}, ConsistentRead=consistent)
        assert got["Item"] == item
    got = ddb.get_item(TableName=hash_table, Key={"id": {"S": "p"}},
                       AttributesToGet=["a", "c", "missing"], ConsistentRead=True)
    assert got["Item"] == {"a": {"S": "1"}, "c": {"N": "3"}}


def test_get_item_rejects_duplicate_attributes_to_get(ddb, hash_table):
    assert_client_error(ddb.get_item, "ValidationException",
                        "One or more parameter values were invalid: Duplicate value in attribute "
                        "name: a", TableName=hash_table, Key={"id": {"S": "p"}},
                        AttributesToGet=["a", "a"])


# ---------------------------------------------------------------------------
# ReturnValues

def test_put_item_all_old_returns_nothing_for_a_new_item(raw, hash_table):
    r = raw.call("PutItem", {"TableName": hash_table, "Item": {"id": {"S": "new"}},
                             "ReturnValues": "ALL_OLD"})
    assert r.status == 200 and r.json == {}


def test_put_item_all_old_returns_the_replaced_item(ddb, hash_table):
    old = {"id": {"S": "r"}, "b": {"N": "-0015.789e6"}, "c": {"S": "a"}}
    ddb.put_item(TableName=hash_table, Item=old)
    r = ddb.put_item(TableName=hash_table, Item={"id": {"S": "r"}, "b": {"S": "b"}},
                     ReturnValues="ALL_OLD")
    # Numbers come back normalised (dynalite test/putItem.js "correct old values").
    assert r["Attributes"] == {"id": {"S": "r"}, "b": {"N": "-15789000"}, "c": {"S": "a"}}
    r = ddb.put_item(TableName=hash_table, Item={"id": {"S": "r"}}, ReturnValues="NONE")
    assert "Attributes" not in r


def test_delete_item_all_old_returns_the_deleted_item(ddb, hash_table):
    item = {"id": {"S": "d"}, "l": {"L": [{"S": "x"}, {"N": "2"}]}}
    ddb.put_item(TableName=hash_table, Item=item)
    r = ddb.delete_item(TableName=hash_table, Key={"id": {"S": "d"}}, ReturnValues="ALL_OLD")
    assert r["Attributes"] == item
    r = ddb.delete_item(TableName=hash_table, Key={"id": {"S": "d"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r


@pytest.mark.parametrize("rv", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])
def test_put_and_delete_reject_return_values_other_than_all_old(ddb, hash_table, rv):
    # dynalite test/putItem.js; ExtendDB's parity tests (verified against us-east-1)
    # pin the same text for DeleteItem.
    assert_client_error(ddb.put_item, "ValidationException", RV_ONLY,
                        TableName=hash_table, Item={"id": {"S": "x"}}, ReturnValues=rv)
    assert_client_error(ddb.delete_item, "ValidationException", RV_ONLY,
                        TableName=hash_table, Key={"id": {"S": "x"}}, ReturnValues=rv)
    assert "Item" not in ddb.get_item(TableName=hash_table, Key={"id": {"S": "x"}})


def test_put_rejects_return_values_outside_the_enum(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.put_item, "ValidationException",
                        "1 validation error detected: Value 'GARBAGE' at 'returnValues' failed to "
                        "satisfy constraint: Member must satisfy enum value set: "
                        "[ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]",
                        TableName=hash_table, Item={"id": {"S": "x"}}, ReturnValues="GARBAGE")


# ---------------------------------------------------------------------------
# key validation on PutItem

@pytest.mark.parametrize("item", [{}, {"other": {"S": "a"}}, {"ID": {"S": "a"}}])
def test_put_item_without_the_hash_key_is_rejected(ddb, hash_table, item):
    assert_client_error(ddb.put_item, "ValidationException",
                        "One or more parameter values were invalid: Missing the key id in the item",
                        TableName=hash_table, Item=item)


def test_put_item_without_the_range_key_is_rejected(ddb, range_table):
    assert_client_error(ddb.put_item, "ValidationException",
                        "One or more parameter values were invalid: Missing the key sk in the item",
                        TableName=range_table, Item={"pk": {"S": "a"}})


@pytest.mark.parametrize("value", [
    {"N": "1"}, {"B": b"abcd"}, {"BOOL": True}, {"NULL": True}, {"SS": ["a"]},
    {"NS": ["1"]}, {"BS": [b"a"]}, {"M": {}}, {"L": []}])
def test_put_item_with_wrong_key_type_is_rejected(ddb, hash_table, value):
    actual = next(iter(value))
    assert_client_error(ddb.put_item, "ValidationException",
                        "One or more parameter values were invalid: Type mismatch for key id "
                        f"expected: S actual: {actual}", TableName=hash_table, Item={"id": value})


def test_put_item_with_wrong_range_key_type_is_rejected(ddb, range_table):
    assert_client_error(ddb.put_item, "ValidationException",
                        "One or more parameter values were invalid: Type mismatch for key sk "
                        "expected: S actual: N",
                        TableName=range_table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}})


def test_put_item_with_empty_string_key_is_rejected(ddb, hash_table, range_table):
    # Empty strings are legal except in key attributes (DynamoDB since 2020-05;
    # dynalite test/putItem.js "empty string key").
    assert_client_error(ddb.put_item, "ValidationException", empty_key_msg("id"),
                        TableName=hash_table, Item={"id": {"S": ""}})
    assert_client_error(ddb.put_item, "ValidationException", empty_key_msg("sk"),
                        TableName=range_table, Item={"pk": {"S": "a"}, "sk": {"S": ""}})


def test_put_item_with_empty_binary_key_is_rejected(ddb):
    name = create_table(ddb, ("b", "B"))
    assert_client_error(ddb.put_item, "ValidationException", empty_key_msg("b", "binary"),
                        TableName=name, Item={"b": {"B": b""}})


# ---------------------------------------------------------------------------
# key validation on GetItem / DeleteItem

@pytest.mark.parametrize("key", [
    {},
    {"other": {"S": "a"}},
    {"id": {"S": "a"}, "extra": {"S": "b"}},
    {"id": {"N": "1"}},
    {"id": {"B": b"abcd"}},
    {"id": {"SS": ["a"]}},
    {"id": {"M": {}}},
])
def test_get_and_delete_with_key_not_matching_schema_are_rejected(ddb, hash_table, key):
    assert_client_error(ddb.get_item, "ValidationException", NOT_MATCH, TableName=hash_table, Key=key)
    assert_client_error(ddb.delete_item, "ValidationException", NOT_MATCH,
                        TableName=hash_table, Key=key)


def test_get_and_delete_without_the_range_key_are_rejected(ddb, range_table):
    for key in ({"pk": {"S": "a"}}, {"sk": {"S": "a"}},
                {"pk": {"S": "a"}, "sk": {"S": "a"}, "x": {"S": "a"}}):
        assert_client_error(ddb.get_item, "ValidationException", NOT_MATCH,
                            TableName=range_table, Key=key)
        assert_client_error(ddb.delete_item, "ValidationException", NOT_MATCH,
                            TableName=range_table, Key=key)


def test_get_and_delete_with_empty_string_key_are_rejected(ddb, hash_table):
    # Two recorded wordings exist for reads: dynalite test/getItem.js has "One or more
    # parameter values were invalid: The AttributeValue ...", while emulators checked
    # against current DynamoDB use the same text as PutItem ("... are not valid. The
    # AttributeValue ..."). Accept exactly one of the two.
    allowed = {empty_key_msg("id"),
               "One or more parameter values were invalid: The AttributeValue for a key attribute "
               "cannot contain an empty string value. Key: id"}
    for fn in (ddb.get_item, ddb.delete_item):
        code, msg, _ = client_error(fn, TableName=hash_table, Key={"id": {"S": ""}})
        assert code == "ValidationException"
        assert msg in allowed, msg


# ---------------------------------------------------------------------------
# missing table, missing parameters

def test_item_operations_on_missing_table_are_resource_not_found(ddb):
    name = unique_name()
    assert_client_error(ddb.put_item, "ResourceNotFoundException", NOT_FOUND,
                        TableName=name, Item={"id": {"S": "a"}})
    assert_client_error(ddb.get_item, "ResourceNotFoundException", NOT_FOUND,
                        TableName=name, Key={"id": {"S": "a"}})
    assert_client_error(ddb.delete_item, "ResourceNotFoundException", NOT_FOUND,
                        TableName=name, Key={"id": {"S": "a"}})


def test_put_item_requires_item(raw, hash_table):
    assert_raw_error(raw.call("PutItem", {"TableName": hash_table}), "ValidationException",
                     "1 validation error detected: Value null at 'item' failed to satisfy "
                     "constraint: Member must not be null")


@pytest.mark.parametrize("op,member", [("GetItem", "key"), ("DeleteItem", "key"),
                                       ("PutItem", "item")])
def test_item_operations_report_all_null_members(raw, op, member):
    # dynalite test/getItem.js, putItem.js "no TableName": two errors, order not pinned.
    msg = assert_raw_error(raw.call(op, {}), "ValidationException")
    prefix = "2 validation errors detected: "
    assert msg.startswith(prefix), msg
    assert sorted(msg[len(prefix):].split("; ")) == sorted([
        "Value null at 'tableName' failed to satisfy constraint: Member must not be null",
        f"Value null at '{member}' failed to satisfy constraint: Member must not be null"])


def test_item_operations_validate_table_name(raw):
    # dynalite test/getItem.js "long TableName"
    name = "a" * 256
    msg = assert_raw_error(raw.call("GetItem", {"TableName": name, "Key": {"id": {"S": "a"}}}),
                           "ValidationException")
    assert msg == ("1 validation error detected: Value '" + name + "' at 'tableName' failed to "
                   "satisfy constraint: Member must have length less than or equal to 255")


# ---------------------------------------------------------------------------
# size limits

def test_item_of_exactly_400_kb_is_accepted(ddb, hash_table):
    # Item size = attribute name bytes + value bytes (AWS developer guide "Item sizes";
    # dynalite test/putItem.js "just small enough"): 2 + 1 + 1 + N.
    item = {"id": {"S": "k"}, "b": {"S": "x" * (MAX_ITEM_SIZE - 4)}}
    ddb.put_item(TableName=hash_table, Item=item)
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": "k"}})["Item"] == item


def test_item_over_400_kb_is_rejected(ddb, hash_table):
    item = {"id": {"S": "k2"}, "b": {"S": "x" * (MAX_ITEM_SIZE - 3)}}
    assert_client_error(ddb.put_item, "ValidationException", TOO_BIG, TableName=hash_table, Item=item)
    assert "Item" not in ddb.get_item(TableName=hash_table, Key={"id": {"S": "k2"}})


def test_item_size_counts_utf8_bytes_and_attribute_names(ddb, hash_table):
    # 'é' is two bytes in UTF-8: the limit is in bytes, not characters.
    fill = (MAX_ITEM_SIZE - 4) // 2
    ok = {"id": {"S": "u"}, "b": {"S": "\u00e9" * fill}}
    ddb.put_item(TableName=hash_table, Item=ok)
    bad = {"id": {"S": "u2"}, "b": {"S": "\u00e9" * (fill + 1)}}
    assert_client_error(ddb.put_item, "ValidationException", TOO_BIG, TableName=hash_table, Item=bad)
    # A longer attribute name counts against the limit as well.
    bad_name = {"id": {"S": "u3"}, "bb": {"S": "x" * (MAX_ITEM_SIZE - 4)}}
    assert_client_error(ddb.put_item, "ValidationException", TOO_BIG, TableName=hash_table,
                        Item=bad_name)


def test_partition_key_of_2048_bytes_is_accepted_and_2049_rejected(ddb, hash_table):
    ok = "k" * 2048
    ddb.put_item(TableName=hash_table, Item={"id": {"S": ok}})
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": ok}})["Item"] == {"id": {"S": ok}}
    assert_client_error(ddb.put_item, "ValidationException", HASH_TOO_BIG,
                        TableName=hash_table, Item={"id": {"S": ok + "k"}})
    assert_client_error(ddb.get_item, "ValidationException", HASH_TOO_BIG,
                        TableName=hash_table, Key={"id": {"S": ok + "k"}})
    # Bytes, not characters.
    assert_client_error(ddb.put_item, "ValidationException", HASH_TOO_BIG,
                        TableName=hash_table, Item={"id": {"S": "\u00e9" * 1025}})


def test_sort_key_of_1024_bytes_is_accepted_and_1025_rejected(ddb, range_table):
    ok = "s" * 1024
    item = {"pk": {"S": "p"}, "sk": {"S": ok}}
    ddb.put_item(TableName=range_table, Item=item)
    assert ddb.get_item(TableName=range_table, Key=item)["Item"] == item
    assert_client_error(ddb.put_item, "ValidationException", RANGE_TOO_BIG,
                        TableName=range_table, Item={"pk": {"S": "p"}, "sk": {"S": ok + "s"}})
    assert_client_error(ddb.get_item, "ValidationException", RANGE_TOO_BIG,
                        TableName=range_table, Key={"pk": {"S": "p"}, "sk": {"S": ok + "s"}})


def test_binary_partition_key_limit_is_2048_bytes(ddb):
    name = create_table(ddb, ("b", "B"))
    ddb.put_item(TableName=name, Item={"b": {"B": b"\xff" * 2048}})
    assert_client_error(ddb.put_item, "ValidationException", HASH_TOO_BIG,
                        TableName=name, Item={"b": {"B": b"\xff" * 2049}})
