"""HTTP/1.1 behaviour of the portico server, over raw sockets.

Each test talks bytes to a real `portico serve` (PORTICO_BIN, default
build/portico in this repository) started on a free port with a fresh data
directory and --no-sync. These tests pin down the transport: keep-alive,
pipelining, chunked bodies, limits, timeouts, the AWS response headers and
graceful shutdown. The DynamoDB operations themselves are tested elsewhere;
the few tests here that call one (ListTables) need the real engine linked.
"""
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import zlib

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTICO_BIN = os.environ.get("PORTICO_BIN", os.path.join(REPO_ROOT, "build/portico"))

JSON_CT = "application/x-amz-json-1.0"
MAX_BODY = 16 * 1024 * 1024


# ---------------------------------------------------------------- server


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A `portico serve` process on 127.0.0.1:<free port>."""

    def __init__(self, *extra_args):
        self.dir = tempfile.TemporaryDirectory(prefix="portico-http-")
        self.port = free_port()
        self.log_path = os.path.join(self.dir.name, "stderr.log")
        self.log = open(self.log_path, "wb")
        args = [PORTICO_BIN, "serve", "--listen", "127.0.0.1:%d" % self.port,
                "--data-dir", os.path.join(self.dir.name, "data"), "--no-sync"]
        args += list(extra_args)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log)
        self._wait_ready()

    def _wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("portico exited with %s:\n%s" % (self.proc.returncode, self.stderr()))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("portico did not listen within %ss:\n%s" % (timeout, self.stderr()))

    def stderr(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def connect(self, timeout=10.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.dir.cleanup()
        return self.proc.returncode


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    rc = srv.stop()
    assert rc == 0, srv.stderr()


# ---------------------------------------------------------------- HTTP helpers


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())


class Reader:
    """Reads consecutive HTTP responses from one socket (keeps leftovers)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("connection closed; buffered %r" % self.buf[:200])
        self.buf += data

    def read(self, head_only=False):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/1\.[01] (\d{3}) ", lines[0] + " ")
        assert m, lines[0]
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        length = 0 if head_only else int(headers.get("content-length", "0"))
        while len(self.buf) < length:
            self._fill()
        body, self.buf = self.buf[:length], self.buf[length:]
        return Response(int(m.group(1)), headers, body)

    def at_eof(self, timeout=5.0):
        """True when the peer closes (after any buffered bytes) within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
                self.buf += data
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False


def get(path="/", extra=""):
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % (path, extra)).encode()


def post(target, body=b"{}", content_type=JSON_CT, extra=""):
    head = "POST / HTTP/1.1\r\nHost: localhost\r\n"
    if content_type is not None:
        head += "Content-Type: %s\r\n" % content_type
    if target is not None:
        head += "X-Amz-Target: %s\r\n" % target
    head += "Content-Length: %d\r\n%s\r\n" % (len(body), extra)
    return head.encode() + body


def roundtrip(server, raw, head_only=False):
    with server.connect() as s:
        s.sendall(raw)
        return Reader(s).read(head_only=head_only)


def assert_alive(server):
    r = roundtrip(server, get())
    assert r.status == 200 and r.body == b"healthy: portico"


# ---------------------------------------------------------------- basics


def test_get_any_path_answers_health_check(server):
    for path in ("/", "/some/path?x=1"):
        r = roundtrip(server, get(path))
        assert r.status == 200
        assert r.body == b"healthy: portico"
        assert r.header("content-length") == "16"


def test_head_answers_health_headers_without_body(server):
    with server.connect() as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get())
        rd = Reader(s)
        r = rd.read(head_only=True)
        assert r.status == 200 and r.header("content-length") == "16" and r.body == b""
        # The next response starts right after the head: no body bytes sent.
        r2 = rd.read()
        assert r2.status == 200 and r2.body == b"healthy: portico"


def test_responses_carry_crc32_of_body(server):
    for raw in (get(), post("DynamoDB_20120810", b"{}"), post(None, b"{}")):
        r = roundtrip(server, raw)
        assert r.header("x-amz-crc32") == str(zlib.crc32(r.body) & 0xFFFFFFFF)


def test_request_id_is_52_chars_of_upper_alnum_and_unique(server):
    ids = set()
    with server.connect() as s:
        rd = Reader(s)
        for _ in range(20):
            s.sendall(get())
            rid = rd.read().header("x-amzn-requestid")
            assert re.fullmatch(r"[A-Z0-9]{52}", rid), rid
            ids.add(rid)
    assert len(ids) == 20


def test_date_header_present(server):
    r = roundtrip(server, get())
    assert re.fullmatch(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT", r.header("date"))


# ---------------------------------------------------------------- routing


def test_missing_target_is_unknown_operation(server):
    r = roundtrip(server, post(None))
    assert r.status == 400
    assert r.body == b'{"__type":"com.amazon.coral.service#UnknownOperationException"}'
    assert r.header("content-type") == JSON_CT


@pytest.mark.parametrize("target", ["DynamoDB_20120810", "DynamoDB_20120810.", "Other_1.ListTables",
                                    "DynamoDB_20120810.List.Tables", "dynamodb_20120810.ListTables"])
def test_malformed_target_is_unknown_operation(server, target):
    r = roundtrip(server, post(target))
    assert r.status == 400
    assert b"UnknownOperationException" in r.body


def test_wrong_content_type_with_body_gets_404_like_dynamodb(server):
    r = roundtrip(server, post("DynamoDB_20120810.ListTables", b"{}", content_type="text/plain"))
    assert r.status == 404
    assert r.body == b"<UnknownOperationException/>\n"
    assert r.header("x-amz-crc32") == "3552371480"


def test_unsupported_method_gets_404(server):
    r = roundtrip(server, b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert r.status == 404
    assert r.body == b"<UnknownOperationException/>\n"


def test_plain_json_content_type_is_mirrored(server):
    r = roundtrip(server, post(None, b"{}", content_type="application/json"))
    assert r.status == 400
    assert r.header("content-type") == "application/json"


# ---------------------------------------------------------------- connection management


def test_keep_alive_serves_several_requests_on_one_socket(server):
    with server.connect() as s:
        rd = Reader(s)
        for i in range(5):
            s.sendall(get("/%d" % i) if i % 2 == 0 else post(None))
            r = rd.read()
            assert r.status == (200 if i % 2 == 0 else 400)
            assert r.header("connection") is None
        assert not rd.at_eof(timeout=0.3)


def test_pipelined_requests_in_one_send_are_answered_in_order(server):
    raw = (get("/a") + post(None) + get("/b")
           + post("DynamoDB_20120810.ListTables", b"{}", content_type="text/plain")
           + b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/c"))
    with server.connect() as s:
        s.sendall(raw)
        rd = Reader(s)
        statuses = [rd.read().status for _ in range(4)]
        head = rd.read(head_only=True)
        last = rd.read()
    assert statuses == [200, 400, 200, 404]
    assert head.status == 200 and last.body == b"healthy: portico"


def test_many_pipelined_requests_are_all_answered(server):
    n = 500
    with server.connect() as s:
        s.sendall(get() * n)
        rd = Reader(s)
        for _ in range(n):
            assert rd.read().status == 200


def test_pipeline_split_at_arbitrary_points_is_parsed_the_same(server):
    import random
    rnd = random.Random(1234)
    reqs = [get("/x"), post(None, b'{"k":"' + b"v" * 3000 + b'"}'),
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + JSON_CT.encode()
            + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(b"{}" * 50, size=13),
            post("DynamoDB_20120810.ListTables", b"{}", content_type="text/plain")]
    expected = [200, 400, 400, 404]
    for _ in range(5):
        order = [rnd.randrange(len(reqs)) for _ in range(12)]
        raw = b"".join(reqs[i] for i in order)
        with server.connect() as s:
            pos = 0
            while pos < len(raw):
                step = rnd.choice([1, 2, 5, 17, 100, 1000, 4096])
                s.sendall(raw[pos:pos + step])
                pos += step
            rd = Reader(s)
            assert [rd.read().status for _ in order] == [expected[i] for i in order]


def test_connection_close_is_honoured(server):
    with server.connect() as s:
        s.sendall(get(extra="Connection: close\r\n") + get())
        rd = Reader(s)
        r = rd.read()
        assert r.status == 200 and r.header("connection") == "close"
        assert rd.at_eof()
        assert rd.buf == b""  # the second request was not answered


def test_http10_closes_unless_keep_alive_requested(server):
    with server.connect() as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        rd = Reader(s)
        assert rd.read().header("connection") == "close"
        assert rd.at_eof()
    with server.connect() as s:
        s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        rd = Reader(s)
        assert rd.read().header("connection") == "keep-alive"
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert rd.read().status == 200
        assert rd.at_eof()


def test_half_closed_client_still_gets_answers(server):
    with server.connect() as s:
        s.sendall(get() + get())
        s.shutdown(socket.SHUT_WR)
        rd = Reader(s)
        assert rd.read().status == 200
        assert rd.read().status == 200
        assert rd.at_eof()


# ---------------------------------------------------------------- bodies


def chunked(body, size=7):
    out = b""
    for i in range(0, len(body), size):
        piece = body[i:i + size]
        out += b"%x\r\n%s\r\n" % (len(piece), piece)
    return out + b"0\r\n\r\n"


def test_chunked_body_is_read_whole_and_connection_continues(server):
    body = b'{"padding":"' + b"x" * 1000 + b'"}'
    raw = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + JSON_CT.encode()
           + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(body))
    with server.connect() as s:
        s.sendall(raw + get())
        rd = Reader(s)
        assert rd.read().status == 400  # no target: the body was still consumed
        assert rd.read().status == 200


def test_body_split_across_many_sends_is_reassembled(server):
    raw = post(None, b'{"a":"' + b"y" * 100000 + b'"}')
    with server.connect() as s:
        for i in range(0, len(raw), 4096):
            s.sendall(raw[i:i + 4096])
        s.sendall(get())
        rd = Reader(s)
        assert rd.read().status == 400
        assert rd.read().status == 200


def test_expect_100_continue_is_answered_before_the_body(server):
    body = b"{}"
    head = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
            "Expect: 100-continue\r\n\r\n" % (JSON_CT, len(body))).encode()
    with server.connect() as s:
        s.sendall(head)
        rd = Reader(s)
        interim = rd.read()
        assert interim.status == 100
        s.sendall(body)
        assert rd.read().status == 400


def test_content_length_over_16_mib_is_rejected_with_413(server):
    head = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nX-Amz-Target: "
            "DynamoDB_20120810.PutItem\r\nContent-Length: %d\r\n\r\n" % (JSON_CT, MAX_BODY + 1)).encode()
    with server.connect() as s:
        s.sendall(head)
        try:  # the server answers without waiting for the body
            s.sendall(b"x" * (1024 * 1024))
        except OSError:
            pass
        rd = Reader(s)
        r = rd.read()
        assert r.status == 413
        assert r.header("connection") == "close"
        assert b"RequestEntityTooLargeException" in r.body
        assert r.header("x-amz-crc32") == str(zlib.crc32(r.body))
    assert_alive(server)


def test_whole_body_over_16_mib_sent_anyway_gets_413_not_a_reset(server):
    body = b"x" * (MAX_BODY + 1)
    with server.connect(timeout=30) as s:
        s.sendall(post("DynamoDB_20120810.PutItem", body))
        r = Reader(s).read()
        assert r.status == 413
    assert_alive(server)


def test_chunked_body_over_16_mib_is_rejected_with_413(server):
    head = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + JSON_CT.encode()
            + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (1024 * 1024, b"z" * (1024 * 1024))
    with server.connect(timeout=30) as s:
        s.sendall(head)
        try:
            for _ in range(17):
                s.sendall(chunk)
        except OSError:
            pass
        r = Reader(s).read()
        assert r.status == 413
    assert_alive(server)


def test_body_of_exactly_16_mib_is_accepted(server):
    body = b" " * MAX_BODY  # not JSON, but the transport must take it
    with server.connect(timeout=30) as s:
        s.sendall(post(None, body) + get())
        rd = Reader(s)
        assert rd.read().status == 400  # UnknownOperation: routed, not 413
        assert rd.read().status == 200


# ---------------------------------------------------------------- malformed input


def test_oversized_headers_are_rejected_and_server_survives(server):
    raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n"
    with server.connect() as s:
        try:
            s.sendall(raw)
        except OSError:
            pass
        rd = Reader(s)
        r = rd.read()
        assert r.status == 431
        assert r.header("connection") == "close"
        assert rd.at_eof()
    assert_alive(server)


def test_oversized_request_line_is_rejected(server):
    with server.connect() as s:
        try:
            s.sendall(b"GET /" + b"p" * (70 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        except OSError:
            pass
        assert Reader(s).read().status == 431


def test_header_limit_applies_per_request_not_per_connection(server):
    extra = "X-Pad: %s\r\n" % ("p" * 40000)
    with server.connect() as s:
        rd = Reader(s)
        for _ in range(3):  # 120 KB of headers in all, 40 KB per request
            s.sendall(get(extra=extra))
            assert rd.read().status == 200


def test_many_headers_under_limit_are_fine(server):
    extra = "".join("X-H%d: %s\r\n" % (i, "v" * 100) for i in range(200))  # ~22 KiB
    assert roundtrip(server, get(extra=extra)).status == 200


def assert_refused_with_400_and_close(server, raw):
    with server.connect() as s:
        s.sendall(raw)
        rd = Reader(s)
        r = rd.read()
        assert r.status == 400, raw
        assert r.header("connection") == "close"
        assert rd.at_eof()
    assert_alive(server)


def test_malformed_request_line_gets_400_and_close(server):
    for raw in (b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /\x00 HTTP/1.1\r\n\r\n",
                b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"):
        assert_refused_with_400_and_close(server, raw)


def test_content_length_with_chunked_is_rejected(server):
    raw = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
    assert roundtrip(server, raw).status == 400


@pytest.mark.parametrize("raw", [
    b"POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",    # two lengths
    b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",  # another coding
    b"GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n",                            # obs-fold
    b"GET http://example.com/ HTTP/1.1\r\n\r\n",                                   # proxies' form
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}0\r\n\r\n",  # chunk overrun
])
def test_ambiguous_framing_gets_400_and_close(server, raw):
    """Where a request's end could be read two ways, it is refused
    (src/util/http_parse.c, docs/security.md)."""
    assert_refused_with_400_and_close(server, raw)


def test_chunked_body_with_extensions_and_trailers_is_served(server):
    body = b"{}"
    raw = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + JSON_CT.encode()
           + b"\r\nX-Amz-Target: DynamoDB_20120810.ListTables\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"2;name=value\r\n" + body + b"\r\n0\r\nX-Trailer: t\r\n\r\n")
    with server.connect() as s:
        s.sendall(raw + get())
        rd = Reader(s)
        r = rd.read()
        assert r.status == 200, r.body
        assert b"TableNames" in r.body
        assert rd.read().status == 200   # the next request on the connection


# ---------------------------------------------------------------- timeouts and slow clients


def test_slowloris_does_not_block_another_client():
    srv = Server("--threads", "1", "--read-timeout", "3")
    try:
        slow = srv.connect()

        def trickle():
            try:
                for ch in b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100:
                    slow.sendall(bytes([ch]))
                    time.sleep(1.0)
            except OSError:
                pass

        t = threading.Thread(target=trickle, daemon=True)
        t.start()
        time.sleep(1.5)
        # One loop thread: the slow connection shares it with this request.
        for _ in range(3):
            t0 = time.monotonic()
            r = roundtrip(srv, get())
            assert r.status == 200
            assert time.monotonic() - t0 < 0.5
        # The read timeout (3 s from the first byte) closes the slow one.
        slow.settimeout(10)
        try:
            assert slow.recv(100) == b""
        except ConnectionResetError:
            pass
        slow.close()
        t.join(timeout=10)
    finally:
        assert srv.stop() == 0


def test_idle_keep_alive_connection_is_closed_after_idle_timeout():
    srv = Server("--idle-timeout", "1")
    try:
        with srv.connect() as s:
            s.sendall(get())
            rd = Reader(s)
            assert rd.read().status == 200
            t0 = time.monotonic()
            assert rd.at_eof(timeout=5)
            assert 0.7 < time.monotonic() - t0 < 3.0
        # A busy connection is not idle: requests every 0.5 s keep it open.
        with srv.connect() as s:
            rd = Reader(s)
            for _ in range(4):
                s.sendall(get())
                assert rd.read().status == 200
                time.sleep(0.5)
    finally:
        assert srv.stop() == 0


# ---------------------------------------------------------------- shutdown


def test_sigterm_with_requests_in_flight_answers_them_and_exits_zero():
    srv = Server("--threads", "2")
    socks = []
    try:
        for _ in range(8):
            s = srv.connect()
            s.sendall(get() * 300)  # deep pipelines: the server is mid-way when the signal lands
            socks.append(s)
        srv.proc.send_signal(signal.SIGTERM)
        for s in socks:
            rd = Reader(s)
            answered = 0
            while True:
                try:
                    r = rd.read()
                except EOFError:
                    break
                assert r.status == 200 and r.body == b"healthy: portico"
                answered += 1
                if r.header("connection") == "close":
                    assert rd.at_eof()
                    break
            assert rd.buf == b""  # never a truncated response
        assert srv.proc.wait(timeout=15) == 0
    finally:
        for s in socks:
            s.close()
        srv.stop()
    assert srv.proc.returncode == 0


def test_sigterm_on_idle_server_exits_zero_promptly():
    srv = Server()
    idle = srv.connect()  # an idle keep-alive connection must not delay exit
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(timeout=10) == 0
    assert time.monotonic() - t0 < 3
    idle.close()
    srv.stop()


# ---------------------------------------------------------------- command line


def run_cli(*args):
    return subprocess.run([PORTICO_BIN] + list(args), capture_output=True, timeout=10)


def test_version_prints_version():
    p = run_cli("--version")
    assert p.returncode == 0 and p.stdout == b"portico 0.1.0\n"


@pytest.mark.parametrize("args", [[], ["bogus"], ["serve", "--nope"], ["serve", "--listen", "8000"],
                                  ["serve", "--listen", "::1:8000"], ["serve", "--threads", "0"],
                                  ["serve", "--idle-timeout", "-1"], ["serve", "--config", "/nonexistent"],
                                  ["serve", "--listen"]])
def test_bad_arguments_exit_2(args):
    p = run_cli(*args)
    assert p.returncode == 2
    assert p.stderr


def test_port_in_use_fails_to_start(server):
    p = subprocess.run([PORTICO_BIN, "serve", "--listen", "127.0.0.1:%d" % server.port,
                        "--data-dir", os.path.join(server.dir.name, "other"), "--no-sync"],
                       capture_output=True, timeout=10)
    assert p.returncode == 1
    assert b"in use" in p.stderr


def test_ready_line_names_address_threads_and_data_dir(server):
    assert re.search(r"portico 0\.1\.0 listening on 127\.0\.0\.1:%d \(\d+ threads?, data .+\)" % server.port,
                     server.stderr())


def test_ipv6_listen_address():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.Popen([PORTICO_BIN, "serve", "--listen", "[::1]:0", "--data-dir", d + "/data",
                              "--no-sync", "--threads", "1"], stderr=subprocess.PIPE)
        try:
            line = p.stderr.readline().decode()
            m = re.search(r"listening on \[::1\]:(\d+)", line)
            assert m, line
            with socket.create_connection(("::1", int(m.group(1))), timeout=5) as s:
                s.sendall(get())
                assert Reader(s).read().status == 200
        finally:
            p.send_signal(signal.SIGTERM)
            assert p.wait(timeout=10) == 0


# ---------------------------------------------------------------- with the engine


def test_list_tables_through_http(server):
    # Needs the real engine (or any engine answering ListTables).
    r = roundtrip(server, post("DynamoDB_20120810.ListTables", b"{}"))
    assert r.status == 200
    assert r.header("content-type") == JSON_CT
    assert b'"TableNames"' in r.body
    assert r.header("x-amz-crc32") == str(zlib.crc32(r.body))


def test_content_type_parameters_are_accepted(server):
    r = roundtrip(server, post("DynamoDB_20120810.ListTables", b"{}",
                               content_type="application/x-amz-json-1.0; charset=utf-8"))
    assert r.status == 200


def test_pipelined_engine_calls_answered_in_order(server):
    raw = (post("DynamoDB_20120810.ListTables") + get() + post("DynamoDB_20120810.ListTables")
           + post(None))
    with server.connect() as s:
        s.sendall(raw)
        rd = Reader(s)
        rs = [rd.read() for _ in range(4)]
    assert [r.status for r in rs] == [200, 200, 200, 400]
    assert b"TableNames" in rs[0].body and b"TableNames" in rs[2].body
