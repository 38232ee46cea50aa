"""The --config file is YAML (JSON is YAML): the DynamoDB endpoint's own members (auth,
credentials) are honoured when written in YAML syntax too — a YAML `auth: required` must
never be silently ignored — and an invalid file stops the server with its position."""

import subprocess

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import PORTICO_BIN, REGION


def client(server, key, secret):
    return boto3.client("dynamodb", endpoint_url=server.endpoint, region_name=REGION,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}))


def test_yaml_config_auth_and_credentials_are_enforced(make_server, tmp_path):
    cfg = tmp_path / "portico.yaml"
    cfg.write_text("# DynamoDB endpoint settings in YAML syntax\n"
                   "auth: required\n"
                   "credentials:\n"
                   "  - access_key_id: AKIDYAML\n"
                   "    secret_access_key: \"yaml/secret\"\n"
                   "    name: from-yaml\n")
    cfg.chmod(0o600)
    srv = make_server(extra_args=["--config", str(cfg)])
    assert client(srv, "AKIDYAML", "yaml/secret").list_tables()["TableNames"] == []
    with pytest.raises(ClientError) as ei:
        client(srv, "AKIDYAML", "wrong").list_tables()
    assert ei.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as ei:
        client(srv, "AKIDOTHER", "x").list_tables()
    assert ei.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_invalid_yaml_config_stops_the_server_naming_the_position(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("auth: required\ncredentials: [unclosed\n")
    r = subprocess.run([PORTICO_BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir",
                        str(tmp_path / "data"), "--config", str(cfg)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "bad.yaml:" in r.stderr, r.stderr
