"""UpdateItem with UpdateExpression: SET (arithmetic, if_not_exists, list_append),
REMOVE, ADD, DELETE, upserts, ReturnValues, nested paths, and the errors
DynamoDB reports for each.

Messages from dynalite (validations/index.js, db/updateParser, actions/updateItem.js,
recorded against DynamoDB) and the AWS developer guide ("Update expressions").
"""

import pytest

from conftest import assert_client_error, create_table

BAD_PATH = "The document path provided in the update expression is invalid for update"
BAD_OPERAND = "An operand in the update expression has an incorrect data type"
NO_ATTR = "The provided expression refers to an attribute that does not exist in the item"
KEY = {"id": {"S": "u"}}


def upd(ddb, table, expr, values=None, names=None, **kw):
    args = dict(TableName=table, Key=KEY, UpdateExpression=expr, **kw)
    if values:
        args["ExpressionAttributeValues"] = values
    if names:
        args["ExpressionAttributeNames"] = names
    return ddb.update_item(**args)


def get(ddb, table):
    return ddb.get_item(TableName=table, Key=KEY).get("Item")


def test_update_creates_missing_item_with_its_key(ddb, hash_table):
    upd(ddb, hash_table, "SET a = :v", {":v": {"S": "x"}})
    assert get(ddb, hash_table) == {"id": {"S": "u"}, "a": {"S": "x"}}


def test_update_without_expression_creates_key_only_item(ddb, hash_table):
    ddb.update_item(TableName=hash_table, Key=KEY)
    assert get(ddb, hash_table) == KEY


def test_set_replaces_and_adds_attributes(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, a={"S": "old"}, keep={"N": "1"}))
    upd(ddb, hash_table, "SET a = :a, b = :b", {":a": {"S": "new"}, ":b": {"L": [{"NULL": True}]}})
    assert get(ddb, hash_table) == dict(KEY, a={"S": "new"}, b={"L": [{"NULL": True}]}, keep={"N": "1"})


@pytest.mark.parametrize("expr,start,expected", [
    ("SET n = n + :d", "10", "12.5"),
    ("SET n = n - :d", "10", "7.5"),
    ("SET n = :d - n", "10", "-7.5"),
    ("SET n = :d + :d", "10", "5"),
    ("SET n = n + :d", "0.1", "2.6"),
    ("SET n = n + :d", "9999999999999999999999999999999999997.5", "10000000000000000000000000000000000000"),
])
def test_set_arithmetic_is_exact_decimal(ddb, hash_table, expr, start, expected):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, n={"N": start}))
    upd(ddb, hash_table, expr, {":d": {"N": "2.5"}})
    assert get(ddb, hash_table)["n"] == {"N": expected}


def test_arithmetic_overflow_is_a_validation_error(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, n={"N": "9.9999999999999999999999999999999999999E+125"}))
    assert_client_error(upd, "ValidationException",
                        "Number overflow. Attempting to store a number with magnitude larger than supported range",
                        ddb, hash_table, "SET n = n + :d", {":d": {"N": "1E+125"}})


def test_arithmetic_needing_more_than_38_digits_fails(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, n={"N": "1E50"}))
    assert_client_error(upd, "ValidationException",
                        "Number overflow. Attempting to store a number with magnitude larger than supported range",
                        ddb, hash_table, "SET n = n - :d", {":d": {"N": "1"}})


def test_arithmetic_on_non_number_is_an_operand_error(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"S": "x"}))
    assert_client_error(upd, "ValidationException", BAD_OPERAND, ddb, hash_table, "SET n = s + :d",
                        {":d": {"N": "1"}})


def test_arithmetic_on_missing_attribute_fails(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=KEY)
    assert_client_error(upd, "ValidationException", NO_ATTR, ddb, hash_table, "SET n = n + :d",
                        {":d": {"N": "1"}})


def test_if_not_exists(ddb, hash_table):
    upd(ddb, hash_table, "SET c = if_not_exists(c, :zero) + :one", {":zero": {"N": "0"}, ":one": {"N": "1"}})
    upd(ddb, hash_table, "SET c = if_not_exists(c, :zero) + :one", {":zero": {"N": "0"}, ":one": {"N": "1"}})
    upd(ddb, hash_table, "SET d = if_not_exists(c, :zero)", {":zero": {"N": "0"}})
    item = get(ddb, hash_table)
    assert item["c"] == {"N": "2"} and item["d"] == {"N": "2"}


def test_list_append(ddb, hash_table):
    upd(ddb, hash_table, "SET l = list_append(if_not_exists(l, :e), :v)",
        {":e": {"L": []}, ":v": {"L": [{"S": "a"}]}})
    upd(ddb, hash_table, "SET l = list_append(:v, l)", {":v": {"L": [{"N": "0"}]}})
    upd(ddb, hash_table, "SET l = list_append(l, :v)", {":v": {"L": [{"S": "z"}]}})
    assert get(ddb, hash_table)["l"] == {"L": [{"N": "0"}, {"S": "a"}, {"S": "z"}]}


def test_list_append_to_non_list_is_an_operand_error(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"S": "x"}))
    assert_client_error(upd, "ValidationException", BAD_OPERAND, ddb, hash_table, "SET s = list_append(s, :v)",
                        {":v": {"L": []}})


def test_set_operands_see_the_item_before_the_update(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, a={"N": "1"}, b={"N": "2"}))
    upd(ddb, hash_table, "SET a = b, b = a")
    item = get(ddb, hash_table)
    assert item["a"] == {"N": "2"} and item["b"] == {"N": "1"}


def test_remove_attributes_and_missing_ones(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, a={"S": "1"}, b={"S": "2"}))
    upd(ddb, hash_table, "REMOVE a, nothere")
    assert get(ddb, hash_table) == dict(KEY, b={"S": "2"})


def test_remove_list_elements_compacts_the_list(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, l={"L": [{"N": str(i)} for i in range(6)]}))
    upd(ddb, hash_table, "REMOVE l[1], l[3], l[9]")
    assert get(ddb, hash_table)["l"] == {"L": [{"N": "0"}, {"N": "2"}, {"N": "4"}, {"N": "5"}]}


def test_set_list_element_past_the_end_appends(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, l={"L": [{"N": "0"}]}))
    upd(ddb, hash_table, "SET l[0] = :a, l[10] = :b", {":a": {"S": "a"}, ":b": {"S": "b"}})
    assert get(ddb, hash_table)["l"] == {"L": [{"S": "a"}, {"S": "b"}]}


def test_add_numbers_and_creates_when_missing(ddb, hash_table):
    upd(ddb, hash_table, "ADD c :n", {":n": {"N": "5"}})
    upd(ddb, hash_table, "ADD c :n", {":n": {"N": "-7.25"}})
    assert get(ddb, hash_table)["c"] == {"N": "-2.25"}


@pytest.mark.parametrize("start,add,expected", [
    ({"SS": ["a", "b"]}, {"SS": ["b", "c"]}, {"SS": ["a", "b", "c"]}),
    ({"NS": ["1", "2"]}, {"NS": ["2.0", "3"]}, {"NS": ["1", "2", "3"]}),
    ({"BS": [b"\x01"]}, {"BS": [b"\x02"]}, {"BS": [b"\x01", b"\x02"]}),
])
def test_add_to_sets_unions_them(ddb, hash_table, start, add, expected):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s=start))
    upd(ddb, hash_table, "ADD s :v", {":v": add})
    got = get(ddb, hash_table)["s"]
    (t, vals), = got.items()
    assert t == list(expected)[0] and sorted(vals) == sorted(expected[t])


def test_add_set_to_missing_attribute_creates_it(ddb, hash_table):
    upd(ddb, hash_table, "ADD s :v", {":v": {"SS": ["x"]}})
    assert get(ddb, hash_table)["s"] == {"SS": ["x"]}


def test_add_of_mismatched_type_is_an_operand_error(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"SS": ["a"]}, n={"N": "1"}))
    assert_client_error(upd, "ValidationException", BAD_OPERAND, ddb, hash_table, "ADD s :v", {":v": {"NS": ["1"]}})
    assert_client_error(upd, "ValidationException", BAD_OPERAND, ddb, hash_table, "ADD n :v", {":v": {"SS": ["1"]}})


def test_delete_from_sets_and_empty_set_removes_attribute(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"SS": ["a", "b", "c"]}, t={"NS": ["1"]}))
    upd(ddb, hash_table, "DELETE s :v, t :w, absent :w", {":v": {"SS": ["a", "c", "zz"]}, ":w": {"NS": ["1"]}})
    assert get(ddb, hash_table) == dict(KEY, s={"SS": ["b"]})


def test_delete_of_mismatched_type_is_an_operand_error(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"SS": ["a"]}))
    assert_client_error(upd, "ValidationException", BAD_OPERAND, ddb, hash_table, "DELETE s :v", {":v": {"NS": ["1"]}})


def test_multiple_clauses_in_any_order(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, r={"S": "x"}, s={"SS": ["a", "b"]}))
    upd(ddb, hash_table, "DELETE s :d ADD n :one REMOVE r SET a = :a",
        {":d": {"SS": ["a"]}, ":one": {"N": "1"}, ":a": {"BOOL": False}})
    assert get(ddb, hash_table) == dict(KEY, s={"SS": ["b"]}, n={"N": "1"}, a={"BOOL": False})


def test_nested_paths_on_a_deep_item(ddb, hash_table):
    deep = {"S": "leaf"}
    for i in range(20):
        deep = {"M": {"d": deep, "l": {"L": [{"N": str(i)}]}}}
    ddb.put_item(TableName=hash_table, Item=dict(KEY, root=deep))
    path = "root" + ".d" * 19
    upd(ddb, hash_table, f"SET {path}.l[0] = :v, {path}.x = :v REMOVE root.l", {":v": {"N": "42"}})
    item = get(ddb, hash_table)
    node = item["root"]["M"]
    assert "l" not in node
    for _ in range(19):
        node = node["d"]["M"]
    assert node["l"] == {"L": [{"N": "42"}]} and node["x"] == {"N": "42"} and node["d"] == {"S": "leaf"}


def test_set_nested_in_missing_parent_is_invalid_path(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, s={"S": "x"}))
    assert_client_error(upd, "ValidationException", BAD_PATH, ddb, hash_table, "SET nope.a = :v", {":v": {"N": "1"}})
    assert_client_error(upd, "ValidationException", BAD_PATH, ddb, hash_table, "SET s.a = :v", {":v": {"N": "1"}})
    assert_client_error(upd, "ValidationException", BAD_PATH, ddb, hash_table, "SET s[0] = :v", {":v": {"N": "1"}})


def test_update_nesting_beyond_32_levels_is_rejected(ddb, hash_table):
    v = {"S": "x"}
    for _ in range(31):
        v = {"M": {"a": v}}
    ddb.update_item(TableName=hash_table, Key=KEY, UpdateExpression="SET a = :v",
                    ExpressionAttributeValues={":v": v})
    code, _msg = None, None
    with pytest.raises(ddb.exceptions.ClientError) as ei:
        ddb.update_item(TableName=hash_table, Key=KEY, UpdateExpression="SET b.c = :v",
                        ExpressionAttributeValues={":v": v})
    assert ei.value.response["Error"]["Code"] == "ValidationException"


def test_item_size_after_update_is_limited(ddb, hash_table):
    big = "x" * 300000
    upd(ddb, hash_table, "SET a = :v", {":v": {"S": big}})
    assert_client_error(upd, "ValidationException", "Item size to update has exceeded the maximum allowed size",
                        ddb, hash_table, "SET b = :v", {":v": {"S": big}})


def test_updating_a_key_attribute_is_rejected(ddb):
    t = create_table(ddb, ("pk", "S"), ("sk", "N"))
    key = {"pk": {"S": "a"}, "sk": {"N": "1"}}
    for expr, attr in (("SET pk = :v", "pk"), ("REMOVE sk", "sk"), ("SET a = :v, sk = :v", "sk")):
        kw = dict(TableName=t, Key=key, UpdateExpression=expr)
        if ":v" in expr:
            kw["ExpressionAttributeValues"] = {":v": {"N": "1"}}
        assert_client_error(ddb.update_item, "ValidationException",
                            f"One or more parameter values were invalid: Cannot update attribute {attr}. "
                            "This attribute is part of the key", **kw)


# ---------------------------------------------------------------------------
# ReturnValues

@pytest.fixture
def rv_table(ddb, hash_table):
    ddb.put_item(TableName=hash_table, Item=dict(KEY, a={"N": "1"}, b={"S": "keep"},
                                                 m={"M": {"x": {"N": "1"}, "y": {"N": "2"}}}))
    return hash_table


@pytest.mark.parametrize("rv,expected", [
    ("NONE", None),
    ("ALL_OLD", dict(KEY, a={"N": "1"}, b={"S": "keep"}, m={"M": {"x": {"N": "1"}, "y": {"N": "2"}}})),
    ("UPDATED_OLD", {"a": {"N": "1"}, "m": {"M": {"x": {"N": "1"}}}}),
    ("ALL_NEW", dict(KEY, a={"N": "2"}, b={"S": "keep"}, c={"S": "new"},
                     m={"M": {"x": {"N": "9"}, "y": {"N": "2"}}})),
    ("UPDATED_NEW", {"a": {"N": "2"}, "c": {"S": "new"}, "m": {"M": {"x": {"N": "9"}}}}),
])
def test_return_values(ddb, rv_table, rv, expected):
    r = upd(ddb, rv_table, "SET a = a + :one, c = :c, m.x = :nine", ReturnValues=rv,
            values={":one": {"N": "1"}, ":c": {"S": "new"}, ":nine": {"N": "9"}})
    assert r.get("Attributes") == expected


def test_return_values_all_old_on_upsert_is_absent(ddb, hash_table):
    r = upd(ddb, hash_table, "SET a = :v", {":v": {"N": "1"}}, ReturnValues="ALL_OLD")
    assert "Attributes" not in r


def test_updated_new_after_remove_only_is_absent(ddb, rv_table):
    r = upd(ddb, rv_table, "REMOVE b", ReturnValues="UPDATED_NEW")
    assert "Attributes" not in r
    r = upd(ddb, rv_table, "REMOVE a", ReturnValues="UPDATED_OLD")
    assert r["Attributes"] == {"a": {"N": "1"}}


def test_consumed_capacity_of_update(ddb, hash_table):
    r = upd(ddb, hash_table, "SET a = :v", {":v": {"S": "x"}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0
