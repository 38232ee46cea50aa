"""The AWS CLI (Debian's awscli, v2) against portico: a table's whole life cycle."""

import json
import os
import shutil
import subprocess

import pytest

from conftest import REGION, REQUEST_TIMEOUT, unique_name


def find_aws():
    """$AWS_CLI, else Debian's /usr/bin/aws (v2), else whatever `aws` is on PATH."""
    for cand in (os.environ.get("AWS_CLI"), "/usr/bin/aws", shutil.which("aws")):
        if cand and os.access(cand, os.X_OK):
            return cand
    return None


AWS = find_aws()
pytestmark = pytest.mark.skipif(AWS is None, reason="aws CLI not installed")


@pytest.fixture(scope="module")
def aws(server, tmp_path_factory):
    home = tmp_path_factory.mktemp("awshome")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_PAGER": "",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "NO_PROXY": "127.0.0.1,localhost",
    }

    def run(*args, ok=True):
        argv = [AWS, "dynamodb", *args, "--endpoint-url", server.endpoint, "--output", "json"]
        r = subprocess.run(argv, env=env, capture_output=True, text=True,
                           timeout=REQUEST_TIMEOUT + 60)
        if ok:
            assert r.returncode == 0, f"{' '.join(args)} -> {r.returncode}\n{r.stdout}\n{r.stderr}"
            return json.loads(r.stdout) if r.stdout.strip() else {}
        return r

    return run


def test_aws_cli_table_life_cycle(aws):
    # One table through its whole life; each CLI start costs about a second, so the
    # service-error checks ride along instead of creating a second table.
    name = unique_name("cli")
    create = ["create-table", "--table-name", name,
              "--attribute-definitions", "AttributeName=id,AttributeType=S",
              "--key-schema", "AttributeName=id,KeyType=HASH",
              "--billing-mode", "PAY_PER_REQUEST"]
    out = aws(*create)
    assert out["TableDescription"]["TableName"] == name
    assert out["TableDescription"]["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]

    aws("wait", "table-exists", "--table-name", name)

    r = aws(*create, ok=False)
    assert r.returncode != 0
    assert "ResourceInUseException" in r.stderr, r.stderr

    item = {"id": {"S": "a"}, "n": {"N": "01.50"}, "s": {"S": "h\u00e9llo \u2713"},
            "b": {"B": "AAH/"}, "l": {"L": [{"BOOL": True}, {"NULL": True}]},
            "ss": {"SS": ["x"]}}
    out = aws("put-item", "--table-name", name, "--item", json.dumps(item),
              "--return-values", "ALL_OLD")
    assert "Attributes" not in out

    r = aws("put-item", "--table-name", name, "--item", '{"other": {"S": "a"}}', ok=False)
    assert r.returncode != 0
    assert "ValidationException" in r.stderr, r.stderr
    assert "Missing the key id in the item" in r.stderr, r.stderr

    out = aws("get-item", "--table-name", name, "--key", '{"id": {"S": "a"}}',
              "--consistent-read")
    assert out["Item"] == dict(item, n={"N": "1.5"})

    out = aws("describe-table", "--table-name", name)
    t = out["Table"]
    assert t["TableName"] == name
    assert t["TableStatus"] == "ACTIVE"
    assert t["ItemCount"] == 1
    assert t["TableArn"].endswith(f":table/{name}")

    out = aws("list-tables")
    assert name in out["TableNames"]

    out = aws("delete-item", "--table-name", name, "--key", '{"id": {"S": "a"}}',
              "--return-values", "ALL_OLD")
    assert out["Attributes"] == dict(item, n={"N": "1.5"})

    out = aws("delete-table", "--table-name", name)
    assert out["TableDescription"]["TableName"] == name
    assert out["TableDescription"]["TableStatus"] == "DELETING"

    r = aws("describe-table", "--table-name", name, ok=False)
    assert r.returncode != 0
    assert "ResourceNotFoundException" in r.stderr, r.stderr
