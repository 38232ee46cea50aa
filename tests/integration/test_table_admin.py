"""Deletion protection, UpdateTable (billing mode, throughput), DescribeLimits, DescribeEndpoints,
and the answer for operations Portico does not implement yet.

Sources: AWS API reference (UpdateTable, DescribeLimits, DescribeEndpoints); dynalite
validations/updateTable.js and actions/updateTable.js (check order, "ProvisionedThroughput must
be specified when BillingMode is PROVISIONED", "Neither ReadCapacityUnits nor ...", "The
provisioned throughput for the table will not change ..."); the service's current messages for
"At least one of ... is required", "DeletionProtection modification must be the only operation
in the request" and DeleteTable of a protected table ("Resource cannot be deleted as it is
currently protected against deletion. Disable deletion protection first.", a
ValidationException). The installed botocore predates DeletionProtectionEnabled, so those
requests go over raw HTTP.
"""

import pytest

from conftest import assert_client_error, assert_raw_error, create_table, make_client, unique_name

PROTECTED = ("Resource cannot be deleted as it is currently protected against deletion. "
             "Disable deletion protection first.")
NOTHING = ("At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
           "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, "
           "MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass "
           "is required")


def raw_create(raw, name, **extra):
    body = {"TableName": name, "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}
    body.update(extra)
    r = raw.call("CreateTable", body)
    assert r.status == 200, r
    return r.json["TableDescription"]


def describe(raw, name):
    r = raw.call("DescribeTable", {"TableName": name})
    assert r.status == 200, r
    return r.json["Table"]


# ---------------------------------------------------------------------------
# deletion protection

def test_new_table_is_not_protected(raw, ddb, hash_table):
    assert describe(raw, hash_table)["DeletionProtectionEnabled"] is False


def test_protected_table_cannot_be_deleted_until_unprotected(raw):
    name = unique_name()
    assert raw_create(raw, name, DeletionProtectionEnabled=True)["DeletionProtectionEnabled"] is True
    assert describe(raw, name)["DeletionProtectionEnabled"] is True
    assert_raw_error(raw.call("DeleteTable", {"TableName": name}), "ValidationException", PROTECTED)
    assert describe(raw, name)["TableStatus"] == "ACTIVE"
    r = raw.call("UpdateTable", {"TableName": name, "DeletionProtectionEnabled": False})
    assert r.status == 200, r
    assert r.json["TableDescription"]["DeletionProtectionEnabled"] is False
    assert r.json["TableDescription"]["TableStatus"] == "ACTIVE"
    assert raw.call("DeleteTable", {"TableName": name}).status == 200


def test_update_table_enables_protection(raw, hash_table):
    assert raw.call("UpdateTable", {"TableName": hash_table, "DeletionProtectionEnabled": True}).status == 200
    assert_raw_error(raw.call("DeleteTable", {"TableName": hash_table}), "ValidationException", PROTECTED)
    raw.call("UpdateTable", {"TableName": hash_table, "DeletionProtectionEnabled": False})


def test_deletion_protection_must_be_the_only_change(raw, hash_table):
    r = raw.call("UpdateTable", {"TableName": hash_table, "DeletionProtectionEnabled": True,
                                 "BillingMode": "PAY_PER_REQUEST"})
    assert_raw_error(r, "ValidationException", "DeletionProtection modification must be the only operation in the request")
    assert describe(raw, hash_table)["DeletionProtectionEnabled"] is False


def test_protection_survives_restart(make_server):
    from conftest import RawClient
    srv = make_server()
    raw = RawClient(srv.port)
    name = unique_name()
    raw_create(raw, name, DeletionProtectionEnabled=True)
    raw.close()
    srv.restart()
    raw = RawClient(srv.port)
    assert describe(raw, name)["DeletionProtectionEnabled"] is True
    assert_raw_error(raw.call("DeleteTable", {"TableName": name}), "ValidationException", PROTECTED)
    raw.close()


# ---------------------------------------------------------------------------
# UpdateTable: billing mode and throughput

def test_update_table_with_nothing_to_change(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.update_table, "ValidationException", NOTHING, TableName=hash_table)
    assert_client_error(ddb_unchecked.update_table, "ValidationException", NOTHING, TableName=hash_table,
                        GlobalSecondaryIndexUpdates=[])


def test_switch_to_provisioned_needs_throughput(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.update_table, "ValidationException",
                        "One or more parameter values were invalid: ProvisionedThroughput must be specified when "
                        "BillingMode is PROVISIONED", TableName=hash_table, BillingMode="PROVISIONED")


def test_throughput_on_on_demand_table_is_rejected(ddb, hash_table):
    assert_client_error(ddb.update_table, "ValidationException",
                        "One or more parameter values were invalid: Neither ReadCapacityUnits nor "
                        "WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                        TableName=hash_table, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})


def test_on_demand_to_provisioned_and_back(ddb, hash_table):
    d = ddb.update_table(TableName=hash_table, BillingMode="PROVISIONED",
                         ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4})["TableDescription"]
    assert d["TableStatus"] == "UPDATING"
    t = ddb.describe_table(TableName=hash_table)["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    ddb.update_table(TableName=hash_table, BillingMode="PAY_PER_REQUEST")
    t = ddb.describe_table(TableName=hash_table)["Table"]
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 0
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 0


def test_throughput_change_is_reflected_with_timestamps(ddb):
    t = create_table(ddb, billing="PROVISIONED")  # 5 / 5
    ddb.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 10, "WriteCapacityUnits": 5})
    pt = ddb.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (10, 5)
    assert "LastIncreaseDateTime" in pt and "LastDecreaseDateTime" not in pt
    ddb.update_table(TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 5})
    pt = ddb.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
    assert pt["ReadCapacityUnits"] == 2 and "LastDecreaseDateTime" in pt
    assert "BillingModeSummary" not in ddb.describe_table(TableName=t)["Table"]


def test_same_throughput_will_not_change(ddb):
    t = create_table(ddb, billing="PROVISIONED")
    assert_client_error(ddb.update_table, "ValidationException",
                        "The provisioned throughput for the table will not change. The requested value equals the "
                        "current value. Current ReadCapacityUnits provisioned for the table: 5. Requested "
                        "ReadCapacityUnits: 5. Current WriteCapacityUnits provisioned for the table: 5. Requested "
                        "WriteCapacityUnits: 5. Refer to the Amazon DynamoDB Developer Guide for current limits and "
                        "how to request higher limits.",
                        TableName=t, ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})


def test_throughput_bounds(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.update_table, "ValidationException",
                        "Given value 1000000000001 for ReadCapacityUnits is out of bounds", TableName=hash_table,
                        ProvisionedThroughput={"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1})
    assert_client_error(ddb_unchecked.update_table, "ValidationException",
                        "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' failed "
                        "to satisfy constraint: Member must have value greater than or equal to 1",
                        TableName=hash_table, ProvisionedThroughput={"ReadCapacityUnits": 0, "WriteCapacityUnits": 1})


def test_update_unknown_table(ddb):
    name = unique_name()
    assert_client_error(ddb.update_table, "ResourceNotFoundException",
                        f"Requested resource not found: Table: {name} not found",
                        TableName=name, BillingMode="PAY_PER_REQUEST")


def test_update_table_billing_mode_enum(ddb_unchecked, hash_table):
    assert_client_error(ddb_unchecked.update_table, "ValidationException",
                        "1 validation error detected: Value 'FREE' at 'billingMode' failed to satisfy constraint: "
                        "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
                        TableName=hash_table, BillingMode="FREE")


def test_index_updates_create_the_index(ddb, hash_table):
    # GSI creation is supported since issue 6 (details in test_indexes_online.py)
    d = ddb.update_table(
        TableName=hash_table,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "gsi", "KeySchema": [{"AttributeName": "g",
                                                                                    "KeyType": "HASH"}],
                                                 "Projection": {"ProjectionType": "ALL"}}}])["TableDescription"]
    assert [g["IndexName"] for g in d["GlobalSecondaryIndexes"]] == ["gsi"]


def test_billing_change_survives_restart(make_server):
    srv = make_server()
    ddb = make_client(srv.endpoint)
    t = create_table(ddb)
    ddb.update_table(TableName=t, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 7, "WriteCapacityUnits": 8})
    srv.restart()
    ddb = make_client(srv.endpoint)
    pt = ddb.describe_table(TableName=t)["Table"]["ProvisionedThroughput"]
    assert (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (7, 8)


# ---------------------------------------------------------------------------
# DescribeLimits, DescribeEndpoints, unimplemented operations

def test_describe_limits_reports_the_default_quotas(ddb):
    r = ddb.describe_limits()
    assert {k: v for k, v in r.items() if k != "ResponseMetadata"} == {
        "AccountMaxReadCapacityUnits": 80000, "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000, "TableMaxWriteCapacityUnits": 40000}


def test_describe_endpoints_shape(ddb):
    assert ddb.describe_endpoints()["Endpoints"] == [
        {"Address": "dynamodb.us-east-1.amazonaws.com", "CachePeriodInMinutes": 1440}]


@pytest.mark.parametrize("op", ["CreateGlobalTable", "EnableKinesisStreamingDestination", "UpdateGlobalTable",
                                "UpdateContributorInsights"])
def test_unimplemented_operation_names_itself(raw, op):
    r = raw.call(op, {"TableName": "whatever"})
    assert_raw_error(r, "UnknownOperationException", f"Operation {op} is not implemented by Portico yet")
