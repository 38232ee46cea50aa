"""Secondary indexes: CreateTable with LSIs/GSIs, DescribeTable, index
maintenance on every write, Query and Scan with IndexName.

Expected messages are DynamoDB's, from dynalite (validations/createTable.js,
actions/query.js, actions/scan.js, db/index.js validateItem) and, where dynalite
has none, as the service answers (cited inline).
"""

import pytest
from boto3.dynamodb.types import Binary

from conftest import assert_client_error, unique_name

INVALID = "One or more parameter values were invalid: "


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def gsi(name, hash_key, range_key=None, projection="ALL", include=None):
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    proj = {"ProjectionType": projection}
    if include:
        proj["NonKeyAttributes"] = include
    return {"IndexName": name, "KeySchema": ks, "Projection": proj}


def lsi(name, table_hash, range_key, projection="ALL", include=None):
    return gsi(name, table_hash, range_key, projection, include)


def defs(*pairs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in pairs]


def make_table(ddb, attrs, keys, lsis=None, gsis=None, billing="PAY_PER_REQUEST"):
    name = unique_name("ix")
    kw = dict(TableName=name, AttributeDefinitions=defs(*attrs),
              KeySchema=[{"AttributeName": keys[0], "KeyType": "HASH"}] +
              ([{"AttributeName": keys[1], "KeyType": "RANGE"}] if len(keys) > 1 else []),
              BillingMode=billing)
    if billing == "PROVISIONED":
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        for g in gsis or []:
            g.setdefault("ProvisionedThroughput", {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})
    if lsis:
        kw["LocalSecondaryIndexes"] = lsis
    if gsis:
        kw["GlobalSecondaryIndexes"] = gsis
    desc = ddb.create_table(**kw)["TableDescription"]
    return name, desc


@pytest.fixture
def shop(ddb):
    """pk/sk table with an LSI on (pk, price N), a GSI on (category, price)
    projecting KEYS_ONLY, an INCLUDE GSI on status, and an ALL GSI on email."""
    name, _ = make_table(
        ddb, [("pk", "S"), ("sk", "S"), ("price", "N"), ("category", "S"), ("status", "S"), ("email", "S")],
        ["pk", "sk"],
        lsis=[lsi("by_price", "pk", "price", "INCLUDE", ["title"])],
        gsis=[gsi("by_category", "category", "price", "KEYS_ONLY"),
              gsi("by_status", "status", None, "INCLUDE", ["title"]),
              gsi("by_email", "email")])
    return name


# ---------------------------------------------------------------------------
# CreateTable / DescribeTable


def test_create_table_with_indexes_describes_them(ddb):
    name, desc = make_table(
        ddb, [("pk", "S"), ("sk", "S"), ("n", "N"), ("g", "B")], ["pk", "sk"],
        lsis=[lsi("lsi1", "pk", "n", "KEYS_ONLY")],
        gsis=[gsi("gsi1x", "g", "n", "INCLUDE", ["a", "b"])], billing="PROVISIONED")
    for d in (desc, ddb.describe_table(TableName=name)["Table"]):
        (l,) = d["LocalSecondaryIndexes"]
        assert l["IndexName"] == "lsi1"
        assert l["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "n", "KeyType": "RANGE"}]
        assert l["Projection"] == {"ProjectionType": "KEYS_ONLY"}
        assert l["ItemCount"] == 0 and l["IndexSizeBytes"] == 0
        assert l["IndexArn"] == f"arn:aws:dynamodb:us-east-1:000000000000:table/{name}/index/lsi1"
        assert "IndexStatus" not in l
        (g,) = d["GlobalSecondaryIndexes"]
        assert g["IndexName"] == "gsi1x"
        assert g["IndexStatus"] == "ACTIVE"
        assert g["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a", "b"]}
        assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 2
        assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 3
        assert g["IndexArn"].endswith(f"table/{name}/index/gsi1x")
        assert len(d["AttributeDefinitions"]) == 4


def test_indexes_survive_restart(make_server):
    from conftest import make_client
    srv = make_server()
    ddb = make_client(srv.endpoint)
    name, _ = make_table(ddb, [("pk", "S"), ("g", "S")], ["pk"], gsis=[gsi("gsi1x", "g")])
    ddb.put_item(TableName=name, Item={"pk": S("1"), "g": S("x")})
    srv.restart()
    ddb = make_client(srv.endpoint)
    d = ddb.describe_table(TableName=name)["Table"]
    assert d["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1x"
    assert d["GlobalSecondaryIndexes"][0]["ItemCount"] == 1
    r = ddb.query(TableName=name, IndexName="gsi1x", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("x")})
    assert r["Items"] == [{"pk": S("1"), "g": S("x")}]


CREATE_ERRORS = [
    # (attrs, keys, lsis, gsis, billing, message)
    ([("pk", "S"), ("n", "N")], ["pk"], [lsi("lsi1", "pk", "n")], None, "PAY_PER_REQUEST",
     INVALID + "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex"),
    ([("pk", "S"), ("sk", "S")], ["pk", "sk"], [], None, "PAY_PER_REQUEST",
     INVALID + "List of LocalSecondaryIndexes is empty"),
    ([("pk", "S"), ("sk", "S")], ["pk", "sk"], [lsi("lsi1", "pk", "zz")], None, "PAY_PER_REQUEST",
     INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [pk, zz], "
     "AttributeDefinitions: [pk, sk]"),
    ([("pk", "S"), ("sk", "S")], ["pk", "sk"], [gsi("lsi1", "pk")], None, "PAY_PER_REQUEST",
     INVALID + "Index KeySchema does not have a range key for index: lsi1"),
    ([("pk", "S"), ("sk", "S"), ("o", "S")], ["pk", "sk"], [lsi("lsi1", "o", "sk")], None, "PAY_PER_REQUEST",
     INVALID + "Index KeySchema does not have the same leading hash key as table KeySchema for index: lsi1. "
     "index hash key: o, table hash key: pk"),
    ([("pk", "S"), ("sk", "S"), ("o", "S")], ["pk", "sk"], [lsi("lsi1", "pk", "o", "ALL", ["x"])], None,
     "PAY_PER_REQUEST", INVALID + "ProjectionType is ALL, but NonKeyAttributes is specified"),
    ([("pk", "S"), ("sk", "S"), ("o", "S")], ["pk", "sk"], [lsi("lsi1", "pk", "o"), lsi("lsi1", "pk", "o")], None,
     "PAY_PER_REQUEST", INVALID + "Duplicate index name: lsi1"),
    ([("pk", "S"), ("sk", "S"), ("o", "S")], ["pk", "sk"], [lsi(f"lsi{i}", "pk", "o") for i in range(6)], None,
     "PAY_PER_REQUEST", INVALID + "Number of LocalSecondaryIndexes exceeds per-table limit of 5"),
    ([("pk", "S")], ["pk"], None, [], "PAY_PER_REQUEST", INVALID + "List of GlobalSecondaryIndexes is empty"),
    ([("pk", "S"), ("g", "S")], ["pk"], None, [gsi("gsi1x", "g", "g")], "PAY_PER_REQUEST",
     "Both the Hash Key and the Range Key element in the KeySchema have the same name"),
    ([("pk", "S"), ("g", "S")], ["pk"], None, [gsi("gsi1x", "g"), gsi("gsi1x", "g")], "PAY_PER_REQUEST",
     INVALID + "Duplicate index name: gsi1x"),
    ([("pk", "S"), ("g", "S")], ["pk"], None, [gsi(f"gsi{i:02d}", "g") for i in range(21)], "PAY_PER_REQUEST",
     INVALID + "GlobalSecondaryIndex count exceeds the per-table limit of 20"),
    # the service's answer (aws-cli issue 6137 / awsdocs issue 246)
    ([("pk", "S"), ("g", "S")], ["pk"], None, [gsi("gsi1x", "g")], "PROVISIONED",
     INVALID + "ProvisionedThroughput is not specified for index: gsi1x"),
    ([("pk", "S"), ("g", "S")], ["pk"], None,
     [dict(gsi("gsi1x", "g"), ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})],
     "PAY_PER_REQUEST",
     INVALID + "ProvisionedThroughput should not be specified for index: gsi1x when BillingMode is PAY_PER_REQUEST"),
    # the service's answer (cfn-lint issue 1037)
    ([("pk", "S"), ("g", "S"), ("u", "S")], ["pk"], None, [gsi("gsi1x", "g")], "PAY_PER_REQUEST",
     INVALID + "Some AttributeDefinitions are not used. AttributeDefinitions: [pk, g, u], keys used: [pk, g]"),
]


@pytest.mark.parametrize("attrs,keys,lsis,gsis,billing,message", CREATE_ERRORS)
def test_create_table_index_validation(ddb_unchecked, attrs, keys, lsis, gsis, billing, message):
    kw = dict(TableName=unique_name("ix"), AttributeDefinitions=defs(*attrs),
              KeySchema=[{"AttributeName": keys[0], "KeyType": "HASH"}] +
              ([{"AttributeName": keys[1], "KeyType": "RANGE"}] if len(keys) > 1 else []),
              BillingMode=billing)
    if billing == "PROVISIONED":
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    if lsis is not None:
        kw["LocalSecondaryIndexes"] = lsis
    if gsis is not None:
        kw["GlobalSecondaryIndexes"] = gsis
    assert_client_error(ddb_unchecked.create_table, "ValidationException", message, **kw)


def test_create_table_index_projection_type_required(raw):
    r = raw.call("CreateTable", {
        "TableName": unique_name("ix"), "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": defs(("pk", "S"), ("g", "S")),
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "gsi1x", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                    "Projection": {}}]})
    assert r.status == 400
    assert r.error_type == "ValidationException"
    assert r.message == INVALID + "Unknown ProjectionType: null"


# ---------------------------------------------------------------------------
# maintenance


def index_items(ddb, table, index, **kw):
    items, start = [], None
    while True:
        args = dict(TableName=table, IndexName=index, **kw)
        if start:
            args["ExclusiveStartKey"] = start
        r = ddb.scan(**args)
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items


def test_projections_keys_only_include_all(ddb, shop):
    item = {"pk": S("p1"), "sk": S("s1"), "price": N(5), "category": S("toys"), "status": S("new"),
            "email": S("a@x"), "title": S("car"), "secret": S("x")}
    ddb.put_item(TableName=shop, Item=item)
    assert index_items(ddb, shop, "by_category") == [
        {"pk": S("p1"), "sk": S("s1"), "price": N(5), "category": S("toys")}]
    assert index_items(ddb, shop, "by_status") == [
        {"pk": S("p1"), "sk": S("s1"), "status": S("new"), "title": S("car")}]
    assert index_items(ddb, shop, "by_email") == [item]
    assert index_items(ddb, shop, "by_price") == [
        {"pk": S("p1"), "sk": S("s1"), "price": N(5), "title": S("car")}]


def test_sparse_index_and_entries_follow_updates_and_deletes(ddb, shop):
    ddb.put_item(TableName=shop, Item={"pk": S("a"), "sk": S("1"), "status": S("open")})
    ddb.put_item(TableName=shop, Item={"pk": S("a"), "sk": S("2")})
    assert [i["sk"] for i in index_items(ddb, shop, "by_status")] == [S("1")]
    assert index_items(ddb, shop, "by_category") == []
    ddb.update_item(TableName=shop, Key={"pk": S("a"), "sk": S("2")}, UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": S("open")})
    ddb.update_item(TableName=shop, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET #s = :s",
                    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": S("closed")})
    r = ddb.query(TableName=shop, IndexName="by_status", KeyConditionExpression="#s = :s",
                  ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": S("open")})
    assert [i["sk"] for i in r["Items"]] == [S("2")]
    ddb.update_item(TableName=shop, Key={"pk": S("a"), "sk": S("2")}, UpdateExpression="REMOVE #s",
                    ExpressionAttributeNames={"#s": "status"})
    ddb.delete_item(TableName=shop, Key={"pk": S("a"), "sk": S("1")})
    assert index_items(ddb, shop, "by_status") == []
    d = ddb.describe_table(TableName=shop)["Table"]
    counts = {g["IndexName"]: (g["ItemCount"], g["IndexSizeBytes"]) for g in d["GlobalSecondaryIndexes"]}
    assert counts["by_status"] == (0, 0)


def test_index_statistics(ddb, shop):
    ddb.put_item(TableName=shop, Item={"pk": S("a"), "sk": S("1"), "status": S("x"), "title": S("t")})
    ddb.put_item(TableName=shop, Item={"pk": S("a"), "sk": S("2"), "status": S("y"), "other": S("zzzz")})
    d = ddb.describe_table(TableName=shop)["Table"]
    g = {x["IndexName"]: x for x in d["GlobalSecondaryIndexes"]}
    assert g["by_status"]["ItemCount"] == 2
    # projected sizes: pk(2+1) sk(2+1) status(6+1) [title(5+1)]
    assert g["by_status"]["IndexSizeBytes"] == (3 + 3 + 7 + 6) + (3 + 3 + 7)
    assert g["by_email"]["ItemCount"] == 0


def test_wrong_index_key_type_is_rejected(ddb, shop):
    assert_client_error(
        ddb.put_item, "ValidationException",
        INVALID + "Type mismatch for Index Key category Expected: S Actual: N IndexName: by_category",
        TableName=shop, Item={"pk": S("a"), "sk": S("1"), "category": N(1)})
    assert_client_error(
        ddb.put_item, "ValidationException",
        INVALID + "Type mismatch for Index Key price Expected: N Actual: S IndexName: by_category",
        TableName=shop, Item={"pk": S("a"), "sk": S("1"), "price": S("cheap")})
    assert_client_error(
        ddb.update_item, "ValidationException",
        INVALID + "Type mismatch for Index Key email Expected: S Actual: N IndexName: by_email",
        TableName=shop, Key={"pk": S("a"), "sk": S("1")}, UpdateExpression="SET email = :e",
        ExpressionAttributeValues={":e": N(3)})
    assert_client_error(
        ddb.batch_write_item, "ValidationException",
        INVALID + "Type mismatch for Index Key status Expected: S Actual: BOOL IndexName: by_status",
        RequestItems={shop: [{"PutRequest": {"Item": {"pk": S("a"), "sk": S("1"), "status": {"BOOL": True}}}}]})
    assert ddb.scan(TableName=shop)["Count"] == 0


def test_empty_string_index_key_is_rejected(ddb, shop):
    assert_client_error(
        ddb.put_item, "ValidationException",
        "One or more parameter values are not valid. A value specified for a secondary index key is not "
        "supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: "
        "by_email, IndexKey: email",
        TableName=shop, Item={"pk": S("a"), "sk": S("1"), "email": S("")})


# ---------------------------------------------------------------------------
# Query on indexes


@pytest.fixture
def overloaded(ddb):
    """Single-table design: pk/sk plus an overloaded GSI on (gsi1pk, gsi1sk)."""
    name, _ = make_table(ddb, [("pk", "S"), ("sk", "S"), ("gsi1pk", "S"), ("gsi1sk", "S")], ["pk", "sk"],
                         gsis=[gsi("gsi1", "gsi1pk", "gsi1sk")])
    rows = [
        ("USER#1", "PROFILE", "ORG#a", "USER#1"),
        ("USER#2", "PROFILE", "ORG#a", "USER#2"),
        ("USER#3", "PROFILE", "ORG#b", "USER#3"),
        ("ORDER#9", "ORDER#9", "USER#1", "ORDER#2021-01-02"),
        ("ORDER#8", "ORDER#8", "USER#1", "ORDER#2020-05-01"),
        ("ORG#a", "META", None, None),
    ]
    for pk, sk, gpk, gsk in rows:
        item = {"pk": S(pk), "sk": S(sk)}
        if gpk:
            item["gsi1pk"] = S(gpk)
            item["gsi1sk"] = S(gsk)
        ddb.put_item(TableName=name, Item=item)
    return name


def test_overloaded_gsi_single_table_design(ddb, overloaded):
    r = ddb.query(TableName=overloaded, IndexName="gsi1", KeyConditionExpression="gsi1pk = :o",
                  ExpressionAttributeValues={":o": S("ORG#a")})
    assert [i["pk"]["S"] for i in r["Items"]] == ["USER#1", "USER#2"]
    r = ddb.query(TableName=overloaded, IndexName="gsi1",
                  KeyConditionExpression="gsi1pk = :u AND begins_with(gsi1sk, :p)",
                  ExpressionAttributeValues={":u": S("USER#1"), ":p": S("ORDER#")}, ScanIndexForward=False)
    assert [i["gsi1sk"]["S"] for i in r["Items"]] == ["ORDER#2021-01-02", "ORDER#2020-05-01"]
    r = ddb.query(TableName=overloaded, IndexName="gsi1",
                  KeyConditionExpression="gsi1pk = :u AND gsi1sk = :s",
                  ExpressionAttributeValues={":u": S("USER#1"), ":s": S("ORDER#2020-05-01")})
    assert [i["pk"]["S"] for i in r["Items"]] == ["ORDER#8"]
    assert ddb.scan(TableName=overloaded, IndexName="gsi1")["Count"] == 5


def test_many_items_sharing_a_gsi_key_ordered_by_table_key_and_paginated(ddb):
    name, _ = make_table(ddb, [("pk", "S"), ("sk", "N"), ("g", "S"), ("gs", "N")], ["pk", "sk"],
                         gsis=[gsi("gsi1x", "g", "gs")])
    for i in range(30):
        ddb.put_item(TableName=name, Item={"pk": S(f"p{i % 7}"), "sk": N(i), "g": S("same"), "gs": N(i % 3)})
    got, start, pages = [], None, 0
    while True:
        kw = dict(TableName=name, IndexName="gsi1x", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("same")}, Limit=4)
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.query(**kw)
        pages += 1
        got += r["Items"]
        start = r.get("LastEvaluatedKey")
        if start:
            assert set(start) == {"pk", "sk", "g", "gs"}
        else:
            break
    assert pages == 8
    assert len(got) == 30
    # index sort key first, then ties by table key (pk bytewise, then sk numerically)
    expected = sorted(range(30), key=lambda i: (i % 3, f"p{i % 7}", i))
    assert [int(i["sk"]["N"]) for i in got] == expected


def test_numeric_and_binary_index_keys(ddb):
    name, _ = make_table(ddb, [("pk", "S"), ("b", "B"), ("n", "N")], ["pk"], gsis=[gsi("bnx", "b", "n")])
    for i, v in enumerate([-5, 10, 2.5, 100, -0.1]):
        ddb.put_item(TableName=name, Item={"pk": S(str(i)), "b": {"B": b"\x00\x01"}, "n": N(v)})
    r = ddb.query(TableName=name, IndexName="bnx", KeyConditionExpression="b = :b AND n BETWEEN :lo AND :hi",
                  ExpressionAttributeValues={":b": {"B": b"\x00\x01"}, ":lo": N(-1), ":hi": N(10)})
    assert [i["n"]["N"] for i in r["Items"]] == ["-0.1", "2.5", "10"]
    r = ddb.query(TableName=name, IndexName="bnx", KeyConditionExpression="b = :b AND n > :x",
                  ExpressionAttributeValues={":b": {"B": b"\x00\x01"}, ":x": N(10)})
    assert [i["n"]["N"] for i in r["Items"]] == ["100"]
    r = ddb.query(TableName=name, IndexName="bnx", KeyConditionExpression="b = :b AND n <= :x",
                  ExpressionAttributeValues={":b": {"B": b"\x00\x01"}, ":x": N(-0.1)})
    assert [i["n"]["N"] for i in r["Items"]] == ["-5", "-0.1"]


def test_lsi_query_and_fetch_of_unprojected_attributes(ddb, shop):
    for i, price in enumerate([30, 10, 20]):
        ddb.put_item(TableName=shop, Item={"pk": S("p"), "sk": S(f"s{i}"), "price": N(price), "title": S(f"t{i}"),
                                           "secret": S(f"x{i}")})
    r = ddb.query(TableName=shop, IndexName="by_price", KeyConditionExpression="pk = :p AND price >= :m",
                  ExpressionAttributeValues={":p": S("p"), ":m": N(20)})
    assert [i["price"]["N"] for i in r["Items"]] == ["20", "30"]
    assert "secret" not in r["Items"][0]
    r = ddb.query(TableName=shop, IndexName="by_price", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("p")}, Select="ALL_ATTRIBUTES", ConsistentRead=True)
    assert [i["secret"]["S"] for i in r["Items"]] == ["x1", "x2", "x0"]
    r = ddb.query(TableName=shop, IndexName="by_price", KeyConditionExpression="pk = :p",
                  ExpressionAttributeValues={":p": S("p")}, ProjectionExpression="secret")
    assert [i for i in r["Items"]] == [{"secret": S("x1")}, {"secret": S("x2")}, {"secret": S("x0")}]


def test_query_index_errors(ddb, ddb_unchecked, shop):
    q = dict(TableName=shop, KeyConditionExpression="category = :c", ExpressionAttributeValues={":c": S("x")})
    assert_client_error(ddb.query, "ValidationException", "The table does not have the specified index: nope",
                        IndexName="nope", **q)
    assert_client_error(ddb.query, "ValidationException",
                        "Consistent reads are not supported on global secondary indexes",
                        IndexName="by_category", ConsistentRead=True, **q)
    assert_client_error(ddb.query, "ValidationException",
                        INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index "
                        "by_category because its projection type is not ALL",
                        IndexName="by_category", Select="ALL_ATTRIBUTES", **q)
    assert_client_error(ddb.query, "ValidationException", "Query condition missed key schema element: status",
                        IndexName="by_status", **q)
    assert_client_error(ddb.query, "ValidationException", "The provided starting key is invalid",
                        IndexName="by_category", ExclusiveStartKey={"pk": S("a"), "sk": S("b")}, **q)
    assert_client_error(
        ddb.query, "ValidationException",
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: price",
        IndexName="by_category", FilterExpression="price > :c", **q)
    assert_client_error(ddb.scan, "ValidationException",
                        "Consistent reads are not supported on global secondary indexes",
                        TableName=shop, IndexName="by_email", ConsistentRead=True)


def test_query_index_consumed_capacity_indexes(ddb, overloaded):
    r = ddb.query(TableName=overloaded, IndexName="gsi1", KeyConditionExpression="gsi1pk = :o",
                  ExpressionAttributeValues={":o": S("ORG#a")}, ReturnConsumedCapacity="INDEXES")
    cc = r["ConsumedCapacity"]
    assert cc["TableName"] == overloaded
    assert cc["CapacityUnits"] == 0.5
    assert cc["Table"]["CapacityUnits"] == 0
    assert cc["GlobalSecondaryIndexes"] == {"gsi1": {"CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}}


# ---------------------------------------------------------------------------
# Scan on indexes


def test_parallel_scan_of_an_index_covers_it_once(ddb):
    name, _ = make_table(ddb, [("pk", "S"), ("g", "S")], ["pk"], gsis=[gsi("gsi1x", "g", None, "KEYS_ONLY")])
    for i in range(200):
        item = {"pk": S(f"k{i}"), "x": N(i)}
        if i % 2:
            item["g"] = S(f"g{i % 13}")
        ddb.put_item(TableName=name, Item=item)
    seen = []
    for seg in range(4):
        seen += index_items(ddb, name, "gsi1x", Segment=seg, TotalSegments=4, Limit=7)
    assert sorted(i["pk"]["S"] for i in seen) == sorted(f"k{i}" for i in range(200) if i % 2)
    assert all(set(i) == {"pk", "g"} for i in seen)
