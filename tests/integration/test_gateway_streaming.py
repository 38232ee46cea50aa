"""The gateway's http integration streams bodies (docs/gateway.md, `http`):
a real upstream (Python http.server) sends large chunked and Content-Length
responses and slow drips; the gateway passes them through as they come,
with backpressure, so its memory stays bounded whatever the size, and keeps
502/504, keep-alive pooling and request bodies working. Large request
bodies are streamed the other way (Content-Length passed through, chunked
forwarded chunked), with a slow upstream pushing back on the client and a
per-route maxBodyBytes instead of the 10 MiB buffered limit.

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
        - method: POST
          path: "/lim/{{proxy+}}"
          integration: {{type: http, url: "http://127.0.0.1:{up_port}/{{proxy}}", maxBodyBytes: 1048576}}
        - method: POST
          path: "/mock"
          integration: {{type: mock, status: 200, body: "ok"}}
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


EVENTS = {"aborted": threading.Event(), "go": threading.Event()}


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

    def _read_chunked(self, h):
        n = 0
        while True:
            line = self.rfile.readline()
            if not line.strip():
                return n  # the gateway cut the body off
            size = int(line.split(b";")[0], 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return n
            left = size
            while left:
                b = self.rfile.read(min(left, PIECE))
                if not b:
                    return n
                h.update(b)
                left -= len(b)
                n += len(b)
            self.rfile.readline()

    def do_POST(self):
        h = hashlib.sha256()
        chunked = "chunked" in (self.headers.get("transfer-encoding") or "").lower()
        slow = self.path.startswith("/slow")
        if chunked:
            n = self._read_chunked(h)
        else:
            n = int(self.headers.get("content-length") or 0)
            left = n
            while left:
                if slow and not EVENTS["go"].is_set():
                    time.sleep(0.05)  # about 1.3 MB/s until released
                b = self.rfile.read(min(left, PIECE))
                if not b:
                    break
                h.update(b)
                left -= len(b)
        out = json.dumps({"len": n, "sha": h.hexdigest(), "chunked": chunked}).encode()
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
    assert json.loads(r.read()) == {"len": 8 * MB, "sha": digest(8 * MB), "chunked": False}
    c.close()
    # Routes that need the body whole (here a mock) keep the 10 MiB limit.
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("POST", "/s/v1/mock", body=b"z" * (10 * MB + 1))
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


def upload_body(n):
    for b in pattern(n):
        yield b


def test_100mb_upload_is_streamed_with_bounded_memory(gw):
    warm_up(gw)
    n = 100 * MB
    with RssSampler(gw.proc.pid) as rs:
        c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=60)
        c.request("POST", "/s/v1/up/count", body=upload_body(n),
                  headers={"Content-Length": str(n), "Content-Type": "application/octet-stream"})
        r = c.getresponse()
        assert r.status == 200
        # Content-Length passed through: the upstream saw no chunking.
        assert json.loads(r.read()) == {"len": n, "sha": digest(n), "chunked": False}
        # The connection stays usable after a streamed body read to its end.
        c.request("GET", "/s/v1/up/small")
        assert c.getresponse().status == 200
        c.close()
    assert rs.growth_mb < 16, rs.growth_mb


def test_chunked_upload_is_forwarded_chunked(gw):
    n = 20 * MB + 123
    with RssSampler(gw.proc.pid) as rs:
        c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=60)
        c.request("POST", "/s/v1/up/count", body=upload_body(n), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
        r = c.getresponse()
        assert r.status == 200
        assert json.loads(r.read()) == {"len": n, "sha": digest(n), "chunked": True}
        c.close()
    assert rs.growth_mb < 16, rs.growth_mb


def test_slow_upstream_pushes_back_on_the_uploading_client(gw):
    EVENTS["go"].clear()
    n = 80 * MB
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    s.sendall(b"POST /s/v1/up/slow HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % n)
    sent = 0
    block = b"".join(pattern(PIECE * 16))
    s.setblocking(False)
    with RssSampler(gw.proc.pid) as rs:
        t_end = time.monotonic() + 3
        while time.monotonic() < t_end:
            off = sent % PIECE  # block repeats every PIECE bytes, like pattern()
            try:
                sent += s.send(block[off: off + min(len(block) - off, n - sent)])
            except BlockingIOError:
                time.sleep(0.01)
        # The upstream reads ~1.3 MB/s: the client is held back (kernel
        # buffers on both legs plus the gateway's bounded queue), not 80 MB.
        assert sent < 40 * MB, sent
        EVENTS["go"].set()
        s.settimeout(60)
        while sent < n:
            off = sent % PIECE
            sent += s.send(block[off: off + min(len(block) - off, n - sent)])
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200")
    assert json.loads(data.split(b"\r\n\r\n", 1)[1]) == {"len": n, "sha": digest(n), "chunked": False}
    assert rs.growth_mb < 16, rs.growth_mb


def test_streamed_body_over_route_max_body_bytes_is_413(gw):
    # Announced too large: refused before any byte is forwarded.
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("POST", "/s/v1/lim/count", body=b"z" * (2 * MB))
    r = c.getresponse()
    assert (r.status, json.loads(r.read())) == (413, {"message": "Request Too Long"})
    c.close()
    # Chunked: counted as it streams, refused when the limit is crossed.
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    try:
        c.request("POST", "/s/v1/lim/count", body=upload_body(2 * MB), encode_chunked=True,
                  headers={"Transfer-Encoding": "chunked"})
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.getresponse()
    assert (r.status, json.loads(r.read())) == (413, {"message": "Request Too Long"})
    c.close()
    # Under the limit it goes through.
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("POST", "/s/v1/lim/count", body=upload_body(MB - 1), encode_chunked=True,
              headers={"Transfer-Encoding": "chunked"})
    r = c.getresponse()
    assert r.status == 200
    assert json.loads(r.read())["len"] == MB - 1
    c.close()


def test_client_gone_mid_upload_leaves_the_gateway_healthy(gw):
    s = socket.create_connection(("127.0.0.1", gw.gw_port), timeout=30)
    s.sendall(b"POST /s/v1/up/count HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (50 * MB))
    s.sendall(b"a" * (3 * MB))
    s.close()
    time.sleep(0.3)
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    c.request("POST", "/s/v1/up/count", body=b"b" * (MB))
    r = c.getresponse()
    assert r.status == 200
    assert json.loads(r.read())["len"] == MB
    c.close()
