"""Shared fixtures for the integration suite: a real portico server, real clients.

What lives here:
  * PorticoServer: starts `portico serve` on a free loopback port with its own data
    directory, waits until GET / answers 200, and can stop (SIGTERM, exit code must
    be 0), restart on the same port and data dir, or kill -9.
  * fixtures: `server` (one per test module; see TEST_SYNC), `make_server` (factory for
    tests that need their own server, e.g. durable mode), `ddb` (boto3 client, no
    retries), `ddb_unchecked` (same, with botocore's client-side parameter validation
    off so the *server's* validation is what gets tested), `raw` (unsigned-JSON
    helper that POSTs arbitrary bytes with any X-Amz-Target).
  * helpers: unique table names, table creation, error assertions.

Environment:
  PORTICO_BIN        server binary (default <repo>/build/portico)
  PORTICO_SANITIZED  =1 when the binary is an ASan/UBSan build: longer timeouts.

Error expectations throughout the suite are DynamoDB's own, taken from dynalite
(github.com/mhart/dynalite, test/*.js and validations/*.js, whose messages were
recorded against real DynamoDB) and from the AWS API reference; each non-obvious
expectation cites its source next to the assertion.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
PORTICO_BIN = os.environ.get("PORTICO_BIN") or str(REPO / "build" / "portico")
SANITIZED = os.environ.get("PORTICO_SANITIZED") == "1"
# Servers run durable (the write-ahead log, deferred LMDB commits and reads
# through the overlay, as in production) when a test asks for it, or for
# every test that does not say (sync=None) when PORTICO_TEST_SYNC=1 (make
# test sets it); otherwise with --no-sync.
TEST_SYNC = os.environ.get("PORTICO_TEST_SYNC") == "1"
STARTUP_TIMEOUT = 90.0 if SANITIZED else 20.0
STOP_TIMEOUT = 60.0 if SANITIZED else 20.0
REQUEST_TIMEOUT = 120.0 if SANITIZED else 30.0

REGION = "us-east-1"
ACCOUNT_ID = "000000000000"
TARGET_PREFIX = "DynamoDB_20120810."

# DynamoDB's item size limit, 400 KB (AWS developer guide, "Service, account, and
# table quotas"; dynalite db/index.js MAX_SIZE = 409600).
MAX_ITEM_SIZE = 409600

# Loopback traffic must never go through a proxy configured in the environment.
for _var in ("NO_PROXY", "no_proxy"):
    _cur = os.environ.get(_var, "")
    os.environ[_var] = ",".join(x for x in (_cur, "127.0.0.1", "localhost") if x)


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


class PorticoServer:
    """One portico process bound to 127.0.0.1:port with a data directory.

    The port and data directory stay the same across restart() / kill9() + start(),
    so clients keep their endpoint. stderr and stdout of every run go to log_path.
    """

    def __init__(self, data_dir, sync=None, port=None, extra_args=()):
        self.bin = PORTICO_BIN
        self.data_dir = str(data_dir)
        self.sync = TEST_SYNC if sync is None else sync
        self.port = port or free_port()
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = Path(self.data_dir).parent / (Path(self.data_dir).name + ".server.log")
        self._log = None
        self.runs = 0

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def argv(self):
        argv = [self.bin, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir]
        if not self.sync:
            argv.append("--no-sync")
        return argv + self.extra_args

    def start(self):
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        if not os.access(self.bin, os.X_OK):
            pytest.fail(f"portico binary not found or not executable: {self.bin} "
                        f"(build it, or set PORTICO_BIN)")
        self.runs += 1
        self._log = open(self.log_path, "ab")
        self._log.write(f"==== run {self.runs}: {' '.join(self.argv())}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(self.argv(), stdout=self._log, stderr=self._log,
                                     stdin=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_err = None
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                pytest.fail(f"portico exited with status {rc} during startup\n{self.log_tail()}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/")
                resp = conn.getresponse()
                resp.read()
                conn.close()
                if resp.status == 200:
                    return
                last_err = f"GET / answered {resp.status}"
            except OSError as e:
                last_err = repr(e)
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait()
        pytest.fail(f"portico did not become ready within {STARTUP_TIMEOUT}s ({last_err})\n"
                    f"{self.log_tail()}")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM and wait; returns the exit status (None if it was not running)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._close_log()
                pytest.fail(f"portico did not exit within {STOP_TIMEOUT}s of SIGTERM\n"
                            f"{self.log_tail()}")
        rc = self.proc.returncode
        self._close_log()
        return rc

    def stop_clean(self):
        """SIGTERM; fails the test, showing the server's output, unless it exits 0."""
        rc = self.stop()
        assert rc == 0, f"portico exited with status {rc} after SIGTERM\n{self.log_tail()}"

    def restart(self):
        """Graceful stop (must exit 0), then start again on the same port and data dir."""
        self.stop_clean()
        return self.start()

    def kill9(self):
        """SIGKILL: the process gets no chance to flush or close anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=80):
        text = self.log_text().splitlines()
        tail = "\n".join(text[-lines:])
        return f"---- portico output ({self.log_path}, last {lines} lines) ----\n{tail}\n----"


def _teardown_server(srv):
    if srv.proc is None:
        return
    was_running = srv.alive()
    rc = srv.stop()
    if not was_running and srv.proc.returncode not in (0, -signal.SIGKILL):
        pytest.fail(f"portico died during the tests (status {rc})\n{srv.log_tail()}")
    if was_running and rc != 0:
        pytest.fail(f"portico exited with status {rc} after SIGTERM\n{srv.log_tail()}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh server per test module (durable under PORTICO_TEST_SYNC=1, else --no-sync)."""
    srv = PorticoServer(tmp_path_factory.mktemp("portico") / "data")
    srv.start()
    yield srv
    _teardown_server(srv)


@pytest.fixture
def make_server(tmp_path):
    """Factory: make_server(sync=True) -> a started server with its own data dir."""
    made = []

    def factory(sync=None, data_dir=None, extra_args=()):
        d = Path(data_dir) if data_dir else tmp_path / f"data{len(made)}"
        srv = PorticoServer(d, sync=sync, extra_args=extra_args)
        made.append(srv)
        return srv.start()

    yield factory
    for srv in made:
        _teardown_server(srv)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of every involved server's output to the report."""
    outcome = yield
    rep = outcome.get_result()
    if not rep.failed:
        return
    for name, val in getattr(item, "funcargs", {}).items():
        if isinstance(val, PorticoServer):
            rep.sections.append((f"portico output ({name})", val.log_tail(60)))


# ---------------------------------------------------------------------------
# clients

_session = None
_session_lock = threading.Lock()


def make_client(endpoint, validate=True):
    """A boto3 DynamoDB client for `endpoint`: dummy credentials, no retries.

    Clients share one Session (creating a session per client reloads the service
    model and is slow); creation is serialised because Session.client is not
    thread-safe, while the clients themselves may be used from any thread.
    """
    global _session
    with _session_lock:
        if _session is None:
            _session = boto3.session.Session()
        return _make_client(_session, endpoint, validate)


def _make_client(session, endpoint, validate):
    return session.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=10,
            read_timeout=REQUEST_TIMEOUT,
            parameter_validation=validate,
            max_pool_connections=16,
        ),
    )


@pytest.fixture(scope="module")
def ddb(server):
    return make_client(server.endpoint)


@pytest.fixture(scope="module")
def ddb_unchecked(server):
    """Client without botocore's parameter validation: invalid requests reach the server."""
    return make_client(server.endpoint, validate=False)


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    @property
    def error_type(self):
        """`__type` without its namespace, e.g. 'ValidationException' (as botocore does)."""
        if not isinstance(self.json, dict) or "__type" not in self.json:
            return None
        return self.json["__type"].rsplit("#", 1)[-1]

    @property
    def message(self):
        if not isinstance(self.json, dict):
            return None
        # DynamoDB uses "message"; SerializationException uses "Message" (dynalite
        # validations/index.js typeError()).
        return self.json.get("message", self.json.get("Message"))

    def __repr__(self):
        return f"<RawResponse {self.status} {self.body[:300]!r}>"


def sign_headers(endpoint, body, headers):
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    SigV4Auth(Credentials("x", "x"), "dynamodb", REGION).add_auth(req)
    return dict(req.headers.items())


class RawClient:
    """Minimal DynamoDB JSON-protocol client over one keep-alive http.client connection.

    Not thread-safe: one per thread. Signs requests with SigV4 (dummy credentials) by
    default, like any SDK would, so it also works against a server that demands auth.
    """

    def __init__(self, port, timeout=REQUEST_TIMEOUT):
        self.port = port
        self.endpoint = f"http://127.0.0.1:{port}"
        self.timeout = timeout
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, body, op=None, target=None, sign=True,
                content_type="application/x-amz-json-1.0", extra_headers=None, method="POST"):
        """POST `body` (dict -> JSON, str/bytes as is, None -> empty) with X-Amz-Target.

        `op` sets the target to DynamoDB_20120810.<op>; `target` sets it verbatim;
        neither sends no X-Amz-Target header at all.
        """
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        elif body is None:
            data = b""
        else:
            data = bytes(body)
        headers = {"Content-Type": content_type, "Host": f"127.0.0.1:{self.port}"}
        if op is not None:
            headers["X-Amz-Target"] = TARGET_PREFIX + op
        elif target is not None:
            headers["X-Amz-Target"] = target
        if extra_headers:
            headers.update(extra_headers)
        if sign:
            headers = sign_headers(self.endpoint, data, headers)
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.conn.request(method, "/", body=data, headers=headers)
                resp = self.conn.getresponse()
                payload = resp.read()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.close()
                return RawResponse(resp.status, hdrs, payload)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A keep-alive connection the server closed between requests; retry
                # once on a fresh connection (never for the first use of a connection).
                self.close()
                if attempt == 2:
                    raise

    def call(self, op, payload, **kw):
        return self.request(payload, op=op, **kw)


@pytest.fixture(scope="module")
def raw(server):
    client = RawClient(server.port)
    yield client
    client.close()


# ---------------------------------------------------------------------------
# tables and assertions

def unique_name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def create_table(ddb, hash_key=("id", "S"), range_key=None, name=None, billing="PAY_PER_REQUEST"):
    """Creates a table (ACTIVE when CreateTable returns in portico) and returns its name."""
    name = name or unique_name()
    attrs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    kw = dict(TableName=name, AttributeDefinitions=attrs, KeySchema=schema, BillingMode=billing)
    if billing == "PROVISIONED":
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    ddb.create_table(**kw)
    return name


@pytest.fixture
def hash_table(ddb):
    """A PAY_PER_REQUEST table keyed on id (S)."""
    return create_table(ddb)


@pytest.fixture
def range_table(ddb):
    """A PAY_PER_REQUEST table keyed on pk (S) + sk (S)."""
    return create_table(ddb, ("pk", "S"), ("sk", "S"))


def client_error(fn, *args, **kwargs):
    """Runs a boto3 call that must fail; returns (code, message, ClientError)."""
    with pytest.raises(ClientError) as ei:
        fn(*args, **kwargs)
    err = ei.value.response["Error"]
    return err.get("Code"), err.get("Message"), ei.value


def assert_client_error(fn, code, message=None, *args, **kwargs):
    got_code, got_msg, exc = client_error(fn, *args, **kwargs)
    assert got_code == code, f"expected {code}, got {got_code}: {got_msg!r}"
    if message is not None:
        assert got_msg == message, f"message mismatch for {code}"
    assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return got_msg


def assert_raw_error(resp, code, message=None):
    assert resp.status == 400, resp
    assert resp.error_type == code, resp
    if message is not None:
        assert resp.message == message, resp
    return resp.message


def mdb_stat_ok(data_dir):
    """Runs mdb_stat (lmdb-utils) on every LMDB environment under data_dir.

    Returns a list of (path, returncode, output) for failures; [] when all open
    cleanly. Raises pytest.skip if mdb_stat is not installed.
    """
    tool = shutil.which("mdb_stat")
    if not tool:
        pytest.skip("mdb_stat (lmdb-utils) not installed")
    failures, found = [], 0
    for p in Path(data_dir).rglob("*.mdb"):
        if p.name.endswith("lock.mdb"):
            continue
        found += 1
        if p.name == "data.mdb":
            argv = [tool, "-e", "-a", str(p.parent)]
        else:
            argv = [tool, "-n", "-e", "-a", str(p)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            failures.append((str(p), r.returncode, r.stdout + r.stderr))
    assert found, f"no LMDB data file (*.mdb) under {data_dir}"
    return failures
