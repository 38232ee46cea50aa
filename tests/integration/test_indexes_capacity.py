"""Secondary indexes and the write paths' answers: index write units in
ReturnConsumedCapacity (TOTAL / INDEXES) and ItemCollectionMetrics for
tables with local secondary indexes.

Unit rules (AWS developer guide, "Global secondary indexes: provisioned
throughput considerations" / "Local secondary indexes: write capacity"): a
write that puts an entry into an index, or deletes one, costs one write unit
per KB of the projected entry; an update that changes projected attributes
but not the index key costs one write of the entry; a change of the index key
costs a delete plus a put; a write that touches nothing an index projects, or
an item absent from a (sparse) index before and after, costs that index
nothing. INDEXES lists the indexes that consumed units, TOTAL adds them into
CapacityUnits. ItemCollectionMetrics: {"ItemCollectionKey": {pk},
"SizeEstimateRangeGB": [lo, hi]}, only for tables with an LSI (API reference,
PutItem ItemCollectionMetrics).
"""

import pytest

from conftest import unique_name


def S(v):
    return {"S": v}


def keys(*pairs):
    return [{"AttributeName": n, "KeyType": k} for n, k in pairs]


@pytest.fixture
def table(ddb):
    """pk/sk table; LSI by_l (pk, l) KEYS_ONLY; GSI by_g (g) ALL; GSI by_h (h)
    INCLUDE x."""
    name = unique_name("ixcap")
    ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "l", "g", "h")],
        KeySchema=keys(("pk", "HASH"), ("sk", "RANGE")),
        LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": keys(("pk", "HASH"), ("l", "RANGE")),
                                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        GlobalSecondaryIndexes=[
            {"IndexName": "by_g", "KeySchema": keys(("g", "HASH")), "Projection": {"ProjectionType": "ALL"}},
            {"IndexName": "by_h", "KeySchema": keys(("h", "HASH")),
             "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
        ])
    return name


def units(n):
    return {"CapacityUnits": n, "WriteCapacityUnits": n}


def indexes_capacity(table, table_units, lsi=None, gsi=None):
    """The INDEXES ConsumedCapacity DynamoDB answers for one write."""
    total = table_units + sum((lsi or {}).values()) + sum((gsi or {}).values())
    c = {"TableName": table, "CapacityUnits": total, "WriteCapacityUnits": total, "Table": units(table_units)}
    if lsi:
        c["LocalSecondaryIndexes"] = {k: units(v) for k, v in lsi.items()}
    if gsi:
        c["GlobalSecondaryIndexes"] = {k: units(v) for k, v in gsi.items()}
    return c


def test_put_bills_each_index_the_item_enters(ddb, table):
    item = {"pk": S("a"), "sk": S("s1"), "g": S("g1"), "l": S("l1"), "x": S("x")}
    r = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="INDEXES")
    # by_h is sparse: the item has no h, so it costs by_h nothing
    assert r["ConsumedCapacity"] == indexes_capacity(table, 1, lsi={"by_l": 1}, gsi={"by_g": 1})
    r = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
    # the same item again: no index entry changes
    assert r["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 1.0, "WriteCapacityUnits": 1.0}
    r = ddb.put_item(TableName=table, Item=dict(item, h=S("h1")), ReturnConsumedCapacity="TOTAL")
    # enters by_h; by_g (ALL) sees a changed projection; by_l (KEYS_ONLY) does not
    assert r["ConsumedCapacity"] == {"TableName": table, "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}


def test_index_units_follow_the_projected_entry_size(ddb, table):
    pad = "p" * 3000
    item = {"pk": S("a"), "sk": S("s1"), "g": S("g1"), "l": S("l1"), "h": S("h1"), "x": S("x"), "pad": S(pad)}
    r = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="INDEXES")
    # item: 3 + 4 + 3 + 3 + 3 + 2 + 3003 = 3021 bytes -> 3 units in the table
    # and in by_g (ALL); by_l (pk, sk, l) and by_h (pk, sk, h, x) are tiny
    assert r["ConsumedCapacity"] == indexes_capacity(table, 3, lsi={"by_l": 1}, gsi={"by_g": 3, "by_h": 1})
    r = ddb.delete_item(TableName=table, Key={"pk": S("a"), "sk": S("s1")}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == indexes_capacity(table, 3, lsi={"by_l": 1}, gsi={"by_g": 3, "by_h": 1})
    r = ddb.delete_item(TableName=table, Key={"pk": S("a"), "sk": S("s1")}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == indexes_capacity(table, 1)


def test_update_bills_key_changes_twice_and_untouched_projections_nothing(ddb, table):
    key = {"pk": S("a"), "sk": S("s1")}
    ddb.put_item(TableName=table, Item=dict(key, g=S("g1"), l=S("l1"), h=S("h1"), x=S("x")))

    def update(expr, values, mode="INDEXES"):
        return ddb.update_item(TableName=table, Key=key, UpdateExpression=expr, ExpressionAttributeValues=values,
                               ReturnConsumedCapacity=mode)["ConsumedCapacity"]

    # g is by_g's key: delete + put there; by_h (INCLUDE x) and by_l unchanged
    assert update("SET g = :v", {":v": S("g2")}) == indexes_capacity(table, 1, gsi={"by_g": 2})
    # x is projected into by_h and by_g (ALL), not into by_l
    assert update("SET x = :v", {":v": S("y")}) == indexes_capacity(table, 1, gsi={"by_g": 1, "by_h": 1})
    # y is projected only by by_g
    assert update("SET y = :v", {":v": S("y")}) == indexes_capacity(table, 1, gsi={"by_g": 1})
    # removing l takes the item out of by_l (sparse): one delete there
    r = ddb.update_item(TableName=table, Key=key, UpdateExpression="REMOVE l", ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == indexes_capacity(table, 1, lsi={"by_l": 1}, gsi={"by_g": 1})
    # TOTAL adds the indexes into CapacityUnits
    assert update("SET h = :v", {":v": S("h2")}, mode="TOTAL") == {
        "TableName": table, "CapacityUnits": 4.0, "WriteCapacityUnits": 4.0}


def test_batch_write_reports_index_units_per_table(ddb, table):
    r = ddb.batch_write_item(ReturnConsumedCapacity="INDEXES", RequestItems={table: [
        {"PutRequest": {"Item": {"pk": S("a"), "sk": S("1"), "g": S("g"), "l": S("l")}}},
        {"PutRequest": {"Item": {"pk": S("a"), "sk": S("2"), "g": S("g")}}},
        {"PutRequest": {"Item": {"pk": S("b"), "sk": S("1")}}},
    ]})
    assert r["ConsumedCapacity"] == [indexes_capacity(table, 3, lsi={"by_l": 1}, gsi={"by_g": 2})]
    r = ddb.batch_write_item(ReturnConsumedCapacity="TOTAL", RequestItems={table: [
        {"DeleteRequest": {"Key": {"pk": S("a"), "sk": S("1")}}},
    ]})
    assert r["ConsumedCapacity"] == [{"TableName": table, "CapacityUnits": 3.0, "WriteCapacityUnits": 3.0}]


def test_transact_write_bills_indexes_once_and_the_table_twice(ddb, table):
    r = ddb.transact_write_items(ReturnConsumedCapacity="INDEXES", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S("a"), "sk": S("1"), "g": S("g"), "h": S("h")}}},
        {"Update": {"TableName": table, "Key": {"pk": S("a"), "sk": S("2")},
                    "UpdateExpression": "SET l = :l", "ExpressionAttributeValues": {":l": S("l")}}},
    ])
    assert r["ConsumedCapacity"] == [indexes_capacity(table, 4, lsi={"by_l": 1}, gsi={"by_g": 1, "by_h": 1})]


def test_item_collection_metrics_on_single_item_writes(ddb, table):
    expected = {"ItemCollectionKey": {"pk": S("a")}, "SizeEstimateRangeGB": [0.0, 1.0]}
    r = ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("1"), "l": S("l")},
                     ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = ddb.update_item(TableName=table, Key={"pk": S("a"), "sk": S("2")}, UpdateExpression="SET v = :v",
                        ExpressionAttributeValues={":v": S("v")}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = ddb.delete_item(TableName=table, Key={"pk": S("a"), "sk": S("1")}, ReturnItemCollectionMetrics="SIZE")
    assert r["ItemCollectionMetrics"] == expected
    r = ddb.put_item(TableName=table, Item={"pk": S("a"), "sk": S("1")}, ReturnItemCollectionMetrics="NONE")
    assert "ItemCollectionMetrics" not in r


def test_item_collection_metrics_absent_without_lsi(ddb):
    name = unique_name("nolsi")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "g", "AttributeType": "S"}],
                     KeySchema=keys(("pk", "HASH")),
                     GlobalSecondaryIndexes=[{"IndexName": "by_g", "KeySchema": keys(("g", "HASH")),
                                              "Projection": {"ProjectionType": "ALL"}}])
    r = ddb.put_item(TableName=name, Item={"pk": S("a"), "g": S("g")}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in r
    r = ddb.batch_write_item(ReturnItemCollectionMetrics="SIZE",
                             RequestItems={name: [{"PutRequest": {"Item": {"pk": S("b")}}}]})
    assert "ItemCollectionMetrics" not in r


def test_item_collection_metrics_per_table_in_batches_and_transactions(ddb, table):
    r = ddb.batch_write_item(ReturnItemCollectionMetrics="SIZE", RequestItems={table: [
        {"PutRequest": {"Item": {"pk": S("a"), "sk": S("1")}}},
        {"PutRequest": {"Item": {"pk": S("b"), "sk": S("1")}}},
        {"DeleteRequest": {"Key": {"pk": S("a"), "sk": S("2")}}},
    ]})
    # one entry per item collection written, not per request
    assert r["ItemCollectionMetrics"] == {table: [
        {"ItemCollectionKey": {"pk": S("a")}, "SizeEstimateRangeGB": [0.0, 1.0]},
        {"ItemCollectionKey": {"pk": S("b")}, "SizeEstimateRangeGB": [0.0, 1.0]},
    ]}
    r = ddb.transact_write_items(ReturnItemCollectionMetrics="SIZE", TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": S("c"), "sk": S("1")}}},
        {"Delete": {"TableName": table, "Key": {"pk": S("c"), "sk": S("2")}}},
        {"ConditionCheck": {"TableName": table, "Key": {"pk": S("b"), "sk": S("1")},
                            "ConditionExpression": "attribute_exists(pk)"}},
    ])
    assert r["ItemCollectionMetrics"] == {table: [
        {"ItemCollectionKey": {"pk": S("c")}, "SizeEstimateRangeGB": [0.0, 1.0]},
    ]}
