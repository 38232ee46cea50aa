"""kill -9 under load: no acknowledged write is ever lost, the data dir always reopens.

ARCHITECTURE.md, load-bearing decision 7: "a write is acknowledged only after its
commit is durable ... kill -9 at any moment loses no acknowledged write and never
corrupts the data directory." Each round: 16 writer threads PutItem distinct keys
as fast as they can, recording what was acknowledged; the server is SIGKILLed at a
random moment; mdb_stat must open the data dir; the server restarts on it and every
acknowledged item must be there, intact.
"""

import base64
import hashlib
import http.client
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import RawClient, create_table, make_client, mdb_stat_ok

ROUNDS = 5
WRITERS = 16


def item_for(key, seq):
    h = hashlib.sha256(key.encode()).hexdigest()
    return {"id": {"S": key}, "seq": {"N": str(seq)}, "p": {"S": h * (1 + seq % 5)},
            "b": {"B": base64.b64encode(h.encode()[: 1 + seq % 32]).decode()}}


class Writer(threading.Thread):
    def __init__(self, port, table, rnd, idx, stop):
        super().__init__(daemon=True)
        self.port, self.table, self.rnd, self.idx, self.stop = port, table, rnd, idx, stop
        self.attempted = []   # every key sent (the last one may be in flight at the kill)
        self.acked = []       # keys whose PutItem answered 200
        self.bad = []         # non-200 answers received while the server was up

    def run(self):
        cl = RawClient(self.port, timeout=30)
        seq = 0
        try:
            while not self.stop.is_set():
                key = f"r{self.rnd}-w{self.idx}-{seq}"
                self.attempted.append((key, seq))
                try:
                    r = cl.call("PutItem", {"TableName": self.table, "Item": item_for(key, seq)})
                except (OSError, http.client.HTTPException):
                    return  # the server is gone: this write is unacknowledged
                if r.status == 200:
                    self.acked.append((key, seq))
                else:
                    self.bad.append((key, r))
                    return
                seq += 1
        finally:
            cl.close()


def fetch_all(port, table, keys, threads=16):
    """GetItem every key (ConsistentRead) on `threads` connections: {key: item or None}."""
    chunks = [keys[i::threads] for i in range(threads)]

    def work(chunk):
        cl = RawClient(port, timeout=60)
        out = {}
        try:
            for key, _ in chunk:
                r = cl.call("GetItem", {"TableName": table, "Key": {"id": {"S": key}},
                                        "ConsistentRead": True})
                assert r.status == 200, r
                out[key] = r.json.get("Item")
        finally:
            cl.close()
        return out

    result = {}
    with ThreadPoolExecutor(threads) as ex:
        for part in ex.map(work, chunks):
            result.update(part)
    return result


def verify_acked(srv, table, acked):
    got = fetch_all(srv.port, table, acked)
    missing = [k for k, _ in acked if got.get(k) is None]
    assert not missing, (f"{len(missing)} of {len(acked)} acknowledged writes lost after kill -9, "
                         f"e.g. {missing[:5]}")
    wrong = [k for k, seq in acked if got[k] != item_for(k, seq)]
    assert not wrong, f"{len(wrong)} acknowledged items came back different, e.g. {wrong[:3]}"


@pytest.mark.slow
def test_kill_9_under_write_load_loses_no_acknowledged_write(make_server):
    srv = make_server(sync=True)
    table = create_table(make_client(srv.endpoint))
    rng = random.Random()
    all_acked, all_attempted = [], []
    started = time.monotonic()
    for rnd in range(ROUNDS):
        stop = threading.Event()
        writers = [Writer(srv.port, table, rnd, i, stop) for i in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.5, 2.0))
        srv.kill9()
        stop.set()
        for w in writers:
            w.join(timeout=60)
            assert not w.is_alive(), "writer thread hung after the kill"
        bad = [b for w in writers for b in w.bad]
        assert not bad, f"writes refused while the server was up: {bad[:3]}"
        acked = [a for w in writers for a in w.acked]
        attempted = [a for w in writers for a in w.attempted]
        assert acked, f"round {rnd}: no write was acknowledged in time"
        all_acked += acked
        all_attempted += attempted

        # The killed server's data dir opens cleanly with LMDB's own tool.
        failures = mdb_stat_ok(srv.data_dir)
        assert failures == [], f"round {rnd}: mdb_stat failed: {failures}"

        srv.start()
        assert RawClient(srv.port).call("ListTables", {}).status == 200
        verify_acked(srv, table, acked)
        # Writes that were in flight at the kill may or may not have landed, but
        # never half: if present, they are whole.
        in_flight = sorted(set(attempted) - set(acked))
        got = fetch_all(srv.port, table, in_flight, threads=4)
        for key, seq in in_flight:
            assert got[key] in (None, item_for(key, seq)), f"torn in-flight write {key}"
        # ItemCount is crash-consistent with the items themselves.
        count = make_client(srv.endpoint).describe_table(TableName=table)["Table"]["ItemCount"]
        assert len(all_acked) <= count <= len(all_attempted), (count, len(all_acked))

    # Earlier rounds' data survived every later crash as well.
    verify_acked(srv, table, all_acked)
    elapsed = time.monotonic() - started
    print(f"crash test: {ROUNDS} rounds, {len(all_acked)} acknowledged writes, {elapsed:.1f}s")
