"""Hostile clients (issue 8): slowloris, oversized and malformed requests, thousands of
idle connections, connection and memory caps. Throughout, the server must keep answering
health checks and well-behaved clients, never crash, and keep its memory bounded.

All traffic goes to 127.0.0.1 only; every loop is bounded in count and time.
"""

import errno
import http.client
import os
import resource
import socket
import time

import pytest

from conftest import SANITIZED, TARGET_PREFIX, make_client, unique_name

SLOW_READ_TIMEOUT = 1.0


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def health(port, timeout=5.0):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, body
    finally:
        conn.close()


def assert_healthy(srv):
    assert srv.alive(), srv.log_tail()
    t0 = time.monotonic()
    assert health(srv.port) == (200, b"healthy: portico")
    assert time.monotonic() - t0 < 2.0, "health check starved"


def raw_exchange(port, data, timeout=10.0, shut=True):
    """Sends bytes, reads until the server closes (or timeout); returns what came back."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks)
    finally:
        s.close()


def status_of(reply):
    assert reply.startswith(b"HTTP/1.1 "), reply[:200]
    return int(reply[9:12])


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    """A server with short read timeouts, a small buffer budget and a connection cap."""
    from conftest import PorticoServer, _teardown_server
    # --no-sync, whatever PORTICO_TEST_SYNC says: these tests are about
    # connections and buffers, not storage (see test_ten_thousand_idle_connections).
    srv = PorticoServer(tmp_path_factory.mktemp("abuse") / "data", sync=False,
                        extra_args=["--read-timeout", str(SLOW_READ_TIMEOUT),
                                    "--max-buffer-memory", "48", "--threads", "2"])
    srv.start()
    yield srv
    _teardown_server(srv)


def test_slowloris_clients_are_cut_off_and_others_served(hardened):
    ddb = make_client(hardened.endpoint)
    slow = []
    for _ in range(200):
        s = socket.create_connection(("127.0.0.1", hardened.port), timeout=5)
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    try:
        # While they trickle, everyone else is served promptly.
        t_end = time.monotonic() + SLOW_READ_TIMEOUT * 2.5
        while time.monotonic() < t_end:
            for s in slow:
                try:
                    s.send(b"X")
                except OSError:
                    pass
            assert_healthy(hardened)
            assert "TableNames" in ddb.list_tables()
            time.sleep(0.2)
        # By now every trickling request has passed its read timeout: closed.
        closed = 0
        for s in slow:
            s.settimeout(2)
            try:
                closed += s.recv(1) == b""
            except (ConnectionResetError, BrokenPipeError):
                closed += 1
            except socket.timeout:
                pass
        assert closed == len(slow)
    finally:
        for s in slow:
            s.close()


def test_header_block_over_limit_is_431(hardened):
    reply = raw_exchange(hardened.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 +
                         b"\r\n\r\n")
    assert status_of(reply) == 431
    assert_healthy(hardened)


def test_too_many_header_lines_is_431(hardened):
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(300))
    reply = raw_exchange(hardened.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")
    assert status_of(reply) == 431
    assert_healthy(hardened)


def test_malformed_requests_are_400_and_closed(hardened):
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),
                 b"GET / HTTP/9.9\r\n\r\n",
                 b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                 b"\r\n\r\n\x00\x00\x00"):
        reply = raw_exchange(hardened.port, junk)
        assert status_of(reply) == 400, (junk, reply[:100])
    assert_healthy(hardened)


def test_announced_oversized_body_is_413_at_once(hardened):
    t0 = time.monotonic()
    reply = raw_exchange(hardened.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 17000000\r\n"
                         b"X-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n", shut=False)
    assert status_of(reply) == 413
    assert b"RequestEntityTooLargeException" in reply
    assert time.monotonic() - t0 < 5


def test_endless_chunked_body_is_cut_at_the_body_limit(hardened):
    s = socket.create_connection(("127.0.0.1", hardened.port), timeout=20)
    try:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  b"Content-Type: application/x-amz-json-1.0\r\n\r\n")
        chunk = b"100000\r\n" + b"a" * 0x100000 + b"\r\n"
        sent = 0
        try:
            for _ in range(40):  # 40 MiB would be sent; the server stops us at 16 MiB
                s.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        s.settimeout(10)
        reply = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                reply += b
        except (ConnectionResetError, socket.timeout):
            pass
        # The answer comes once 16 MiB have arrived; the rest is read and discarded
        # (lingering close: the client sees the answer, not a reset), never buffered.
        assert reply.startswith(b"HTTP/1.1 413") or reply.startswith(b"HTTP/1.1 503"), reply[:100]
        assert sent >= 16
    finally:
        s.close()
    assert_healthy(hardened)


def test_request_memory_budget_refuses_with_503(hardened):
    """Ten clients each announce 15 MiB bodies and send them slowly: the 48 MiB budget
    admits only a few; the rest get 503 at once, and memory stays bounded."""
    pid = hardened.proc.pid
    before = rss_kib(pid)
    socks, replies = [], []
    try:
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", hardened.port), timeout=5)
            s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 15000000\r\n"
                      b"Content-Type: application/x-amz-json-1.0\r\n"
                      b"X-Amz-Target: DynamoDB_20120810.ListTables\r\n\r\n" + b" " * 1000000)
            socks.append(s)
        time.sleep(0.3)
        assert_healthy(hardened)
        for s in socks:
            s.settimeout(0.5)
            try:
                replies.append(s.recv(4096))
            except socket.timeout:
                replies.append(b"")
        refused = [r for r in replies if r.startswith(b"HTTP/1.1 503")]
        assert 5 <= len(refused) <= 8, [r[:40] for r in replies]
        assert b"ServiceUnavailableException" in refused[0]
        assert rss_kib(pid) - before < 80 * 1024
    finally:
        for s in socks:
            s.close()
    assert_healthy(hardened)


def test_hostile_json_bodies_are_rejected_cleanly(hardened):
    ddb_port = hardened.port

    def post(op, body):
        conn = http.client.HTTPConnection("127.0.0.1", ddb_port, timeout=30)
        try:
            conn.request("POST", "/", body=body, headers={
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET_PREFIX + op})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    deep = b"[" * 200000 + b"]" * 200000
    assert post("PutItem", deep)[0] == 400
    table = unique_name("abuse")
    ddb = make_client(hardened.endpoint)
    ddb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    giant_number = ('{"TableName":"%s","Item":{"id":{"S":"1"},"n":{"N":"%s"}}}'
                    % (table, "9" * 5000000)).encode()
    assert post("PutItem", giant_number)[0] == 400
    huge_expr = ('{"TableName":"%s","Key":{"id":{"S":"1"}},"UpdateExpression":"SET %s"}'
                 % (table, ", ".join(f"a{i} = a{i}" for i in range(300000)))).encode()
    assert post("UpdateItem", huge_expr)[0] == 400
    nested_av = ('{"TableName":"%s","Item":{"id":{"S":"1"},"m":%s}}'
                 % (table, '{"M":{"a":' * 60 + '{"S":"x"}' + "}}" * 60)).encode()
    assert post("PutItem", nested_av)[0] == 400
    assert_healthy(hardened)


# Not in the sanitizer pass: run right after tens of thousands of other
# loopback connections (the plain suite, the fuzzers), its server has
# accepted none of the first 500 connections for 120 s, with no client
# error and a server that then stopped cleanly; never on a quiet machine.
# Not understood yet (docs/testing.md); the plain pass, the first
# network-heavy step of `make test`, keeps covering it.
@pytest.mark.slow
def test_ten_thousand_idle_connections(make_server):
    """10,000 idle keep-alive connections: the server keeps serving others, and its
    memory stays bounded (a few KiB per connection)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 10300:
        pytest.skip(f"descriptor hard limit {hard} < 10300")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    # --no-sync: this test is about connections, not storage.
    srv = make_server(sync=False, extra_args=["--max-connections", "10100"])
    pid = srv.proc.pid
    before = rss_kib(pid)

    def server_sockets():
        n = 0
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
            except OSError:
                pass   # closed meanwhile
        return n

    # Sockets, not descriptors: the store opens and closes files on its own.
    base = server_sockets()
    socks = []
    try:
        # In batches the server accepts before the next one, so that no
        # listen backlog overflows (a dropped SYN is retried seconds later).
        deadline = time.monotonic() + 120   # slower under sanitizers
        refused = {}   # connect errors other than "in progress", by errno name
        for i in range(10000):
            s = socket.socket()
            s.setblocking(False)
            rc = s.connect_ex(("127.0.0.1", srv.port))
            if rc not in (0, errno.EINPROGRESS):
                name = errno.errorcode.get(rc, rc)
                refused[name] = refused.get(name, 0) + 1
            socks.append(s)
            if i % 500 == 499:
                while server_sockets() < base + i + 1:
                    assert time.monotonic() < deadline, \
                        f"server accepted {server_sockets() - base} of {i + 1} connections " \
                        f"(client-side connect errors: {refused or 'none'})"
                    time.sleep(0.05)
            if i % 1000 == 999:
                assert_healthy(srv)
        assert_healthy(srv)
        ddb = make_client(srv.endpoint)
        assert "TableNames" in ddb.list_tables()
        grown = rss_kib(pid) - before
        # ~1.5 KiB of connection state each, plus allocator slack (ASan's
        # redzones and quarantine add more in sanitized builds).
        bound = (400 if SANITIZED else 120) * 1024
        assert grown < bound, f"RSS grew by {grown} KiB for 10,000 idle connections"
        # Past the cap, a new connection is refused with a clear 503.
        extra = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(120)]
        try:
            extra[-1].settimeout(30)
            reply = extra[-1].recv(4096)
            assert reply.startswith(b"HTTP/1.1 503 Service Unavailable"), (reply[:80], srv.log_tail())
            assert b"too many open connections" in reply
        finally:
            for s in extra:
                s.close()
    finally:
        for s in socks:
            s.close()
    # Once they are gone, everything works as before.
    time.sleep(0.5)
    assert_healthy(srv)
