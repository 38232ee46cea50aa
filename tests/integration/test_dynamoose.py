"""An unmodified Dynamoose application against portico (issue 12).

node/dynamoose_app.mjs is an ordinary Dynamoose 4 program using the npm packages
pinned by node/package-lock.json (dynamoose + @aws-sdk/client-dynamodb): Dynamoose
creates its own table — hash and range key, a global secondary index, Time to Live
through its `expires` option — and the app then exercises a model with timestamps,
validation, defaults, sets, nested objects and arrays: create/get, update with
$ADD/$SET/$REMOVE/$DELETE, conditional writes, queries on the index and on the table,
filtered scans, batch get/put/delete, transactions, and items that expire. It checks
every result with node:assert and exits non-zero on any failure, printing the failed
steps and the DynamoDB requests and responses that led to them.

The server sweeps expired items every 0.2 s (--ttl-period) so the expiry step takes
a couple of seconds rather than the default sweep period.
"""

import os
import shutil
import subprocess

import pytest

from conftest import SANITIZED

NODE_DIR = os.path.join(os.path.dirname(__file__), "node")
APP = os.path.join(NODE_DIR, "dynamoose_app.mjs")
DYNAMOOSE = os.path.join(NODE_DIR, "node_modules", "dynamoose")
APP_TIMEOUT = 300 if SANITIZED else 120


@pytest.mark.skipif(not shutil.which("node") or not os.path.isdir(DYNAMOOSE),
                    reason="node or dynamoose not installed (make node-deps, or "
                           "npm ci inside tests/integration/node)")
def test_unmodified_dynamoose_application_runs_against_portico(make_server):
    srv = make_server(extra_args=["--ttl-period", "0.2"])
    try:
        r = subprocess.run(["node", APP, srv.endpoint], cwd=NODE_DIR, capture_output=True,
                           text=True, timeout=APP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"dynamoose_app.mjs did not finish within {APP_TIMEOUT}s\n{out}\n{srv.log_tail()}")
    report = f"---- dynamoose_app.mjs stdout ----\n{r.stdout}\n---- stderr ----\n{r.stderr}"
    assert r.returncode == 0, f"dynamoose_app.mjs exited with status {r.returncode}\n{report}"
    assert "steps passed" in r.stdout and "failed:" not in r.stdout, report
    assert srv.alive(), f"portico died during the Dynamoose run\n{srv.log_tail()}"
