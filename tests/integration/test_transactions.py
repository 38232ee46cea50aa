"""TransactWriteItems and TransactGetItems: atomicity, limits, errors, idempotency, isolation.

Expected errors are DynamoDB's own. Sources, cited next to the assertions:
  * [conf] paritysuite/dynamodb-conformance, tests/tier3/error-messages/transact*.test.ts
    and tests/tier3/validation-ordering/transactions.test.ts (captured against the real
    service in several regions);
  * [api] the AWS API reference (TransactWriteItems, TransactGetItems,
    TransactionCanceledException, ClientRequestToken);
  * [moto] getmoto/moto dynamodb/exceptions.py (messages copied from the service).
"""

import json
import threading
import time
import uuid

import pytest

from conftest import (assert_client_error, client_error, create_table, make_client)
from test_concurrency import run_threads

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
MULTIPLE = "Transaction request cannot include multiple operations on one item"  # [conf]


@pytest.fixture(scope="module")
def tables(ddb):
    """Two tables: a (id S) and b (pk S, sk N)."""
    return create_table(ddb), create_table(ddb, ("pk", "S"), ("sk", "N"))


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def cancel_info(fn, **kw):
    code, msg, exc = client_error(fn, **kw)
    assert code == "TransactionCanceledException", (code, msg)
    return msg, exc.response.get("CancellationReasons")


# ---------------------------------------------------------------------------
# TransactWriteItems: effects


def test_write_applies_put_update_delete_and_check_across_tables(ddb, tables):
    a, b = tables
    ddb.put_item(TableName=a, Item={"id": S("upd"), "n": N(1)})
    ddb.put_item(TableName=b, Item={"pk": S("del"), "sk": N(1), "x": S("gone")})
    ddb.put_item(TableName=a, Item={"id": S("chk"), "state": S("open")})
    out = ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("new"), "v": S("x")},
                 "ConditionExpression": "attribute_not_exists(id)"}},
        {"Update": {"TableName": a, "Key": {"id": S("upd")}, "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
        {"Delete": {"TableName": b, "Key": {"pk": S("del"), "sk": N(1)}}},
        {"ConditionCheck": {"TableName": a, "Key": {"id": S("chk")},
                            "ConditionExpression": "#s = :open", "ExpressionAttributeNames": {"#s": "state"},
                            "ExpressionAttributeValues": {":open": S("open")}}},
    ])
    assert "ConsumedCapacity" not in out
    assert get(ddb, a, {"id": S("new")}) == {"id": S("new"), "v": S("x")}
    assert get(ddb, a, {"id": S("upd")}) == {"id": S("upd"), "n": N(2)}
    assert get(ddb, b, {"pk": S("del"), "sk": N(1)}) is None
    assert get(ddb, a, {"id": S("chk")}) == {"id": S("chk"), "state": S("open")}


def test_update_of_missing_item_creates_it(ddb, tables):
    a, _ = tables
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": a, "Key": {"id": S("upsert")}, "UpdateExpression": "ADD c :one",
                    "ExpressionAttributeValues": {":one": N(5)}}}])
    assert get(ddb, a, {"id": S("upsert")}) == {"id": S("upsert"), "c": N(5)}


def test_failed_condition_cancels_every_action_with_positional_reasons(ddb, tables):
    a, b = tables
    ddb.put_item(TableName=a, Item={"id": S("taken"), "v": S("old")})
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("fresh1")}}},
        {"Put": {"TableName": a, "Item": {"id": S("taken"), "v": S("new")},
                 "ConditionExpression": "attribute_not_exists(id)"}},
        {"Put": {"TableName": b, "Item": {"pk": S("fresh2"), "sk": N(0)}}},
    ])
    # [conf] "one passing, one failing: positional reason codes"
    assert msg == CANCELLED.format("None, ConditionalCheckFailed, None")
    assert reasons == [{"Code": "None"},
                       {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"},
                       {"Code": "None"}]
    assert get(ddb, a, {"id": S("fresh1")}) is None
    assert get(ddb, b, {"pk": S("fresh2"), "sk": N(0)}) is None
    assert get(ddb, a, {"id": S("taken")}) == {"id": S("taken"), "v": S("old")}


def test_every_failed_condition_is_reported(ddb, tables):
    a, _ = tables
    for k in ("m1", "m2"):
        ddb.put_item(TableName=a, Item={"id": S(k), "attr1": S("exists")})
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S(k), "attr1": S("over")},
                 "ConditionExpression": "attribute_not_exists(id)"}} for k in ("m1", "m2")])
    # [conf] "two failing actions: multi-reason TransactionCanceledException"
    assert msg == CANCELLED.format("ConditionalCheckFailed, ConditionalCheckFailed")
    assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed"] * 2


def test_return_values_on_condition_check_failure_all_old_returns_the_item(ddb, tables):
    a, _ = tables
    ddb.put_item(TableName=a, Item={"id": S("rv"), "n": N(7), "s": S("keep")})
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": a, "Key": {"id": S("rv")}, "ConditionExpression": "n > :ten",
                            "ExpressionAttributeValues": {":ten": N(10)},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Delete": {"TableName": a, "Key": {"id": S("rv-missing")}, "ConditionExpression": "attribute_exists(id)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Update": {"TableName": a, "Key": {"id": S("rv-other")}, "UpdateExpression": "SET s = :x",
                    "ExpressionAttributeValues": {":x": S("y")}}},
    ])
    assert msg == CANCELLED.format("ConditionalCheckFailed, ConditionalCheckFailed, None")
    # [api] CancellationReason.Item: the item, when ReturnValuesOnConditionCheckFailure is ALL_OLD
    assert reasons[0] == {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
                          "Item": {"id": S("rv"), "n": N(7), "s": S("keep")}}
    # no item to return for a missing one
    assert reasons[1] == {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}
    assert reasons[2] == {"Code": "None"}
    assert get(ddb, a, {"id": S("rv-other")}) is None


def test_cancellation_body_uses_dynamodb_member_names(raw, ddb, tables):
    a, _ = tables
    ddb.put_item(TableName=a, Item={"id": S("body")})
    r = raw.call("TransactWriteItems", {"TransactItems": [
        {"ConditionCheck": {"TableName": a, "Key": {"id": S("body")},
                            "ConditionExpression": "attribute_not_exists(id)"}}]})
    assert r.status == 400
    assert r.json == {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "CancellationReasons": [{"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}],
        "Message": CANCELLED.format("ConditionalCheckFailed"),
    }


def test_update_error_found_against_the_stored_item_is_a_validation_error_reason(ddb, tables):
    a, _ = tables
    ddb.put_item(TableName=a, Item={"id": S("typed"), "s": S("text")})
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("typed-ok")}}},
        {"Update": {"TableName": a, "Key": {"id": S("typed")}, "UpdateExpression": "SET s = s + :one",
                    "ExpressionAttributeValues": {":one": N(1)}}},
    ])
    assert msg == CANCELLED.format("None, ValidationError")
    assert reasons[1] == {"Code": "ValidationError",
                          "Message": "An operand in the update expression has an incorrect data type"}
    assert get(ddb, a, {"id": S("typed-ok")}) is None


def test_put_with_wrong_key_type_is_a_validation_error_reason(ddb, tables):
    a, _ = tables
    msg, reasons = cancel_info(ddb.transact_write_items,
                               TransactItems=[{"Put": {"TableName": a, "Item": {"id": N(5)}}}])
    # [conf] "Put wrong-typed table key: cancelled with full ValidationError reason"
    assert msg == CANCELLED.format("ValidationError")
    assert reasons == [{"Code": "ValidationError", "Message":
                        "One or more parameter values were invalid: Type mismatch for key id expected: S actual: N"}]


@pytest.mark.parametrize("action", ["Update", "Delete", "ConditionCheck"])
def test_key_not_matching_schema_is_a_validation_error_reason(ddb, tables, action):
    a, _ = tables
    body = {"TableName": a, "Key": {"id": N(5)}}
    if action == "Update":
        body.update(UpdateExpression="SET x = :v", ExpressionAttributeValues={":v": S("x")})
    if action == "ConditionCheck":
        body["ConditionExpression"] = "attribute_not_exists(id)"
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[{action: body}])
    # [conf] "... wrong-typed Key: cancelled with schema-mismatch reason"
    assert msg == CANCELLED.format("ValidationError")
    assert reasons == [{"Code": "ValidationError", "Message": "The provided key element does not match the schema"}]


@pytest.mark.parametrize("action", ["Put", "Update", "Delete", "ConditionCheck"])
def test_empty_string_key_is_a_top_level_validation_exception(ddb, tables, action):
    a, _ = tables
    body = {"TableName": a}
    if action == "Put":
        body["Item"] = {"id": S("")}
    else:
        body["Key"] = {"id": S("")}
    if action == "Update":
        body.update(UpdateExpression="SET x = :v", ExpressionAttributeValues={":v": S("x")})
    if action == "ConditionCheck":
        body["ConditionExpression"] = "attribute_not_exists(id)"
    # [conf] "... empty-string Key: top-level empty-value message"
    assert_client_error(ddb.transact_write_items, "ValidationException",
                        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                        "contain an empty string value. Key: id", TransactItems=[{action: body}])


def test_consumed_capacity_is_twice_the_write_units_per_table(ddb, tables):
    a, b = tables
    big = "x" * 1500  # 2 write units
    out = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("cap1"), "p": S(big)}}},
        {"Put": {"TableName": b, "Item": {"pk": S("cap"), "sk": N(1)}}},
        {"Put": {"TableName": a, "Item": {"id": S("cap2")}}},
    ])
    assert out["ConsumedCapacity"] == [
        {"TableName": a, "CapacityUnits": 6.0, "WriteCapacityUnits": 6.0},
        {"TableName": b, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0},
    ]
    out = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", ReturnItemCollectionMetrics="SIZE",
                                   TransactItems=[{"Delete": {"TableName": b, "Key": {"pk": S("cap"), "sk": N(1)}}}])
    assert out["ConsumedCapacity"] == [{"TableName": b, "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0,
                                        "Table": {"CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}}]


def test_same_key_in_two_tables_is_two_items(ddb):
    a = create_table(ddb)
    c = create_table(ddb)
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("same")}}},
        {"Put": {"TableName": c, "Item": {"id": S("same")}}}])
    assert get(ddb, a, {"id": S("same")}) and get(ddb, c, {"id": S("same")})


def test_unknown_members_of_an_action_are_ignored(raw, ddb, tables):
    a, _ = tables
    r = raw.call("TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": a, "Item": {"id": S("unk")}, "ReturnValues": "ALL_NEW",
                 "Expected": {"id": {"Exists": True}}}}]})
    assert r.status == 200 and r.json == {}, r
    assert get(ddb, a, {"id": S("unk")}) == {"id": S("unk")}


def test_100_actions_are_accepted(ddb, tables):
    a, _ = tables
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S(f"hundred-{i}")}}} for i in range(100)])
    assert get(ddb, a, {"id": S("hundred-99")})


# ---------------------------------------------------------------------------
# TransactWriteItems: request errors


def test_two_actions_on_one_item_is_a_validation_exception(ddb, tables):
    a, b = tables
    # [conf] "duplicate target keys in same transaction: full multi-op error"
    assert_client_error(ddb.transact_write_items, "ValidationException", MULTIPLE, TransactItems=[
        {"Put": {"TableName": a, "Item": {"id": S("dup")}}},
        {"Put": {"TableName": a, "Item": {"id": S("dup")}}}])
    assert_client_error(ddb.transact_write_items, "ValidationException", MULTIPLE, TransactItems=[
        {"ConditionCheck": {"TableName": b, "Key": {"pk": S("d"), "sk": N("1.0")},
                            "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": b, "Key": {"pk": S("d"), "sk": N(1)}, "UpdateExpression": "SET x = :v",
                    "ExpressionAttributeValues": {":v": S("x")}}}])
    assert get(ddb, a, {"id": S("dup")}) is None


def test_more_than_100_actions(ddb_unchecked, tables):
    a, _ = tables
    # [conf] "> 100 actions": the service's newer wording names the member
    assert_client_error(ddb_unchecked.transact_write_items, "ValidationException",
                        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
                        "Member must have length less than or equal to 100",
                        TransactItems=[{"Put": {"TableName": a, "Item": {"id": S(f"x{i}")}}} for i in range(101)])


def test_empty_transact_items(ddb_unchecked):
    # [conf] "empty TransactItems: full minimum-length error"
    assert_client_error(ddb_unchecked.transact_write_items, "ValidationException",
                        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
                        "Member must have length greater than or equal to 1", TransactItems=[])


def test_missing_transact_items(raw):
    r = raw.call("TransactWriteItems", {})
    assert r.status == 400 and r.error_type == "ValidationException"
    assert r.message == ("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: "
                         "Member must not be null")


@pytest.mark.parametrize("item", [{}, {"Put": None}, "both"])
def test_action_must_hold_exactly_one_operation(raw, tables, item):
    a, _ = tables
    if item == "both":
        item = {"Put": {"TableName": a, "Item": {"id": S("1")}},
                "Delete": {"TableName": a, "Key": {"id": S("2")}}}
    # [moto] TransactWriteSingleOpException
    r = raw.call("TransactWriteItems", {"TransactItems": [item]})
    assert r.status == 400 and r.error_type == "ValidationException", r
    assert r.message == "TransactItems can only contain one of Check, Put, Update or Delete"


def test_missing_table(ddb, tables):
    # [conf] "non-existent table: full ResourceNotFoundException message"
    assert_client_error(ddb.transact_write_items, "ResourceNotFoundException", "Requested resource not found",
                        TransactItems=[{"Put": {"TableName": "no-such-table-tx", "Item": {"id": S("x")}}}])


def test_bad_table_name_and_missing_members_are_reported_together(ddb_unchecked):
    code, msg, _ = client_error(ddb_unchecked.transact_write_items, TransactItems=[
        {"Put": {"TableName": "a!"}}, {"Update": {"TableName": "abc", "Key": {"id": S("x")}}}])
    assert code == "ValidationException"
    assert msg == ("4 validation errors detected: "
                   "Value null at 'transactItems.1.member.put.item' failed to satisfy constraint: "
                   "Member must not be null; "
                   "Value 'a!' at 'transactItems.1.member.put.tableName' failed to satisfy constraint: "
                   "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; "
                   "Value 'a!' at 'transactItems.1.member.put.tableName' failed to satisfy constraint: "
                   "Member must have length greater than or equal to 3; "
                   "Value null at 'transactItems.2.member.update.updateExpression' failed to satisfy constraint: "
                   "Member must not be null")


def test_enum_errors_are_reported_together_in_member_order(ddb_unchecked, tables):
    a, _ = tables
    rcc = ("Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: "
           "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]")
    ricm = ("Value 'BOGUS2' at 'returnItemCollectionMetrics' failed to satisfy constraint: "
            "Member must satisfy enum value set: [SIZE, NONE]")
    token = "x" * 37
    tok = (f"Value '{token}' at 'clientRequestToken' failed to satisfy constraint: "
           "Member must have length less than or equal to 36")
    items = [{"Put": {"TableName": a, "Item": {"id": S("vo-tx")}}},
             {"Delete": {"TableName": a, "Key": {"id": S("vo-tx")}}}]
    # [conf] validation-ordering/transactions.test.ts: member constraints first, all together,
    # the token ahead of the enums, ahead of duplicate targets and missing tables
    assert_client_error(ddb_unchecked.transact_write_items, "ValidationException",
                        f"2 validation errors detected: {rcc}; {ricm}", TransactItems=items,
                        ReturnConsumedCapacity="BOGUS", ReturnItemCollectionMetrics="BOGUS2")
    assert_client_error(ddb_unchecked.transact_write_items, "ValidationException",
                        f"2 validation errors detected: {tok}; {rcc}", TransactItems=items,
                        ClientRequestToken=token, ReturnConsumedCapacity="BOGUS")
    assert get(ddb_unchecked, a, {"id": S("vo-tx")}) is None


def test_action_validation_comes_before_any_table_lookup(ddb, tables):
    a, _ = tables
    missing = {"Put": {"TableName": "no-such-table-tx", "Item": {"id": S("a")}}}
    bad_cond = {"ConditionCheck": {"TableName": a, "Key": {"id": S("cc")},
                                   "ConditionExpression": "attribute_not_exists("}}
    unused = {"ConditionCheck": {"TableName": a, "Key": {"id": S("cc")},
                                 "ConditionExpression": "attribute_not_exists(id)",
                                 "ExpressionAttributeValues": {":v": S("x")}}}
    # [conf] "reports a malformed condition on a later action ahead of a missing table on an earlier one"
    assert_client_error(ddb.transact_write_items, "ValidationException",
                        'Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "("',
                        TransactItems=[missing, bad_cond])
    # [conf] "reports an unused value ahead of a missing table / a duplicate target"
    unused_msg = "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
    assert_client_error(ddb.transact_write_items, "ValidationException", unused_msg,
                        TransactItems=[missing, unused])
    assert_client_error(ddb.transact_write_items, "ValidationException", unused_msg,
                        TransactItems=[{"Put": {"TableName": a, "Item": {"id": S("cc")}}}, unused])


def test_update_of_a_key_attribute(ddb, tables):
    a, _ = tables
    msg, reasons = cancel_info(ddb.transact_write_items, TransactItems=[
        {"Update": {"TableName": a, "Key": {"id": S("k")}, "UpdateExpression": "SET id = :v",
                    "ExpressionAttributeValues": {":v": S("x")}}}])
    assert msg == CANCELLED.format("ValidationError")
    assert reasons[0]["Message"] == ("One or more parameter values were invalid: Cannot update attribute id. "
                                     "This attribute is part of the key")


def test_aggregate_size_over_4mb(ddb, tables):
    a, _ = tables
    blob = "x" * 390_000
    items = [{"Put": {"TableName": a, "Item": {"id": S(f"big{i}"), "p": S(blob)}}} for i in range(11)]
    # [api] "The aggregate size of the items in the transaction cannot exceed 4 MB"; wording as
    # dynoxide's conformance-tested emulator reports it
    assert_client_error(ddb.transact_write_items, "ValidationException",
                        "Collection size of items exceeded, which can also be caused by the aggregate size of the "
                        "items in the transaction exceeding the 4MB limit", TransactItems=items)
    assert get(ddb, a, {"id": S("big0")}) is None
    ddb.transact_write_items(TransactItems=items[:10])  # 3.9 MB is fine
    assert get(ddb, a, {"id": S("big9")})["p"] == S(blob)


def test_item_too_large(ddb, tables):
    a, _ = tables
    assert_client_error(ddb.transact_write_items, "ValidationException",
                        "Item size has exceeded the maximum allowed size",
                        TransactItems=[{"Put": {"TableName": a, "Item": {"id": S("huge"), "p": S("x" * 409600)}}}])


# ---------------------------------------------------------------------------
# ClientRequestToken


def counter_tx(table, key, token=None, by=1):
    kw = {"TransactItems": [{"Update": {"TableName": table, "Key": {"id": S(key)}, "UpdateExpression": "ADD n :by",
                                        "ExpressionAttributeValues": {":by": N(by)}}}]}
    if token:
        kw["ClientRequestToken"] = token
    return kw


def test_same_token_and_request_applies_once(ddb, tables):
    a, _ = tables
    token = str(uuid.uuid4())
    ddb.transact_write_items(**counter_tx(a, "idem", token))
    out = ddb.transact_write_items(ReturnConsumedCapacity="TOTAL", **counter_tx(a, "idem", token))
    assert get(ddb, a, {"id": S("idem")})["n"] == N(1)
    # [api] ClientRequestToken: a retry returns the read capacity units consumed in reading the item
    assert out["ConsumedCapacity"] == [{"TableName": a, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}]
    # the same request with another token is a new transaction
    ddb.transact_write_items(**counter_tx(a, "idem", str(uuid.uuid4())))
    assert get(ddb, a, {"id": S("idem")})["n"] == N(2)


def test_same_token_with_another_request_is_a_mismatch(ddb, tables):
    a, _ = tables
    token = str(uuid.uuid4())
    ddb.transact_write_items(**counter_tx(a, "idem2", token))
    code, msg, _ = client_error(ddb.transact_write_items, **counter_tx(a, "idem2", token, by=2))
    assert code == "IdempotentParameterMismatchException"
    assert msg == ("DynamoDB rejected the request because you retried a request with a different payload but "
                   "with an idempotent token that was already used.")
    assert get(ddb, a, {"id": S("idem2")})["n"] == N(1)


def test_a_cancelled_transaction_does_not_use_its_token(ddb, tables):
    a, _ = tables
    token = str(uuid.uuid4())
    kw = {"ClientRequestToken": token, "TransactItems": [
        {"Put": {"TableName": a, "Item": {"id": S("late")}, "ConditionExpression": "attribute_exists(id)"}}]}
    cancel_info(ddb.transact_write_items, **kw)
    ddb.put_item(TableName=a, Item={"id": S("late"), "first": S("yes")})
    ddb.transact_write_items(**kw)  # the retry runs, and now succeeds
    assert get(ddb, a, {"id": S("late")}) == {"id": S("late")}


def test_token_survives_restart_and_expires(make_server, monkeypatch):
    monkeypatch.setenv("PORTICO_TXN_TOKEN_WINDOW_MS", "1500")
    srv = make_server()
    cl = make_client(srv.endpoint)
    t = create_table(cl)
    token = str(uuid.uuid4())
    cl.transact_write_items(**counter_tx(t, "r", token))
    srv.restart()
    cl = make_client(srv.endpoint)
    cl.transact_write_items(**counter_tx(t, "r", token))
    assert get(cl, t, {"id": S("r")})["n"] == N(1)
    assert client_error(cl.transact_write_items, **counter_tx(t, "r", token, by=3))[0] == \
        "IdempotentParameterMismatchException"
    time.sleep(1.7)
    # after the window the token is new again, with any request
    cl.transact_write_items(**counter_tx(t, "r", token, by=3))
    assert get(cl, t, {"id": S("r")})["n"] == N(4)
    cl.transact_write_items(**counter_tx(t, "r", token, by=3))
    assert get(cl, t, {"id": S("r")})["n"] == N(4)


# ---------------------------------------------------------------------------
# TransactGetItems


def test_get_returns_one_response_per_get_in_order(ddb, tables):
    a, b = tables
    ddb.put_item(TableName=a, Item={"id": S("g1"), "x": N(1), "m": {"M": {"in": S("v"), "out": S("w")}}})
    ddb.put_item(TableName=b, Item={"pk": S("g2"), "sk": N(2), "y": S("yy")})
    out = ddb.transact_get_items(ReturnConsumedCapacity="TOTAL", TransactItems=[
        {"Get": {"TableName": b, "Key": {"pk": S("g2"), "sk": N(2)}}},
        {"Get": {"TableName": a, "Key": {"id": S("absent")}}},
        {"Get": {"TableName": a, "Key": {"id": S("g1")}, "ProjectionExpression": "#m.#i, x",
                 "ExpressionAttributeNames": {"#m": "m", "#i": "in"}}},
    ])
    assert out["Responses"] == [
        {"Item": {"pk": S("g2"), "sk": N(2), "y": S("yy")}},
        {},
        {"Item": {"x": N(1), "m": {"M": {"in": S("v")}}}},
    ]
    assert out["ConsumedCapacity"] == [
        {"TableName": b, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0},
        {"TableName": a, "CapacityUnits": 4.0, "ReadCapacityUnits": 4.0},
    ]


def test_get_errors(ddb, ddb_unchecked, tables):
    a, _ = tables
    # [conf] transactGetItems.test.ts
    assert_client_error(ddb.transact_get_items, "ResourceNotFoundException", "Requested resource not found",
                        TransactItems=[{"Get": {"TableName": "no-such-table-tx", "Key": {"id": S("x")}}}])
    assert_client_error(ddb.transact_get_items, "ValidationException",
                        'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"',
                        TransactItems=[{"Get": {"TableName": a, "Key": {"id": S("x")}, "ProjectionExpression": "!!!"}}])
    assert_client_error(ddb_unchecked.transact_get_items, "ValidationException",
                        "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
                        "Member must have length greater than or equal to 1", TransactItems=[])
    assert_client_error(ddb_unchecked.transact_get_items, "ValidationException",
                        "1 validation error detected: Value at 'TransactItems' failed to satisfy constraint: "
                        "Member must have length less than or equal to 100",
                        TransactItems=[{"Get": {"TableName": a, "Key": {"id": S(f"k{i}")}}} for i in range(101)])
    assert_client_error(ddb.transact_get_items, "ValidationException", MULTIPLE, TransactItems=[
        {"Get": {"TableName": a, "Key": {"id": S("x")}}}, {"Get": {"TableName": a, "Key": {"id": S("x")}}}])
    assert_client_error(ddb.transact_get_items, "ValidationException",
                        "ExpressionAttributeNames can only be specified when using expressions",
                        TransactItems=[{"Get": {"TableName": a, "Key": {"id": S("x")},
                                                "ExpressionAttributeNames": {"#a": "a"}}}])
    assert_client_error(ddb_unchecked.transact_get_items, "ValidationException",
                        "1 validation error detected: Value null at 'transactItems.1.member.get' failed to satisfy "
                        "constraint: Member must not be null", TransactItems=[{}])
    # [conf] "missing key attribute: action-level ValidationError surfaces as TransactionCanceledException"
    msg, reasons = cancel_info(ddb.transact_get_items, TransactItems=[
        {"Get": {"TableName": a, "Key": {"id": S("x")}}}, {"Get": {"TableName": a, "Key": {}}}])
    assert msg == CANCELLED.format("None, ValidationError")
    assert reasons == [{"Code": "None"},
                       {"Code": "ValidationError", "Message": "The provided key element does not match the schema"}]


def test_100_gets(ddb, tables):
    a, _ = tables
    out = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": a, "Key": {"id": S(f"hundred-{i}")}}}
                                                for i in range(100)])
    assert out["Responses"] == [{"Item": {"id": S(f"hundred-{i}")}} for i in range(100)]


# ---------------------------------------------------------------------------
# Isolation under concurrency

ACCOUNTS = 10
START = 1000


def test_transfers_never_change_the_total_seen_by_transactional_readers(server, ddb):
    t = create_table(ddb)
    for i in range(ACCOUNTS):
        ddb.put_item(TableName=t, Item={"id": S(f"acct{i}"), "bal": N(START)})
    writers, readers, per_writer = 12, 6, 40
    stop = threading.Event()
    done = {"transfers": 0, "cancelled": 0, "reads": 0}
    lock = threading.Lock()
    keys = [{"id": S(f"acct{i}")} for i in range(ACCOUNTS)]

    def writer(idx):
        cl = make_client(server.endpoint)
        for n in range(per_writer):
            src, dst = (idx + n) % ACCOUNTS, (idx * 7 + n * 3 + 1) % ACCOUNTS
            if src == dst:
                dst = (dst + 1) % ACCOUNTS
            amt = 1 + (idx * n) % 300
            try:
                cl.transact_write_items(TransactItems=[
                    {"Update": {"TableName": t, "Key": keys[src], "UpdateExpression": "SET bal = bal - :a",
                                "ConditionExpression": "bal >= :a", "ExpressionAttributeValues": {":a": N(amt)}}},
                    {"Update": {"TableName": t, "Key": keys[dst], "UpdateExpression": "SET bal = bal + :a",
                                "ExpressionAttributeValues": {":a": N(amt)}}}])
                with lock:
                    done["transfers"] += 1
            except Exception as e:  # noqa: BLE001
                code = getattr(e, "response", {}).get("Error", {}).get("Code")
                assert code == "TransactionCanceledException", e
                with lock:
                    done["cancelled"] += 1

    def reader(idx):
        cl = make_client(server.endpoint)
        while not stop.is_set():
            resp = cl.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": k}} for k in keys])
            bals = [int(r["Item"]["bal"]["N"]) for r in resp["Responses"]]
            assert sum(bals) == ACCOUNTS * START, bals
            assert min(bals) >= 0, bals
            with lock:
                done["reads"] += 1

    reader_threads = [threading.Thread(target=lambda i=i: _guard(reader, i, errors)) for i in range(readers)]
    errors = []
    for th in reader_threads:
        th.start()
    try:
        run_threads(writers, writer)
    finally:
        stop.set()
        for th in reader_threads:
            th.join(timeout=60)
    assert not errors, errors[:3]
    assert done["transfers"] + done["cancelled"] == writers * per_writer
    assert done["transfers"] > 0 and done["reads"] > 0, done
    final = [int(get(ddb, t, k)["bal"]["N"]) for k in keys]
    assert sum(final) == ACCOUNTS * START


def _guard(fn, idx, errors):
    try:
        fn(idx)
    except BaseException as e:  # noqa: BLE001
        errors.append((idx, e))


def test_conditional_increments_lose_no_update(server, ddb):
    """Optimistic concurrency through transactions: read version, write version+1 only if unchanged."""
    t = create_table(ddb)
    ddb.put_item(TableName=t, Item={"id": S("ctr"), "v": N(0)})
    ddb.put_item(TableName=t, Item={"id": S("log-count"), "c": N(0)})
    threads, per_thread = 10, 15

    def worker(idx):
        cl = make_client(server.endpoint)
        for _ in range(per_thread):
            while True:
                cur = int(cl.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": {"id": S("ctr")}}}])
                          ["Responses"][0]["Item"]["v"]["N"])
                try:
                    cl.transact_write_items(TransactItems=[
                        {"Update": {"TableName": t, "Key": {"id": S("ctr")}, "UpdateExpression": "SET v = :new",
                                    "ConditionExpression": "v = :cur",
                                    "ExpressionAttributeValues": {":cur": N(cur), ":new": N(cur + 1)}}},
                        {"Update": {"TableName": t, "Key": {"id": S("log-count")}, "UpdateExpression": "ADD c :one",
                                    "ExpressionAttributeValues": {":one": N(1)}}}])
                    break
                except Exception as e:  # noqa: BLE001
                    assert getattr(e, "response", {}).get("Error", {}).get("Code") == \
                        "TransactionCanceledException", e

    run_threads(threads, worker)
    assert get(ddb, t, {"id": S("ctr")})["v"] == N(threads * per_thread)
    # the second action of every successful transaction applied exactly once, no more
    assert get(ddb, t, {"id": S("log-count")})["c"] == N(threads * per_thread)


def test_batch_get_never_sees_half_a_transaction(server, ddb):
    """Writers flip two items together; snapshot readers (BatchGetItem, TransactGetItems) see them agree."""
    t = create_table(ddb)
    ddb.put_item(TableName=t, Item={"id": S("left"), "gen": N(0)})
    ddb.put_item(TableName=t, Item={"id": S("right"), "gen": N(0)})
    stop = threading.Event()
    errors = []

    def flipper(idx):
        cl = make_client(server.endpoint)
        for _ in range(60):
            cl.transact_write_items(TransactItems=[
                {"Update": {"TableName": t, "Key": {"id": S(side)}, "UpdateExpression": "ADD gen :one",
                            "ExpressionAttributeValues": {":one": N(1)}}} for side in ("left", "right")])

    def checker(idx):
        cl = make_client(server.endpoint)
        while not stop.is_set():
            got = cl.batch_get_item(RequestItems={t: {"Keys": [{"id": S("left")}, {"id": S("right")}]}})
            gens = {i["id"]["S"]: i["gen"]["N"] for i in got["Responses"][t]}
            assert gens["left"] == gens["right"], gens

    checkers = [threading.Thread(target=_guard, args=(checker, i, errors)) for i in range(3)]
    for th in checkers:
        th.start()
    try:
        run_threads(6, flipper)
    finally:
        stop.set()
        for th in checkers:
            th.join(timeout=60)
    assert not errors, errors[:3]
    assert get(ddb, t, {"id": S("left")})["gen"] == N(360)
