"""Small responses of the gateway's http integration (docs/gateway.md,
`http`, "Small responses"): a response whose Content-Length is at most
16 KiB is received whole and answered in one write. A raw-socket upstream
scripts the bytes exactly (headers split across TCP segments, an empty
header value, a body cut short, a slow body, its own 502), so that the
header rewriting, the error mapping and the keep-alive pooling of that path
are checked byte for byte."""

import http.client
import socket
import threading
import time

import pytest

from conftest import PorticoServer, free_port

CONFIG = """\
gateway:
  listen: 127.0.0.1:{gw_port}
  accessLog: "off"
  apis:
    - name: s
      basePath: /s
      stages: [{{name: v1}}]
      routes:
        - method: ANY
          path: "/up/{{proxy+}}"
          integration: {{type: http, url: "http://127.0.0.1:{up_port}/{{proxy}}", timeoutMs: 1000}}
"""


class RawUpstream:
    """Answers each request by its path with scripted pieces of bytes
    (sent with a short pause in between, so they arrive as separate
    reads); counts the connections it accepted."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.requests = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                s, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, s):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = s.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                with self.lock:
                    self.requests.append(head)
                path = head.split(b" ")[1].decode()
                pieces, close = SCRIPTS[path]
                for i, p in enumerate(pieces):
                    if i:
                        time.sleep(0.05)
                    s.sendall(p)
                if close:
                    s.shutdown(socket.SHUT_RDWR)
                    return
        except OSError:
            return
        finally:
            s.close()


BODY = b'{"ok":true}'

SCRIPTS = {
    # Headers split inside a name and inside a value; an empty value; hop-by-hop
    # and framing headers that must not come through.
    "/split": ([
        b"HTTP/1.1 201 Created\r\nContent-Type: application/js",
        b"on\r\nX-Emp",
        b"ty:\r\nX-Long: " + b"v" * 100,
        b"w\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nDate: x\r\nX-Request-Id: up\r\n"
        b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY,
    ], False),
    # The upstream's own 502 is its answer, not a gateway failure.
    "/own502": ([b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 13\r\n\r\n{\"up\":\"down\"}"], False),
    # Cut short: 100 bytes announced, 10 sent, then the connection closes.
    "/cut": ([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"], True),
    # Silent after part of the body: the inactivity timeout (1 s) ends it.
    "/stall": ([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"], False),
    # Head first, body later (within the timeout).
    "/slow": ([b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", b'{"ok":true}'], False),
    "/plain": ([b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n" + BODY], False),
    "/empty204": ([b"HTTP/1.1 204 No Content\r\nX-A: b\r\n\r\n"], False),
}


@pytest.fixture(scope="module")
def up():
    u = RawUpstream()
    yield u
    u.sock.close()


@pytest.fixture(scope="module")
def gw(tmp_path_factory, up):
    d = tmp_path_factory.mktemp("gwsmall")
    gw_port = free_port()
    cfg = d / "portico.yaml"
    cfg.write_text(CONFIG.format(gw_port=gw_port, up_port=up.port))
    srv = PorticoServer(d / "data", extra_args=["--config", str(cfg)])
    srv.start()
    srv.gw_port = gw_port
    yield srv
    srv.stop()


def get(gw, path, method="GET"):
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=10)
    c.request(method, path)
    r = c.getresponse()
    body = r.read()
    c.close()
    return r, body


def test_split_headers_are_reassembled_and_filtered(gw):
    r, body = get(gw, "/s/v1/up/split")
    assert r.status == 201
    assert body == BODY
    assert r.getheader("content-type") == "application/json"
    assert r.getheader("x-empty") == ""
    assert r.getheader("x-long") == "v" * 100 + "w"
    assert r.getheader("content-length") == str(len(BODY))
    assert r.getheader("keep-alive") is None
    assert r.getheader("date") != "x"
    assert r.getheader("x-request-id") not in (None, "up")
    # One of each: nothing the gateway sets itself is doubled.
    names = [k.lower() for k, _ in r.getheaders()]
    assert len(names) == len(set(names)), names


def test_upstream_own_502_is_passed_through(gw):
    r, body = get(gw, "/s/v1/up/own502")
    assert (r.status, body) == (502, b'{"up":"down"}')


def test_small_body_cut_short_is_a_clean_502(gw):
    r, body = get(gw, "/s/v1/up/cut")
    assert r.status == 502
    assert body == b'{"message":"Bad Gateway"}'


def test_small_body_stalled_is_a_504(gw):
    r, body = get(gw, "/s/v1/up/stall")
    assert r.status == 504
    assert body == b'{"message":"Endpoint request timed out"}'


def test_head_then_body_later_arrives_whole(gw):
    r, body = get(gw, "/s/v1/up/slow")
    assert (r.status, body) == (200, BODY)


def test_no_body_responses(gw):
    r, body = get(gw, "/s/v1/up/empty204")
    assert (r.status, body, r.getheader("x-a")) == (204, b"", "b")
    assert r.getheader("content-length") is None
    r, body = get(gw, "/s/v1/up/plain", method="HEAD")
    assert (r.status, body) == (200, b"")


def test_small_responses_reuse_one_pooled_connection(gw, up):
    get(gw, "/s/v1/up/plain")  # a pooled connection exists (per loop thread)
    before = up.connections
    c = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=10)
    for _ in range(50):
        c.request("GET", "/s/v1/up/plain")
        r = c.getresponse()
        assert (r.status, r.read()) == (200, BODY)
    c.close()
    # The client connection stays on one loop thread: at most one new
    # upstream connection (when that thread had none idle yet).
    assert up.connections - before <= 1
