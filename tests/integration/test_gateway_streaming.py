"""The gateway's http integration streams bodies (docs/gateway.md, `http`):
a real upstream (Python http.server) sends large chunked and Content-Length
responses and slow drips; the gateway passes them through as they come,
with backpressure, so its memory stays bounded whatever the size, and keeps
502/504, keep-alive pooling and request bodies working.

RSS is read from /proc/PID/status (VmRSS) while the body flows."""

import hashlib
import http.client
import http.server
import json
import socket
import threading
import time

import pytest

from conftest import PorticoServer, free_port

MB = 1024 * 1024
BIG = 50 * MB
PIECE = 64 * 1024

CONFIG = """\
gateway:
  listen: 127.0.0.1:{gw_port}
  accessLog: {log}
  apis:
    - name: s
      basePath: /s
      stages: [{{name: v1}}]
      routes:
        - method: ANY
          path: "/up/{{proxy+}}"
          integration: {{type: http, url: "http://127.0.0.1:{up_port}/{{proxy}}", timeoutMs: 1500}}
"""


def pattern(n):
    """Deterministic bytes: the same for upstream and test."""
    block = bytes(range(256)) * (PIECE // 256)
    full, rest = divmod(n, PIECE)
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def digest(n):
    h = hashlib.sha256()
    for b in pattern(n):
        h.update(b)
    return h.hexdigest()


EVENTS = {"aborted": threading.Event()}


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def do_GET(self):
        try:
            if self.path == "/big":
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for b in pattern(BIG):
                    self._chunk(b)
                self.wfile.write(b"0\r\n\r\n")
            elif self.path == "/biglen":
                self.send_response(200)
                self.send_header("Content-Length", str(BIG))
                self.end_headers()
                for b in pattern(BIG):
                    self.wfile.write(b)
            elif self.path == "/drip":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(10):
                    self._chunk(b"drop %d\n" % i)
                    self.wfile.flush()
                    time.sleep(0.3)
                self.wfile.write(b"0\r\n\r\n")
            elif self.path == "/cut":
                self.send_response(200)
                self.send_header("Content-Length", str(4 * MB))
                self.end_headers()
                self.wfile.write(b"x" * MB)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif self.path == "/forever":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for _ in range(100000):
                        self._chunk(b"y" * PIECE)
                except (BrokenPipeError, ConnectionResetError):
                    EVENTS["aborted"].set()
                    self.close_connection = True
                    return
            elif self.path == "/small":
                body = json.dumps({"conn": id(self.connection)}).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        h = hashlib.sha256()
        left = n
        while left:
            b = self.rfile.read(min(left, PIECE))
            if not b:
                break
            h.update(b)
            left -= len(b)
        out = json.dumps({"len": n, "sha": h.hexdigest()}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def upstream():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    srv.daemon_threads = True
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def gw(tmp_path_factory, upstream):
    d = tmp_path_factory.mktemp("gws")
    gw_port = free_port()
    cfg = d / "portico.yaml"
    cfg.write_text(CONFIG.format(gw_port=gw_port, log=d / "access.log", up_port=upstream))
    srv = PorticoServer(d / "data", extra_args=["--config", str(cfg)])
    srv.start()
    srv.gw_port = gw_port
    srv.access_log = d / "access.log"
    yield srv
    srv.stop()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class RssSampler:
    """Peak RSS of a process while a block runs."""

    def __init__(self, pid):
        self.pid = pid
        self.base = rss_kb(pid)
        self.peak = self.base
        self._stop = threading.Event()

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_kb(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()

    @property
    def growth_mb(self):
        return (self.peak - self.base) / 1024


def read_all(resp):
    h = hashlib.sha256()
    n = 0
    while True:
        b = resp.read(PIECE)
        if not b:
            break
        h.update(b)
        n += len(b)
    return n, h.hexdigest()


def warm_up(gw):
    """One round trip first, so lazily allocated per-thread state is not
    counted as growth."""
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("GET", "/s/v1/up/small")
    c.getresponse().read()
    c.close()


def test_large_chunked_response_is_streamed_with_bounded_memory(gw):
    warm_up(gw)
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    with RssSampler(gw.proc.pid) as rss:
        c.request("GET", "/s/v1/up/big")
        r = c.getresponse()
        assert r.status == 200
        assert r.getheader("transfer-encoding") == "chunked"
        assert r.getheader("content-type") == "application/octet-stream"
        assert r.getheader("x-request-id")
        n, sha = read_all(r)
    assert (n, sha) == (BIG, digest(BIG))
    # 50 MB went through; buffering it would show as >= 50 MB of growth.
    assert rss.growth_mb < 16, rss.growth_mb
    # The connection stays usable (keep-alive after a chunked response).
    c.request("GET", "/s/v1/up/small")
    r = c.getresponse()
    assert r.status == 200 and "conn" in json.loads(r.read())
    c.close()


def test_content_length_is_passed_through_and_streamed(gw):
    warm_up(gw)
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    with RssSampler(gw.proc.pid) as rss:
        c.request("GET", "/s/v1/up/biglen")
        r = c.getresponse()
        assert r.status == 200
        assert r.getheader("content-length") == str(BIG)
        assert r.getheader("transfer-encoding") is None
        n, sha = read_all(r)
    c.close()
    assert (n, sha) == (BIG, digest(BIG))
    assert rss.growth_mb < 16, rss.growth_mb


def test_client_that_does_not_read_pushes_back_on_the_upstream(gw):
    warm_up(gw)
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    with RssSampler(gw.proc.pid) as rss:
        s.sendall(b"GET /s/v1/up/big HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(2.5)  # the upstream could send all 50 MB meanwhile
        stalled_growth = rss.growth_mb
        got = 0
        buf = b""
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            got += len(b)
            buf = (buf + b)[-16:]
            if buf.endswith(b"0\r\n\r\n"):
                break
    s.close()
    assert stalled_growth < 16, stalled_growth
    assert rss.growth_mb < 16, rss.growth_mb
    assert got > BIG  # the whole body (plus chunk framing) arrived in the end


def test_slow_drip_arrives_piece_by_piece_past_the_timeout(gw):
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    t0 = time.monotonic()
    s.sendall(b"GET /s/v1/up/drip HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    t_first = None
    while not data.endswith(b"0\r\n\r\n"):
        b = s.recv(65536)
        assert b, data
        data += b
        if t_first is None and b"drop 0\n" in data:
            t_first = time.monotonic() - t0
    total = time.monotonic() - t0
    s.close()
    assert data.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding: chunked" in data.lower()
    assert t_first < 1.0  # the first piece came long before the end
    # The whole response took longer than timeoutMs (1500): after the head
    # the timeout is about inactivity, not the total duration.
    assert total > 2.5
    assert b"drop 9\n" in data


def test_upstream_cut_mid_body_closes_the_client_connection(gw):
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("GET", "/s/v1/up/cut")
    r = c.getresponse()
    assert r.status == 200
    assert r.getheader("content-length") == str(4 * MB)
    with pytest.raises(http.client.IncompleteRead):
        r.read()
    c.close()


def test_client_gone_mid_stream_stops_the_upstream(gw):
    EVENTS["aborted"].clear()
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    s.sendall(b"GET /s/v1/up/forever HTTP/1.1\r\nHost: x\r\n\r\n")
    assert s.recv(65536).startswith(b"HTTP/1.1 200")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()  # reset
    assert EVENTS["aborted"].wait(10)
    # The gateway goes on serving.
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("GET", "/s/v1/up/small")
    assert c.getresponse().status == 200
    c.close()


def test_http10_client_gets_a_close_delimited_body(gw):
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    s.sendall(b"GET /s/v1/up/drip HTTP/1.0\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"transfer-encoding" not in head.lower()
    assert b"connection: close" in head.lower()
    assert body == b"".join(b"drop %d\n" % i for i in range(10))


def test_large_request_body_is_forwarded_and_limit_still_applies(gw):
    body = b"".join(pattern(8 * MB))
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("POST", "/s/v1/up/echo", body=body, headers={"Content-Type": "application/octet-stream"})
    r = c.getresponse()
    assert r.status == 200
    assert json.loads(r.read()) == {"len": 8 * MB, "sha": digest(8 * MB)}
    c.request("POST", "/s/v1/up/echo", body=b"z" * (10 * MB + 1))
    r = c.getresponse()
    assert (r.status, json.loads(r.read())) == (413, {"message": "Request Too Long"})
    c.close()


def test_pooled_upstream_connections_survive_streaming(gw):
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    ids = set()
    for _ in range(5):
        c.request("GET", "/s/v1/up/small")
        ids.add(json.loads(c.getresponse().read())["conn"])
    c.close()
    assert len(ids) <= 2


def test_access_log_counts_streamed_bytes(gw):
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("GET", "/s/v1/up/drip")
    r = c.getresponse()
    rid = r.getheader("x-request-id")
    r.read()
    c.close()
    deadline = time.monotonic() + 5
    rec = None
    while rec is None and time.monotonic() < deadline:
        for line in open(gw.access_log):
            d = json.loads(line)
            if d["requestId"] == rid:
                rec = d
        time.sleep(0.05)
    assert rec is not None
    assert rec["status"] == 200
    assert rec["bytes"] == len(b"".join(b"drop %d\n" % i for i in range(10)))
