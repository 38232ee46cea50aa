"""ReturnConsumedCapacity (TOTAL, INDEXES, NONE) on Query, Scan and the item operations,
with DynamoDB's unit rules on items of known size.

Rules (AWS developer guide, "Read/write capacity mode" and "Capacity unit consumption";
dynalite db/index.js capacityUnits / queryTable):
  * reads: one unit per 4 KB, rounded up, at least one; half for eventually consistent;
  * writes: one unit per 1 KB, rounded up, at least one; an overwrite or delete is billed
    on the larger of the old and new item;
  * Query and Scan: the sizes of all items read (filtered or not) are summed and the total
    is rounded up to 4 KB once, not per item.
Item size: attribute name lengths plus value sizes (S: UTF-8 bytes).
"""

import pytest

from conftest import create_table


def item_of_size(key, size, key_name="id"):
    """An item {key_name: S key, "d": S ...} of exactly `size` bytes."""
    pad = size - len(key_name) - len(key) - 1
    assert pad >= 0
    return {key_name: {"S": key}, "d": {"S": "x" * pad}}


@pytest.fixture(scope="module")
def t(ddb):
    return create_table(ddb)


def cap(resp):
    return resp["ConsumedCapacity"]["CapacityUnits"]


@pytest.mark.parametrize("size,consistent,units", [
    (10, False, 0.5), (10, True, 1.0),
    (4096, False, 0.5), (4096, True, 1.0),
    (4097, False, 1.0), (4097, True, 2.0),
    (8192, True, 2.0), (8193, True, 3.0),
    (400 * 1024, False, 50.0), (400 * 1024, True, 100.0),
])
def test_get_item_read_units(ddb, t, size, consistent, units):
    key = f"g{size}"
    ddb.put_item(TableName=t, Item=item_of_size(key, size))
    r = ddb.get_item(TableName=t, Key={"id": {"S": key}}, ConsistentRead=consistent, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": t, "CapacityUnits": units, "ReadCapacityUnits": units}


def test_get_missing_item_costs_the_minimum(ddb, t):
    r = ddb.get_item(TableName=t, Key={"id": {"S": "absent"}}, ReturnConsumedCapacity="TOTAL")
    assert cap(r) == 0.5


@pytest.mark.parametrize("size,units", [(5, 1.0), (1024, 1.0), (1025, 2.0), (2048, 2.0), (10 * 1024 + 1, 11.0)])
def test_put_item_write_units(ddb, t, size, units):
    r = ddb.put_item(TableName=t, Item=item_of_size(f"p{size}", size), ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == {"TableName": t, "CapacityUnits": units, "WriteCapacityUnits": units}


def test_overwrite_and_delete_bill_the_larger_item(ddb, t):
    ddb.put_item(TableName=t, Item=item_of_size("ow", 5000))
    r = ddb.put_item(TableName=t, Item=item_of_size("ow", 100), ReturnConsumedCapacity="TOTAL")
    assert cap(r) == 5.0
    r = ddb.delete_item(TableName=t, Key={"id": {"S": "ow"}}, ReturnConsumedCapacity="TOTAL")
    assert cap(r) == 1.0
    r = ddb.delete_item(TableName=t, Key={"id": {"S": "ow"}}, ReturnConsumedCapacity="TOTAL")
    assert cap(r) == 1.0


def test_indexes_mode_adds_the_table_breakdown(ddb, t):
    ddb.put_item(TableName=t, Item=item_of_size("ix", 5000))
    r = ddb.get_item(TableName=t, Key={"id": {"S": "ix"}}, ConsistentRead=True, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == {"TableName": t, "CapacityUnits": 2.0, "ReadCapacityUnits": 2.0,
                                     "Table": {"CapacityUnits": 2.0, "ReadCapacityUnits": 2.0}}


def test_none_and_absent_return_no_capacity(ddb, t):
    r = ddb.get_item(TableName=t, Key={"id": {"S": "ix"}}, ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in r
    r = ddb.scan(TableName=t, Limit=1)
    assert "ConsumedCapacity" not in r


@pytest.fixture(scope="module")
def qt(ddb):
    """Partition "p": 10 items of exactly 1000 bytes (sort key 0..9); partition "e": none."""
    name = create_table(ddb, ("pk", "S"), ("sk", "N"))
    for i in range(10):
        # "pk"+"p" = 3, "sk"+N(1 digit) = 2+2 = 4, "d" = 1: pad to 1000
        ddb.put_item(TableName=name, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "d": {"S": "x" * 992}})
    return name


KP = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}


def test_query_rounds_the_total_read_once(ddb, qt):
    # 10 x 1000 bytes = 10,000 bytes -> 3 units (per-item rounding would give 10)
    r = ddb.query(TableName=qt, KeyConditions=KP, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert r["Count"] == 10
    assert r["ConsumedCapacity"] == {"TableName": qt, "CapacityUnits": 3.0, "ReadCapacityUnits": 3.0}
    r = ddb.query(TableName=qt, KeyConditions=KP, ReturnConsumedCapacity="TOTAL")
    assert cap(r) == 1.5


@pytest.mark.parametrize("limit,units", [(1, 0.5), (4, 0.5), (5, 1.0), (8, 1.0), (9, 1.5)])
def test_query_capacity_follows_the_items_read(ddb, qt, limit, units):
    r = ddb.query(TableName=qt, KeyConditions=KP, Limit=limit, ReturnConsumedCapacity="TOTAL")
    assert cap(r) == units


def test_filtered_items_are_still_billed(ddb, qt):
    r = ddb.query(TableName=qt, KeyConditions=KP, ReturnConsumedCapacity="TOTAL", ConsistentRead=True,
                  QueryFilter={"d": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "nope"}]}})
    assert r["Count"] == 0 and r["ScannedCount"] == 10
    assert cap(r) == 3.0


def test_count_is_billed_like_a_full_read(ddb, qt):
    r = ddb.query(TableName=qt, KeyConditions=KP, Select="COUNT", ReturnConsumedCapacity="INDEXES",
                  ConsistentRead=True)
    assert r["ConsumedCapacity"] == {"TableName": qt, "CapacityUnits": 3.0, "ReadCapacityUnits": 3.0,
                                     "Table": {"CapacityUnits": 3.0, "ReadCapacityUnits": 3.0}}


def test_empty_query_costs_the_minimum(ddb, qt):
    r = ddb.query(TableName=qt, ReturnConsumedCapacity="TOTAL",
                  KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "e"}]}})
    assert r["Count"] == 0 and cap(r) == 0.5


def test_scan_capacity(ddb, qt):
    r = ddb.scan(TableName=qt, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert r["ScannedCount"] == 10 and cap(r) == 3.0
    r = ddb.scan(TableName=qt, ReturnConsumedCapacity="TOTAL", Limit=3)
    assert cap(r) == 0.5
