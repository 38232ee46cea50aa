"""ConditionExpression on PutItem / DeleteItem / UpdateItem: every operator and
function on each attribute type, ConditionalCheckFailedException and
ReturnValuesOnConditionCheckFailure.

Semantics from the AWS developer guide ("Comparison operator and function
reference") and dynalite db/index.js compare(), recorded against DynamoDB.
"""

import pytest

from conftest import assert_client_error, client_error

FAILED = "The conditional request failed"

ITEM = {
    "id": {"S": "c"},
    "s": {"S": "hello"},
    "n": {"N": "10"},
    "b": {"B": b"\x01\x02\x03"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "5"}, {"M": {"q": {"S": "r"}}}]},
    "m": {"M": {"nest": {"M": {"deep": {"N": "7"}}}, "k": {"S": "v"}}},
}


@pytest.fixture
def seeded(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=ITEM)
    return hash_table


def holds(ddb, table, expr, values=None, names=None):
    """True when `expr` holds for ITEM (checked through a conditional no-op update)."""
    kw = dict(TableName=table, Key={"id": {"S": "c"}}, ConditionExpression=expr)
    if values:
        kw["ExpressionAttributeValues"] = values
    if names:
        kw["ExpressionAttributeNames"] = names
    try:
        ddb.update_item(**kw)
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False


@pytest.mark.parametrize("expr,values,expected", [
    ("s = :v", {":v": {"S": "hello"}}, True),
    ("s = :v", {":v": {"S": "hellO"}}, False),
    ("n = :v", {":v": {"N": "10.0"}}, True),          # numbers compare numerically
    ("n = :v", {":v": {"S": "10"}}, False),           # different types: false, not an error
    ("n <> :v", {":v": {"S": "10"}}, True),
    ("absent <> :v", {":v": {"S": "x"}}, True),
    ("absent = :v", {":v": {"S": "x"}}, False),
    ("n < :v", {":v": {"N": "10.5"}}, True),
    ("n <= :v", {":v": {"N": "10"}}, True),
    ("n > :v", {":v": {"N": "-3"}}, True),
    ("n >= :v", {":v": {"N": "11"}}, False),
    ("n < :v", {":v": {"S": "z"}}, False),
    ("s < :v", {":v": {"S": "help"}}, True),          # bytewise
    ("b < :v", {":v": {"B": b"\x01\x03"}}, True),
    ("t < :v", {":v": {"BOOL": True}}, False),        # BOOL is not ordered
    ("ss = :v", {":v": {"SS": ["b", "a"]}}, True),    # sets compare as sets
    ("ns = :v", {":v": {"NS": ["2", "1.0"]}}, True),
    ("l = :v", {":v": {"L": [{"S": "x"}, {"N": "5"}, {"M": {"q": {"S": "r"}}}]}}, True),
    ("m.k = :v", {":v": {"S": "v"}}, True),
    ("m.nest.deep = :v", {":v": {"N": "7"}}, True),
    ("l[1] = :v", {":v": {"N": "5"}}, True),
    ("l[2].q = :v", {":v": {"S": "r"}}, True),
    ("l[9] = :v", {":v": {"N": "5"}}, False),
    ("n BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
    ("n BETWEEN :a AND :b", {":a": {"N": "11"}, ":b": {"N": "20"}}, False),
    ("s BETWEEN :a AND :b", {":a": {"S": "a"}, ":b": {"S": "i"}}, True),
    ("n BETWEEN :a AND :b", {":a": {"S": "a"}, ":b": {"S": "z"}}, False),
    ("n IN (:a, :b)", {":a": {"N": "1"}, ":b": {"N": "10"}}, True),
    ("n IN (:a)", {":a": {"S": "10"}}, False),
    ("s = :a AND n = :b", {":a": {"S": "hello"}, ":b": {"N": "10"}}, True),
    ("s = :a AND n = :b", {":a": {"S": "hello"}, ":b": {"N": "11"}}, False),
    ("s = :a OR n = :b", {":a": {"S": "no"}, ":b": {"N": "10"}}, True),
    ("NOT s = :a", {":a": {"S": "no"}}, True),
    ("NOT (s = :a OR n = :b)", {":a": {"S": "no"}, ":b": {"N": "10"}}, False),
    # precedence: NOT > AND > OR
    ("s = :x OR s = :y AND n = :z", {":x": {"S": "hello"}, ":y": {"S": "q"}, ":z": {"N": "0"}}, True),
    ("(s = :x OR s = :y) AND n = :z", {":x": {"S": "hello"}, ":y": {"S": "q"}, ":z": {"N": "0"}}, False),
    ("begins_with(s, :p)", {":p": {"S": "he"}}, True),
    ("begins_with(s, :p)", {":p": {"S": "lo"}}, False),
    ("begins_with(b, :p)", {":p": {"B": b"\x01"}}, True),
    ("begins_with(n, :p)", {":p": {"S": "1"}}, False),
    ("contains(s, :p)", {":p": {"S": "ell"}}, True),
    ("contains(ss, :p)", {":p": {"S": "b"}}, True),
    ("contains(ss, :p)", {":p": {"S": "c"}}, False),
    ("contains(ns, :p)", {":p": {"N": "2"}}, True),
    ("contains(bs, :p)", {":p": {"B": b"\x02"}}, True),
    ("contains(l, :p)", {":p": {"S": "x"}}, True),
    ("contains(l, :p)", {":p": {"N": "5"}}, True),
    ("contains(n, :p)", {":p": {"N": "1"}}, False),
    ("size(s) = :n", {":n": {"N": "5"}}, True),
    ("size(b) = :n", {":n": {"N": "3"}}, True),
    ("size(ss) = :n", {":n": {"N": "2"}}, True),
    ("size(l) = :n", {":n": {"N": "3"}}, True),
    ("size(m) = :n", {":n": {"N": "2"}}, True),
    ("size(m.nest) < :n", {":n": {"N": "2"}}, True),
    ("size(n) = :n", {":n": {"N": "2"}}, False),       # size of a number: no value
    ("attribute_type(s, :t)", {":t": {"S": "S"}}, True),
    ("attribute_type(n, :t)", {":t": {"S": "N"}}, True),
    ("attribute_type(b, :t)", {":t": {"S": "B"}}, True),
    ("attribute_type(t, :t)", {":t": {"S": "BOOL"}}, True),
    ("attribute_type(z, :t)", {":t": {"S": "NULL"}}, True),
    ("attribute_type(ss, :t)", {":t": {"S": "SS"}}, True),
    ("attribute_type(ns, :t)", {":t": {"S": "NS"}}, True),
    ("attribute_type(bs, :t)", {":t": {"S": "BS"}}, True),
    ("attribute_type(l, :t)", {":t": {"S": "L"}}, True),
    ("attribute_type(m, :t)", {":t": {"S": "M"}}, True),
    ("attribute_type(m, :t)", {":t": {"S": "L"}}, False),
])
def test_condition_operator_on_types(ddb, seeded, expr, values, expected):
    assert holds(ddb, seeded, expr, values) is expected


@pytest.mark.parametrize("expr,expected", [
    ("attribute_exists(s)", True),
    ("attribute_exists(nope)", False),
    ("attribute_not_exists(nope)", True),
    ("attribute_not_exists(s)", False),
    ("attribute_exists(m.nest.deep)", True),
    ("attribute_exists(m.nest.nope)", False),
    ("attribute_exists(l[2].q)", True),
    ("attribute_exists(l[3])", False),
    ("attribute_exists(s.x)", False),
    ("attribute_exists(#n)", True),
])
def test_attribute_exists_functions(ddb, seeded, expr, expected):
    names = {"#n": "n"} if "#n" in expr else None
    assert holds(ddb, seeded, expr, names=names) is expected


def test_put_with_attribute_not_exists_creates_once(ddb, hash_table):
    kw = dict(TableName=hash_table, Item={"id": {"S": "once"}, "v": {"N": "1"}},
              ConditionExpression="attribute_not_exists(id)")
    ddb.put_item(**kw)
    assert_client_error(ddb.put_item, "ConditionalCheckFailedException", FAILED, **kw)
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": "once"}})["Item"]["v"] == {"N": "1"}


def test_condition_on_absent_item_sees_no_attributes(ddb, hash_table):
    assert_client_error(ddb.delete_item, "ConditionalCheckFailedException", FAILED,
                        TableName=hash_table, Key={"id": {"S": "none"}},
                        ConditionExpression="attribute_exists(id)")
    ddb.delete_item(TableName=hash_table, Key={"id": {"S": "none"}},
                    ConditionExpression="attribute_not_exists(id)")


def test_delete_condition_failure_keeps_the_item(ddb, seeded):
    assert_client_error(ddb.delete_item, "ConditionalCheckFailedException", FAILED,
                        TableName=seeded, Key={"id": {"S": "c"}},
                        ConditionExpression="n > :v", ExpressionAttributeValues={":v": {"N": "100"}})
    assert "Item" in ddb.get_item(TableName=seeded, Key={"id": {"S": "c"}})
    ddb.delete_item(TableName=seeded, Key={"id": {"S": "c"}},
                    ConditionExpression="n < :v", ExpressionAttributeValues={":v": {"N": "100"}})
    assert "Item" not in ddb.get_item(TableName=seeded, Key={"id": {"S": "c"}})


def test_return_values_on_condition_check_failure_all_old(ddb, raw, seeded):
    r = raw.call("PutItem", {"TableName": seeded, "Item": {"id": {"S": "c"}},
                             "ConditionExpression": "attribute_not_exists(id)",
                             "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})
    assert r.status == 400
    assert r.error_type == "ConditionalCheckFailedException"
    assert r.json["Item"]["s"] == {"S": "hello"}
    assert r.json["Item"]["n"] == {"N": "10"}
    r = raw.call("PutItem", {"TableName": seeded, "Item": {"id": {"S": "c"}},
                             "ConditionExpression": "attribute_not_exists(id)",
                             "ReturnValuesOnConditionCheckFailure": "NONE"})
    assert r.error_type == "ConditionalCheckFailedException" and "Item" not in r.json


def test_return_values_on_condition_check_failure_on_delete_and_update(raw, seeded):
    for op, extra in (("DeleteItem", {}), ("UpdateItem", {"UpdateExpression": "REMOVE s"})):
        r = raw.call(op, dict({"TableName": seeded, "Key": {"id": {"S": "c"}},
                               "ConditionExpression": "attribute_not_exists(id)",
                               "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}, **extra))
        assert r.status == 400 and r.error_type == "ConditionalCheckFailedException"
        assert r.message == FAILED
        assert r.json["Item"]["id"] == {"S": "c"}


def test_update_condition_failure_changes_nothing(ddb, seeded):
    assert_client_error(ddb.update_item, "ConditionalCheckFailedException", FAILED,
                        TableName=seeded, Key={"id": {"S": "c"}}, UpdateExpression="SET n = :one",
                        ConditionExpression="n = :one", ExpressionAttributeValues={":one": {"N": "1"}})
    assert ddb.get_item(TableName=seeded, Key={"id": {"S": "c"}})["Item"]["n"] == {"N": "10"}


def test_optimistic_locking_with_version_attribute(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item={"id": {"S": "v"}, "ver": {"N": "1"}})
    upd = dict(TableName=hash_table, Key={"id": {"S": "v"}},
               UpdateExpression="SET ver = ver + :one", ConditionExpression="ver = :cur")
    ddb.update_item(**upd, ExpressionAttributeValues={":one": {"N": "1"}, ":cur": {"N": "1"}})
    assert_client_error(ddb.update_item, "ConditionalCheckFailedException", FAILED, **upd,
                        ExpressionAttributeValues={":one": {"N": "1"}, ":cur": {"N": "1"}})
    assert ddb.get_item(TableName=hash_table, Key={"id": {"S": "v"}})["Item"]["ver"] == {"N": "2"}


def test_in_accepts_100_operands(ddb, seeded):
    values = {f":v{i}": {"N": str(i)} for i in range(100)}
    expr = "n IN (" + ", ".join(values) + ")"
    assert holds(ddb, seeded, expr, values) is True
