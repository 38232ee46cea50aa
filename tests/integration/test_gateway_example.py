"""docs/examples/todo-api.yaml, exercised as a user would: the file is used as
written (only the listen port is changed), tables created with boto3, a key
created with `portico apikey create`, requests made with http.client."""

import time

import pytest

from conftest import REPO, PorticoServer, free_port, make_client
from test_gateway import create_key, req

EXAMPLE = REPO / "docs" / "examples" / "todo-api.yaml"


@pytest.fixture(scope="module")
def todo(tmp_path_factory):
    d = tmp_path_factory.mktemp("example")
    port = free_port()
    text = EXAMPLE.read_text().replace("listen: 127.0.0.1:8080", f"listen: 127.0.0.1:{port}")
    assert str(port) in text
    cfg = d / "todo-api.yaml"
    cfg.write_text(text)
    srv = PorticoServer(d / "data", extra_args=["--config", str(cfg)])
    srv.start()
    srv.gw_port = port
    ddb = make_client(srv.endpoint)
    for t in ("todos", "todos-dev"):
        ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    yield srv
    srv.stop()


def test_example_todo_api_end_to_end(todo):
    p = todo.gw_port
    assert req(p, "GET", "/todo/prod/ping")[:3:2] == (200, {"ok": True})
    # writes need a key
    st, _, body = req(p, "PUT", "/todo/prod/items/1", {"title": "buy milk", "done": False})
    assert (st, body) == (403, {"message": "Forbidden"})
    _, key = create_key(todo.data_dir, "alice")
    todo.alice_key = key
    time.sleep(1.2)
    st, _, body = req(p, "PUT", "/todo/prod/items/1", {"title": "buy milk", "done": False},
                      headers={"x-api-key": key})
    assert (st, body) == (200, {})
    st, _, body = req(p, "GET", "/todo/prod/items/1")
    assert (st, body) == (200, {"id": "1", "title": "buy milk", "done": False, "createdBy": "alice"})
    # stages are separate tables
    assert req(p, "GET", "/todo/dev/items/1")[0] == 404
    # scan with a numeric query parameter
    st, _, body = req(p, "GET", "/todo/prod/items?limit=10")
    assert st == 200 and body["Count"] == 1 and body["Items"][0]["title"] == "buy milk"
    st, _, body = req(p, "GET", "/todo/prod/items?limit=ten")
    assert (st, body) == (400, {"message": "${query.limit|number} must be a number"})
    # CORS
    st, h, _ = req(p, "OPTIONS", "/todo/prod/items/1", headers={
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "DELETE"})
    assert st == 204 and h["access-control-allow-origin"] == "https://app.example.com"
    # delete returns the old item
    st, _, body = req(p, "DELETE", "/todo/prod/items/1", headers={"x-api-key": key})
    assert st == 200 and body["title"] == "buy milk"
    assert req(p, "GET", "/todo/prod/items/1")[0] == 404


def test_example_usage_plan_throttle_applies_to_the_key(todo):
    # alice is in plan "basic": rate 10/s, burst 20
    time.sleep(2.1)
    t0 = time.monotonic()
    codes = [req(todo.gw_port, "GET", "/todo/prod/ping", headers={"x-api-key": todo.alice_key})[0]
             for _ in range(40)]
    elapsed = time.monotonic() - t0
    assert set(codes) == {200, 429}
    assert 20 <= codes.count(200) <= 20 + int(10 * elapsed) + 1
    # without a key, only the stage and gateway limits apply
    assert all(req(todo.gw_port, "GET", "/todo/prod/ping")[0] == 200 for _ in range(30))
