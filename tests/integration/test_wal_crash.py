"""kill -9 under mixed write load with frequent checkpoints: the write-ahead log.

docs/architecture.md, "Durability": a commit is acknowledged once its log record
is fdatasync'ed; LMDB is made durable at checkpoints; recovery rolls LMDB back to
the last checkpoint and replays the log. The server here checkpoints every 64 KiB
of log or 50 ms (PORTICO_CHECKPOINT_BYTES / _MS, test knobs read at store open),
so kills land before, during and after checkpoints. Each round: PutItem,
BatchWriteItem and DeleteItem writers run until SIGKILL; mdb_stat must open the
data dir; after restart every acknowledged put is there, whole, and every
acknowledged delete is absent. A final clean stop + start must replay nothing.
"""

import random
import threading
import time
import http.client

import pytest

from conftest import RawClient, create_table, make_client, mdb_stat_ok
from test_crash import fetch_all, item_for, verify_acked

ROUNDS = 5


class Putter(threading.Thread):
    """PutItem distinct keys; or BatchWriteItem 25 at a time when batch=True."""

    def __init__(self, port, table, tag, stop, batch=False):
        super().__init__(daemon=True)
        self.port, self.table, self.tag, self.stop, self.batch = port, table, tag, stop, batch
        self.attempted, self.acked, self.bad = [], [], []

    def run(self):
        cl = RawClient(self.port, timeout=30)
        seq = 0
        try:
            while not self.stop.is_set():
                n = 25 if self.batch else 1
                keys = [(f"{self.tag}-{seq + i}", seq + i) for i in range(n)]
                self.attempted += keys
                try:
                    if self.batch:
                        reqs = [{"PutRequest": {"Item": item_for(k, s)}} for k, s in keys]
                        r = cl.call("BatchWriteItem", {"RequestItems": {self.table: reqs}})
                    else:
                        k, s = keys[0]
                        r = cl.call("PutItem", {"TableName": self.table, "Item": item_for(k, s)})
                except (OSError, http.client.HTTPException):
                    return
                if r.status != 200:
                    self.bad.append(r)
                    return
                if self.batch:
                    unprocessed = r.json.get("UnprocessedItems", {}).get(self.table, [])
                    left = {u["PutRequest"]["Item"]["id"]["S"] for u in unprocessed}
                    self.acked += [ks for ks in keys if ks[0] not in left]
                else:
                    self.acked += keys
                seq += n
        finally:
            cl.close()


class Deleter(threading.Thread):
    """Puts a key, then deletes it; records acknowledged deletes."""

    def __init__(self, port, table, tag, stop):
        super().__init__(daemon=True)
        self.port, self.table, self.tag, self.stop = port, table, tag, stop
        self.deleted, self.bad = [], []

    def run(self):
        cl = RawClient(self.port, timeout=30)
        seq = 0
        try:
            while not self.stop.is_set():
                key = f"{self.tag}-{seq}"
                seq += 1
                try:
                    r = cl.call("PutItem", {"TableName": self.table, "Item": item_for(key, seq)})
                    if r.status != 200:
                        self.bad.append(r)
                        return
                    r = cl.call("DeleteItem", {"TableName": self.table, "Key": {"id": {"S": key}}})
                except (OSError, http.client.HTTPException):
                    return
                if r.status != 200:
                    self.bad.append(r)
                    return
                self.deleted.append((key, seq))
        finally:
            cl.close()


def wal_files(data_dir):
    import os
    return sorted(f for f in os.listdir(data_dir) if f.startswith("wal-"))


@pytest.mark.slow
def test_kill_9_with_frequent_checkpoints_keeps_acked_puts_and_deletes(make_server, monkeypatch):
    monkeypatch.setenv("PORTICO_CHECKPOINT_BYTES", "65536")
    monkeypatch.setenv("PORTICO_CHECKPOINT_MS", "50")
    srv = make_server(sync=True)
    table = create_table(make_client(srv.endpoint))
    rng = random.Random()
    all_acked, all_deleted = [], []
    for rnd in range(ROUNDS):
        stop = threading.Event()
        threads = ([Putter(srv.port, table, f"r{rnd}p{i}", stop) for i in range(6)] +
                   [Putter(srv.port, table, f"r{rnd}b{i}", stop, batch=True) for i in range(3)] +
                   [Deleter(srv.port, table, f"r{rnd}d{i}", stop) for i in range(3)])
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.7, 2.0))
        srv.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=60)
            assert not t.is_alive(), "writer thread hung after the kill"
        bad = [b for t in threads for b in t.bad]
        assert not bad, f"writes refused while the server was up: {bad[:3]}"
        acked = [a for t in threads if isinstance(t, Putter) for a in t.acked]
        attempted = [a for t in threads if isinstance(t, Putter) for a in t.attempted]
        deleted = [d for t in threads if isinstance(t, Deleter) for d in t.deleted]
        assert acked and deleted, f"round {rnd}: nothing acknowledged in time"
        all_acked += acked
        all_deleted += deleted

        assert mdb_stat_ok(srv.data_dir) == [], f"round {rnd}: mdb_stat failed"
        srv.start()
        verify_acked(srv, table, acked)
        got = fetch_all(srv.port, table, deleted, threads=8)
        back = [k for k, _ in deleted if got[k] is not None]
        assert not back, f"{len(back)} acknowledged deletes came back, e.g. {back[:3]}"
        in_flight = sorted(set(attempted) - set(acked))
        got = fetch_all(srv.port, table, in_flight, threads=4)
        for key, seq in in_flight:
            assert got[key] in (None, item_for(key, seq)), f"torn in-flight write {key}"

    verify_acked(srv, table, all_acked)
    got = fetch_all(srv.port, table, all_deleted, threads=8)
    assert all(got[k] is None for k, _ in all_deleted)
    assert "checkpoint failed" not in srv.log_text()
    assert "refusing" not in srv.log_text()

    # A clean stop checkpoints: the next start replays nothing and the data is there.
    srv.stop_clean()
    assert mdb_stat_ok(srv.data_dir) == []
    srv.start()
    verify_acked(srv, table, all_acked[-500:])
    print(f"wal crash test: {ROUNDS} rounds, {len(all_acked)} acked puts, "
          f"{len(all_deleted)} acked deletes; log files now {wal_files(srv.data_dir)}")
