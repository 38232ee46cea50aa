"""Expression validation shared by every operation: placeholders, reserved words,
syntax errors, functions and operand checks, limits, and mixing legacy and
expression parameters.

Messages are DynamoDB's as recorded by dynalite (validations/index.js
validateExpressionParams/validateExpressions, db/conditionParser.pegjs,
db/updateParser.pegjs, db/projectionParser.pegjs); syntax-error and limit
wording from DynamoDB's own answers (AWS re:Post / SDK issue reports):
'Syntax error; token: "x", near: "a x b"', 'Expression size has exceeded the
maximum allowed size', 'The IN operator is provided with too many operands'.
"""

import pytest

from conftest import assert_raw_error

KEY = {"id": {"S": "k"}}


def call(raw, table, op, **body):
    body = dict({"TableName": table, "Key": KEY}, **body)
    if op == "PutItem":
        body["Item"] = body.pop("Key")
    return raw.call(op, body)


def cond_error(raw, table, expr, values=None, names=None, op="DeleteItem"):
    body = {"ConditionExpression": expr}
    if values is not None:
        body["ExpressionAttributeValues"] = values
    if names is not None:
        body["ExpressionAttributeNames"] = names
    r = call(raw, table, op, **body)
    return assert_raw_error(r, "ValidationException")


V = {":v": {"S": "x"}}


@pytest.mark.parametrize("expr,values,names,message", [
    ("a = :v", {":v": {"S": "x"}, ":w": {"S": "y"}}, None,
     "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
    ("a = :v", V, {"#a": "a", "#b": "b"},
     "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"),
    ("a = :x", V, None,
     "Invalid ConditionExpression: An expression attribute value used in expression is not defined; "
     "attribute value: :x"),
    ("#a = :v", V, None,
     "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
     "attribute name: #a"),
    ("name = :v", V, None,
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"),
    ("a.Size = :v", V, None,
     "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: Size"),
    ("", V, None, "Invalid ConditionExpression: The expression can not be empty;"),
    ("a = :v x", V, None, 'Invalid ConditionExpression: Syntax error; token: "x", near: ":v x"'),
    ("a = ", V, None, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "= "'),
    ("a == :v", V, None, 'Invalid ConditionExpression: Syntax error; token: "=", near: "== :v"'),
    ("a = :v AND", V, None, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"'),
    ("a ! :v", V, None, 'Invalid ConditionExpression: Syntax error; token: "!", near: "a ! :v"'),
    ("a", None, None, 'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "a"'),
    ("foo(a)", None, None, "Invalid ConditionExpression: Invalid function name; function: foo"),
    ("ATTRIBUTE_EXISTS(a)", None, None,
     "Invalid ConditionExpression: Invalid function name; function: ATTRIBUTE_EXISTS"),
    ("attribute_exists(a, b)", None, None,
     "Invalid ConditionExpression: Incorrect number of operands for operator or function; "
     "operator or function: attribute_exists, number of operands: 2"),
    ("attribute_exists(:v)", V, None,
     "Invalid ConditionExpression: Operator or function requires a document path; "
     "operator or function: attribute_exists"),
    ("begins_with(a, :n)", {":n": {"N": "1"}}, None,
     "Invalid ConditionExpression: Incorrect operand type for operator or function; "
     "operator or function: begins_with, operand type: N"),
    ("attribute_type(a, :v)", V, None,
     "Invalid ConditionExpression: Invalid attribute type name found; type: x, "
     "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"),
    ("attribute_type(a, :n)", {":n": {"N": "1"}}, None,
     "Invalid ConditionExpression: Incorrect operand type for operator or function; "
     "operator or function: attribute_type, operand type: N"),
    ("size(a)", None, None,
     "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
     "function: size"),
    ("attribute_exists(a) = :v", V, None,
     "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; "
     "function: attribute_exists"),
    ("size(:n) > :n", {":n": {"N": "1"}}, None,
     "Invalid ConditionExpression: Incorrect operand type for operator or function; "
     "operator or function: size, operand type: N"),
    ("a = a", None, None,
     "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this "
     "operator or function; operator: =, first operand: [a]"),
    ("a BETWEEN :b AND :a", {":a": {"N": "1"}, ":b": {"N": "5"}}, None,
     "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
     "lower bound; lower bound operand: AttributeValue: {N:5}, upper bound operand: AttributeValue: {N:1}"),
    ("a BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"S": "5"}}, None,
     "Invalid ConditionExpression: The BETWEEN operator requires same data type for lower and upper bounds; "
     "lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:5}"),
    ("((a = :v))", V, None, "Invalid ConditionExpression: The expression has redundant parentheses;"),
])
def test_condition_validation_messages(raw, hash_table, expr, values, names, message):
    assert cond_error(raw, hash_table, expr, values, names) == message


def test_reserved_words_are_case_insensitive_and_placeholders_escape_them(raw, ddb, hash_table):
    for word in ("DATA", "data", "Status", "timestamp", "Year"):
        assert cond_error(raw, hash_table, f"attribute_exists({word})") == (
            f"Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: {word}")
    ddb.delete_item(TableName=hash_table, Key=KEY, ConditionExpression="attribute_not_exists(#d)",
                    ExpressionAttributeNames={"#d": "data"})


def test_in_with_more_than_100_operands_is_rejected(raw, hash_table):
    values = {f":v{i}": {"N": str(i)} for i in range(101)}
    msg = cond_error(raw, hash_table, "a IN (" + ", ".join(values) + ")", values)
    assert msg == ("Invalid ConditionExpression: The IN operator is provided with too many operands; "
                   "number of operands: 101")


def test_expression_longer_than_4kb_is_rejected(raw, hash_table):
    expr = "attribute_exists(" + "a" * 4090 + ")"
    assert len(expr) > 4096
    assert cond_error(raw, hash_table, expr) == (
        f"Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; "
        f"expression size: {len(expr)}")


def test_too_many_operators_is_rejected(raw, hash_table):
    expr = " AND ".join(["attribute_exists(a)"] * 151)
    assert cond_error(raw, hash_table, expr) == (
        "Invalid ConditionExpression: The expression contains too many operators; operator count: 301")


@pytest.mark.parametrize("body,message", [
    ({"ExpressionAttributeNames": {}, "ConditionExpression": "a = :v", "ExpressionAttributeValues": V},
     "ExpressionAttributeNames must not be empty"),
    ({"ExpressionAttributeValues": {}, "ConditionExpression": "attribute_exists(a)"},
     "ExpressionAttributeValues must not be empty"),
    ({"ExpressionAttributeNames": {"a": "b"}, "ConditionExpression": "attribute_exists(a)"},
     'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
    ({"ExpressionAttributeValues": {"v": {"S": "x"}}, "ConditionExpression": "attribute_exists(a)"},
     'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
    ({"ExpressionAttributeValues": {":v": {"SS": []}}, "ConditionExpression": "a = :v"},
     "ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: "
     "An string set  may not be empty for key :v"),
    ({"ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ({"ExpressionAttributeValues": V},
     "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
    ({"ConditionExpression": "attribute_exists(a)", "Expected": {"a": {"Exists": False}}},
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"),
])
def test_placeholder_and_mixing_messages(raw, hash_table, body, message):
    assert_raw_error(call(raw, hash_table, "DeleteItem", **body), "ValidationException", message)


def test_update_item_expression_values_without_expression(raw, hash_table):
    r = call(raw, hash_table, "UpdateItem", ExpressionAttributeValues=V)
    assert_raw_error(r, "ValidationException", "ExpressionAttributeValues can only be specified when using "
                     "expressions: UpdateExpression and ConditionExpression are null")
    r = call(raw, hash_table, "UpdateItem", UpdateExpression="SET a = :v", ExpressionAttributeValues=V,
             AttributeUpdates={"b": {"Action": "DELETE"}}, Expected={"a": {"Exists": False}})
    assert_raw_error(r, "ValidationException", "Can not use both expression and non-expression parameters in the "
                     "same request: Non-expression parameters: {AttributeUpdates, Expected} "
                     "Expression parameters: {UpdateExpression}")


@pytest.mark.parametrize("expr,values,message", [
    ("SET a = :v, a = :v", V, "Two document paths overlap with each other; must remove or rewrite one of these "
     "paths; path one: [a], path two: [a]"),
    ("SET a = :v REMOVE a.b", V, "Two document paths overlap with each other; must remove or rewrite one of "
     "these paths; path one: [a], path two: [a, b]"),
    ("SET a.b = :v REMOVE a[0]", V, "Two document paths conflict with each other; must remove or rewrite one "
     "of these paths; path one: [a, b], path two: [a, [0]]"),
    ("SET a = :v SET b = :v", V, 'The "SET" section can only be used once in an update expression;'),
    ("SET a = foo(b)", None, "Invalid function name; function: foo"),
    ("SET a = size(b)", None, "Invalid function name; function: size"),
    ("SET a = if_not_exists(:v, b)", V,
     "Operator or function requires a document path; operator or function: if_not_exists"),
    ("SET a = list_append(:v, b)", V,
     "Incorrect operand type for operator or function; operator or function: list_append, operand type: S"),
    ("SET a = b + :v", V, "Incorrect operand type for operator or function; operator or function: +, "
     "operand type: S"),
    ("ADD a :v", V, "Incorrect operand type for operator or function; operator: ADD, operand type: STRING"),
    ("DELETE a :v", {":v": {"N": "1"}},
     "Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"),
    ("SET a = :x", V, "An expression attribute value used in expression is not defined; attribute value: :x"),
    ("SET a = b + c + d", None, 'Syntax error; token: "+", near: "c + d"'),
    ("UPDATE a = :v", V, 'Syntax error; token: "UPDATE", near: "UPDATE a"'),
    ("SET a", None, 'Syntax error; token: "<EOF>", near: "a"'),
    ("SET a = :v,", V, 'Syntax error; token: "<EOF>", near: ","'),
    ("ADD hits : incr", {":incr": {"N": "1"}}, 'Syntax error; token: ":", near: "hits : incr"'),
    ("SET timestamp = :v", V, "Attribute name is a reserved keyword; reserved keyword: timestamp"),
])
def test_update_expression_validation_messages(raw, hash_table, expr, values, message):
    body = {"UpdateExpression": expr}
    if values:
        body["ExpressionAttributeValues"] = values
    r = call(raw, hash_table, "UpdateItem", **body)
    assert_raw_error(r, "ValidationException", "Invalid UpdateExpression: " + message)


def test_update_expression_keywords_are_case_insensitive(ddb, hash_table):
    ddb.update_item(TableName=hash_table, Key=KEY, UpdateExpression="set a = :v add n :one remove b",
                    ExpressionAttributeValues={":v": {"S": "x"}, ":one": {"N": "1"}})
    assert ddb.get_item(TableName=hash_table, Key=KEY)["Item"] == dict(KEY, a={"S": "x"}, n={"N": "1"})
