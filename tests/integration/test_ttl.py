"""Time to Live: UpdateTimeToLive / DescribeTimeToLive and the background expiry.

Sources: AWS API reference (UpdateTimeToLive, DescribeTimeToLive, TimeToLiveDescription) and the
developer guide's "Time to Live" (an item expires when its TTL attribute is a Number of epoch
seconds less than now, and not more than five years in the past; other types never expire);
messages as the service answers them ("TimeToLive is already enabled", "TimeToLive is already
disabled", "TimeToLive is active on a different AttributeName: current AttributeName is X"),
recorded by several emulators' test suites against real DynamoDB.

The servers here sweep every second (the default) or faster (--ttl-period), so expiry is
asserted within a few periods.
"""

import json
import socket
import threading
import time

import pytest

from conftest import (TARGET_PREFIX, assert_client_error, assert_raw_error, create_table, make_client,
                      unique_name)

SWEEP_WAIT = 8.0  # seconds: several sweep periods, generous for sanitizer builds


def enable(ddb, table, attr="exp"):
    return ddb.update_time_to_live(TableName=table,
                                   TimeToLiveSpecification={"Enabled": True, "AttributeName": attr})


def disable(ddb, table, attr="exp"):
    return ddb.update_time_to_live(TableName=table,
                                   TimeToLiveSpecification={"Enabled": False, "AttributeName": attr})


def describe(ddb, table):
    return ddb.describe_time_to_live(TableName=table)["TimeToLiveDescription"]


def exists(ddb, table, key):
    return "Item" in ddb.get_item(TableName=table, Key={"id": {"S": key}}, ConsistentRead=True)


def put(ddb, table, key, **attrs):
    item = {"id": {"S": key}}
    item.update(attrs)
    ddb.put_item(TableName=table, Item=item)


def wait_until(pred, timeout=SWEEP_WAIT, step=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


# ---------------------------------------------------------------------------
# UpdateTimeToLive / DescribeTimeToLive

def test_fresh_table_reports_disabled_without_attribute(ddb, hash_table):
    assert describe(ddb, hash_table) == {"TimeToLiveStatus": "DISABLED"}


def test_enable_echoes_specification_and_describe_reports_enabled(ddb, hash_table):
    r = enable(ddb, hash_table, "expiresAt")
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expiresAt"}
    assert "TimeToLiveDescription" not in r
    assert describe(ddb, hash_table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expiresAt"}


def test_disable_reports_disabled_and_forgets_the_attribute(ddb, hash_table):
    enable(ddb, hash_table)
    r = disable(ddb, hash_table)
    assert r["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "exp"}
    assert describe(ddb, hash_table) == {"TimeToLiveStatus": "DISABLED"}


def test_enabling_when_enabled_is_already_enabled(ddb, hash_table):
    enable(ddb, hash_table)
    assert_client_error(enable, "ValidationException", "TimeToLive is already enabled", ddb, hash_table)
    # another attribute name too: the attribute only changes through a disable
    assert_client_error(enable, "ValidationException", "TimeToLive is already enabled", ddb, hash_table, "other")
    assert describe(ddb, hash_table) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}


def test_disabling_when_disabled_is_already_disabled(ddb, hash_table):
    assert_client_error(disable, "ValidationException", "TimeToLive is already disabled", ddb, hash_table)


def test_disabling_with_another_attribute_names_the_current_one(ddb, hash_table):
    enable(ddb, hash_table, "ttl_a")
    assert_client_error(disable, "ValidationException",
                        "TimeToLive is active on a different AttributeName: current AttributeName is ttl_a",
                        ddb, hash_table, "ttl_b")
    assert describe(ddb, hash_table)["TimeToLiveStatus"] == "ENABLED"


def test_ttl_on_unknown_table_is_resource_not_found(ddb):
    name = unique_name()
    msg = f"Requested resource not found: Table: {name} not found"
    assert_client_error(enable, "ResourceNotFoundException", msg, ddb, name)
    assert_client_error(ddb.describe_time_to_live, "ResourceNotFoundException", msg, TableName=name)


@pytest.mark.parametrize("spec,message", [
    (None, "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy "
           "constraint: Member must not be null"),
    ({"AttributeName": "exp"}, "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' "
                               "failed to satisfy constraint: Member must not be null"),
    ({"Enabled": True}, "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' "
                        "failed to satisfy constraint: Member must not be null"),
    ({"Enabled": True, "AttributeName": ""},
     "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy "
     "constraint: Member must have length greater than or equal to 1"),
    ({"Enabled": True, "AttributeName": "a" * 256},
     "1 validation error detected: Value '" + "a" * 256 + "' at 'timeToLiveSpecification.attributeName' "
     "failed to satisfy constraint: Member must have length less than or equal to 255"),
])
def test_update_ttl_specification_is_validated_before_the_table_lookup(raw, spec, message):
    body = {"TableName": unique_name()}
    if spec is not None:
        body["TimeToLiveSpecification"] = spec
    assert_raw_error(raw.call("UpdateTimeToLive", body), "ValidationException", message)


def test_update_ttl_without_table_name_is_required_error(raw):
    r = raw.call("UpdateTimeToLive", {"TimeToLiveSpecification": {"Enabled": True, "AttributeName": "x"}})
    assert_raw_error(r, "ValidationException",
                     "The parameter 'TableName' is required but was not present in the request")


def test_update_ttl_enabled_of_wrong_kind_is_serialization_error(raw, hash_table):
    r = raw.call("UpdateTimeToLive", {"TableName": hash_table,
                                      "TimeToLiveSpecification": {"Enabled": [], "AttributeName": "x"}})
    assert_raw_error(r, "SerializationException")


# ---------------------------------------------------------------------------
# expiry

def test_expired_items_are_deleted_and_others_stay(ddb, hash_table):
    enable(ddb, hash_table)
    now = int(time.time())
    put(ddb, hash_table, "past", exp={"N": str(now - 10)})
    put(ddb, hash_table, "past-fraction", exp={"N": f"{now - 5}.25"})
    put(ddb, hash_table, "future", exp={"N": str(now + 3600)})
    put(ddb, hash_table, "string", exp={"S": str(now - 10)})           # not a Number: never expires
    put(ddb, hash_table, "number-set", exp={"NS": [str(now - 10)]})    # not a Number either
    put(ddb, hash_table, "none", other={"N": str(now - 10)})            # no TTL attribute
    put(ddb, hash_table, "six-years", exp={"N": str(now - 6 * 366 * 86400)})  # > 5 years past: left alone
    put(ddb, hash_table, "negative", exp={"N": "-100"})
    assert wait_until(lambda: not exists(ddb, hash_table, "past") and not exists(ddb, hash_table, "past-fraction"))
    for key in ("future", "string", "number-set", "none", "six-years", "negative"):
        assert exists(ddb, hash_table, key), key
    assert ddb.describe_table(TableName=hash_table)["Table"]["ItemCount"] == 6


def test_item_expires_once_its_time_passes(ddb, hash_table):
    enable(ddb, hash_table)
    put(ddb, hash_table, "soon", exp={"N": str(int(time.time()) + 2)})
    assert exists(ddb, hash_table, "soon")
    assert wait_until(lambda: not exists(ddb, hash_table, "soon"), timeout=SWEEP_WAIT + 2)


def test_rewriting_an_item_with_a_later_ttl_keeps_it(ddb, hash_table):
    enable(ddb, hash_table)
    now = int(time.time())
    put(ddb, hash_table, "k", exp={"N": str(now + 2)})
    put(ddb, hash_table, "k", exp={"N": str(now + 3600)}, v={"S": "kept"})
    put(ddb, hash_table, "gone", exp={"N": str(now - 1)})
    assert wait_until(lambda: not exists(ddb, hash_table, "gone"))
    time.sleep(3.5)  # past the first expiry time
    item = ddb.get_item(TableName=hash_table, Key={"id": {"S": "k"}})["Item"]
    assert item["v"] == {"S": "kept"}


def test_removing_the_ttl_attribute_keeps_the_item(ddb, hash_table):
    enable(ddb, hash_table)
    now = int(time.time())
    put(ddb, hash_table, "k", exp={"N": str(now + 2)})
    put(ddb, hash_table, "k", v={"S": "no ttl now"})
    time.sleep(4)
    assert exists(ddb, hash_table, "k")


def test_enabling_ttl_expires_items_written_before(ddb, hash_table):
    now = int(time.time())
    for i in range(30):
        put(ddb, hash_table, f"old{i}", exp={"N": str(now - 100)})
    put(ddb, hash_table, "keep", exp={"N": str(now + 3600)})
    time.sleep(1.5)
    assert exists(ddb, hash_table, "old0")  # TTL disabled: nothing expires
    enable(ddb, hash_table)
    assert wait_until(lambda: ddb.describe_table(TableName=hash_table)["Table"]["ItemCount"] == 1)
    assert exists(ddb, hash_table, "keep")


def test_disabled_ttl_deletes_nothing(ddb, hash_table):
    enable(ddb, hash_table)
    disable(ddb, hash_table)
    put(ddb, hash_table, "k", exp={"N": str(int(time.time()) - 10)})
    time.sleep(3)
    assert exists(ddb, hash_table, "k")


def test_reenabling_with_another_attribute_uses_only_the_new_one(ddb, hash_table):
    now = int(time.time())
    enable(ddb, hash_table, "a")
    put(ddb, hash_table, "by-a", a={"N": str(now + 2)})
    disable(ddb, hash_table, "a")
    enable(ddb, hash_table, "b")
    put(ddb, hash_table, "by-b", b={"N": str(now - 1)})
    assert wait_until(lambda: not exists(ddb, hash_table, "by-b"))
    time.sleep(3.5)
    assert exists(ddb, hash_table, "by-a")


def test_expiry_works_on_tables_with_sort_keys_and_number_keys(ddb):
    t = create_table(ddb, ("pk", "N"), ("sk", "B"))
    enable(ddb, t)
    now = int(time.time())
    ddb.put_item(TableName=t, Item={"pk": {"N": "-1.5"}, "sk": {"B": b"\x00\xff"}, "exp": {"N": str(now - 1)}})
    ddb.put_item(TableName=t, Item={"pk": {"N": "-1.5"}, "sk": {"B": b"\x01"}, "exp": {"N": str(now + 999)}})
    assert wait_until(lambda: ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 1)
    assert "Item" in ddb.get_item(TableName=t, Key={"pk": {"N": "-1.5"}, "sk": {"B": b"\x01"}})


def test_items_with_long_keys_expire(ddb):
    t = create_table(ddb, ("pk", "S"), ("sk", "S"))
    enable(ddb, t)
    now = int(time.time())
    pk, sk = "p" * 300, "s" * 190   # item key near the store's 511-byte limit
    ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "sk": {"S": sk}, "exp": {"N": str(now - 1)}})
    ddb.put_item(TableName=t, Item={"pk": {"S": pk}, "sk": {"S": sk + "x"}, "exp": {"N": str(now + 999)}})
    assert wait_until(lambda: ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 1)


def test_deleting_a_table_with_ttl_and_recreating_it(ddb):
    name = create_table(ddb)
    enable(ddb, name)
    put(ddb, name, "k", exp={"N": str(int(time.time()) + 1)})
    ddb.delete_table(TableName=name)
    create_table(ddb, name=name)
    assert describe(ddb, name) == {"TimeToLiveStatus": "DISABLED"}
    put(ddb, name, "k", exp={"N": str(int(time.time()) - 10)})
    time.sleep(2.5)
    assert exists(ddb, name, "k")


def test_ttl_setting_survives_restart_and_expiry_resumes(make_server):
    srv = make_server()
    ddb = make_client(srv.endpoint)
    t = create_table(ddb)
    enable(ddb, t, "exp")
    now = int(time.time())
    put(ddb, t, "later", exp={"N": str(now + 4)})
    srv.restart()
    ddb = make_client(srv.endpoint)
    assert describe(ddb, t) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert wait_until(lambda: not exists(ddb, t, "later"), timeout=SWEEP_WAIT + 4)


def test_ttl_period_option_is_validated(make_server, tmp_path):
    import subprocess
    from conftest import PORTICO_BIN
    r = subprocess.run([PORTICO_BIN, "serve", "--ttl-period", "0", "--data-dir", str(tmp_path / "d")],
                       capture_output=True, text=True, timeout=20)
    assert r.returncode == 2
    assert "--ttl-period" in r.stderr


# ---------------------------------------------------------------------------
# 100,000 expiring items while clients keep working

def _pipelined_puts(port, table, keys, exp):
    """PutItem for every key over one keep-alive connection, requests pipelined in chunks."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    buf = b""
    try:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            out = []
            for k in chunk:
                body = json.dumps({"TableName": table,
                                   "Item": {"id": {"S": k}, "exp": {"N": str(exp)}, "v": {"S": "x" * 20}}}).encode()
                out.append(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.0\r\n"
                           b"X-Amz-Target: " + (TARGET_PREFIX + "PutItem").encode() +
                           b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
            sock.sendall(b"".join(out))
            got = 0
            while got < len(chunk):
                head_end = buf.find(b"\r\n\r\n")
                if head_end < 0:
                    data = sock.recv(1 << 20)
                    assert data, "server closed the connection"
                    buf += data
                    continue
                head = buf[:head_end].decode()
                assert head.startswith("HTTP/1.1 200"), head
                length = int([ln.split(":", 1)[1] for ln in head.split("\r\n")
                              if ln.lower().startswith("content-length:")][0])
                while len(buf) < head_end + 4 + length:
                    data = sock.recv(1 << 20)
                    assert data, "server closed the connection"
                    buf += data
                buf = buf[head_end + 4 + length:]
                got += 1
    finally:
        sock.close()


@pytest.mark.slow
def test_hundred_thousand_items_expire_while_clients_read_and_write(make_server):
    srv = make_server()
    ddb = make_client(srv.endpoint)
    t = create_table(ddb)
    n = 100_000
    past = int(time.time()) - 60
    keys = [f"e{i:06d}" for i in range(n)]
    loaders = [threading.Thread(target=_pipelined_puts, args=(srv.port, t, keys[i::4], past)) for i in range(4)]
    for th in loaders:
        th.start()
    for th in loaders:
        th.join()
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == n

    stop = threading.Event()
    failures, ops, iters = [], [0], [0] * 4

    def client(idx):
        c = make_client(srv.endpoint)
        i = 0
        while not stop.is_set():
            try:
                key = f"live{idx}-{i % 50}"
                c.put_item(TableName=t, Item={"id": {"S": key}, "exp": {"N": str(int(time.time()) + 3600)}})
                assert "Item" in c.get_item(TableName=t, Key={"id": {"S": key}})
                c.get_item(TableName=t, Key={"id": {"S": keys[(i * 7919) % n]}})
                ops[0] += 3
            except Exception as e:  # noqa: BLE001 - every failure is reported
                failures.append(repr(e))
            i += 1
            iters[idx] = i

    clients = [threading.Thread(target=client, args=(i,)) for i in range(4)]
    for th in clients:
        th.start()
    started = time.monotonic()
    try:
        enable(ddb, t)  # existing items are indexed in the background, then expire
        live = 4 * 50
        done = wait_until(lambda: ddb.describe_table(TableName=t)["Table"]["ItemCount"] <= live, timeout=30, step=0.25)
    finally:
        stop.set()
        for th in clients:
            th.join()
    elapsed = time.monotonic() - started
    assert not failures, failures[:5]
    assert done, f"items left after 30 s: {ddb.describe_table(TableName=t)['Table']['ItemCount']}"
    assert ops[0] > 100, "clients made no progress during the sweep"
    # exactly the clients' items are left (each client cycles through 50 keys)
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == sum(min(k, 50) for k in iters)
    assert not exists(ddb, t, keys[0]) and not exists(ddb, t, keys[-1])
    print(f"100k expiry took {elapsed:.1f}s with {ops[0]} concurrent client operations")


def test_expired_items_leave_their_global_and_local_index_entries(ddb):
    # Developer guide, "Time to Live": an expired item's deletion also removes it from the
    # table's local and global secondary indexes, like any other delete.
    table = unique_name("ttlidx")
    ddb.create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"},
                              {"AttributeName": "lsk", "AttributeType": "N"},
                              {"AttributeName": "gpk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[{"IndexName": "bylsk",
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "lsk", "KeyType": "RANGE"}],
                                "Projection": {"ProjectionType": "ALL"}}],
        GlobalSecondaryIndexes=[{"IndexName": "bygpk",
                                 "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    enable(ddb, table)
    now = int(time.time())
    for i, exp in enumerate([now - 60, now - 30, now + 3600]):
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s%d" % i}, "lsk": {"N": str(i)},
                                            "gpk": {"S": "g"}, "exp": {"N": str(exp)}})

    def index_keys(index, cond, values):
        r = ddb.query(TableName=table, IndexName=index, KeyConditionExpression=cond,
                      ExpressionAttributeValues=values)
        return sorted(item["sk"]["S"] for item in r["Items"])

    assert wait_until(lambda: index_keys("bygpk", "gpk = :g", {":g": {"S": "g"}}) == ["s2"]), \
        index_keys("bygpk", "gpk = :g", {":g": {"S": "g"}})
    assert index_keys("bylsk", "pk = :p", {":p": {"S": "p"}}) == ["s2"]
    assert [i["sk"]["S"] for i in ddb.scan(TableName=table, IndexName="bygpk")["Items"]] == ["s2"]
    desc = ddb.describe_table(TableName=table)["Table"]
    assert desc["ItemCount"] == 1
    assert {i["IndexName"]: i["ItemCount"] for i in
            desc["LocalSecondaryIndexes"] + desc["GlobalSecondaryIndexes"]} == {"bylsk": 1, "bygpk": 1}
