"""kill -9 during TransactWriteItems: every transaction is entirely present or entirely absent.

The walking skeleton's crash test (test_crash.py) extended to transactions. Each
round, writer threads run transactions of five actions over two tables — three
Puts in one table, one Put and one ADD to the writer's own counter in the other,
each with a ClientRequestToken — and the durable server is SIGKILLed at a random
moment. After the restart:
  * every acknowledged transaction is fully present;
  * every transaction in flight at the kill is fully present or fully absent;
  * each writer's counter equals the number of its transactions present (the
    Update applied exactly when the Puts did);
  * re-sending an in-flight transaction with its token completes it exactly once
    (applied if it was lost, not applied again if it had committed).
"""

import http.client
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import RawClient, create_table, make_client, mdb_stat_ok

ROUNDS = 4
WRITERS = 8
PUTS_A = 3


def tx_request(ta, tb, writer, txid):
    items = [{"Put": {"TableName": ta, "Item": {"id": {"S": f"{txid}-{j}"}, "tx": {"S": txid}, "j": {"N": str(j)}}}}
             for j in range(PUTS_A)]
    items.append({"Put": {"TableName": tb, "Item": {"id": {"S": txid}, "writer": {"N": str(writer)}}}})
    items.append({"Update": {"TableName": tb, "Key": {"id": {"S": f"ctr-{writer}"}}, "UpdateExpression": "ADD n :one",
                             "ExpressionAttributeValues": {":one": {"N": "1"}}}})
    return {"TransactItems": items, "ClientRequestToken": txid}


class Writer(threading.Thread):
    def __init__(self, port, ta, tb, rnd, idx, stop):
        super().__init__(daemon=True)
        self.port, self.ta, self.tb, self.rnd, self.idx, self.stop = port, ta, tb, rnd, idx, stop
        self.attempted = []
        self.acked = []
        self.bad = []

    def run(self):
        cl = RawClient(self.port, timeout=30)
        seq = 0
        try:
            while not self.stop.is_set():
                txid = f"r{self.rnd}w{self.idx}s{seq}"
                self.attempted.append(txid)
                try:
                    r = cl.call("TransactWriteItems", tx_request(self.ta, self.tb, self.idx, txid))
                except (OSError, http.client.HTTPException):
                    return
                if r.status != 200:
                    self.bad.append((txid, r))
                    return
                self.acked.append(txid)
                seq += 1
        finally:
            cl.close()


def presence(port, ta, tb, txids, threads=8):
    """{txid: number of its 4 items present}, read with TransactGetItems (one snapshot per transaction)."""
    chunks = [txids[i::threads] for i in range(threads)]

    def work(chunk):
        cl = RawClient(port, timeout=60)
        out = {}
        try:
            for txid in chunk:
                gets = [{"Get": {"TableName": ta, "Key": {"id": {"S": f"{txid}-{j}"}}}} for j in range(PUTS_A)]
                gets.append({"Get": {"TableName": tb, "Key": {"id": {"S": txid}}}})
                r = cl.call("TransactGetItems", {"TransactItems": gets})
                assert r.status == 200, r
                out[txid] = sum(1 for x in r.json["Responses"] if "Item" in x)
        finally:
            cl.close()
        return out

    result = {}
    with ThreadPoolExecutor(threads) as ex:
        for part in ex.map(work, chunks):
            result.update(part)
    return result


def counters(srv, tb):
    cl = make_client(srv.endpoint)
    out = {}
    for w in range(WRITERS):
        item = cl.get_item(TableName=tb, Key={"id": {"S": f"ctr-{w}"}}, ConsistentRead=True).get("Item")
        out[w] = int(item["n"]["N"]) if item else 0
    return out


@pytest.mark.slow
def test_kill_9_during_transactions_leaves_each_whole_or_absent(make_server):
    srv = make_server(sync=True)
    ddb = make_client(srv.endpoint)
    ta, tb = create_table(ddb), create_table(ddb)
    rng = random.Random()
    present_by_writer = {w: 0 for w in range(WRITERS)}
    started = time.monotonic()
    total_acked = 0
    for rnd in range(ROUNDS):
        stop = threading.Event()
        writers = [Writer(srv.port, ta, tb, rnd, i, stop) for i in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.4, 1.5))
        srv.kill9()
        stop.set()
        for w in writers:
            w.join(timeout=60)
            assert not w.is_alive(), "writer thread hung after the kill"
        bad = [b for w in writers for b in w.bad]
        assert not bad, f"transactions refused while the server was up: {bad[:3]}"
        acked = [t for w in writers for t in w.acked]
        assert acked, f"round {rnd}: no transaction was acknowledged in time"
        total_acked += len(acked)
        assert mdb_stat_ok(srv.data_dir) == [], f"round {rnd}: mdb_stat failed"

        srv.start()
        attempted = [t for w in writers for t in w.attempted]
        got = presence(srv.port, ta, tb, attempted)
        torn = {t: n for t, n in got.items() if n not in (0, PUTS_A + 1)}
        assert not torn, f"round {rnd}: torn transactions after kill -9: {list(torn.items())[:5]}"
        lost = [t for t in acked if got[t] == 0]
        assert not lost, f"round {rnd}: acknowledged transactions lost: {lost[:5]}"
        for w in writers:
            present_by_writer[w.idx] += sum(1 for t in w.attempted if got[t])
        # The ADD of each transaction applied exactly when its Puts did.
        assert counters(srv, tb) == present_by_writer, f"round {rnd}"

        # Retrying the in-flight transactions with their tokens completes each exactly once.
        cl = RawClient(srv.port)
        for w in writers:
            for txid in w.attempted:
                if txid in w.acked:
                    continue
                r = cl.call("TransactWriteItems", tx_request(ta, tb, w.idx, txid))
                assert r.status == 200, r
                if not got[txid]:
                    present_by_writer[w.idx] += 1
        cl.close()
        in_flight = [t for t in attempted if t not in set(acked)]
        again = presence(srv.port, ta, tb, in_flight, threads=2)
        assert all(n == PUTS_A + 1 for n in again.values()), again
        assert counters(srv, tb) == present_by_writer, f"round {rnd} after retries"

    elapsed = time.monotonic() - started
    print(f"transaction crash test: {ROUNDS} rounds, {total_acked} acknowledged transactions, {elapsed:.1f}s")
