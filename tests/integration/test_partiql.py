"""PartiQL: ExecuteStatement, BatchExecuteStatement, ExecuteTransaction.

Expectations are DynamoDB's. Messages asserted exactly come from a conformance suite pinned against real AWS
(eu-west-2, 2026: "Duplicate primary key exists in table", "The conditional request failed" for an UPDATE of a
missing item, "Where clause does not contain a mandatory equality on all key attributes", "Requested resource not
found", the "Statement wasn't well formed, can't be processed: <detail>" parser details, the DELETE RETURNING and
index messages, batch member Codes and TableName echo) or from DynamoDB Local's ddb.partiql.shared message table
("Number of parameters in request and statement don't match."), which moto agrees with. Behaviour: AWS developer
guide ql-reference.* (which SELECTs scan, UPDATE of a missing item fails its condition), DynamoDB Local recordings
(Limit counts items evaluated; a read transaction answers {} for a missing key). Where only DynamoDB Local knows the
message (mixing reads and writes, INSERT without its key) the code alone is asserted.

botocore 1.29.27 lacks ReturnValuesOnConditionCheckFailure, so it is not exercised here.
"""

import pytest

from conftest import assert_client_error, client_error, create_table, unique_name

NOT_WELL_FORMED = "Statement wasn't well formed, can't be processed: "
NO_KEY = "Where clause does not contain a mandatory equality on all key attributes"
PARAM_COUNT = "Number of parameters in request and statement don't match."
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
NOT_FOUND = "Requested resource not found"
CCF = "The conditional request failed"


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def ex(ddb, statement, params=None, **kw):
    if params is not None:
        kw["Parameters"] = params
    return ddb.execute_statement(Statement=statement, **kw)


def get(ddb, table, **key):
    return ddb.get_item(TableName=table, Key={k: S(v) for k, v in key.items()}, ConsistentRead=True).get("Item")


def pks(items):
    return sorted(i["pk"]["S"] for i in items)


@pytest.fixture
def ht(ddb):
    """Table keyed on pk (S)."""
    return create_table(ddb, ("pk", "S"))


@pytest.fixture
def rt(ddb):
    """Table keyed on pk (S) + sk (S)."""
    return create_table(ddb, ("pk", "S"), ("sk", "S"))


# ---------------------------------------------------------------------------
# INSERT

def test_insert_then_getitem_sees_it(ddb, ht):
    out = ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'a', 'v': 'first', 'n': 1}}")
    assert out["Items"] == [], "a write answers an empty Items list"
    assert get(ddb, ht, pk="a") == {"pk": S("a"), "v": S("first"), "n": N(1)}


def test_insert_of_existing_key_is_duplicate_item_and_changes_nothing(ddb, ht):
    ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'a', 'v': 'first'}}")
    assert_client_error(ex, "DuplicateItemException", "Duplicate primary key exists in table",
                        ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'a', 'v': 'second'}}")
    assert get(ddb, ht, pk="a")["v"] == S("first"), "INSERT is not an upsert"
    ex(ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'a'")
    ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'a', 'v': 'again'}}")
    assert get(ddb, ht, pk="a")["v"] == S("again"), "INSERT works again after a DELETE"


def test_insert_without_the_key_attribute_is_rejected(ddb, rt):
    # DynamoDB Local: "Key attribute should be present in the item: Key sk" (message unverified on AWS).
    code, _, _ = client_error(ex, ddb, f"INSERT INTO \"{rt}\" VALUE {{'pk': 'a', 'v': 1}}")
    assert code == "ValidationException"
    assert ddb.scan(TableName=rt)["Items"] == []


# ---------------------------------------------------------------------------
# SELECT

def test_select_star_by_full_key_and_missing_key(ddb, rt):
    ddb.put_item(TableName=rt, Item={"pk": S("p"), "sk": S("1"), "v": S("x")})
    ddb.put_item(TableName=rt, Item={"pk": S("p"), "sk": S("2"), "v": S("y")})
    out = ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p' AND sk = '2'")
    assert out["Items"] == [{"pk": S("p"), "sk": S("2"), "v": S("y")}]
    assert ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p' AND sk = '9'")["Items"] == [], \
        "a missing key is an empty result, not an error"


def test_select_projection_lists_named_attributes_only(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("x"), "w": N(2), "m": {"M": {"k": S("deep"), "o": S("no")}}})
    ddb.put_item(TableName=ht, Item={"pk": S("b")})
    out = ex(ddb, f"SELECT v, \"w\", m.k FROM \"{ht}\" WHERE pk = 'a'")
    assert out["Items"] == [{"v": S("x"), "w": N(2), "k": S("deep")}], "a nested path comes back under its last name"
    assert ex(ddb, f"SELECT v FROM \"{ht}\" WHERE pk = 'b'")["Items"] == [{}], \
        "an item lacking every projected attribute is an empty map"


OPS_ITEMS = [
    {"pk": S("k1"), "color": S("red"), "n": N(1), "tags": {"L": [S("a"), S("b")]}, "s": S("apple pie"),
     "flag": {"BOOL": True}, "nothing": {"NULL": True}},
    {"pk": S("k2"), "color": S("blue"), "n": N(5), "tags": {"L": [S("c")]}, "s": S("banana")},
    {"pk": S("k3"), "color": S("red"), "n": N(10), "s": S("apricot"), "ss": {"SS": ["x", "y"]}},
    {"pk": S("k4"), "color": S("green"), "n": N(7), "s": S("cherry")},
]


@pytest.fixture(scope="module")
def ops_table(ddb):
    t = create_table(ddb, ("pk", "S"))
    for item in OPS_ITEMS:
        ddb.put_item(TableName=t, Item=item)
    return t


@pytest.mark.parametrize("where,expected", [
    ("color = 'red'", ["k1", "k3"]),
    ("color <> 'red'", ["k2", "k4"]),
    ("n < 5", ["k1"]),
    ("n <= 5", ["k1", "k2"]),
    ("n > 5", ["k3", "k4"]),
    ("n >= 7", ["k3", "k4"]),
    ("n BETWEEN 2 AND 7", ["k2", "k4"]),
    ("pk IN ['k1', 'k3', 'nope']", ["k1", "k3"]),
    ("pk = 'k2' OR pk = 'k4'", ["k2", "k4"]),
    ("color = 'blue' OR n = 10", ["k2", "k3"]),
    ("NOT (color = 'red')", ["k2", "k4"]),
    ("color = 'red' AND n > 1", ["k3"]),
    ("flag IS MISSING", ["k2", "k3", "k4"]),
    ("flag IS NOT MISSING", ["k1"]),
    ("nothing IS NOT MISSING AND nothing IS NULL", ["k1"]),
    ("begins_with(s, 'ap')", ["k1", "k3"]),
    ("contains(tags, 'c')", ["k2"]),
    ("contains(s, 'nan')", ["k2"]),
    ("attribute_type(ss, 'SS')", ["k3"]),
    ("size(tags) = 2", ["k1"]),
])
def test_select_where_operators(ddb, ops_table, where, expected):
    out = ex(ddb, f"SELECT pk FROM \"{ops_table}\" WHERE {where}")
    assert pks(out["Items"]) == expected, f"WHERE {where}"


def test_select_partition_with_sort_key_range_is_ordered(ddb, rt):
    for pk in ("p", "q"):
        for sk in ("a1", "a2", "b1", "b2", "c1"):
            ddb.put_item(TableName=rt, Item={"pk": S(pk), "sk": S(sk)})
    sks = lambda out: [i["sk"]["S"] for i in out["Items"]]  # noqa: E731
    assert sks(ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p'")) == ["a1", "a2", "b1", "b2", "c1"], \
        "one partition comes back in sort-key order"
    assert sks(ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p' AND sk > 'a2' AND sk <= 'b2'")) == ["b1", "b2"]
    assert sks(ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'q' AND sk BETWEEN 'a2' AND 'b1'")) == ["a2", "b1"]
    assert sks(ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p' AND begins_with(sk, 'b')")) == ["b1", "b2"]
    assert sks(ex(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p' ORDER BY sk DESC")) == ["c1", "b2", "b1", "a2", "a1"]


def test_select_from_global_index(ddb):
    t = unique_name()
    ddb.create_table(
        TableName=t, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "g")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    for pk, g in (("a", "x"), ("b", "y"), ("c", "x"), ("d", None)):
        ddb.put_item(TableName=t, Item={"pk": S(pk), **({"g": S(g)} if g else {})})
    assert pks(ex(ddb, f"SELECT * FROM \"{t}\".\"by_g\" WHERE g = 'x'")["Items"]) == ["a", "c"]
    assert pks(ex(ddb, f"SELECT pk FROM \"{t}\".\"by_g\"")["Items"]) == ["a", "b", "c"], \
        "a scan of a GSI sees only the items it indexes"
    assert_client_error(ex, "ValidationException", "The table does not have the specified index",
                        ddb, f"SELECT * FROM \"{t}\".\"nope\" WHERE g = 'x'")
    assert_client_error(ex, "ValidationException", "Strongly consistent read is not supported on Global Secondary "
                        "Indexes", ddb, f"SELECT * FROM \"{t}\".\"by_g\" WHERE g = 'x'", ConsistentRead=True)


def page_through(ddb, statement, limit):
    items, pages, token = [], 0, None
    while True:
        kw = {"Limit": limit, **({"NextToken": token} if token else {})}
        out = ex(ddb, statement, **kw)
        pages += 1
        assert len(out["Items"]) <= limit, f"page {pages} holds {len(out['Items'])} items, Limit {limit}"
        items += out["Items"]
        token = out.get("NextToken")
        if not token:
            return items, pages
        assert pages < 50, "NextToken never ends"


def test_limit_and_next_token_return_every_item_exactly_once(ddb, rt):
    for i in range(11):
        ddb.put_item(TableName=rt, Item={"pk": S(f"p{i % 3}"), "sk": S(f"{i:02d}"), "n": N(i)})
    keys = lambda items: sorted((i["pk"]["S"], i["sk"]["S"]) for i in items)  # noqa: E731
    scanned, pages = page_through(ddb, f"SELECT * FROM \"{rt}\"", 3)
    assert len(scanned) == 11 and len(set(keys(scanned))) == 11, "a scan pages through every item once"
    assert pages >= 4
    filtered, _ = page_through(ddb, f"SELECT * FROM \"{rt}\" WHERE n >= 5", 4)
    assert sorted(int(i["n"]["N"]) for i in filtered) == list(range(5, 11)), "Limit counts items read, not matched"
    part, pages = page_through(ddb, f"SELECT * FROM \"{rt}\" WHERE pk = 'p0'", 2)
    assert [i["sk"]["S"] for i in part] == ["00", "03", "06", "09"] and pages >= 2, "a query pages in sort order"


# ---------------------------------------------------------------------------
# parameters and literals

def test_parameters_of_every_type_bind_in_order(ddb, ht):
    params = [S("a"), N("12.5"), {"B": b"\x00\xff"}, {"BOOL": False}, {"NULL": True}, {"L": [S("x"), N(1)]},
              {"M": {"k": S("v")}}, {"SS": ["p", "q"]}, {"NS": ["1", "2"]}, {"BS": [b"\x01"]}]
    names = ["pk", "n", "b", "f", "z", "l", "m", "ss", "ns", "bs"]
    ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{{', '.join(f'{n!r}: ?' for n in names)}}}", params)
    item = get(ddb, ht, pk="a")
    for name, want in zip(names, params):
        got = item[name]
        if name in ("ss", "ns", "bs"):
            got, want = {k: sorted(v) for k, v in got.items()}, {k: sorted(v) for k, v in want.items()}
        assert got == want, f"parameter for {name}"
    out = ex(ddb, f"SELECT n FROM \"{ht}\" WHERE pk = ? AND n = ?", [S("a"), N("12.5")])
    assert out["Items"] == [{"n": N("12.5")}]


def test_literals_round_trip(ddb, ht):
    ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'it''s', 'i': -7, 'd': 1.50, 'f': 0.001, 't': true, 'no': false, "
            f"'z': null, 'l': [1, 'two', [3]], 'm': {{'a': {{'b': 'c'}}, 'n': 2}}, 'ss': <<'x', 'y'>>, "
            f"'ns': <<3, 1>>, 'e': ''}}")
    item = get(ddb, ht, pk="it's")
    assert item is not None, "'' inside a string literal is one quote"
    item["ss"]["SS"].sort()
    item["ns"]["NS"].sort()
    assert item == {"pk": S("it's"), "i": N(-7), "d": N("1.5"), "f": N("0.001"), "t": {"BOOL": True},
                    "no": {"BOOL": False}, "z": {"NULL": True},
                    "l": {"L": [N(1), S("two"), {"L": [N(3)]}]},
                    "m": {"M": {"a": {"M": {"b": S("c")}}, "n": N(2)}},
                    "ss": {"SS": ["x", "y"]}, "ns": {"NS": ["1", "3"]}, "e": S("")}


def test_nested_paths_in_where_select_and_update(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "m": {"M": {"b": {"L": [S("x"), S("y")]}}}})
    ddb.put_item(TableName=ht, Item={"pk": S("b"), "m": {"M": {"b": {"L": [S("q")]}}}})
    assert pks(ex(ddb, f"SELECT pk FROM \"{ht}\" WHERE m.b[0] = 'x'")["Items"]) == ["a"]
    (row,) = ex(ddb, f"SELECT m.b[1] FROM \"{ht}\" WHERE pk = 'a'")["Items"]
    assert list(row.values()) == [S("y")], f"the projected element is y: {row}"
    ex(ddb, f"UPDATE \"{ht}\" SET m.b[1] = 'z', m.c = 1 WHERE pk = 'a'")
    assert get(ddb, ht, pk="a")["m"] == {"M": {"b": {"L": [S("x"), S("z")]}, "c": N(1)}}


# ---------------------------------------------------------------------------
# UPDATE and DELETE

def test_update_set_and_remove_returning_all_new(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("old"), "n": N(1), "c": S("gone")})
    out = ex(ddb, f"UPDATE \"{ht}\" SET v = 'new', n = n + 1 REMOVE c WHERE pk = 'a' RETURNING ALL NEW *")
    want = {"pk": S("a"), "v": S("new"), "n": N(2)}
    assert out["Items"] == [want], "RETURNING ALL NEW * is the whole new item"
    assert get(ddb, ht, pk="a") == want
    assert ex(ddb, f"UPDATE \"{ht}\" SET v = 'x' WHERE pk = 'a'")["Items"] == [], "no RETURNING: no item"


def test_update_returning_all_old_and_modified(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("old"), "keep": S("same")})
    out = ex(ddb, f"UPDATE \"{ht}\" SET v = 'mid' WHERE pk = 'a' RETURNING ALL OLD *")
    assert out["Items"] == [{"pk": S("a"), "v": S("old"), "keep": S("same")}]
    out = ex(ddb, f"UPDATE \"{ht}\" SET v = 'new' WHERE pk = 'a' RETURNING MODIFIED NEW *")
    assert out["Items"] == [{"v": S("new")}], "MODIFIED returns only the changed attributes, no key"
    out = ex(ddb, f"UPDATE \"{ht}\" SET v = 'last' WHERE pk = 'a' RETURNING MODIFIED OLD *")
    assert out["Items"] == [{"v": S("new")}]


def test_update_list_append_set_add_set_delete(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "l": {"L": [S("x")]}, "s": {"SS": ["p", "q"]}})
    ex(ddb, f"UPDATE \"{ht}\" SET l = list_append(l, ['y', 'z']) SET s = set_add(s, <<'r'>>) WHERE pk = 'a'")
    ex(ddb, f"UPDATE \"{ht}\" SET s = set_delete(s, <<'p'>>) WHERE pk = 'a'")
    item = get(ddb, ht, pk="a")
    assert item["l"] == {"L": [S("x"), S("y"), S("z")]}
    assert sorted(item["s"]["SS"]) == ["q", "r"]


def test_update_of_missing_item_fails_its_condition_and_creates_nothing(ddb, rt):
    assert_client_error(ex, "ConditionalCheckFailedException", CCF,
                        ddb, f"UPDATE \"{rt}\" SET v = 1 WHERE pk = 'no' AND sk = 'such'")
    assert get(ddb, rt, pk="no", sk="such") is None, "PartiQL UPDATE is not an upsert"


def test_update_with_extra_where_condition(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "state": S("open"), "n": N(5)})
    assert_client_error(ex, "ConditionalCheckFailedException", CCF,
                        ddb, f"UPDATE \"{ht}\" SET n = 9 WHERE pk = 'a' AND \"state\" = 'closed'")
    assert get(ddb, ht, pk="a")["n"] == N(5), "a failed condition changes nothing"
    ex(ddb, f"UPDATE \"{ht}\" SET n = 9 WHERE pk = 'a' AND \"state\" = 'open' AND n < 6")
    assert get(ddb, ht, pk="a")["n"] == N(9)


def test_delete_returning_all_old_missing_item_and_condition(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("x")})
    ddb.put_item(TableName=ht, Item={"pk": S("b"), "v": S("y")})
    assert ex(ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'a' RETURNING ALL OLD *")["Items"] == [{"pk": S("a"), "v": S("x")}]
    assert get(ddb, ht, pk="a") is None
    assert ex(ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'a' RETURNING ALL OLD *")["Items"] == [], \
        "deleting a missing item succeeds with no item"
    assert_client_error(ex, "ConditionalCheckFailedException", CCF,
                        ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'b' AND v = 'z'")
    assert get(ddb, ht, pk="b") is not None
    assert ex(ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'b' AND v = 'y'")["Items"] == []
    assert get(ddb, ht, pk="b") is None


@pytest.mark.parametrize("returning", ["MODIFIED OLD *", "ALL NEW *", "MODIFIED NEW *"])
def test_delete_accepts_only_returning_all_old(ddb, ht, returning):
    ddb.put_item(TableName=ht, Item={"pk": S("a")})
    assert_client_error(ex, "ValidationException", f"Invalid returning clause: RETURNING {returning}. Only RETURNING "
                        "ALL OLD * is allowed in DELETE statements.",
                        ddb, f"DELETE FROM \"{ht}\" WHERE pk = 'a' RETURNING {returning}")
    assert get(ddb, ht, pk="a") is not None, "the rejected DELETE deleted nothing"


# ---------------------------------------------------------------------------
# BatchExecuteStatement

def test_batch_reads_by_full_key(ddb, ht, rt):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("x")})
    ddb.put_item(TableName=rt, Item={"pk": S("p"), "sk": S("1"), "w": N(1)})
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{ht}\" WHERE pk = ?", "Parameters": [S("a")]},
        {"Statement": f"SELECT w FROM \"{rt}\" WHERE pk = 'p' AND sk = '1'", "ConsistentRead": True},
        {"Statement": f"SELECT * FROM \"{ht}\" WHERE pk = 'missing'"},
        {"Statement": f"SELECT * FROM \"{ht}\" WHERE v = 'x'"},
        {"Statement": f"SELECT * FROM \"{unique_name('gone')}\" WHERE pk = 'a'"},
        {"Statement": f"SLECT * FROM \"{ht}\" WHERE pk = 'a'"},
    ])["Responses"]
    assert out[0] == {"TableName": ht, "Item": {"pk": S("a"), "v": S("x")}}
    assert out[1] == {"TableName": rt, "Item": {"w": N(1)}}
    assert out[2] == {"TableName": ht}, "a missing item has no Item"
    assert out[3]["Error"]["Code"] == "ValidationError" and "TableName" not in out[3]
    assert "must specify the primary key in the where clause" in out[3]["Error"]["Message"]
    assert out[4]["Error"]["Code"] == "ResourceNotFound"
    assert out[5]["Error"] == {"Code": "ValidationError", "Message": NOT_WELL_FORMED + "Expected data manipulation"}, \
        "a member that does not parse fails alone"


def test_batch_writes_fail_one_by_one(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("dup")})
    ddb.put_item(TableName=ht, Item={"pk": S("upd"), "n": N(1)})
    ddb.put_item(TableName=ht, Item={"pk": S("del")})
    out = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'new'}}"},
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': ?}}", "Parameters": [S("dup")]},
        {"Statement": f"UPDATE \"{ht}\" SET n = n + 1 WHERE pk = 'upd'"},
        {"Statement": f"UPDATE \"{ht}\" SET n = 1 WHERE pk = 'ghost'"},
        {"Statement": f"DELETE FROM \"{ht}\" WHERE pk = 'del' RETURNING ALL OLD *"},
    ])["Responses"]
    assert out[0] == {"TableName": ht}
    assert (out[1]["Error"]["Code"], out[1].get("TableName")) == ("DuplicateItem", ht)
    assert out[2] == {"TableName": ht}
    assert (out[3]["Error"]["Code"], out[3].get("TableName")) == ("ConditionalCheckFailed", ht)
    assert out[4] == {"TableName": ht, "Item": {"pk": S("del")}}, "batch honours RETURNING"
    assert get(ddb, ht, pk="new") == {"pk": S("new")} and get(ddb, ht, pk="upd")["n"] == N(2)
    assert get(ddb, ht, pk="del") is None and get(ddb, ht, pk="ghost") is None


# ---------------------------------------------------------------------------
# ExecuteTransaction

def test_transaction_writes_are_all_or_nothing(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("e"), "n": N(1)})
    stmts = [{"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'new'}}"},
             {"Statement": f"UPDATE \"{ht}\" SET n = n + 1 WHERE pk = ?", "Parameters": [S("e")]},
             {"Statement": f"UPDATE \"{ht}\" SET n = 1 WHERE pk = 'ghost'"}]
    code, msg, exc = client_error(ddb.execute_transaction, TransactStatements=stmts)
    assert code == "TransactionCanceledException", msg
    assert msg == CANCELLED.format("None, None, ConditionalCheckFailed")
    reasons = exc.response.get("CancellationReasons")
    assert [r["Code"] for r in reasons] == ["None", "None", "ConditionalCheckFailed"], reasons
    assert get(ddb, ht, pk="new") is None and get(ddb, ht, pk="e")["n"] == N(1), "nothing was applied"
    ddb.execute_transaction(TransactStatements=stmts[:2])
    assert get(ddb, ht, pk="new") == {"pk": S("new")} and get(ddb, ht, pk="e")["n"] == N(2)


def test_transaction_duplicate_insert_cancels(ddb, ht):
    ddb.put_item(TableName=ht, Item={"pk": S("dup"), "v": S("orig")})
    code, msg, _ = client_error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'dup', 'v': 'x'}}"},
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'other'}}"}])
    assert code == "TransactionCanceledException", msg
    assert get(ddb, ht, pk="other") is None and get(ddb, ht, pk="dup")["v"] == S("orig")


def test_transaction_reads_answer_in_order(ddb, ht, rt):
    ddb.put_item(TableName=ht, Item={"pk": S("a"), "v": S("x")})
    ddb.put_item(TableName=rt, Item={"pk": S("p"), "sk": S("1"), "w": N(1), "o": S("other")})
    out = ddb.execute_transaction(TransactStatements=[
        {"Statement": f"SELECT w FROM \"{rt}\" WHERE pk = 'p' AND sk = '1'"},
        {"Statement": f"SELECT * FROM \"{ht}\" WHERE pk = 'missing'"},
        {"Statement": f"SELECT * FROM \"{ht}\" WHERE pk = ?", "Parameters": [S("a")]}])
    assert out["Responses"] == [{"Item": {"w": N(1)}}, {}, {"Item": {"pk": S("a"), "v": S("x")}}]


@pytest.mark.parametrize("op,member", [("batch_execute_statement", "Statements"),
                                       ("execute_transaction", "TransactStatements")])
def test_mixing_reads_and_writes_is_rejected(ddb, ht, op, member):
    # DynamoDB Local: "Read and write requests together in the same batch is not supported." /
    # "ExecuteTransaction API does not support both read and write operations in the same request."
    stmts = [{"Statement": f"SELECT * FROM \"{ht}\" WHERE pk = 'a'"},
             {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'b'}}"}]
    code, _, _ = client_error(getattr(ddb, op), **{member: stmts})
    assert code == "ValidationException"
    assert get(ddb, ht, pk="b") is None


# ---------------------------------------------------------------------------
# errors

@pytest.mark.parametrize("tail,detail", [
    ("WHERE pk = 'a' foo", "Unexpected token after expression"),
    ("WHERE pk = 'a')", "Unexpected token after expression"),
    ("WHERE", "Unexpected term"),
    ("WHERE pk = 'a' AND", "Missing right-hand side expression of infix operator"),
], ids=["trailing-token", "stray-paren", "empty-where", "dangling-and"])
def test_malformed_statement_messages(ddb, ht, tail, detail):
    assert_client_error(ex, "ValidationException", NOT_WELL_FORMED + detail, ddb, f"SELECT * FROM \"{ht}\" {tail}")


@pytest.mark.parametrize("statement", ["SELEC * FROM \"{t}\"", "DELETE \"{t}\" WHERE pk = 'a'", "SELECT * FROM \"{t}",
                                       "SELECT * FROM \"{t}\" WHERE pk = 'unterminated",
                                       "SELECT * FROM \"{t}\" WHERE pk = = 'a'"])
def test_malformed_statements_are_validation_errors(ddb, ht, statement):
    msg = assert_client_error(ex, "ValidationException", None, ddb, statement.format(t=ht))
    assert msg.startswith(NOT_WELL_FORMED), msg


@pytest.mark.parametrize("statement", ["SELECT * FROM \"{t}\" WHERE pk = 'a'",
                                       "INSERT INTO \"{t}\" VALUE {{'pk': 'a'}}",
                                       "UPDATE \"{t}\" SET v = 1 WHERE pk = 'a'",
                                       "DELETE FROM \"{t}\" WHERE pk = 'a'"])
def test_unknown_table(ddb, statement):
    assert_client_error(ex, "ResourceNotFoundException", NOT_FOUND, ddb, statement.format(t=unique_name("gone")))


def test_parameter_count_mismatch(ddb, rt):
    assert_client_error(ex, "ValidationException", PARAM_COUNT, ddb, f"SELECT * FROM \"{rt}\" WHERE pk = ?")
    assert_client_error(ex, "ValidationException", PARAM_COUNT,
                        ddb, f"SELECT * FROM \"{rt}\" WHERE pk = ? AND sk = ?", [S("a")])
    assert_client_error(ex, "ValidationException", PARAM_COUNT, ddb, f"INSERT INTO \"{rt}\" VALUE {{'pk': ?, 'sk': ?}}",
                        [S("a")])
    assert ddb.scan(TableName=rt)["Items"] == []


@pytest.mark.parametrize("statement", [
    "UPDATE \"{t}\" SET v = 1 WHERE pk = 'a'",
    "UPDATE \"{t}\" SET v = 1 WHERE v = 2",
    "UPDATE \"{t}\" SET v = 1",
    "DELETE FROM \"{t}\" WHERE pk = 'a'",
    "DELETE FROM \"{t}\" WHERE v = 2",
], ids=["update-no-sk", "update-nonkey", "update-no-where", "delete-no-sk", "delete-nonkey"])
def test_writes_need_equality_on_the_full_key(ddb, rt, statement):
    ddb.put_item(TableName=rt, Item={"pk": S("a"), "sk": S("b"), "v": N(2)})
    assert_client_error(ex, "ValidationException", NO_KEY, ddb, statement.format(t=rt))
    assert get(ddb, rt, pk="a", sk="b") == {"pk": S("a"), "sk": S("b"), "v": N(2)}, "nothing changed"



# ---------------------------------------------------------------------------
# EXISTS condition checks, aliases, LIMIT (messages pinned against AWS / DynamoDB Local's shared table)

def test_exists_is_a_condition_check_in_write_transactions(ddb, ht):
    ex(ddb, f"INSERT INTO \"{ht}\" VALUE {{'pk': 'a', 'n': 1}}")
    ddb.execute_transaction(TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{ht}\" WHERE pk = 'a' AND n = 1)"},
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'b'}}"}])
    assert get(ddb, ht, pk="b") == {"pk": S("b")}, "a true EXISTS lets the transaction apply"
    code, _, e = client_error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{ht}\" WHERE pk = 'a' AND n = 2)"},
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'c'}}"}])
    assert code == "TransactionCanceledException"
    assert [r["Code"] for r in e.response["CancellationReasons"]] == ["ConditionalCheckFailed", "None"]
    assert get(ddb, ht, pk="c") is None, "a false EXISTS cancels every statement"
    code, _, _ = client_error(ddb.execute_transaction, TransactStatements=[
        {"Statement": f"EXISTS(SELECT * FROM \"{ht}\" WHERE pk = 'ghost')"},
        {"Statement": f"INSERT INTO \"{ht}\" VALUE {{'pk': 'd'}}"}])
    assert code == "TransactionCanceledException", "EXISTS of a missing item is false"
    assert_client_error(ex, "ValidationException", "EXISTS can only be used in ExecuteTransaction write requests.",
                        ddb, f"EXISTS(SELECT * FROM \"{ht}\" WHERE pk = 'a')")


@pytest.mark.parametrize("tail,message", [
    ("t WHERE pk = 'a'", "Aliasing is not supported"),
    ("AS t", "Aliasing is not supported"),
    ("LIMIT 3", "Unsupported clause: LIMIT"),
])
def test_aliases_and_limit_clauses_are_refused(ddb, ht, tail, message):
    assert_client_error(ex, "ValidationException", message, ddb, f"SELECT * FROM \"{ht}\" {tail}")


def test_deep_or_long_conditions_are_refused_not_crashing(ddb, ht):
    deep = "(" * 40 + "pk = 'a'" + ")" * 40
    code, msg, _ = client_error(ex, ddb, f"SELECT * FROM \"{ht}\" WHERE {deep}")
    assert code == "ValidationException" and msg.startswith(NOT_WELL_FORMED), msg
    long = " OR ".join(f"v = {i}" for i in range(400))
    code, msg, _ = client_error(ex, ddb, f"SELECT * FROM \"{ht}\" WHERE {long}")
    assert code == "ValidationException", msg
    assert ex(ddb, f"SELECT * FROM \"{ht}\" WHERE " + "(" * 20 + "pk = 'a'" + ")" * 20)["Items"] == [], \
        "moderate nesting still works"
