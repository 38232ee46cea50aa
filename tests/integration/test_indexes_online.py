"""UpdateTable GlobalSecondaryIndexUpdates: creating a GSI on a live table
(backfill on a background thread, IndexStatus CREATING -> ACTIVE with
Backfilling), deleting one, updating its throughput, AttributeDefinitions.

Messages: dynalite validations/updateTable.js and actions/updateTable.js where
it has them; otherwise as noted inline.
"""

import threading
import time

import pytest

from conftest import assert_client_error, create_table, make_client, unique_name

INVALID = "One or more parameter values were invalid: "


def S(v):
    return {"S": v}


def N(v):
    return {"N": str(v)}


def create_action(name, hash_key, range_key=None, projection="ALL", throughput=None):
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    c = {"IndexName": name, "KeySchema": ks, "Projection": {"ProjectionType": projection}}
    if throughput:
        c["ProvisionedThroughput"] = throughput
    return {"Create": c}


def wait_active(ddb, table, index, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for g in ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", []):
            if g["IndexName"] == index and g["IndexStatus"] == "ACTIVE":
                return g
        time.sleep(0.05)
    raise AssertionError(f"index {index} not ACTIVE after {timeout}s")


def wait_gone(ddb, table, index, timeout=60):
    """Waits until a deleted GSI (IndexStatus DELETING) has left DescribeTable."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        gsis = ddb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
        if not [g for g in gsis if g["IndexName"] == index]:
            return
        assert [g["IndexStatus"] for g in gsis if g["IndexName"] == index] == ["DELETING"]
        time.sleep(0.02)
    raise AssertionError(f"index {index} still listed after {timeout}s")


def scan_all(ddb, **kw):
    items, start = [], None
    while True:
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.scan(**kw)
        items += r["Items"]
        start = r.get("LastEvaluatedKey")
        if not start:
            return items


def test_create_gsi_backfills_existing_items(ddb):
    t = create_table(ddb, ("pk", "S"))
    for i in range(50):
        item = {"pk": S(f"k{i}"), "v": N(i)}
        if i % 5 == 0:
            item["g"] = S(f"grp{i % 3}")
        ddb.put_item(TableName=t, Item=item)
    d = ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"},
                                                            {"AttributeName": "v", "AttributeType": "N"}],
                         GlobalSecondaryIndexUpdates=[create_action("by_g", "g", "v")])["TableDescription"]
    assert d["TableStatus"] == "UPDATING"
    (g,) = d["GlobalSecondaryIndexes"]
    assert g["IndexStatus"] == "CREATING" and g["Backfilling"] is True
    assert {a["AttributeName"] for a in d["AttributeDefinitions"]} == {"pk", "g", "v"}
    g = wait_active(ddb, t, "by_g")
    assert "Backfilling" not in g
    assert g["ItemCount"] == 10
    r = ddb.query(TableName=t, IndexName="by_g", KeyConditionExpression="g = :g",
                  ExpressionAttributeValues={":g": S("grp0")})
    assert [int(i["v"]["N"]) for i in r["Items"]] == [0, 15, 30, 45]


def test_backfill_skips_items_with_wrong_key_type(ddb):
    t = create_table(ddb, ("pk", "S"))
    ddb.put_item(TableName=t, Item={"pk": S("a"), "g": N(1)})
    ddb.put_item(TableName=t, Item={"pk": S("b"), "g": S("ok")})
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g")])
    assert wait_active(ddb, t, "by_g")["ItemCount"] == 1
    assert [i["pk"] for i in scan_all(ddb, TableName=t, IndexName="by_g")] == [S("b")]


def test_create_gsi_on_20000_items_while_writers_run(ddb, server):
    t = create_table(ddb, ("pk", "S"))
    items = [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "g": S(f"g{i % 97}"), "n": N(i)}}} for i in range(20000)]
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={t: items[i:i + 25]})
    stop = threading.Event()
    errors = []

    def writer(wid):
        c = make_client(server.endpoint)
        i = 0
        while not stop.is_set():
            try:
                k = f"k{(wid * 7919 + i * 31) % 22000}"
                if i % 4 == 3:
                    c.delete_item(TableName=t, Key={"pk": S(k)})
                elif i % 4 == 2:
                    c.update_item(TableName=t, Key={"pk": S(k)}, UpdateExpression="REMOVE g")
                else:
                    c.put_item(TableName=t, Item={"pk": S(k), "g": S(f"w{wid}-{i % 11}"), "n": N(i)})
            except Exception as e:  # noqa: BLE001 - surfaced below
                errors.append(e)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for th in threads:
        th.start()
    try:
        time.sleep(0.2)
        ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[create_action("by_g", "g", projection="KEYS_ONLY")])
        seen_creating = ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"]
        assert seen_creating in ("CREATING", "ACTIVE")
        # a backfilling index cannot be read yet
        if seen_creating == "CREATING":
            try:
                ddb.scan(TableName=t, IndexName="by_g", Limit=1)
            except ddb.exceptions.ClientError as e:
                assert e.response["Error"]["Message"] == \
                    "Cannot read from backfilling global secondary index: by_g"
        wait_active(ddb, t, "by_g", timeout=120)
        time.sleep(0.3)
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert not errors, errors[:3]
    base = {i["pk"]["S"]: i["g"]["S"] for i in scan_all(ddb, TableName=t) if "g" in i}
    index = scan_all(ddb, TableName=t, IndexName="by_g")
    assert len(index) == len({i["pk"]["S"] for i in index})
    assert {i["pk"]["S"]: i["g"]["S"] for i in index} == base
    g = ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"][0]
    assert g["ItemCount"] == len(base)


def test_delete_gsi_removes_it_and_its_entries(ddb):
    t = create_table(ddb, ("pk", "S"))
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g")])
    wait_active(ddb, t, "by_g")
    for i in range(30):
        ddb.put_item(TableName=t, Item={"pk": S(f"k{i}"), "g": S("x")})
    d = ddb.update_table(TableName=t, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    # DynamoDB lists the index as DELETING until its entries are gone
    (gone,) = d["TableDescription"]["GlobalSecondaryIndexes"]
    assert (gone["IndexName"], gone["IndexStatus"]) == ("by_g", "DELETING")
    assert [a["AttributeName"] for a in d["TableDescription"]["AttributeDefinitions"]] == ["pk"]
    wait_gone(ddb, t, "by_g")
    assert "GlobalSecondaryIndexes" not in ddb.describe_table(TableName=t)["Table"]
    assert_client_error(ddb.query, "ValidationException", "The table does not have the specified index: by_g",
                        TableName=t, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("x")})
    # writes keep working, and a new index of the same name starts empty of stale entries
    ddb.put_item(TableName=t, Item={"pk": S("new"), "g": S("x")})
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g", projection="KEYS_ONLY")])
    g = wait_active(ddb, t, "by_g")
    assert g["ItemCount"] == 31
    assert len(scan_all(ddb, TableName=t, IndexName="by_g")) == 31


def test_update_gsi_throughput(ddb):
    t = create_table(ddb, ("pk", "S"), billing="PROVISIONED")
    tp = {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g", throughput=tp)])
    wait_active(ddb, t, "by_g")
    ddb.update_table(TableName=t, GlobalSecondaryIndexUpdates=[
        {"Update": {"IndexName": "by_g", "ProvisionedThroughput": {"ReadCapacityUnits": 4, "WriteCapacityUnits": 6}}}])
    g = ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"][0]
    assert (g["ProvisionedThroughput"]["ReadCapacityUnits"], g["ProvisionedThroughput"]["WriteCapacityUnits"]) == (4, 6)


def test_gsi_update_errors(ddb, ddb_unchecked):
    t = create_table(ddb, ("pk", "S"))
    a = [{"AttributeName": "g", "AttributeType": "S"}]
    assert_client_error(
        ddb.update_table, "ValidationException",
        INVALID + "Some index key attributes are not defined in AttributeDefinitions. Keys: [zz], "
        "AttributeDefinitions: [g]",
        TableName=t, AttributeDefinitions=a, GlobalSecondaryIndexUpdates=[create_action("idx", "zz")])
    assert_client_error(
        ddb_unchecked.update_table, "ValidationException",
        INVALID + "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
        "GlobalSecondaryIndexUpdate.Delete must not be null",
        TableName=t, GlobalSecondaryIndexUpdates=[{}])
    assert_client_error(
        ddb.update_table, "ValidationException",
        INVALID + "Only one global secondary index update per index is allowed simultaneously. Index: idx",
        TableName=t, AttributeDefinitions=a,
        GlobalSecondaryIndexUpdates=[create_action("idx", "g"), {"Delete": {"IndexName": "idx"}}])
    assert_client_error(
        ddb.update_table, "LimitExceededException",
        "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
        TableName=t, AttributeDefinitions=a,
        GlobalSecondaryIndexUpdates=[create_action("idx", "g"), create_action("idy", "g")])
    assert_client_error(
        ddb.update_table, "ValidationException",
        INVALID + "ProvisionedThroughput should not be specified for index: idx when BillingMode is "
        "PAY_PER_REQUEST",
        TableName=t, AttributeDefinitions=a,
        GlobalSecondaryIndexUpdates=[create_action("idx", "g", throughput={"ReadCapacityUnits": 1,
                                                                            "WriteCapacityUnits": 1})])
    # Missing indexes: the service's wording as captured live (us-east-1,
    # us-west-2) by the ack-api-quirks lab, finding DDB-TABLE-161.
    assert_client_error(ddb.update_table, "ResourceNotFoundException",
                        f"Requested resource not found: Index nope for table {t}",
                        TableName=t, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "nope"}}])
    assert_client_error(ddb.update_table, "ResourceNotFoundException",
                        f"Requested resource not found: Index nope for table {t}",
                        TableName=t, GlobalSecondaryIndexUpdates=[
                            {"Update": {"IndexName": "nope", "ProvisionedThroughput": {
                                "ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}])
    ddb.update_table(TableName=t, AttributeDefinitions=a, GlobalSecondaryIndexUpdates=[create_action("idx", "g")])
    assert_client_error(ddb.update_table, "ValidationException",
                        "Attempting to create an index which already exists",
                        TableName=t, AttributeDefinitions=a, GlobalSecondaryIndexUpdates=[create_action("idx", "g")])


def test_backfill_resumes_after_restart(make_server):
    srv = make_server()
    ddb = make_client(srv.endpoint)
    t = create_table(ddb, ("pk", "S"))
    reqs = [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "g": S("x")}}} for i in range(3000)]
    for i in range(0, len(reqs), 25):
        ddb.batch_write_item(RequestItems={t: reqs[i:i + 25]})
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g", projection="KEYS_ONLY")])
    srv.restart()
    ddb = make_client(srv.endpoint)
    g = wait_active(ddb, t, "by_g")
    assert g["ItemCount"] == 3000


def test_lsi_cannot_be_deleted_updated_or_shadowed_by_a_new_gsi(ddb):
    # ack-api-quirks lab, finding DDB-TABLE-137 (captured from DynamoDB)
    t = unique_name("lsi")
    ddb.create_table(TableName=t, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
                     AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "l")],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                     LocalSecondaryIndexes=[{"IndexName": "lsi-b", "KeySchema": [
                         {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}],
                         "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    assert_client_error(ddb.update_table, "ValidationException",
                        "Cannot delete an index that is not a GlobalSecondaryIndex: lsi-b",
                        TableName=t, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "lsi-b"}}])
    assert_client_error(ddb.update_table, "ValidationException",
                        "Cannot update an index that is not a GlobalSecondaryIndex: lsi-b",
                        TableName=t, GlobalSecondaryIndexUpdates=[
                            {"Update": {"IndexName": "lsi-b", "ProvisionedThroughput": {
                                "ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}])
    assert_client_error(ddb.update_table, "ValidationException",
                        "Attempting to create an index which already exists",
                        TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                        GlobalSecondaryIndexUpdates=[create_action(
                            "lsi-b", "g", throughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})])


def test_deleted_gsi_is_deleting_until_its_entries_are_purged(ddb):
    t = create_table(ddb, ("pk", "S"))
    ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[create_action("by_g", "g")])
    reqs = [{"PutRequest": {"Item": {"pk": S(f"k{i}"), "g": S("x"), "pad": S("p" * 100)}}} for i in range(5000)]
    for i in range(0, len(reqs), 25):
        ddb.batch_write_item(RequestItems={t: reqs[i:i + 25]})
    wait_active(ddb, t, "by_g")
    d = ddb.update_table(TableName=t, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_g"}}])
    (g,) = d["TableDescription"]["GlobalSecondaryIndexes"]
    assert g["IndexStatus"] == "DELETING"
    assert g["IndexArn"].endswith(f"table/{t}/index/by_g")
    assert g["KeySchema"] == [{"AttributeName": "g", "KeyType": "HASH"}]
    assert "Backfilling" not in g
    # the index is unusable at once, and DescribeTable keeps it DELETING
    # (never another status) until the purge of its 5,000 entries is done
    assert_client_error(ddb.query, "ValidationException", "The table does not have the specified index: by_g",
                        TableName=t, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": S("x")})
    wait_gone(ddb, t, "by_g")
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 5000
