"""Many concurrent clients: every acknowledged write is readable with the right content."""

import hashlib
import threading
from concurrent.futures import ThreadPoolExecutor

from conftest import RawClient, create_table, make_client

CLIENTS = 100
PER_CLIENT = 20


def payload(c, i):
    return hashlib.sha256(f"{c}/{i}".encode()).hexdigest() * (1 + (c * PER_CLIENT + i) % 7)


def run_threads(n, fn):
    """Runs fn(index) on n threads released together; re-raises the first failure."""
    barrier = threading.Barrier(n)
    errors = []

    def body(idx):
        try:
            barrier.wait(timeout=60)
            fn(idx)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append((idx, e))

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "client threads did not finish"
    if errors:
        idx, e = errors[0]
        raise AssertionError(f"{len(errors)} of {n} clients failed; client {idx}: {e!r}") from e


def test_100_boto3_clients_writing_distinct_items(server, ddb):
    table = create_table(ddb, ("c", "N"), ("i", "N"))
    clients = [make_client(server.endpoint) for _ in range(CLIENTS)]

    def writer(c):
        cl = clients[c]
        for i in range(PER_CLIENT):
            cl.put_item(TableName=table, Item={"c": {"N": str(c)}, "i": {"N": str(i)},
                                               "p": {"S": payload(c, i)}, "b": {"B": bytes([c, i])}})

    run_threads(CLIENTS, writer)

    def verify(c):
        for i in range(PER_CLIENT):
            got = ddb.get_item(TableName=table, Key={"c": {"N": str(c)}, "i": {"N": str(i)}},
                               ConsistentRead=True)
            assert got.get("Item") == {"c": {"N": str(c)}, "i": {"N": str(i)},
                                       "p": {"S": payload(c, i)}, "b": {"B": bytes([c, i])}}, (c, i)

    with ThreadPoolExecutor(8) as ex:
        list(ex.map(verify, range(CLIENTS)))
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == CLIENTS * PER_CLIENT


def test_100_raw_connections_interleaving_writes_reads_and_deletes(server, ddb):
    table = create_table(ddb)

    def worker(c):
        cl = RawClient(server.port)
        try:
            for i in range(PER_CLIENT):
                key = {"id": {"S": f"{c}-{i}"}}
                item = dict(key, p={"S": payload(c, i)}, n={"N": str(c * 1000 + i)})
                r = cl.call("PutItem", {"TableName": table, "Item": item})
                assert r.status == 200, r
                r = cl.call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
                assert r.status == 200 and r.json == {"Item": item}, r
                if i % 4 == 3:  # delete every fourth item, returning what it held
                    r = cl.call("DeleteItem", {"TableName": table, "Key": key,
                                               "ReturnValues": "ALL_OLD"})
                    assert r.status == 200 and r.json == {"Attributes": item}, r
        finally:
            cl.close()

    run_threads(CLIENTS, worker)
    cl = RawClient(server.port)
    try:
        for c in range(CLIENTS):
            for i in range(PER_CLIENT):
                r = cl.call("GetItem", {"TableName": table, "Key": {"id": {"S": f"{c}-{i}"}}})
                assert r.status == 200
                assert ("Item" in r.json) == (i % 4 != 3), (c, i, r)
    finally:
        cl.close()
    expected = CLIENTS * (PER_CLIENT - PER_CLIENT // 4)
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == expected


def test_concurrent_overwrites_of_one_item_leave_one_complete_version(server, ddb):
    table = create_table(ddb)
    versions = {c: {"id": {"S": "hot"}, "writer": {"N": str(c)}, "p": {"S": payload(c, 0)}}
                for c in range(32)}

    def writer(c):
        cl = RawClient(server.port)
        try:
            for _ in range(10):
                r = cl.call("PutItem", {"TableName": table, "Item": versions[c]})
                assert r.status == 200, r
        finally:
            cl.close()

    run_threads(32, writer)
    got = ddb.get_item(TableName=table, Key={"id": {"S": "hot"}}, ConsistentRead=True)["Item"]
    assert got == versions[int(got["writer"]["N"])]  # never a mix of two writes
    assert ddb.describe_table(TableName=table)["Table"]["ItemCount"] == 1
