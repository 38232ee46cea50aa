"""Usage-plan quotas are persisted in the engine (docs/gateway.md, "Usage
plans, throttling and quotas"): table __portico.gateway.quotas, one item per
key and period with a `used` counter that the gateway raises with
UpdateItem ADD once a second. They survive a graceful restart and a crash
(up to the last second), and the former JSON file is migrated once."""

import calendar
import json
import os
import time

import pytest

from conftest import PorticoServer, free_port, make_client
from test_gateway import create_key, req

TABLE = "__portico.gateway.quotas"

CONFIG = """\
gateway:
  listen: 127.0.0.1:{gw_port}
  accessLog: "off"
  apis:
    - name: q
      basePath: /q
      stages: [{{name: v1}}]
      routes:
        - {{method: GET, path: /ping, auth: {{apiKey: true}}, integration: {{type: mock, body: '{{}}'}}}}
  usagePlans:
    - {{name: small, quota: {{limit: 3, period: DAY}}, keys: [qa, qb, qc]}}
"""


def today_start():
    t = time.gmtime()
    return calendar.timegm((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0))


@pytest.fixture
def gwq(tmp_path):
    gw_port = free_port()
    cfg = tmp_path / "portico.yaml"
    cfg.write_text(CONFIG.format(gw_port=gw_port))
    srv = PorticoServer(tmp_path / "data", extra_args=["--config", str(cfg)])
    srv.gw_port = gw_port
    yield srv
    srv.stop()


def ping(srv, key):
    return req(srv.gw_port, "GET", "/q/v1/ping", headers={"x-api-key": key})[0]


def items(srv):
    ddb = make_client(srv.endpoint)
    return {i["k"]["S"]: i for i in ddb.scan(TableName=TABLE)["Items"]}


def wait_used(srv, k, n):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        it = items(srv).get(k)
        if it and it["used"]["N"] == str(n):
            return it
        time.sleep(0.1)
    raise AssertionError(f"{k} never reached used={n}: {items(srv).get(k)}")


def test_counters_live_in_the_engine_table_and_survive_restart(gwq):
    os.makedirs(gwq.data_dir, exist_ok=True)
    kid, key = create_key(gwq.data_dir, "qa")
    gwq.start()
    assert TABLE in make_client(gwq.endpoint).list_tables()["TableNames"]
    assert [ping(gwq, key) for _ in range(2)] == [200, 200]
    k = f"{kid}#0#{today_start()}"
    it = wait_used(gwq, k, 2)  # flushed within a second, without a restart
    assert int(it["expiresAt"]["N"]) == today_start() + 40 * 86400
    ttl = make_client(gwq.endpoint).describe_time_to_live(TableName=TABLE)
    assert ttl["TimeToLiveDescription"]["AttributeName"] == "expiresAt"
    assert not os.path.exists(os.path.join(gwq.data_dir, "gateway-quotas.json"))
    gwq.restart()
    assert [ping(gwq, key) for _ in range(3)] == [200, 429, 429]
    st, _, body = req(gwq.gw_port, "GET", "/q/v1/ping", headers={"x-api-key": key})
    assert (st, body) == (429, {"message": "Limit Exceeded"})
    gwq.stop_clean()
    gwq.start()
    assert wait_used(gwq, k, 3)
    assert ping(gwq, key) == 429


def test_counts_survive_a_crash_after_the_flush(gwq):
    os.makedirs(gwq.data_dir, exist_ok=True)
    kid, key = create_key(gwq.data_dir, "qb")
    gwq.start()
    assert [ping(gwq, key) for _ in range(3)] == [200, 200, 200]
    wait_used(gwq, f"{kid}#0#{today_start()}", 3)
    gwq.kill9()
    gwq.start()
    assert ping(gwq, key) == 429


def test_former_quota_file_is_migrated_once(gwq):
    os.makedirs(gwq.data_dir, exist_ok=True)
    kid, key = create_key(gwq.data_dir, "qc")
    old = os.path.join(gwq.data_dir, "gateway-quotas.json")
    with open(old, "w") as f:
        json.dump({kid: {"period": 0, "start": today_start(), "used": 2},
                   "stale": {"period": 0, "start": today_start() - 86400, "used": 9}}, f)
    gwq.start()
    assert not os.path.exists(old)
    assert os.path.exists(old + ".migrated")
    assert "moved into table __portico.gateway.quotas" in gwq.log_text()
    assert wait_used(gwq, f"{kid}#0#{today_start()}", 2)
    assert not any(k.startswith("stale#") for k in items(gwq))  # past periods are dropped
    assert [ping(gwq, key) for _ in range(2)] == [200, 429]
    gwq.restart()  # not migrated twice
    assert ping(gwq, key) == 429
    assert wait_used(gwq, f"{kid}#0#{today_start()}", 3)
