"""Durability across restarts: SIGTERM + start and kill -9 + start on the same data dir.

A write is acknowledged only once durable (ARCHITECTURE.md, load-bearing decision 7),
so in durable mode (no --no-sync) every acknowledged write must survive kill -9.
"""

import pytest

from conftest import create_table, make_client, mdb_stat_ok

ITEMS = [
    {"id": {"S": "s"}, "v": {"S": "h\u00e9llo \U0001F389"}},
    {"id": {"S": "n"}, "v": {"N": "-1.5e10"}, "w": {"NS": ["1", "2"]}},
    {"id": {"S": "b"}, "v": {"B": b"\x00\xff\x10"}, "w": {"BS": [b"a", b"b"]}},
    {"id": {"S": "m"}, "v": {"M": {"a": {"L": [{"BOOL": True}, {"NULL": True}]}}}},
    {"id": {"S": "e"}, "v": {"S": ""}, "w": {"SS": ["x", "y"]}},
]


def populate(ddb):
    """Two tables with items, one deleted item, one deleted table; returns the state."""
    t1 = create_table(ddb)
    t2 = create_table(ddb, ("pk", "S"), ("sk", "N"))
    gone = create_table(ddb)
    for it in ITEMS:
        ddb.put_item(TableName=t1, Item=it)
    ddb.put_item(TableName=t1, Item={"id": {"S": "deleted"}})
    ddb.delete_item(TableName=t1, Key={"id": {"S": "deleted"}})
    for i in range(50):
        ddb.put_item(TableName=t2, Item={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)},
                                         "payload": {"S": "x" * i}})
    ddb.put_item(TableName=gone, Item={"id": {"S": "a"}})
    ddb.delete_table(TableName=gone)
    descs = {t: ddb.describe_table(TableName=t)["Table"] for t in (t1, t2)}
    return {"t1": t1, "t2": t2, "gone": gone, "descs": descs}


def check(ddb, state):
    t1, t2 = state["t1"], state["t2"]
    names = ddb.list_tables()["TableNames"]
    assert t1 in names and t2 in names
    assert state["gone"] not in names
    for t, before in state["descs"].items():
        after = ddb.describe_table(TableName=t)["Table"]
        for field in ("TableName", "TableId", "TableArn", "KeySchema", "CreationDateTime",
                      "ItemCount", "BillingModeSummary"):
            assert after.get(field) == before.get(field), field
        assert sorted(after["AttributeDefinitions"], key=str) == \
            sorted(before["AttributeDefinitions"], key=str)
        assert after["TableStatus"] == "ACTIVE"
    for it in ITEMS:
        got = ddb.get_item(TableName=t1, Key={"id": it["id"]}, ConsistentRead=True)["Item"]
        assert normalise(got) == normalise(it)
    assert "Item" not in ddb.get_item(TableName=t1, Key={"id": {"S": "deleted"}})
    for i in range(50):
        got = ddb.get_item(TableName=t2, Key={"pk": {"S": f"p{i % 5}"}, "sk": {"N": str(i)}})
        assert got["Item"]["payload"] == {"S": "x" * i}
    assert ddb.describe_table(TableName=t1)["Table"]["ItemCount"] == len(ITEMS)
    assert ddb.describe_table(TableName=t2)["Table"]["ItemCount"] == 50


def normalise(item):
    """Sets come back in any order, numbers normalised."""
    out = {}
    for k, v in item.items():
        (t, x), = v.items()
        if t in ("SS", "NS", "BS"):
            x = sorted(x)
        if t == "N":
            x = str(float(x))
        out[k] = (t, x)
    return out


@pytest.mark.parametrize("sync", [True, False], ids=["durable", "no-sync"])
def test_tables_and_items_survive_graceful_restart(make_server, sync):
    srv = make_server(sync=sync)
    state = populate(make_client(srv.endpoint))
    srv.restart()
    ddb = make_client(srv.endpoint)
    check(ddb, state)
    # Writes after a restart are kept too, and a second restart keeps both.
    ddb.put_item(TableName=state["t1"], Item={"id": {"S": "after"}})
    srv.restart()
    ddb = make_client(srv.endpoint)
    check_after = ddb.get_item(TableName=state["t1"], Key={"id": {"S": "after"}})
    assert check_after["Item"] == {"id": {"S": "after"}}


def test_tables_and_items_survive_kill_9(make_server):
    srv = make_server(sync=True)
    state = populate(make_client(srv.endpoint))
    srv.kill9()
    assert mdb_stat_ok(srv.data_dir) == []
    srv.start()
    ddb = make_client(srv.endpoint)
    check(ddb, state)
    # And again, after more writes, with a kill right after the last acknowledgement.
    for i in range(20):
        ddb.put_item(TableName=state["t1"], Item={"id": {"S": f"late{i}"}, "i": {"N": str(i)}})
    ddb.delete_item(TableName=state["t1"], Key={"id": {"S": "late0"}})
    srv.kill9()
    srv.start()
    ddb = make_client(srv.endpoint)
    assert "Item" not in ddb.get_item(TableName=state["t1"], Key={"id": {"S": "late0"}})
    for i in range(1, 20):
        got = ddb.get_item(TableName=state["t1"], Key={"id": {"S": f"late{i}"}})
        assert got["Item"] == {"id": {"S": f"late{i}"}, "i": {"N": str(i)}}


def test_table_created_and_deleted_right_before_kill_9_keeps_its_state(make_server):
    srv = make_server(sync=True)
    ddb = make_client(srv.endpoint)
    kept = create_table(ddb)
    dropped = create_table(ddb)
    ddb.delete_table(TableName=dropped)
    srv.kill9()
    srv.start()
    ddb = make_client(srv.endpoint)
    names = ddb.list_tables()["TableNames"]
    assert kept in names and dropped not in names
    # The name of a dropped table is free again.
    create_table(ddb, name=dropped)
    assert ddb.describe_table(TableName=dropped)["Table"]["ItemCount"] == 0


def test_data_dir_opens_cleanly_after_graceful_stop(make_server):
    srv = make_server(sync=True)
    populate(make_client(srv.endpoint))
    srv.stop_clean()
    assert mdb_stat_ok(srv.data_dir) == []
