"""The API gateway (docs/gateway.md) driven end to end: a real portico with a
`gateway:` config, real HTTP clients (http.client), the real engine behind the
dynamodb integration, and a real upstream (a small Python HTTP server) behind
the http integration.

Expectations for error bodies follow API Gateway where it has a message:
403 {"message":"Forbidden"} for a missing/invalid API key, 429
{"message":"Too Many Requests"} for throttling and {"message":"Limit Exceeded"}
for an exhausted quota, 400 "Missing required request parameters: [x]".
"""

import http.client
import http.server
import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import PORTICO_BIN, PorticoServer, free_port, make_client

CONFIG = """\
gateway:
  listen: 127.0.0.1:{gw_port}
  accessLog: {log}
  apis:
    - name: todo
      basePath: /todo
      cors:
        allowOrigins: ["https://app.example.com"]
        allowHeaders: [content-type, x-api-key]
        exposeHeaders: [x-request-id]
        maxAge: 600
      stages:
        - {{name: prod, variables: {{table: gwtodos}}}}
        - {{name: dev, variables: {{table: gwtodos-missing}}}}
      routes:
        - method: GET
          path: "/items/{{id}}"
          integration:
            type: dynamodb
            action: GetItem
            request: {{TableName: "${{stage.table}}", Key: {{id: {{S: "${{path.id}}"}}}}}}
        - method: PUT
          path: "/items/{{id}}"
          integration:
            type: dynamodb
            action: PutItem
            request:
              TableName: "${{stage.table}}"
              Item: {{id: {{S: "${{path.id}}"}}, title: {{S: "${{body.title}}"}}, who: {{S: "${{context.requestId}}"}}}}
        - method: POST
          path: /items
          integration:
            type: dynamodb
            action: PutItem
            status: 201
            request: {{TableName: "${{stage.table}}", Item: "${{body|item}}"}}
        - method: DELETE
          path: "/items/{{id}}"
          integration:
            type: dynamodb
            action: DeleteItem
            request: {{TableName: "${{stage.table}}", Key: {{id: {{S: "${{path.id}}"}}}}, ReturnValues: ALL_OLD}}
        - method: GET
          path: /ping
          integration: {{type: mock, status: 200, body: '{{"ok":true,"q":"${{query.q}}"}}', headers: {{X-Stage: "${{stage.table}}"}}}}
        - method: GET
          path: /secret
          auth: {{apiKey: true}}
          integration: {{type: mock, body: '{{"secret":"${{context.identity.apiKey}}"}}'}}
        - method: GET
          path: /limited
          throttle: {{rate: 2, burst: 5}}
          integration: {{type: mock, body: '{{}}'}}
        - method: GET
          path: /search
          request: {{requiredQuery: [q], requiredHeaders: [x-tenant]}}
          integration: {{type: mock, body: '{{}}'}}
        - method: ANY
          path: "/up/{{proxy+}}"
          integration: {{type: http, url: "http://127.0.0.1:{up_port}/base/{{proxy}}", timeoutMs: 1500}}
        - method: GET
          path: /down
          integration: {{type: http, url: "http://127.0.0.1:{down_port}/x"}}
  usagePlans:
    - {{name: basic, quota: {{limit: 3, period: DAY}}, keys: [quota-user]}}
"""


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        n = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/base/slow"):
            time.sleep(3)
        out = json.dumps({
            "method": self.command, "path": self.path, "body": body.decode(),
            "xff": self.headers.get("x-forwarded-for"), "rid": self.headers.get("x-request-id"),
            "custom": self.headers.get("x-custom"), "conn": id(self.connection),
        }).encode()
        self.send_response(207)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "yes")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        try:
            self.wfile.write(out)
        except BrokenPipeError:
            pass  # the gateway gave up on a slow request (the 504 test)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *a):
        pass


@pytest.fixture(scope="module")
def upstream():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()


@pytest.fixture(scope="module")
def gw(tmp_path_factory, upstream):
    d = tmp_path_factory.mktemp("gw")
    gw_port = free_port()
    cfg = d / "portico.yaml"
    log = d / "access.log"
    cfg.write_text(CONFIG.format(gw_port=gw_port, log=log, up_port=upstream, down_port=free_port()))
    srv = PorticoServer(d / "data", extra_args=["--config", str(cfg)])
    srv.start()
    srv.gw_port = gw_port
    srv.cfg = cfg
    srv.access_log = log
    ddb = make_client(srv.endpoint)
    ddb.create_table(TableName="gwtodos", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")
    srv.ddb = ddb
    yield srv
    srv.stop()


def req(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        h = dict(headers or {})
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        raw = r.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw
        return r.status, {k.lower(): v for k, v in r.getheaders()}, parsed
    finally:
        conn.close()


def apikey(data_dir, *args):
    out = subprocess.run([PORTICO_BIN, "apikey", *args, "--data-dir", str(data_dir)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def create_key(data_dir, name):
    out = apikey(data_dir, "create", "--name", name)
    fields = dict(line.split(": ", 1) for line in out.strip().splitlines())
    return fields["id"], fields["key"]


# --------------------------------------------------------------------- mock, routing

def test_mock_route_renders_query_and_stage_variables_with_request_id(gw):
    st, h, body = req(gw.gw_port, "GET", "/todo/prod/ping?q=a%22b")
    assert st == 200
    assert body == {"ok": True, "q": 'a"b'}
    assert h["content-type"] == "application/json"
    assert h["x-stage"] == "gwtodos"
    assert len(h["x-request-id"]) == 36


def test_unknown_path_stage_and_api_are_404_json(gw):
    for path in ("/todo/prod/nope", "/todo/qa/ping", "/other/prod/ping", "/todo"):
        st, h, body = req(gw.gw_port, "GET", path)
        assert (st, body) == (404, {"message": "Not Found"}), path
        assert "x-request-id" in h


def test_wrong_method_is_405_with_allow(gw):
    st, h, body = req(gw.gw_port, "PATCH", "/todo/prod/items/1")
    assert (st, body) == (405, {"message": "Method Not Allowed"})
    assert h["allow"] == "GET, PUT, DELETE"


def test_required_parameters_are_checked(gw):
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/search")
    assert (st, body) == (400, {"message": "Missing required request parameters: [q, x-tenant]"})
    st, _, _ = req(gw.gw_port, "GET", "/todo/prod/search?q=1", headers={"X-Tenant": "t"})
    assert st == 200


# --------------------------------------------------------------------- dynamodb

def test_dynamodb_put_then_get_returns_plain_json(gw):
    st, _, body = req(gw.gw_port, "PUT", "/todo/prod/items/42", {"title": "buy milk"})
    assert (st, body) == (200, {})
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/items/42")
    assert st == 200
    assert body["id"] == "42" and body["title"] == "buy milk"
    assert len(body["who"]) == 36  # ${context.requestId}
    # the engine really holds it, typed
    item = gw.ddb.get_item(TableName="gwtodos", Key={"id": {"S": "42"}})["Item"]
    assert item["title"] == {"S": "buy milk"}


def test_dynamodb_get_missing_item_is_404(gw):
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/items/does-not-exist")
    assert (st, body) == (404, {"message": "Not Found"})


def test_dynamodb_injection_attempt_stays_a_string(gw):
    evil = '1"}, "title": {"S": "pwned'
    st, _, _ = req(gw.gw_port, "PUT", "/todo/prod/items/inj", {"title": evil})
    assert st == 200
    item = gw.ddb.get_item(TableName="gwtodos", Key={"id": {"S": "inj"}})["Item"]
    assert item["title"] == {"S": evil}
    # a path parameter with JSON metacharacters is one key value, not structure
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/items/%22%7D%2C%22x")
    assert (st, body) == (404, {"message": "Not Found"})


def test_dynamodb_body_item_filter_and_success_status(gw):
    st, _, body = req(gw.gw_port, "POST", "/todo/prod/items",
                      {"id": "7", "n": 1.5, "done": False, "tags": ["a", "b"], "meta": {"x": None}})
    assert (st, body) == (201, {})
    item = gw.ddb.get_item(TableName="gwtodos", Key={"id": {"S": "7"}})["Item"]
    assert item == {"id": {"S": "7"}, "n": {"N": "1.5"}, "done": {"BOOL": False},
                    "tags": {"L": [{"S": "a"}, {"S": "b"}]}, "meta": {"M": {"x": {"NULL": True}}}}
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/items/7")
    assert body == {"id": "7", "n": 1.5, "done": False, "tags": ["a", "b"], "meta": {"x": None}}
    st, _, body = req(gw.gw_port, "DELETE", "/todo/prod/items/7")
    assert st == 200 and body["id"] == "7"


def test_dynamodb_errors_map_to_http_statuses(gw):
    # dev's table does not exist: ResourceNotFoundException -> 404
    st, _, body = req(gw.gw_port, "GET", "/todo/dev/items/1")
    assert st == 404
    assert body == {"message": "Requested resource not found", "type": "ResourceNotFoundException"}
    # a body value of the wrong type reaches DynamoDB's validation -> 400
    st, _, body = req(gw.gw_port, "PUT", "/todo/prod/items/9", {"title": {"nested": 1}})
    assert st == 400 and body["type"] == "SerializationException"
    # a body that is not JSON, declared JSON
    st, _, body = req(gw.gw_port, "PUT", "/todo/prod/items/9", b"{nope")
    assert st == 400 and body["message"].startswith("Invalid JSON body")


# --------------------------------------------------------------------- CORS

def test_cors_preflight_answered_by_gateway(gw):
    st, h, _ = req(gw.gw_port, "OPTIONS", "/todo/prod/items/1", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "PUT"})
    assert st == 204
    assert h["access-control-allow-origin"] == "https://app.example.com"
    assert h["access-control-allow-methods"] == "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS"
    assert h["access-control-allow-headers"] == "content-type, x-api-key"
    assert h["access-control-max-age"] == "600"


def test_cors_headers_on_every_response_including_errors(gw):
    for path, status in (("/todo/prod/ping", 200), ("/todo/prod/nope", 404), ("/todo/prod/secret", 403)):
        st, h, _ = req(gw.gw_port, "GET", path, headers={"Origin": "https://app.example.com"})
        assert st == status
        assert h["access-control-allow-origin"] == "https://app.example.com"
        assert h["vary"] == "Origin"
        assert h["access-control-expose-headers"] == "x-request-id"


def test_cors_other_origin_gets_no_allow_origin(gw):
    st, h, _ = req(gw.gw_port, "GET", "/todo/prod/ping", headers={"Origin": "https://evil.example"})
    assert st == 200
    assert "access-control-allow-origin" not in h
    st, h, _ = req(gw.gw_port, "OPTIONS", "/todo/prod/ping", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert st == 204 and "access-control-allow-origin" not in h


# --------------------------------------------------------------------- API keys

def test_api_key_required_created_and_revoked_without_restart(gw):
    data_dir = gw.data_dir
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/secret")
    assert (st, body) == (403, {"message": "Forbidden"})
    key_id, key = create_key(data_dir, "alice")
    assert len(key) == 40
    text = open(os.path.join(data_dir, "gateway-apikeys.json")).read()
    assert key not in text  # stored hashed only
    deadline = time.monotonic() + 5
    while True:
        st, _, body = req(gw.gw_port, "GET", "/todo/prod/secret", headers={"x-api-key": key})
        if st == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (st, body) == (200, {"secret": "alice"})
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/secret", headers={"x-api-key": key + "x"})
    assert (st, body) == (403, {"message": "Forbidden"})
    assert "alice" in apikey(data_dir, "list")
    apikey(data_dir, "revoke", key_id)
    deadline = time.monotonic() + 5
    while True:
        st, _, body = req(gw.gw_port, "GET", "/todo/prod/secret", headers={"x-api-key": key})
        if st == 403 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (st, body) == (403, {"message": "Forbidden"})
    assert "revoked" in apikey(data_dir, "list")


# --------------------------------------------------------------------- throttling

def test_route_throttle_under_concurrent_load(gw):
    time.sleep(3)  # bucket full (burst 5)
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as ex:
        results = list(ex.map(lambda _: req(gw.gw_port, "GET", "/todo/prod/limited"), range(40)))
    elapsed = time.monotonic() - t0
    ok = [r for r in results if r[0] == 200]
    limited = [r for r in results if r[0] == 429]
    assert len(ok) + len(limited) == 40
    # burst 5 plus 2/s refill during the run
    assert 5 <= len(ok) <= 5 + int(2 * elapsed) + 1
    st, h, body = limited[0]
    assert body == {"message": "Too Many Requests"}
    assert int(h["retry-after"]) >= 1


def test_quota_exhausted_then_survives_restart(gw):
    _, key = create_key(gw.data_dir, "quota-user")
    time.sleep(1.2)  # key store refresh
    codes = [req(gw.gw_port, "GET", "/todo/prod/ping", headers={"x-api-key": key})[0] for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/ping", headers={"x-api-key": key})
    assert (st, body) == (429, {"message": "Limit Exceeded"})
    # requests without the key are not counted against it
    assert req(gw.gw_port, "GET", "/todo/prod/ping")[0] == 200
    gw.restart()
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/ping", headers={"x-api-key": key})
    assert (st, body) == (429, {"message": "Limit Exceeded"})


# --------------------------------------------------------------------- http integration

def test_http_proxy_forwards_path_query_headers_body(gw):
    st, h, body = req(gw.gw_port, "POST", "/todo/prod/up/a/b?x=1&y=2", body=b"hello",
                      headers={"X-Custom": "c", "Content-Type": "text/plain"})
    assert st == 207
    assert h["x-upstream"] == "yes"
    assert body["method"] == "POST"
    assert body["path"] == "/base/a/b?x=1&y=2"
    assert body["body"] == "hello"
    assert body["xff"] == "127.0.0.1"
    assert body["custom"] == "c"
    assert body["rid"] == h["x-request-id"]


def test_http_proxy_reuses_upstream_connections(gw):
    conn = http.client.HTTPConnection("127.0.0.1", gw.gw_port, timeout=30)
    ids = set()
    for _ in range(5):
        conn.request("GET", "/todo/prod/up/k")
        r = conn.getresponse()
        ids.add(json.loads(r.read())["conn"])
    conn.close()
    assert len(ids) <= 2  # pooled keep-alive (one per loop thread at most)


def test_http_upstream_down_is_502_and_slow_is_504(gw):
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/down")
    assert (st, body) == (502, {"message": "Bad Gateway"})
    t0 = time.monotonic()
    st, _, body = req(gw.gw_port, "GET", "/todo/prod/up/slow")
    assert (st, body) == (504, {"message": "Endpoint request timed out"})
    assert 1.2 < time.monotonic() - t0 < 2.9


# --------------------------------------------------------------------- observability

def test_metrics_endpoint_counts_requests_by_route_and_class(gw):
    req(gw.gw_port, "GET", "/todo/prod/ping")
    req(gw.gw_port, "GET", "/todo/prod/nope")
    req(gw.gw_port, "GET", "/todo/prod/items/1")
    st, h, text = req(gw.gw_port, "GET", "/metrics")
    assert st == 200
    assert h["content-type"].startswith("text/plain; version=0.0.4")
    text = text.decode() if isinstance(text, bytes) else text
    assert 'portico_gateway_requests_total{api="todo",stage="prod",route="GET /ping",status="2xx"}' in text
    assert "# TYPE portico_gateway_request_duration_seconds histogram" in text
    assert 'portico_gateway_rejected_total{api="todo",stage="prod",reason="not_found"}' in text
    assert 'portico_gateway_integration_duration_seconds_bucket{api="todo",stage="prod",integration="dynamodb",le="+Inf"}' in text


def test_access_log_has_one_json_line_per_request(gw):
    st, h, _ = req(gw.gw_port, "GET", "/todo/prod/ping?q=1", headers={"User-Agent": "gw-test/1"})
    rid = h["x-request-id"]
    deadline = time.monotonic() + 5
    rec = None
    while rec is None and time.monotonic() < deadline:
        for line in open(gw.access_log):
            d = json.loads(line)
            if d["requestId"] == rid:
                rec = d
        time.sleep(0.05)
    assert rec is not None
    assert rec["method"] == "GET" and rec["path"] == "/todo/prod/ping"
    assert rec["route"] == "GET /ping" and rec["api"] == "todo" and rec["stage"] == "prod"
    assert rec["status"] == 200 and rec["userAgent"] == "gw-test/1" and rec["ip"] == "127.0.0.1"
    assert rec["bytes"] == len(b'{"ok":true,"q":"1"}')
    assert set(rec) >= {"latency", "integrationLatency", "apiKeyId", "principal", "requestTime"}


# --------------------------------------------------------------------- reload

def test_sighup_reload_valid_then_invalid_keeps_serving(gw):
    original = gw.cfg.read_text()
    try:
        stop = threading.Event()
        failures = []

        def load():
            while not stop.is_set():
                st = req(gw.gw_port, "GET", "/todo/prod/limited2")[0]
                if st not in (200, 404):
                    failures.append(st)

        t = threading.Thread(target=load)
        t.start()
        gw.cfg.write_text(original.replace("path: /ping", "path: /ping2"))
        gw.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while req(gw.gw_port, "GET", "/todo/prod/ping2")[0] != 200 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert req(gw.gw_port, "GET", "/todo/prod/ping2")[0] == 200
        assert req(gw.gw_port, "GET", "/todo/prod/ping")[0] == 404
        gw.cfg.write_text(original.replace("type: mock, status: 200", "type: nope, status: 200"))
        gw.proc.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert req(gw.gw_port, "GET", "/todo/prod/ping2")[0] == 200  # old version still serves
        stop.set()
        t.join()
        assert failures == []
        assert "gateway reload rejected" in gw.log_text()
        assert "must be one of dynamodb, http, mock (got 'nope')" in gw.log_text()
    finally:
        gw.cfg.write_text(original)
        gw.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)


def test_reload_that_moves_listen_is_rejected_and_old_config_keeps_serving(gw):
    original = gw.cfg.read_text()
    other = free_port()
    try:
        moved = original.replace(f"listen: 127.0.0.1:{gw.gw_port}", f"listen: 127.0.0.1:{other}")
        gw.cfg.write_text(moved.replace("path: /ping", "path: /ping3"))
        gw.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while "changing the listen address" not in gw.log_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        log = gw.log_text()
        assert "gateway reload rejected, keeping the running configuration" in log
        assert (f"{gw.cfg}:2:11: gateway.listen: changing the listen address needs a restart "
                f"(serving on 127.0.0.1:{gw.gw_port}, the file says 127.0.0.1:{other})") in log
        assert req(gw.gw_port, "GET", "/todo/prod/ping")[0] == 200  # the old version
        assert req(gw.gw_port, "GET", "/todo/prod/ping3")[0] == 404
        # The admin endpoint says the same.
        st, _, body = req(gw.gw_port, "POST", "/_admin/reload")
        assert st == 400
        assert body["message"] == "Reload rejected; the running configuration is kept"
        assert any("gateway.listen: changing the listen address needs a restart" in e
                   for e in body["errors"])
    finally:
        gw.cfg.write_text(original)
        gw.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)


def test_invalid_config_refuses_to_start_naming_line_and_field(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("gateway:\n  apis:\n    - name: x\n      stages: [{name: s}]\n      routes:\n"
                   "        - {method: GET, path: /a, integration: {type: mock, status: 999}}\n")
    out = subprocess.run([PORTICO_BIN, "serve", "--listen", f"127.0.0.1:{free_port()}",
                          "--data-dir", str(tmp_path / "d"), "--no-sync", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert f"{cfg}:6:69: gateway.apis[0].routes[0].integration.status: must be between 100 and 599" in out.stderr
