"""Gateway authorizers (jwt, custom, sigv4), JSON Schema body models and the
reload admin endpoint (docs/gateway.md), end to end against a real portico.

Keys are generated here with OpenSSL (`openssl genpkey`), tokens signed with
`openssl dgst -sign` (RS256, ES256) or hmac (HS256). Error bodies follow API
Gateway: 401 {"message":"Unauthorized"}, 403 {"message":"Forbidden"}, 400
{"message":"Invalid request body"} with fge json-schema-validator messages.
"""

import base64
import hashlib
import hmac
import http.server
import json
import subprocess
import threading
import time

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import PORTICO_BIN, PorticoServer, free_port
from test_gateway import req

HS_SECRET = b"0123456789abcdef0123456789abcdef"
AKID, SECRET = "AKIDGATEWAYTEST", "gateway-test-secret-0123456789"


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def openssl(*args, data=None):
    out = subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    return out.stdout


def der_to_raw(sig):
    """ECDSA DER SEQUENCE{INTEGER r, INTEGER s} -> JOSE r||s (32+32 bytes)."""
    assert sig[0] == 0x30
    i = 2 if sig[1] < 0x80 else 3
    out = b""
    for _ in range(2):
        assert sig[i] == 0x02
        n = sig[i + 1]
        v = sig[i + 2:i + 2 + n].lstrip(b"\0")
        out += v.rjust(32, b"\0")
        i += 2 + n
    return out


class Keys:
    def __init__(self, d):
        self.d = d
        self.rsa = d / "rsa.pem"
        self.ec = d / "ec.pem"
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(self.rsa))
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(self.ec))
        modulus = openssl("rsa", "-in", str(self.rsa), "-noout", "-modulus").decode().strip().split("=", 1)[1]
        ec_pub = openssl("pkey", "-in", str(self.ec), "-pubout", "-outform", "DER")[-65:]
        assert ec_pub[0] == 4
        self.jwks = {"keys": [
            {"kty": "oct", "kid": "hs", "k": b64u(HS_SECRET)},
            {"kty": "RSA", "kid": "rsa", "use": "sig", "n": b64u(bytes.fromhex(modulus)), "e": "AQAB"},
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": b64u(ec_pub[1:33]), "y": b64u(ec_pub[33:])},
        ]}

    def token(self, claims, alg="RS256", kid=None):
        kid = kid if kid is not None else {"HS256": "hs", "RS256": "rsa", "ES256": "ec"}[alg]
        header = {"alg": alg, "typ": "JWT"}
        if kid:
            header["kid"] = kid
        signing = f"{b64u(json.dumps(header).encode())}.{b64u(json.dumps(claims).encode())}".encode()
        if alg == "HS256":
            sig = hmac.new(HS_SECRET, signing, hashlib.sha256).digest()
        elif alg == "RS256":
            sig = openssl("dgst", "-sha256", "-sign", str(self.rsa), data=signing)
        else:
            sig = der_to_raw(openssl("dgst", "-sha256", "-sign", str(self.ec), data=signing))
        return f"{signing.decode()}.{b64u(sig)}"


def claims(**extra):
    now = int(time.time())
    c = {"sub": "user-1", "iss": "https://issuer.test", "aud": "todo-api", "exp": now + 300, "iat": now}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


class Upstream(http.server.BaseHTTPRequestHandler):
    """Serves the JWKS (counting fetches) and a custom authorizer (counting calls)."""
    protocol_version = "HTTP/1.1"
    jwks = {"keys": []}
    fetches = 0
    calls = {}
    last_payload = None

    def _send(self, status, obj):
        out = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        Upstream.fetches += 1
        self._send(200, Upstream.jwks)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
        Upstream.last_payload = body
        token = body["identitySource"][0]
        Upstream.calls[token] = Upstream.calls.get(token, 0) + 1
        if token.startswith("allow-"):
            self._send(200, {"isAuthorized": True, "context": {"user": token[6:], "principalId": token[6:]}})
        elif token == "deny":
            self._send(200, {"isAuthorized": False})
        else:
            self._send(500, {"oops": True})

    def log_message(self, *a):
        pass


CONFIG = """\
gateway:
  listen: 127.0.0.1:{gw_port}
  accessLog: {log}
  authorizers:
    - {{name: local, type: jwt, issuer: "https://issuer.test", audience: [todo-api], jwks: {{file: keys.json}}}}
    - {{name: remote, type: jwt, algorithms: [RS256], jwks: {{url: "http://127.0.0.1:{up}/jwks.json"}}}}
    - {{name: gate, type: custom, url: "http://127.0.0.1:{up}/authorize", cacheTtlSeconds: 300}}
    - {{name: nocache, type: custom, url: "http://127.0.0.1:{up}/authorize", cacheTtlSeconds: 0, identitySource: [x-token]}}
    - {{name: iam, type: sigv4}}
  apis:
    - name: app
      basePath: /app
      stages: [{{name: prod}}]
      models:
        Todo:
          type: object
          required: [title, state]
          additionalProperties: false
          properties:
            title: {{type: string, minLength: 1, maxLength: 10}}
            priority: {{type: integer, minimum: 1, maximum: 5}}
            ratio: {{type: number, minimum: 0, exclusiveMinimum: true}}
            tags: {{type: array, maxItems: 2, items: {{$ref: Tag}}}}
            state: {{enum: [open, done]}}
            code: {{type: string, pattern: '^[A-Z]\\d+$'}}
        Tag: {{type: string, pattern: '^[a-z]+$'}}
      routes:
        - method: GET
          path: /me
          auth: {{authorizer: local}}
          integration: {{type: mock, body: '{{"sub":"${{context.authorizer.claims.sub}}","p":"${{context.authorizer.principalId}}"}}'}}
        - {{method: GET, path: /admin, auth: {{authorizer: local, scopes: [admin, root]}}, integration: {{type: mock, body: '{{}}'}}}}
        - {{method: GET, path: /remote, auth: {{authorizer: remote}}, integration: {{type: mock, body: '{{}}'}}}}
        - method: GET
          path: /custom
          auth: {{authorizer: gate}}
          integration: {{type: mock, body: '{{"user":"${{context.authorizer.user}}"}}'}}
        - {{method: GET, path: "/nocache/{{id}}", auth: {{authorizer: nocache}}, integration: {{type: mock, body: '{{}}'}}}}
        - method: GET
          path: /iam
          auth: {{authorizer: iam}}
          integration: {{type: mock, body: '{{"who":"${{context.authorizer.principalId}}"}}'}}
        - {{method: POST, path: /todos, request: {{body: Todo}}, integration: {{type: mock, status: 201, body: '{{}}'}}}}
        - {{method: POST, path: /inline, request: {{body: {{type: object, required: [b, a]}}}}, integration: {{type: mock, body: '{{}}'}}}}
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("gwauth")
    keys = Keys(d)
    (d / "keys.json").write_text(json.dumps(keys.jwks))
    Upstream.jwks = {"keys": [k for k in keys.jwks["keys"] if k["kid"] == "rsa"]}
    up = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    threading.Thread(target=up.serve_forever, daemon=True).start()
    data = d / "data"
    out = subprocess.run([PORTICO_BIN, "credentials", "add", "--data-dir", str(data), "--name", "gw-tester",
                          "--access-key-id", AKID, "--secret-access-key", SECRET],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    gw_port = free_port()
    cfg = d / "portico.yaml"
    cfg.write_text(CONFIG.format(gw_port=gw_port, log=d / "access.log", up=up.server_address[1]))
    srv = PorticoServer(data, extra_args=["--config", str(cfg)])
    srv.start()
    srv.gw_port, srv.cfg, srv.keys, srv.access_log = gw_port, cfg, keys, d / "access.log"
    yield srv
    srv.stop()
    up.shutdown()


def get(env, path, token=None, headers=None):
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    return req(env.gw_port, "GET", path, headers=h)


# --------------------------------------------------------------------- jwt

@pytest.mark.parametrize("alg", ["HS256", "RS256", "ES256"])
def test_jwt_each_algorithm_verifies_and_exposes_claims(env, alg):
    st, _, body = get(env, "/app/prod/me", env.keys.token(claims(sub=f"u-{alg}"), alg))
    assert (st, body) == (200, {"sub": f"u-{alg}", "p": f"u-{alg}"})


def test_jwt_token_without_bearer_prefix_is_accepted(env):
    st, _, _ = req(env.gw_port, "GET", "/app/prod/me", headers={"Authorization": env.keys.token(claims())})
    assert st == 200


def test_jwt_missing_token_is_401_unauthorized(env):
    assert get(env, "/app/prod/me")[::2] == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize("case", ["expired", "not_yet", "issuer", "audience", "no_exp", "signature", "garbage",
                                  "unknown_kid", "alg_none"])
def test_jwt_invalid_tokens_are_401(env, case):
    now = int(time.time())
    k = env.keys
    tok = {
        "expired": lambda: k.token(claims(exp=now - 120)),
        "not_yet": lambda: k.token(claims(nbf=now + 600)),
        "issuer": lambda: k.token(claims(iss="https://evil.test")),
        "audience": lambda: k.token(claims(aud=["other"])),
        "no_exp": lambda: k.token(claims(exp=None)),
        "signature": lambda: k.token(claims())[:-6] + "AAAAAA",
        "garbage": lambda: "not.a.jwt",
        "unknown_kid": lambda: k.token(claims(), kid="nope"),
        "alg_none": lambda: b64u(b'{"alg":"none"}') + "." + b64u(json.dumps(claims()).encode()) + ".",
    }[case]()
    assert get(env, "/app/prod/me", tok)[::2] == (401, {"message": "Unauthorized"})


def test_jwt_small_clock_skew_is_tolerated(env):
    now = int(time.time())
    assert get(env, "/app/prod/me", env.keys.token(claims(exp=now - 20, nbf=now + 20)))[0] == 200


def test_jwt_audience_list_and_client_id_accepted(env):
    assert get(env, "/app/prod/me", env.keys.token(claims(aud=["x", "todo-api"])))[0] == 200
    assert get(env, "/app/prod/me", env.keys.token(claims(aud=None, client_id="todo-api")))[0] == 200


def test_jwt_rsa_key_cannot_be_used_as_hmac_secret(env):
    """alg confusion: an HS256 token 'signed' with the RSA key's kid must fail."""
    header = b64u(json.dumps({"alg": "HS256", "kid": "rsa"}).encode())
    payload = b64u(json.dumps(claims()).encode())
    sig = hmac.new(env.keys.jwks["keys"][1]["n"].encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert get(env, "/app/prod/me", f"{header}.{payload}.{b64u(sig)}")[0] == 401


def test_jwt_scopes_need_one_of_the_routes(env):
    k = env.keys
    assert get(env, "/app/prod/admin", k.token(claims()))[::2] == (403, {"message": "Forbidden"})
    assert get(env, "/app/prod/admin", k.token(claims(scope="read write")))[0] == 403
    assert get(env, "/app/prod/admin", k.token(claims(scope="read root")))[0] == 200
    assert get(env, "/app/prod/admin", k.token(claims(scp=["admin"])))[0] == 200


def test_jwks_url_is_fetched_once_and_cached(env):
    before = Upstream.fetches
    for _ in range(3):
        assert get(env, "/app/prod/remote", env.keys.token(claims()))[0] == 200
    assert Upstream.fetches - before <= 1
    # the remote authorizer allows RS256 only
    assert get(env, "/app/prod/remote", env.keys.token(claims(), "ES256"))[0] == 401


def test_access_log_names_the_authorizer_principal(env):
    get(env, "/app/prod/me", env.keys.token(claims(sub="logged-user")))
    time.sleep(0.2)
    recs = [json.loads(line) for line in env.access_log.read_text().splitlines()]
    assert any(r["principal"] == "logged-user" and r["route"] == "GET /me" for r in recs)


# --------------------------------------------------------------------- custom

def test_custom_authorizer_allows_with_context_and_caches_by_token(env):
    h = {"Authorization": "allow-carol"}
    assert req(env.gw_port, "GET", "/app/prod/custom", headers=h)[::2] == (200, {"user": "carol"})
    assert req(env.gw_port, "GET", "/app/prod/custom", headers=h)[::2] == (200, {"user": "carol"})
    assert Upstream.calls["allow-carol"] == 1
    p = Upstream.last_payload
    assert p["version"] == "2.0" and p["routeKey"] == "GET /custom" and p["rawPath"] == "/app/prod/custom"
    assert p["requestContext"]["http"]["method"] == "GET"


def test_custom_authorizer_deny_is_403_and_cached(env):
    for _ in range(2):
        st, _, body = req(env.gw_port, "GET", "/app/prod/custom", headers={"Authorization": "deny"})
        assert (st, body) == (403, {"message": "Forbidden"})
    assert Upstream.calls["deny"] == 1


def test_custom_authorizer_missing_identity_is_401_and_error_is_500(env):
    before = dict(Upstream.calls)
    assert get(env, "/app/prod/custom")[::2] == (401, {"message": "Unauthorized"})
    assert Upstream.calls == before
    st, _, body = req(env.gw_port, "GET", "/app/prod/custom", headers={"Authorization": "boom"})
    assert (st, body) == (500, {"message": "Internal Server Error"})


def test_custom_authorizer_without_cache_calls_every_time(env):
    for _ in range(2):
        assert req(env.gw_port, "GET", "/app/prod/nocache/1", headers={"x-token": "allow-nc"})[0] == 200
    assert Upstream.calls["allow-nc"] == 2
    assert Upstream.last_payload["pathParameters"] == {"id": "1"}


# --------------------------------------------------------------------- sigv4

def signed(env, path, key=AKID, secret=SECRET):
    r = AWSRequest(method="GET", url=f"http://127.0.0.1:{env.gw_port}{path}")
    SigV4Auth(Credentials(key, secret), "execute-api", "us-east-1").add_auth(r)
    return dict(r.headers.items())


def test_sigv4_authorizer_uses_the_dynamodb_credentials(env):
    assert req(env.gw_port, "GET", "/app/prod/iam", headers=signed(env, "/app/prod/iam"))[::2] == \
        (200, {"who": "gw-tester"})


def test_sigv4_missing_unknown_and_wrong_secret_are_403(env):
    assert get(env, "/app/prod/iam")[::2] == (403, {"message": "Missing Authentication Token"})
    st, _, body = req(env.gw_port, "GET", "/app/prod/iam", headers=signed(env, "/app/prod/iam", key="AKIDNOPE"))
    assert (st, body) == (403, {"message": "The security token included in the request is invalid."})
    st, _, body = req(env.gw_port, "GET", "/app/prod/iam", headers=signed(env, "/app/prod/iam", secret="bad"))
    assert st == 403 and body["message"].startswith("The request signature we calculated does not match")


# --------------------------------------------------------------------- models

def post(env, path, body):
    return req(env.gw_port, "POST", path, body=body)


def test_valid_body_passes_the_model(env):
    doc = {"title": "buy", "state": "open", "priority": 3, "tags": ["a", "b"], "code": "A12", "ratio": 0.5}
    assert post(env, "/app/prod/todos", doc)[0] == 201


@pytest.mark.parametrize("doc,field,message", [
    ({"state": "open"}, "", 'object has missing required properties (["title"])'),
    ({}, "", 'object has missing required properties (["state","title"])'),
    ({"title": "x", "state": "open", "zz": 1, "aa": 2}, "",
     'object instance has properties which are not allowed by the schema: ["aa","zz"]'),
    ({"title": 5, "state": "open"}, "/title",
     'instance type (integer) does not match any allowed primitive type (allowed: ["string"])'),
    ({"title": "", "state": "open"}, "/title", 'string "" is too short (length: 0, required minimum: 1)'),
    ({"title": "abcdefghijk", "state": "open"}, "/title",
     'string "abcdefghijk" is too long (length: 11, maximum allowed: 10)'),
    ({"title": "x", "state": "gone"}, "/state",
     'instance value ("gone") not found in enum (possible values: ["open","done"])'),
    ({"title": "x", "state": "open", "priority": 0}, "/priority",
     "numeric instance is lower than the required minimum (minimum: 1, found: 0)"),
    ({"title": "x", "state": "open", "priority": 9}, "/priority",
     "numeric instance is greater than the required maximum (maximum: 5, found: 9)"),
    ({"title": "x", "state": "open", "priority": 2.5}, "/priority",
     'instance type (number) does not match any allowed primitive type (allowed: ["integer"])'),
    ({"title": "x", "state": "open", "ratio": 0}, "/ratio",
     "numeric instance is not greater than the required minimum (minimum: 0, found: 0)"),
    ({"title": "x", "state": "open", "tags": ["a", "b", "c"]}, "/tags",
     "array is too long: must have at most 2 elements but instance has 3 elements"),
    ({"title": "x", "state": "open", "tags": ["ok", "NO"]}, "/tags/1",
     'ECMA 262 regex "^[a-z]+$" does not match input string "NO"'),
    ({"title": "x", "state": "open", "code": "A1x"}, "/code",
     'ECMA 262 regex "^[A-Z]\\d+$" does not match input string "A1x"'),
    ([1], "", 'instance type (array) does not match any allowed primitive type (allowed: ["object"])'),
])
def test_invalid_body_is_400_naming_the_field(env, doc, field, message):
    st, _, body = post(env, "/app/prod/todos", doc)
    assert st == 400
    assert body["message"] == "Invalid request body"
    assert {"field": field, "message": message} in body["errors"]


def test_inline_model_and_non_json_body(env):
    st, _, body = post(env, "/app/prod/inline", {"a": 1})
    assert (st, body["errors"]) == (400, [{"field": "", "message": 'object has missing required properties (["b"])'}])
    st, _, body = req(env.gw_port, "POST", "/app/prod/inline", body=b"hello", headers={"Content-Type": "text/plain"})
    assert (st, body["message"]) == (400, "Invalid request body")
    assert post(env, "/app/prod/inline", {"a": 1, "b": 2})[0] == 200


# --------------------------------------------------------------------- admin reload

def test_admin_reload_applies_a_valid_file_and_rejects_an_invalid_one(env):
    original = env.cfg.read_text()
    try:
        env.cfg.write_text(original.replace("path: /me", "path: /me2"))
        st, _, body = req(env.gw_port, "POST", "/_admin/reload")
        assert (st, body) == (200, {"message": "Reloaded"})
        assert get(env, "/app/prod/me2", env.keys.token(claims()))[0] == 200
        env.cfg.write_text(original.replace("type: sigv4", "type: kerberos"))
        st, _, body = req(env.gw_port, "POST", "/_admin/reload")
        assert st == 400 and body["message"] == "Reload rejected; the running configuration is kept"
        assert any("must be one of jwt, custom, sigv4 (got 'kerberos')" in e for e in body["errors"])
        assert get(env, "/app/prod/me2", env.keys.token(claims()))[0] == 200
        assert req(env.gw_port, "GET", "/_admin/reload")[0] == 405
    finally:
        env.cfg.write_text(original)
        assert req(env.gw_port, "POST", "/_admin/reload")[0] == 200


def test_admin_reload_with_a_key_needs_the_key(tmp_path):
    gw_port = free_port()
    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"gateway:\n  listen: 127.0.0.1:{gw_port}\n  accessLog: off\n"
                   "  admin: {path: /ops/reload, apiKey: 'a-long-admin-key-123'}\n"
                   "  apis:\n    - name: x\n      stages: [{name: s}]\n"
                   "      routes: [{method: GET, path: /p, integration: {type: mock}}]\n")
    srv = PorticoServer(tmp_path / "d", extra_args=["--config", str(cfg)]).start()
    try:
        assert req(gw_port, "POST", "/ops/reload")[::2] == (403, {"message": "Forbidden"})
        assert req(gw_port, "POST", "/ops/reload", headers={"x-admin-key": "wrong"})[0] == 403
        assert req(gw_port, "POST", "/ops/reload", headers={"x-admin-key": "a-long-admin-key-123"})[0] == 200
        assert req(gw_port, "POST", "/_admin/reload")[0] == 404
    finally:
        srv.stop()


def test_unknown_authorizer_and_model_are_load_errors(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("gateway:\n  apis:\n    - name: x\n      stages: [{name: s}]\n      routes:\n"
                   "        - {method: GET, path: /a, auth: {authorizer: nope}, integration: {type: mock}}\n"
                   "        - {method: POST, path: /b, request: {body: Missing}, integration: {type: mock}}\n")
    out = subprocess.run([PORTICO_BIN, "serve", "--listen", f"127.0.0.1:{free_port()}",
                          "--data-dir", str(tmp_path / "d"), "--no-sync", "--config", str(cfg)],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    assert "gateway.apis[0].routes[0].auth.authorizer: unknown authorizer 'nope' (gateway.authorizers has: none)" \
        in out.stderr
    assert "gateway.apis[0].routes[1].request.body: unknown model 'Missing'" in out.stderr
