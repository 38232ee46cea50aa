"""Read operations of DynamoDB features Portico does not have (global tables, contributor insights, Kinesis
streaming destinations, exports, imports, replica auto scaling, resource policies): they answer the state DynamoDB
reports for a table without the feature, after checking the table they name, so tools that read a table's whole
state work. Shapes follow botocore's model; the turning-on operations stay unimplemented (test_validation.py)."""

import pytest

from conftest import assert_client_error, assert_raw_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    return create_table(ddb, ("pk", "S"))


def test_nothing_is_listed(ddb):
    assert ddb.list_global_tables()["GlobalTables"] == []
    assert ddb.list_contributor_insights()["ContributorInsightsSummaries"] == []
    assert ddb.list_exports()["ExportSummaries"] == []
    assert ddb.list_imports()["ImportSummaryList"] == []


def test_table_features_read_as_off(ddb, raw, table):
    ci = ddb.describe_contributor_insights(TableName=table)
    assert (ci["TableName"], ci["ContributorInsightsStatus"]) == (table, "DISABLED")
    assert ddb.list_contributor_insights(TableName=table)["ContributorInsightsSummaries"] == []
    kin = ddb.describe_kinesis_streaming_destination(TableName=table)
    assert (kin["TableName"], kin["KinesisDataStreamDestinations"]) == (table, [])
    auto = ddb.describe_table_replica_auto_scaling(TableName=table)["TableAutoScalingDescription"]
    assert (auto["TableName"], auto["TableStatus"], auto["Replicas"]) == (table, "ACTIVE", [])
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    # botocore 1.29 has no GetResourcePolicy: raw JSON
    assert_raw_error(raw.call("GetResourcePolicy", {"ResourceArn": arn}), "PolicyNotFoundException",
                     f"Resource-based policy not found for the provided ResourceArn: {arn}")


def test_missing_things_are_not_found(ddb, raw, table):
    assert_client_error(ddb.describe_contributor_insights, "ResourceNotFoundException",
                        "Requested resource not found: Table: nope not found", TableName="nope")
    assert_client_error(ddb.describe_contributor_insights, "ResourceNotFoundException",
                        f"Requested resource not found: Index gsi for table {table}", TableName=table,
                        IndexName="gsi")
    assert_client_error(ddb.describe_kinesis_streaming_destination, "ResourceNotFoundException", None,
                        TableName="nope")
    assert_client_error(ddb.describe_global_table, "GlobalTableNotFoundException",
                        "Global table not found: Global table with name nope does not exist.",
                        GlobalTableName="nope")
    assert_raw_error(raw.call("GetResourcePolicy", {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/nope"}),
                     "ResourceNotFoundException")
