"""ProjectionExpression (and AttributesToGet) on GetItem: nested paths, list
elements, only the projected parts of maps and lists kept, overlap errors.

Messages from dynalite validations/index.js and db/projectionParser.pegjs.
"""

import pytest

from conftest import assert_raw_error

KEY = {"id": {"S": "p"}}
ITEM = dict(KEY,
            a={"S": "x"},
            n={"N": "1"},
            m={"M": {"x": {"N": "1"}, "y": {"M": {"z": {"S": "deep"}, "w": {"S": "other"}}}}},
            l={"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}, "j": {"S": "u"}}}, {"S": "l2"}, {"S": "l3"}]})


@pytest.fixture
def seeded(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=ITEM)
    return hash_table


@pytest.mark.parametrize("expr,names,expected", [
    ("a", None, {"a": {"S": "x"}}),
    ("a, n, nothere", None, {"a": {"S": "x"}, "n": {"N": "1"}}),
    ("m.y.z", None, {"m": {"M": {"y": {"M": {"z": {"S": "deep"}}}}}}),
    ("m.x, m.y.w", None, {"m": {"M": {"x": {"N": "1"}, "y": {"M": {"w": {"S": "other"}}}}}}),
    ("l[2]", None, {"l": {"L": [{"S": "l2"}]}}),
    ("l[3], l[0]", None, {"l": {"L": [{"S": "l0"}, {"S": "l3"}]}}),   # kept in list order, compacted
    ("l[1].k", None, {"l": {"L": [{"M": {"k": {"S": "v"}}}]}}),
    ("l[9], m.nothere, a.b", None, {}),
    ("#m.#y", {"#m": "m", "#y": "y"}, {"m": {"M": {"y": ITEM["m"]["M"]["y"]}}}),
    ("id", None, KEY),
])
def test_projection_keeps_only_projected_parts(ddb, seeded, expr, names, expected):
    kw = dict(TableName=seeded, Key=KEY, ProjectionExpression=expr)
    if names:
        kw["ExpressionAttributeNames"] = names
    assert ddb.get_item(**kw)["Item"] == expected


def test_projection_of_missing_item_returns_nothing(ddb, hash_table):
    assert "Item" not in ddb.get_item(TableName=hash_table, Key=KEY, ProjectionExpression="a")


def test_attributes_to_get(ddb, seeded):
    r = ddb.get_item(TableName=seeded, Key=KEY, AttributesToGet=["a", "m", "zz"])
    assert r["Item"] == {"a": ITEM["a"], "m": ITEM["m"]}


@pytest.mark.parametrize("body,message", [
    ({"ProjectionExpression": "a, a"}, "Invalid ProjectionExpression: Two document paths overlap with each other; "
     "must remove or rewrite one of these paths; path one: [a], path two: [a]"),
    ({"ProjectionExpression": "m, m.x"}, "Invalid ProjectionExpression: Two document paths overlap with each "
     "other; must remove or rewrite one of these paths; path one: [m], path two: [m, x]"),
    ({"ProjectionExpression": "m.x, m[0]"}, "Invalid ProjectionExpression: Two document paths conflict with each "
     "other; must remove or rewrite one of these paths; path one: [m, x], path two: [m, [0]]"),
    ({"ProjectionExpression": "a, "}, 'Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ", "'),
    ({"ProjectionExpression": ""}, "Invalid ProjectionExpression: The expression can not be empty;"),
    ({"ProjectionExpression": "name"},
     "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    ({"ProjectionExpression": "#a"}, "Invalid ProjectionExpression: An expression attribute name used in the "
     "document path is not defined; attribute name: #a"),
    ({"ProjectionExpression": "a", "ExpressionAttributeNames": {"#a": "a"}},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}"),
    ({"ProjectionExpression": "a", "AttributesToGet": ["a"]},
     "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: "
     "{AttributesToGet} Expression parameters: {ProjectionExpression}"),
    ({"AttributesToGet": ["a", "a"]},
     "One or more parameter values were invalid: Duplicate value in attribute name: a"),
    ({"AttributesToGet": ["a"], "ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
])
def test_projection_errors(raw, seeded, body, message):
    r = raw.call("GetItem", dict({"TableName": seeded, "Key": KEY}, **body))
    assert_raw_error(r, "ValidationException", message)
