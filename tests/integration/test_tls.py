"""TLS on the DynamoDB listener (issue 8): a certificate the test generates, boto3 and
raw ssl clients, TLS 1.2 minimum, plaintext and stalled clients on the TLS port."""

import http.client
import shutil
import socket
import ssl
import subprocess
import threading
import time
import warnings

import boto3
import pytest
from botocore.config import Config

from conftest import (PORTICO_BIN, REGION, REQUEST_TIMEOUT, PorticoServer, _teardown_server,
                      free_port, unique_name)

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "cert.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                    "-out", str(crt), "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=60)
    return crt, key


class TlsServer(PorticoServer):
    """PorticoServer whose readiness check speaks TLS."""

    def __init__(self, data_dir, crt, key, extra_args=()):
        super().__init__(data_dir, extra_args=["--tls-cert", str(crt), "--tls-key", str(key),
                                               *extra_args])
        self.ctx = ssl.create_default_context(cafile=str(crt))

    @property
    def endpoint(self):
        return f"https://127.0.0.1:{self.port}"

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"portico exited during startup\n{self.log_tail()}")
            try:
                if https_get(self) == (200, b"healthy: portico"):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"TLS server not ready\n{self.log_tail()}")


def https_get(srv, ctx=None):
    conn = http.client.HTTPSConnection("127.0.0.1", srv.port, timeout=10, context=ctx or srv.ctx)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def tls_server(cert, tmp_path_factory):
    srv = TlsServer(tmp_path_factory.mktemp("tlsdata") / "data", *cert,
                    extra_args=["--read-timeout", "1"])
    srv.start()
    yield srv
    _teardown_server(srv)


def tls_client(srv, crt, key_id="x", secret="x"):
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=srv.endpoint, region_name=REGION, aws_access_key_id=key_id,
        aws_secret_access_key=secret, verify=str(crt),
        config=Config(retries={"total_max_attempts": 1}, read_timeout=REQUEST_TIMEOUT))


def test_boto3_over_tls_round_trips_large_items(tls_server, cert):
    ddb = tls_client(tls_server, cert[0])
    name = unique_name("tls")
    ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    big = "x" * 350000  # several TLS records each way
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}, "big": {"S": big}})
    assert ddb.get_item(TableName=name, Key={"id": {"S": "a"}})["Item"]["big"]["S"] == big
    assert name in ddb.list_tables()["TableNames"]


def test_tls_1_2_accepted_and_1_1_refused(tls_server, cert):
    ctx12 = ssl.create_default_context(cafile=str(cert[0]))
    ctx12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert https_get(tls_server, ctx12) == (200, b"healthy: portico")
    ctx11 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx11.load_verify_locations(str(cert[0]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # that is the point
            ctx11.minimum_version = ssl.TLSVersion.TLSv1
            ctx11.maximum_version = ssl.TLSVersion.TLSv1_1
    except (ValueError, ssl.SSLError):
        pytest.skip("this Python/OpenSSL cannot even offer TLS 1.1")
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        https_get(tls_server, ctx11)
    assert https_get(tls_server) == (200, b"healthy: portico")


def test_plaintext_and_garbage_on_the_tls_port_are_dropped(tls_server):
    for data in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"\x16\x03\x01\x00\x05hello"):
        s = socket.create_connection(("127.0.0.1", tls_server.port), timeout=5)
        s.sendall(data)
        try:
            reply = s.recv(4096)
        except ConnectionResetError:
            reply = b""
        s.close()
        assert not reply.startswith(b"HTTP/1.1 200")
    assert https_get(tls_server) == (200, b"healthy: portico")


def test_stalled_handshake_is_closed_after_the_read_timeout(tls_server):
    s = socket.create_connection(("127.0.0.1", tls_server.port), timeout=5)
    try:
        s.sendall(b"\x16\x03\x01")  # the first bytes of a ClientHello, then nothing
        t0 = time.monotonic()
        assert s.recv(1) == b""
        assert time.monotonic() - t0 < 4
    finally:
        s.close()


def test_concurrent_tls_clients(tls_server, cert):
    errors = []

    def worker():
        try:
            ddb = tls_client(tls_server, cert[0])
            for _ in range(15):
                ddb.list_tables()
        except Exception as e:  # noqa: BLE001 - collected and reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]


def test_tls_with_authentication(cert, tmp_path):
    data = tmp_path / "data"
    r = subprocess.run([PORTICO_BIN, "credentials", "add", "--data-dir", str(data),
                        "--access-key-id", "TLSKEY", "--secret-access-key", "tls-secret"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    srv = TlsServer(data, *cert)
    srv.start()
    try:
        assert "TableNames" in tls_client(srv, cert[0], "TLSKEY", "tls-secret").list_tables()
        with pytest.raises(Exception) as ei:
            tls_client(srv, cert[0], "TLSKEY", "wrong").list_tables()
        assert ei.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        _teardown_server(srv)


def test_missing_key_file_fails_to_start(cert, tmp_path):
    r = subprocess.run([PORTICO_BIN, "serve", "--listen", f"127.0.0.1:{free_port()}",
                        "--data-dir", str(tmp_path / "d"), "--tls-cert", str(cert[0]),
                        "--tls-key", str(tmp_path / "nope.pem")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert "cannot load TLS private key" in r.stderr
