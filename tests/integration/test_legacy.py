"""Legacy parameters for old clients: Expected (+ ConditionalOperator, Exists,
Value, ComparisonOperator + AttributeValueList) and AttributeUpdates
(PUT/ADD/DELETE). Messages from dynalite validations/index.js
(validateAttributeConditions) and validations/updateItem.js.
"""

import pytest

from conftest import assert_client_error, assert_raw_error

KEY = {"id": {"S": "g"}}
FAILED = "The conditional request failed"


@pytest.fixture
def seeded(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, n={"N": "5"}, s={"S": "abc"}, ss={"SS": ["x", "y"]}))
    return hash_table


def check(ddb, table, expected, op=None):
    kw = dict(TableName=table, Key=KEY, Expected=expected)
    if op:
        kw["ConditionalOperator"] = op
    try:
        ddb.update_item(**kw)
        return True
    except ddb.exceptions.ConditionalCheckFailedException:
        return False


@pytest.mark.parametrize("expected,op,result", [
    ({"n": {"Value": {"N": "5"}}}, None, True),
    ({"n": {"Value": {"N": "6"}}}, None, False),
    ({"n": {"Exists": True, "Value": {"N": "5"}}}, None, True),
    ({"zz": {"Exists": False}}, None, True),
    ({"n": {"Exists": False}}, None, False),
    ({"n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "4"}]}}, None, True),
    ({"n": {"ComparisonOperator": "LE", "Value": {"N": "4"}}}, None, False),
    ({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}, None, True),
    ({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}, None, True),
    ({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "ab"}]}}, None, True),
    ({"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "bc"}]}}, None, True),
    ({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, None, True),
    ({"zz": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, None, False),
    ({"zz": {"ComparisonOperator": "NULL"}}, None, True),
    ({"n": {"ComparisonOperator": "NOT_NULL"}}, None, True),
    ({"n": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}}, None, False),
    ({"n": {"Value": {"N": "6"}}, "s": {"Value": {"S": "abc"}}}, "OR", True),
    ({"n": {"Value": {"N": "6"}}, "s": {"Value": {"S": "abc"}}}, "AND", False),
])
def test_expected_conditions(ddb, seeded, expected, op, result):
    assert check(ddb, seeded, expected, op) is result


def test_put_with_expected_fails_with_conditional_check(ddb, seeded):
    assert_client_error(ddb.put_item, "ConditionalCheckFailedException", FAILED, TableName=seeded,
                        Item=KEY, Expected={"id": {"Exists": False}})


@pytest.mark.parametrize("expected,message", [
    ({"a": {"Value": {"S": "x"}, "AttributeValueList": [{"S": "x"}]}},
     "Value and AttributeValueList cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ", "Exists": True}},
     "Exists and ComparisonOperator cannot be used together for Attribute: a"),
    ({"a": {"ComparisonOperator": "EQ"}},
     "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
    ({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}},
     "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"S": "1"}]}},
     "AttributeValues inside AttributeValueList must be of same type"),
    ({"a": {"AttributeValueList": [{"S": "x"}]}},
     "AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
    ({"a": {}}, "Value must be provided when Exists is null for Attribute: a"),
    ({"a": {"Exists": True}}, "Value must be provided when Exists is true for Attribute: a"),
    ({"a": {"Exists": False, "Value": {"S": "x"}}}, "Value cannot be used when Exists is false for Attribute: a"),
])
def test_expected_validation_messages(raw, hash_table, expected, message):
    r = raw.call("DeleteItem", {"TableName": hash_table, "Key": KEY, "Expected": expected})
    assert_raw_error(r, "ValidationException", "One or more parameter values were invalid: " + message)


def test_expected_between_bounds_order(raw, hash_table):
    r = raw.call("DeleteItem", {"TableName": hash_table, "Key": KEY, "Expected": {
        "a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "5"}, {"N": "1"}]}}})
    assert_raw_error(r, "ValidationException", "The BETWEEN condition was provided a range where the lower bound "
                     "is greater than the upper bound")


def test_attribute_updates_put_add_delete(ddb, seeded):
    r = ddb.update_item(TableName=seeded, Key=KEY, ReturnValues="ALL_NEW", AttributeUpdates={
        "s": {"Action": "PUT", "Value": {"S": "new"}},
        "n": {"Action": "ADD", "Value": {"N": "2"}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["x"]}},
        "c": {"Action": "ADD", "Value": {"NS": ["1"]}},
        "l": {"Action": "ADD", "Value": {"L": [{"S": "a"}]}},
        "d": {"Value": {"BOOL": True}},
    })
    assert r["Attributes"] == dict(KEY, s={"S": "new"}, n={"N": "7"}, ss={"SS": ["y"]}, c={"NS": ["1"]},
                                   l={"L": [{"S": "a"}]}, d={"BOOL": True})
    ddb.update_item(TableName=seeded, Key=KEY, AttributeUpdates={
        "l": {"Action": "ADD", "Value": {"L": [{"S": "b"}]}}, "s": {"Action": "DELETE"}})
    item = ddb.get_item(TableName=seeded, Key=KEY)["Item"]
    assert item["l"] == {"L": [{"S": "a"}, {"S": "b"}]} and "s" not in item


def test_attribute_updates_type_mismatch(ddb, seeded):
    assert_client_error(ddb.update_item, "ValidationException", "Type mismatch for attribute to update",
                        TableName=seeded, Key=KEY, AttributeUpdates={"s": {"Action": "ADD", "Value": {"N": "1"}}})


@pytest.mark.parametrize("updates,message", [
    ({"a": {"Action": "PUT"}}, "Only DELETE action is allowed when no attribute value is specified"),
    ({"a": {"Action": "DELETE", "Value": {"S": "x"}}}, "DELETE action with value is not supported for the type S"),
    ({"a": {"Action": "ADD", "Value": {"S": "x"}}}, "ADD action is not supported for the type S"),
    ({"id": {"Action": "PUT", "Value": {"S": "x"}}}, "Cannot update attribute id. This attribute is part of the key"),
])
def test_attribute_updates_validation(raw, hash_table, updates, message):
    r = raw.call("UpdateItem", {"TableName": hash_table, "Key": KEY, "AttributeUpdates": updates})
    assert_raw_error(r, "ValidationException", "One or more parameter values were invalid: " + message)
