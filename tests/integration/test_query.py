"""Query: key conditions (KeyConditionExpression and the legacy KeyConditions) on N, S
and B sort keys, DynamoDB's sort orders, ScanIndexForward, Limit, pagination with
ExclusiveStartKey / LastEvaluatedKey, 1 MB pages, Select, filters, projections and every
validation error.

Sources: dynalite (mhart/dynalite) validations/query.js, validations/index.js
(validateExpressionParams, validateConditions), actions/query.js, db/index.js
(queryTable: Limit counts items read before the filter; a page stopped by Limit or 1 MB
carries LastEvaluatedKey even when nothing follows) — its messages were recorded against
DynamoDB; the AWS API reference for Query; Select/projection messages as observed on the
real service (Query reports them with a "1 validation error detected: " prefix).
"""

from decimal import Decimal

import pytest

from conftest import assert_client_error, assert_raw_error, create_table

NUMS = ["-1e10", "-3", "-0.5", "0", "1e-5", "0.5", "2", "10", "10.5", "1e20"]
STRS = ["a", "a\x00b", "ab", "b", "z", "é", "\uff61", "\ufffd", "\U00010000", "\U0001f600", "日本"]
BINS = [b"\x00", b"\x00\x00", b"\x00\x01", b"\x01", b"a", b"\xff", b"\xff\x00"]
PK = "p"


def n_key(v):
    return Decimal(v)


def s_key(v):
    return v.encode("utf-8")


def sort_av(typ, v):
    if typ == "N":
        return {"N": v}
    if typ == "S":
        return {"S": v}
    return {"B": v}


@pytest.fixture(scope="module")
def tables(ddb):
    """One table per sort key type, each with partition PK holding every value and a
    neighbour partition that must never leak into PK's results."""
    out = {}
    for typ, vals in (("N", NUMS), ("S", STRS), ("B", BINS)):
        name = create_table(ddb, ("pk", "S"), ("sk", typ))
        for v in vals:
            ddb.put_item(TableName=name, Item={"pk": {"S": PK}, "sk": sort_av(typ, v), "v": {"S": "x"}})
            ddb.put_item(TableName=name, Item={"pk": {"S": PK + "2"}, "sk": sort_av(typ, v)})
        ddb.put_item(TableName=name, Item={"pk": {"S": "o"}, "sk": sort_av(typ, vals[0])})
        out[typ] = name
    return out


SORTED = {
    "N": sorted(NUMS, key=n_key),
    "S": sorted(STRS, key=s_key),
    "B": sorted(BINS),
}
KEYF = {"N": n_key, "S": s_key, "B": bytes}


def returned(typ, items):
    vals = [i["sk"][typ] for i in items]
    if typ == "N":
        return [Decimal(v) for v in vals]
    return vals


def expected(typ, vals):
    if typ == "N":
        return [Decimal(v) for v in vals]
    return list(vals)


OPS = {
    "EQ": ("=", lambda k, a, b: k == a),
    "LT": ("<", lambda k, a, b: k < a),
    "LE": ("<=", lambda k, a, b: k <= a),
    "GT": (">", lambda k, a, b: k > a),
    "GE": (">=", lambda k, a, b: k >= a),
    "BETWEEN": (None, lambda k, a, b: a <= k <= b),
}

# (type, operand(s)) picked to hit boundaries: negative, zero, fractions, exponents,
# multi-byte UTF-8 whose byte order differs from UTF-16 order, bytes 0x00 and 0xFF.
OPERANDS = {
    "N": [("-0.5",), ("0",), ("1e-5",), ("10",), ("-1e10",), ("1e20",), ("0.25",)],
    "S": [("a",), ("ab",), ("\ufffd",), ("\U00010000",), ("é",), ("a\x00",)],
    "B": [(b"\x00",), (b"\x00\x00",), (b"\xff",), (b"\x00\x01",)],
}
BETWEENS = {
    "N": [("-1e10", "0"), ("-0.5", "1e-5"), ("1e-5", "1e20"), ("0", "0")],
    "S": [("a", "b"), ("é", "\U0001f600"), ("\ufffd", "\U00010000")],
    "B": [(b"\x00", b"\x01"), (b"\x00\x01", b"\xff")],
}


def query_legacy(ddb, table, typ, op, vals, **kw):
    conds = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": PK}]}}
    if op:
        conds["sk"] = {"ComparisonOperator": op, "AttributeValueList": [sort_av(typ, v) for v in vals]}
    return ddb.query(TableName=table, KeyConditions=conds, **kw)


def query_expr(ddb, table, typ, op, vals, **kw):
    values = {":p": {"S": PK}}
    expr = "pk = :p"
    if op == "BETWEEN":
        expr += " AND sk BETWEEN :a AND :b"
        values[":a"], values[":b"] = sort_av(typ, vals[0]), sort_av(typ, vals[1])
    elif op == "BEGINS_WITH":
        expr += " AND begins_with(sk, :a)"
        values[":a"] = sort_av(typ, vals[0])
    elif op:
        expr += f" AND sk {OPS[op][0]} :a"
        values[":a"] = sort_av(typ, vals[0])
    return ddb.query(TableName=table, KeyConditionExpression=expr, ExpressionAttributeValues=values, **kw)


STYLES = {"legacy": query_legacy, "expr": query_expr}


def cases():
    for typ in ("N", "S", "B"):
        for op in ("EQ", "LT", "LE", "GT", "GE"):
            for vals in OPERANDS[typ]:
                yield typ, op, vals
        for vals in BETWEENS[typ]:
            yield typ, "BETWEEN", vals


@pytest.mark.parametrize("style", ["legacy", "expr"])
@pytest.mark.parametrize("typ,op,vals", list(cases()))
@pytest.mark.parametrize("forward", [True, False])
def test_sort_key_condition_returns_exactly_the_matching_items_in_order(ddb, tables, style, typ, op, vals,
                                                                        forward):
    r = STYLES[style](ddb, tables[typ], typ, op, vals, ScanIndexForward=forward)
    k = KEYF[typ]
    a = k(vals[0])
    b = k(vals[1]) if len(vals) > 1 else None
    want = [v for v in SORTED[typ] if OPS[op][1](k(v), a, b)]
    if not forward:
        want.reverse()
    assert returned(typ, r["Items"]) == expected(typ, want)
    assert r["Count"] == r["ScannedCount"] == len(want)
    assert "LastEvaluatedKey" not in r
    assert all(i["pk"] == {"S": PK} for i in r["Items"])


BEGINS = {
    "S": ["a", "a\x00", "é", "\U0001f600", "日", "z", "q", "\ufffd"],
    "B": [b"\x00", b"\x00\x00", b"\xff", b"a", b"\x02"],
}


@pytest.mark.parametrize("style", ["legacy", "expr"])
@pytest.mark.parametrize("typ,prefix", [(t, p) for t in BEGINS for p in BEGINS[t]])
def test_begins_with_on_string_and_binary_sort_keys(ddb, tables, style, typ, prefix):
    r = STYLES[style](ddb, tables[typ], typ, "BEGINS_WITH", (prefix,))
    k = KEYF[typ]
    want = [v for v in SORTED[typ] if k(v).startswith(k(prefix))]
    assert returned(typ, r["Items"]) == expected(typ, want)
    r = STYLES[style](ddb, tables[typ], typ, "BEGINS_WITH", (prefix,), ScanIndexForward=False)
    assert returned(typ, r["Items"]) == expected(typ, want[::-1])


@pytest.mark.parametrize("typ", ["N", "S", "B"])
def test_partition_only_query_returns_the_partition_in_sort_order(ddb, tables, typ):
    r = query_legacy(ddb, tables[typ], typ, None, ())
    assert returned(typ, r["Items"]) == expected(typ, SORTED[typ])
    r = query_legacy(ddb, tables[typ], typ, None, (), ScanIndexForward=False)
    assert returned(typ, r["Items"]) == expected(typ, SORTED[typ][::-1])


def test_numbers_come_back_normalised(ddb, tables):
    r = query_legacy(ddb, tables["N"], "N", "EQ", ("1e-5",))
    assert r["Items"][0]["sk"] == {"N": "0.00001"}
    r = query_legacy(ddb, tables["N"], "N", "EQ", ("1e20",))
    assert r["Items"][0]["sk"] == {"N": "100000000000000000000"}


def test_query_of_missing_partition_is_empty(ddb, tables):
    r = ddb.query(TableName=tables["S"],
                  KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "nope"}]}})
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in r


def test_hash_only_table_query_returns_the_one_item(ddb):
    t = create_table(ddb, ("id", "N"))
    for i in range(5):
        ddb.put_item(TableName=t, Item={"id": {"N": str(i)}, "v": {"N": str(i * 2)}})
    r = ddb.query(TableName=t, KeyConditionExpression="id = :v", ExpressionAttributeValues={":v": {"N": "3"}})
    assert r["Items"] == [{"id": {"N": "3"}, "v": {"N": "6"}}]
    r = ddb.query(TableName=t, KeyConditions={"id": {"ComparisonOperator": "EQ",
                                                      "AttributeValueList": [{"N": "3.0"}]}})
    assert r["Items"] == [{"id": {"N": "3"}, "v": {"N": "6"}}]


# ---------------------------------------------------------------------------
# pagination

@pytest.fixture(scope="module")
def big(ddb):
    t = create_table(ddb, ("pk", "S"), ("sk", "N"))
    for i in range(60):
        ddb.put_item(TableName=t, Item={"pk": {"S": "x"}, "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1},
                                        "n": {"N": str(i % 5)}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "y"}, "sk": {"N": "0"}})
    return t


def pages(ddb, **kw):
    out, start = [], None
    while True:
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.query(**kw)
        out.append(r)
        start = r.get("LastEvaluatedKey")
        if not start:
            return out
        assert len(out) < 1000


KX = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [1, 7, 59, 60, 61])
def test_pagination_visits_every_item_once_in_order(ddb, big, forward, limit):
    ps = pages(ddb, TableName=big, KeyConditions=KX, Limit=limit, ScanIndexForward=forward)
    got = [int(i["sk"]["N"]) for p in ps for i in p["Items"]]
    assert got == (list(range(60)) if forward else list(range(59, -1, -1)))
    for p in ps[:-1]:
        assert p["Count"] == p["ScannedCount"] == limit
        last = p["Items"][-1]
        assert p["LastEvaluatedKey"] == {"pk": last["pk"], "sk": last["sk"]}
    # DynamoDB does not look ahead: a page that stops at exactly the last item still
    # carries a LastEvaluatedKey, and the next page is empty without one.
    if 60 % limit == 0:
        assert ps[-1]["Items"] == [] and ps[-1]["Count"] == 0
        assert "LastEvaluatedKey" in ps[-2]
    assert "LastEvaluatedKey" not in ps[-1]


def test_limit_equal_to_remaining_items_returns_last_evaluated_key(ddb, big):
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=60)
    assert r["Count"] == 60
    assert r["LastEvaluatedKey"] == {"pk": {"S": "x"}, "sk": {"N": "59"}}
    r = ddb.query(TableName=big, KeyConditions=KX, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert r["Items"] == [] and r["ScannedCount"] == 0 and "LastEvaluatedKey" not in r


def test_limit_counts_items_read_before_the_filter(ddb, big):
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                  ExpressionAttributeValues={":p": {"S": "x"}, ":t": {"BOOL": True}}, Limit=10)
    assert r["ScannedCount"] == 10
    assert r["Count"] == 5
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [1, 3, 5, 7, 9]
    assert r["LastEvaluatedKey"] == {"pk": {"S": "x"}, "sk": {"N": "9"}}


def test_filtered_pagination_returns_every_match_once(ddb, big):
    kw = dict(TableName=big, KeyConditionExpression="pk = :p AND sk >= :lo", FilterExpression="n = :two",
              ExpressionAttributeValues={":p": {"S": "x"}, ":lo": {"N": "5"}, ":two": {"N": "2"}})
    for limit in (1, 3, 8):
        ps = pages(ddb, Limit=limit, **kw)
        got = [int(i["sk"]["N"]) for p in ps for i in p["Items"]]
        assert got == [i for i in range(5, 60) if i % 5 == 2]
        assert sum(p["ScannedCount"] for p in ps) == 55


def test_page_that_filters_everything_still_paginates(ddb, big):
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", FilterExpression="n = :nine",
                  ExpressionAttributeValues={":p": {"S": "x"}, ":nine": {"N": "9"}}, Limit=4)
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 4
    assert r["LastEvaluatedKey"] == {"pk": {"S": "x"}, "sk": {"N": "3"}}


def test_legacy_query_filter(ddb, big):
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=10,
                  QueryFilter={"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "0"}]}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [0, 5]
    assert r["ScannedCount"] == 10
    both = {"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]},
            "odd": {"ComparisonOperator": "NOT_NULL"}}
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=10, QueryFilter=both)
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [1, 6]
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=10, QueryFilter=both, ConditionalOperator="OR")
    assert r["Count"] == 10


def test_exclusive_start_key_need_not_be_an_existing_item(ddb, big):
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=3,
                  ExclusiveStartKey={"pk": {"S": "x"}, "sk": {"N": "10.5"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [11, 12, 13]
    r = ddb.query(TableName=big, KeyConditions=KX, Limit=3, ScanIndexForward=False,
                  ExclusiveStartKey={"pk": {"S": "x"}, "sk": {"N": "10.5"}})
    assert [int(i["sk"]["N"]) for i in r["Items"]] == [10, 9, 8]


def test_pages_stop_at_one_megabyte_of_items_read(ddb):
    t = create_table(ddb, ("pk", "S"), ("sk", "N"))
    blob = "x" * 100_000
    for i in range(15):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "data": {"S": blob}})
    # item size: "pk"+"p" (3) + "sk"+N(2 bytes for 1 digit, 3 for 2) + "data"+100000
    r = ddb.query(TableName=t, KeyConditions={"pk": {"ComparisonOperator": "EQ",
                                                      "AttributeValueList": [{"S": "p"}]}})
    # 10 items read = ~1,000,100 bytes < 1 MB, so an 11th is read and crosses it.
    assert r["Count"] == r["ScannedCount"] == 11
    assert r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "10"}}
    r2 = ddb.query(TableName=t, KeyConditions={"pk": {"ComparisonOperator": "EQ",
                                                       "AttributeValueList": [{"S": "p"}]}},
                   ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [int(i["sk"]["N"]) for i in r2["Items"]] == [11, 12, 13, 14]
    assert "LastEvaluatedKey" not in r2
    # COUNT reads the same items: the 1 MB rule is about data read, not returned.
    r3 = ddb.query(TableName=t, Select="COUNT", KeyConditions={"pk": {"ComparisonOperator": "EQ",
                                                                       "AttributeValueList": [{"S": "p"}]}})
    assert r3["Count"] == 11 and "Items" not in r3 and "LastEvaluatedKey" in r3


# ---------------------------------------------------------------------------
# Select and projections

def test_select_count_returns_counts_only(ddb, big, raw):
    r = raw.call("Query", {"TableName": big, "KeyConditions": KX, "Select": "COUNT"})
    assert r.status == 200
    assert r.json == {"Count": 60, "ScannedCount": 60}


def test_select_all_attributes_and_specific_attributes(ddb, big):
    r = ddb.query(TableName=big, KeyConditions=KX, Select="ALL_ATTRIBUTES", Limit=1)
    assert r["Items"] == [{"pk": {"S": "x"}, "sk": {"N": "0"}, "odd": {"BOOL": False}, "n": {"N": "0"}}]
    r = ddb.query(TableName=big, KeyConditions=KX, Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["n", "zz"],
                  Limit=2)
    assert r["Items"] == [{"n": {"N": "0"}}, {"n": {"N": "1"}}]
    r = ddb.query(TableName=big, KeyConditions=KX, AttributesToGet=["sk"], Limit=1)
    assert r["Items"] == [{"sk": {"N": "0"}}]
    # the LastEvaluatedKey is the full key even when the projection drops it
    assert r["LastEvaluatedKey"] == {"pk": {"S": "x"}, "sk": {"N": "0"}}


def test_projection_expression(ddb, big):
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", ProjectionExpression="#n, odd",
                  ExpressionAttributeNames={"#n": "n"}, ExpressionAttributeValues={":p": {"S": "x"}}, Limit=2)
    assert r["Items"] == [{"n": {"N": "0"}, "odd": {"BOOL": False}}, {"n": {"N": "1"}, "odd": {"BOOL": True}}]
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", ProjectionExpression="sk",
                  Select="SPECIFIC_ATTRIBUTES", ExpressionAttributeValues={":p": {"S": "x"}}, Limit=1)
    assert r["Items"] == [{"sk": {"N": "0"}}]


def test_count_with_filter_counts_matches(ddb, big):
    r = ddb.query(TableName=big, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                  ExpressionAttributeValues={":p": {"S": "x"}, ":t": {"BOOL": True}}, Select="COUNT")
    assert r["Count"] == 30 and r["ScannedCount"] == 60 and "Items" not in r


def test_consistent_read_is_accepted(ddb, big):
    r = ddb.query(TableName=big, KeyConditions=KX, ConsistentRead=True, Limit=1)
    assert r["Count"] == 1


# ---------------------------------------------------------------------------
# errors

def kc(op="EQ", *vals):
    return {"ComparisonOperator": op, "AttributeValueList": list(vals)}


@pytest.fixture(scope="module")
def rt(ddb):
    """pk (S) + sk (N)."""
    return create_table(ddb, ("pk", "S"), ("sk", "N"))


@pytest.fixture(scope="module")
def ht(ddb):
    """id (S) only."""
    return create_table(ddb, ("id", "S"))


PFX = "One or more parameter values were invalid: "


@pytest.mark.parametrize("conds,msg", [
    ({"sk": kc("EQ", {"N": "1"})}, "Query condition missed key schema element: pk"),
    ({"pk": kc("EQ", {"S": "a"}), "x": kc("EQ", {"S": "a"})}, "Query condition missed key schema element: sk"),
    ({"pk": kc("GT", {"S": "a"})}, "Query key condition not supported"),
    ({"pk": kc("BEGINS_WITH", {"S": "a"})}, "Query key condition not supported"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("NE", {"N": "1"})},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("IN", {"N": "1"})},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("NOT_NULL")},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("CONTAINS", {"N": "1"})},
     "Attempted conditional constraint is not an indexable operation"),
    ({"pk": kc("EQ", {"N": "1"})}, PFX + "Condition parameter type does not match schema type"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("EQ", {"S": "1"})},
     PFX + "Condition parameter type does not match schema type"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("EQ")}, PFX + "Invalid number of argument(s) for the EQ ComparisonOperator"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("BETWEEN", {"N": "1"})},
     PFX + "Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("BETWEEN", {"N": "1"}, {"S": "2"})},
     PFX + "AttributeValues inside AttributeValueList must be of same type"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("BEGINS_WITH", {"N": "1"})},
     PFX + "ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("LT", {"SS": ["1"]})},
     PFX + "ComparisonOperator LT is not valid for SS AttributeValue type"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("BETWEEN", {"N": "2"}, {"N": "1"})},
     "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("EQ", {"N": "1"}), "z": kc("EQ", {"N": "1"})},
     "Conditions can be of length 1 or 2 only"),
    ({}, "Conditions can be of length 1 or 2 only"),
])
def test_key_conditions_errors(raw, rt, conds, msg):
    assert_raw_error(raw.call("Query", {"TableName": rt, "KeyConditions": conds}), "ValidationException", msg)


def test_hash_only_table_with_two_conditions(raw, ht):
    r = raw.call("Query", {"TableName": ht, "KeyConditions": {"id": kc("EQ", {"S": "a"}),
                                                               "x": kc("EQ", {"S": "a"})}})
    assert_raw_error(r, "ValidationException", "Query key condition not supported")


@pytest.mark.parametrize("expr,values,msg", [
    ("pk = :a OR pk = :b", {":a": {"S": "a"}, ":b": {"S": "b"}}, "Invalid operator used in KeyConditionExpression: OR"),
    ("sk = :n", {":n": {"N": "1"}}, "Query condition missed key schema element: pk"),
    ("pk = :a AND pk = :b", {":a": {"S": "a"}, ":b": {"S": "b"}},
     "KeyConditionExpressions must only contain one condition per key"),
    ("pk = :a AND attribute_exists(sk)", {":a": {"S": "a"}},
     "Invalid operator used in KeyConditionExpression: attribute_exists"),
    ("pk = :a AND sk <> :n", {":a": {"S": "a"}, ":n": {"N": "1"}},
     "Invalid operator used in KeyConditionExpression: <>"),
])
def test_key_condition_expression_errors(raw, rt, expr, values, msg):
    r = raw.call("Query", {"TableName": rt, "KeyConditionExpression": expr, "ExpressionAttributeValues": values})
    assert_raw_error(r, "ValidationException", msg)


@pytest.mark.parametrize("body,msg", [
    ({}, "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."),
    ({"KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}},
      "AttributesToGet": ["a"]},
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {AttributesToGet} Expression parameters: {KeyConditionExpression}"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "KeyConditionExpression": "pk = :a",
      "ExpressionAttributeValues": {":a": {"S": "a"}}},
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {KeyConditions} Expression parameters: {KeyConditionExpression}"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "ExpressionAttributeValues": {":a": {"S": "a"}}},
     "ExpressionAttributeValues can only be specified when using expressions: "
     "FilterExpression and KeyConditionExpression are null"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "AttributesToGet": ["a", "b", "a"]},
     PFX + "Duplicate value in attribute name: a"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "Select": "COUNT", "AttributesToGet": ["a"]},
     "1 validation error detected: Cannot specify the AttributesToGet when choosing to get only the Count"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "Select": "ALL_ATTRIBUTES", "AttributesToGet": ["a"]},
     "1 validation error detected: Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "Select": "SPECIFIC_ATTRIBUTES"},
     "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression when choosing "
     "to get SPECIFIC_ATTRIBUTES"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "Select": "ALL_PROJECTED_ATTRIBUTES"},
     "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"),
    ({"KeyConditionExpression": "pk = :a", "ExpressionAttributeValues": {":a": {"S": "a"}}, "Select": "COUNT",
      "ProjectionExpression": "sk"},
     "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "IndexName": "nope"},
     "The table does not have the specified index: nope"),
    ({"KeyConditions": {"pk": kc("EQ", {"S": "a"})}, "Limit": 0},
     "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
     "Member must have value greater than or equal to 1"),
])
def test_request_errors(raw, rt, body, msg):
    assert_raw_error(raw.call("Query", dict(body, TableName=rt)), "ValidationException", msg)


def test_filter_on_key_attribute_is_rejected(raw, rt):
    r = raw.call("Query", {"TableName": rt, "KeyConditions": {"pk": kc("EQ", {"S": "a"})},
                           "QueryFilter": {"sk": kc("GT", {"N": "1"})}})
    assert_raw_error(r, "ValidationException",
                     "QueryFilter can only contain non-primary key attributes: Primary key attribute: sk")
    r = raw.call("Query", {"TableName": rt, "KeyConditionExpression": "pk = :a", "FilterExpression": "pk = :a",
                           "ExpressionAttributeValues": {":a": {"S": "a"}}})
    assert_raw_error(r, "ValidationException",
                     "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk")


def test_missing_table(raw):
    r = raw.call("Query", {"TableName": "no-such-table", "KeyConditions": {"pk": kc("EQ", {"S": "a"})}})
    assert_raw_error(r, "ResourceNotFoundException", "Requested resource not found")


GOOD = {"pk": kc("EQ", {"S": "a"})}


@pytest.mark.parametrize("conds,esk,msg", [
    (GOOD, {"pk": {"S": "a"}}, "The provided starting key is invalid"),
    (GOOD, {"pk": {"S": "a"}, "x": {"N": "1"}}, "The provided starting key is invalid"),
    (GOOD, {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"N": "1"}}, "The provided starting key is invalid"),
    (GOOD, {"pk": {"N": "1"}, "sk": {"N": "1"}}, "The provided key element does not match the schema"),
    (GOOD, {"pk": {"S": ""}, "sk": {"N": "1"}},
     PFX + "The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"),
    (GOOD, {"pk": {"S": "b"}, "sk": {"N": "1"}},
     "The provided starting key is outside query boundaries based on provided conditions"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("GT", {"N": "5"})}, {"pk": {"S": "a"}, "sk": {"N": "1"}},
     "The provided starting key does not match the range key predicate"),
    ({"pk": kc("EQ", {"S": "a"}), "sk": kc("GT", {"N": "5"})}, {"pk": {"S": "b"}, "sk": {"N": "6"}},
     "The query can return at most one row and cannot be restarted"),
    (GOOD, {"pk": {"S": "a"}, "sk": {"SS": []}},
     "The provided starting key is invalid: One or more parameter values were invalid: "
     "An string set  may not be empty"),
])
def test_exclusive_start_key_errors(raw, rt, conds, esk, msg):
    r = raw.call("Query", {"TableName": rt, "KeyConditions": conds, "ExclusiveStartKey": esk})
    assert_raw_error(r, "ValidationException", msg)


def test_binary_values_round_trip_through_last_evaluated_key(ddb, tables):
    r = query_legacy(ddb, tables["B"], "B", None, (), Limit=2)
    assert r["LastEvaluatedKey"] == {"pk": {"S": PK}, "sk": {"B": SORTED["B"][1]}}
    r = query_legacy(ddb, tables["B"], "B", None, (), Limit=2, ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [i["sk"]["B"] for i in r["Items"]] == SORTED["B"][2:4]


def test_query_reads_only_the_page(ddb):
    """Cost stays proportional to the page: a Limit=1 query in a partition of 400 items
    reads exactly one item (ScannedCount), wherever the page starts."""
    t = create_table(ddb, ("pk", "S"), ("sk", "N"))
    for i in range(400):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}})
    r = ddb.query(TableName=t, KeyConditions={"pk": kc("EQ", {"S": "p"}), "sk": kc("GE", {"N": "350"})},
                  Limit=1, ReturnConsumedCapacity="TOTAL")
    assert r["ScannedCount"] == 1 and r["Items"][0]["sk"] == {"N": "350"}
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
