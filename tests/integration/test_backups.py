"""On-demand backups (CreateBackup, DescribeBackup, ListBackups, DeleteBackup, RestoreTableFromBackup) and the
continuous-backups settings (DescribeContinuousBackups, UpdateContinuousBackups).

Expectations are DynamoDB's, from live captures of the service (the ack-api-quirks lab: DDB-BACKUP-003..021,
DDB-TABLE-083/084/085/215/216/219/273/279/447), the API reference (ListBackups "start time is inclusive, but end
time is exclusive"; RecoveryPeriodInDays 1-35, default 35) and moto where it agrees. Messages asserted exactly are
the recorded ones; other errors assert the code only.

Portico simplifications tested as such: CreateBackup copies the table before answering (DynamoDB answers CREATING,
AVAILABLE ~50 ms later); BackupSizeBytes is the exact TableSizeBytes (DynamoDB copies lagging statistics); a restore
is complete when the call returns (RestoreInProgress false; DynamoDB drops RestoreSummary once ACTIVE, so
DescribeTable's RestoreSummary is not asserted). botocore 1.29.27 does not know RecoveryPeriodInDays: the raw JSON
client handles it.
"""

import datetime
import re
import time

import pytest

from conftest import (ACCOUNT_ID, REGION, RawClient, assert_client_error, assert_raw_error, client_error,
                      create_table, make_client, unique_name)

ARN_RE = re.compile(rf"^arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/(?P<table>[a-zA-Z0-9_.-]+)/backup/"
                    r"(?P<ms>\d{14})-[0-9a-f]{8}$")   # 14 digits: epoch ms, zero-padded (DDB-BACKUP-006)
HASH_RANGE = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
NO_PITR_MSG = "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery."


def S(v):
    return {"S": v}


def indexed_table(ddb, billing="PAY_PER_REQUEST"):
    """pk/sk table with an LSI (pk, l) projecting ALL and a GSI (g) projecting KEYS_ONLY; returns its name."""
    name = unique_name("bk")
    gsi = {"IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
           "Projection": {"ProjectionType": "KEYS_ONLY"}}
    kw = {}
    if billing == "PROVISIONED":
        gsi["ProvisionedThroughput"] = {"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
        kw["ProvisionedThroughput"] = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    ddb.create_table(TableName=name, BillingMode=billing, KeySchema=HASH_RANGE, GlobalSecondaryIndexes=[gsi],
                     AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "l", "g")],
                     LocalSecondaryIndexes=[{"IndexName": "by_l", "KeySchema": [HASH_RANGE[0], {
                         "AttributeName": "l", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}], **kw)
    return name


def fill(ddb, name, n=6):
    for i in range(n):
        ddb.put_item(TableName=name, Item={"pk": S(f"p{i % 2}"), "sk": S(f"s{i}"), "l": S(f"l{i}"),
                                           "g": S(f"g{i % 3}"), "n": {"N": str(i)}, "pad": S("x" * 100 * i)})


def scan_all(ddb, name):
    items, start = [], None
    while True:
        page = ddb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return sorted(items, key=lambda it: (it["pk"]["S"], it.get("sk", S(""))["S"]))


def table(ddb, name):
    return ddb.describe_table(TableName=name)["Table"]


def billing_mode(desc):
    return desc.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")


def backup(ddb, name, backup_name="nightly"):
    return ddb.create_backup(TableName=name, BackupName=backup_name)["BackupDetails"]


def index_info(desc, kind):
    return sorted(({k: ix[k] for k in ("IndexName", "KeySchema", "Projection")} for ix in desc.get(kind, [])),
                  key=lambda ix: ix["IndexName"])


# ---------------------------------------------------------------------------
# CreateBackup / DescribeBackup

def test_create_backup_returns_its_details_and_is_available_at_once(ddb):
    name = indexed_table(ddb)
    fill(ddb, name)
    size = table(ddb, name)["TableSizeBytes"]
    before = time.time()
    d = backup(ddb, name, "first.backup-1")
    m = ARN_RE.match(d["BackupArn"])
    assert m and m["table"] == name, f"BackupArn must be table/<name>/backup/<14 digits>-<8 hex>: {d['BackupArn']}"
    assert (d["BackupName"], d["BackupType"], d["BackupSizeBytes"]) == ("first.backup-1", "USER", size), \
        "BackupSizeBytes is the table's TableSizeBytes at backup time"
    assert d["BackupStatus"] in ("CREATING", "AVAILABLE")
    assert "BackupExpiryDateTime" not in d, "USER backups have no expiry (DDB-BACKUP-006)"
    created = d["BackupCreationDateTime"].timestamp()
    assert before - 5 < created < time.time() + 5
    assert abs(int(m["ms"]) - created * 1000) < 1000, "the ARN id's 14 digits are the creation time in epoch ms"
    desc = ddb.describe_backup(BackupArn=d["BackupArn"])["BackupDescription"]
    assert desc["BackupDetails"] == {**d, "BackupStatus": "AVAILABLE"}, "DescribeBackup right after says AVAILABLE"


def test_describe_backup_records_the_source_table(ddb):
    name = indexed_table(ddb, billing="PROVISIONED")
    fill(ddb, name, 4)
    src = table(ddb, name)
    arn = backup(ddb, name)["BackupArn"]
    ddb.put_item(TableName=name, Item={"pk": S("later"), "sk": S("x")})
    desc = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    st = desc["SourceTableDetails"]
    assert {k: st[k] for k in ("TableName", "TableArn", "TableId", "KeySchema", "ItemCount", "TableSizeBytes",
                               "BillingMode")} == \
        {"TableName": name, "TableArn": src["TableArn"], "TableId": src["TableId"], "KeySchema": HASH_RANGE,
         "ItemCount": 4, "TableSizeBytes": src["TableSizeBytes"], "BillingMode": "PROVISIONED"}, \
        "SourceTableDetails describe the table as it was at backup time"
    assert st["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert abs((st["TableCreationDateTime"] - src["CreationDateTime"]).total_seconds()) < 1
    feat = desc["SourceTableFeatureDetails"]
    assert index_info(feat, "LocalSecondaryIndexes") == index_info(src, "LocalSecondaryIndexes")
    assert index_info(feat, "GlobalSecondaryIndexes") == index_info(src, "GlobalSecondaryIndexes")
    assert feat["GlobalSecondaryIndexes"][0]["ProvisionedThroughput"] == {"ReadCapacityUnits": 2,
                                                                          "WriteCapacityUnits": 3}


def test_describe_backup_of_an_on_demand_table_without_indexes(ddb):
    name = create_table(ddb, ("pk", "S"))
    desc = ddb.describe_backup(BackupArn=backup(ddb, name)["BackupArn"])["BackupDescription"]
    st = desc["SourceTableDetails"]
    assert (st["BillingMode"], st["ItemCount"], st["TableSizeBytes"]) == ("PAY_PER_REQUEST", 0, 0)
    assert st["ProvisionedThroughput"] == {"ReadCapacityUnits": 0, "WriteCapacityUnits": 0}, \
        "on-demand tables record 0/0 (DDB-BACKUP-017)"
    assert desc.get("SourceTableFeatureDetails", {}) == {}, "no indexes, stream, TTL: no features recorded"


# ---------------------------------------------------------------------------
# RestoreTableFromBackup

def test_restore_has_exactly_the_items_and_schema_at_backup_time(ddb):
    name = indexed_table(ddb)
    fill(ddb, name)
    src, items = table(ddb, name), scan_all(ddb, name)
    arn = backup(ddb, name)["BackupArn"]
    ddb.put_item(TableName=name, Item={"pk": S("new"), "sk": S("x"), "g": S("g0")})      # writes after the backup
    ddb.delete_item(TableName=name, Key={"pk": S("p0"), "sk": S("s0")})
    ddb.update_item(TableName=name, Key={"pk": S("p1"), "sk": S("s1")}, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": {"N": "99"}})
    target = unique_name("restored")
    out = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    rs = out["RestoreSummary"]
    assert (rs["SourceBackupArn"], rs["SourceTableArn"], rs["RestoreInProgress"]) == (arn, src["TableArn"], False)
    assert abs(rs["RestoreDateTime"].timestamp() - time.time()) < 60
    assert out["TableName"] == target and out["TableArn"].endswith(f":table/{target}")
    assert scan_all(ddb, target) == items, "the restored table holds exactly the items at backup time"
    got = table(ddb, target)
    assert got["TableStatus"] == "ACTIVE" and got["TableId"] != src["TableId"]
    assert (got["KeySchema"], sorted(got["AttributeDefinitions"], key=str), billing_mode(got)) == \
        (src["KeySchema"], sorted(src["AttributeDefinitions"], key=str), "PAY_PER_REQUEST")
    for kind in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        assert index_info(got, kind) == index_info(src, kind), f"{kind} are restored"
    assert (got["ItemCount"], got["TableSizeBytes"]) == (src["ItemCount"], src["TableSizeBytes"])
    by_g = ddb.query(TableName=target, IndexName="by_g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("g0")})["Items"]
    assert sorted(i["sk"]["S"] for i in by_g) == sorted(i["sk"]["S"] for i in items if i["g"] == S("g0")), \
        "the restored GSI answers queries with the backed-up entries"
    by_l = ddb.query(TableName=target, IndexName="by_l", KeyConditionExpression="pk = :p",
                     ExpressionAttributeValues={":p": S("p1")})["Items"]
    assert [i["l"]["S"] for i in by_l] == sorted(i["l"]["S"] for i in items if i["pk"] == S("p1"))
    assert scan_all(ddb, name) != items, "the source table keeps its own, later writes"


@pytest.mark.parametrize("source,override,expect", [
    ("PAY_PER_REQUEST", {"BillingModeOverride": "PROVISIONED",
                         "ProvisionedThroughputOverride": {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}},
     ("PROVISIONED", 7, 3)),
    ("PROVISIONED", {}, ("PROVISIONED", 5, 5)),
    ("PROVISIONED", {"ProvisionedThroughputOverride": {"ReadCapacityUnits": 9, "WriteCapacityUnits": 8}},
     ("PROVISIONED", 9, 8)),
    ("PROVISIONED", {"BillingModeOverride": "PAY_PER_REQUEST"}, ("PAY_PER_REQUEST", 0, 0)),
], ids=["to-provisioned", "keeps-provisioned", "throughput-override", "to-on-demand"])
def test_restore_billing_mode_and_throughput(ddb, source, override, expect):
    name = create_table(ddb, ("pk", "S"), ("sk", "S"), billing=source)
    ddb.put_item(TableName=name, Item={"pk": S("a"), "sk": S("b")})
    target = unique_name("restored")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup(ddb, name)["BackupArn"], **override)
    got = table(ddb, target)
    pt = got["ProvisionedThroughput"]
    assert (billing_mode(got), pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == expect
    assert got["ItemCount"] == 1


def test_empty_gsi_override_restores_without_gsis(ddb):
    name = indexed_table(ddb)
    fill(ddb, name, 3)
    target = unique_name("restored")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=backup(ddb, name)["BackupArn"],
                                  GlobalSecondaryIndexOverride=[])
    got = table(ddb, target)
    assert "GlobalSecondaryIndexes" not in got, "GlobalSecondaryIndexOverride=[] drops every GSI (DDB-TABLE-279)"
    assert [ix["IndexName"] for ix in got["LocalSecondaryIndexes"]] == ["by_l"], "LSIs are still restored"
    assert len(scan_all(ddb, target)) == 3
    code, _, _ = client_error(ddb.query, TableName=target, IndexName="by_g", KeyConditionExpression="g = :g",
                              ExpressionAttributeValues={":g": S("g0")})
    assert code == "ValidationException"


def test_backups_outlive_their_table_and_still_restore(ddb):
    name = indexed_table(ddb)
    fill(ddb, name, 4)
    items = scan_all(ddb, name)
    arn = backup(ddb, name)["BackupArn"]
    ddb.delete_table(TableName=name)
    desc = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert desc["BackupDetails"]["BackupStatus"] == "AVAILABLE", "DeleteTable does not delete backups"
    assert desc["SourceTableDetails"]["TableName"] == name
    assert [s["BackupArn"] for s in ddb.list_backups(TableName=name)["BackupSummaries"]] == [arn]
    target = unique_name("restored")
    ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
    assert scan_all(ddb, target) == items
    ddb.restore_table_from_backup(TargetTableName=name, BackupArn=arn)   # back under its old name
    assert scan_all(ddb, name) == items


# ---------------------------------------------------------------------------
# ListBackups

def test_list_backups_by_table_in_creation_order_with_pagination(ddb):
    name, other = create_table(ddb, ("pk", "S")), create_table(ddb, ("pk", "S"))
    arns = [backup(ddb, name, "same")["BackupArn"] for _ in range(3)]
    assert len(set(arns)) == 3, "BackupName is not unique: each CreateBackup makes a backup (DDB-BACKUP-011)"
    other_arn = backup(ddb, other)["BackupArn"]
    summaries = ddb.list_backups(TableName=name)["BackupSummaries"]
    assert [s["BackupArn"] for s in summaries] == arns, "ordered by BackupCreationDateTime"
    src = table(ddb, name)
    s = summaries[0]
    assert {k: s[k] for k in ("TableName", "TableArn", "TableId", "BackupName", "BackupStatus", "BackupType",
                              "BackupSizeBytes")} == \
        {"TableName": name, "TableArn": src["TableArn"], "TableId": src["TableId"], "BackupName": "same",
         "BackupStatus": "AVAILABLE", "BackupType": "USER", "BackupSizeBytes": 0}
    assert s["BackupCreationDateTime"] == ddb.describe_backup(BackupArn=arns[0])["BackupDescription"][
        "BackupDetails"]["BackupCreationDateTime"], "the same creation time in List and Describe"
    everything = [s["BackupArn"] for s in ddb.list_backups()["BackupSummaries"]]
    assert set(arns) | {other_arn} <= set(everything), "without TableName every table's backups are listed"
    for kind, expected in (("USER", arns), ("ALL", arns), ("SYSTEM", [])):
        got = [s["BackupArn"] for s in ddb.list_backups(TableName=name, BackupType=kind)["BackupSummaries"]]
        assert got == expected, f"BackupType={kind}"
    seen, start = [], None
    for _ in range(10):
        page = ddb.list_backups(TableName=name, Limit=1, **({"ExclusiveStartBackupArn": start} if start else {}))
        assert len(page["BackupSummaries"]) <= 1
        seen += [s["BackupArn"] for s in page["BackupSummaries"]]
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            break
    assert seen == arns, "Limit + ExclusiveStartBackupArn walk the backups once each, in order"
    assert ddb.list_backups(TableName=unique_name())["BackupSummaries"] == [], "a missing table lists nothing"


def test_list_backups_time_range_is_lower_inclusive_upper_exclusive(ddb, raw):
    name = create_table(ddb, ("pk", "S"))
    arns = []
    for i in range(3):
        arns.append(backup(ddb, name, f"bk{i}")["BackupArn"])
        time.sleep(0.02)
    # botocore sends whole seconds; the raw client sends the exact (millisecond) creation times
    t = [raw.call("DescribeBackup", {"BackupArn": a}).json["BackupDescription"]["BackupDetails"]
         ["BackupCreationDateTime"] for a in arns]
    assert t[0] < t[1] < t[2]

    def listed(**bounds):
        r = raw.call("ListBackups", {"TableName": name, **bounds})
        assert r.status == 200, r
        return [s["BackupArn"] for s in r.json["BackupSummaries"]]

    assert listed(TimeRangeLowerBound=t[1]) == arns[1:], "TimeRangeLowerBound is inclusive"
    assert listed(TimeRangeUpperBound=t[1]) == arns[:1], "TimeRangeUpperBound is exclusive"
    assert listed(TimeRangeLowerBound=t[1], TimeRangeUpperBound=t[2]) == [arns[1]]
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    assert ddb.list_backups(TableName=name, TimeRangeLowerBound=future)["BackupSummaries"] == []
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    assert len(ddb.list_backups(TableName=name, TimeRangeLowerBound=past,
                                TimeRangeUpperBound=future)["BackupSummaries"]) == 3


@pytest.mark.parametrize("params", [{"Limit": 0}, {"Limit": 101}, {"BackupType": "user"}])
def test_list_backups_parameters_are_validated(ddb_unchecked, params):
    code, _, _ = client_error(ddb_unchecked.list_backups, **params)
    assert code == "ValidationException", params


# ---------------------------------------------------------------------------
# DeleteBackup and unknown backups

def test_delete_backup_returns_deleted_and_the_backup_is_gone(ddb, raw):
    name = create_table(ddb, ("pk", "S"))
    arn = backup(ddb, name)["BackupArn"]
    desc = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert (desc["BackupDetails"]["BackupArn"], desc["BackupDetails"]["BackupStatus"]) == (arn, "DELETED")
    assert desc["SourceTableDetails"]["TableName"] == name
    msg = f"Backup not found: {arn}"
    assert_client_error(ddb.describe_backup, "BackupNotFoundException", msg, BackupArn=arn)
    assert_client_error(ddb.delete_backup, "BackupNotFoundException", msg, BackupArn=arn)
    code, _, _ = client_error(ddb.restore_table_from_backup, TargetTableName=unique_name(), BackupArn=arn)
    assert code == "BackupNotFoundException"
    assert ddb.list_backups(TableName=name)["BackupSummaries"] == [], "ListBackups drops it at once"
    r = raw.call("DescribeBackup", {"BackupArn": arn})
    assert r.json["__type"] == "com.amazonaws.dynamodb.v20120810#BackupNotFoundException", r


def test_unknown_backup_is_not_found(ddb):
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{unique_name()}/backup/01700000000000-0123abcd"
    for op in (ddb.describe_backup, ddb.delete_backup):
        assert_client_error(op, "BackupNotFoundException", f"Backup not found: {arn}", BackupArn=arn)
    target = unique_name()
    code, _, _ = client_error(ddb.restore_table_from_backup, TargetTableName=target, BackupArn=arn)
    assert code == "BackupNotFoundException"
    assert target not in ddb.list_tables()["TableNames"], "a failed restore creates no table"


def test_malformed_backup_arn_is_a_validation_error(ddb):
    name = create_table(ddb, ("pk", "S"))
    for bad in (table(ddb, name)["TableArn"], "x" * 48):   # DDB-BACKUP-012, DDB-TABLE-273
        for op in (ddb.describe_backup, ddb.delete_backup):
            assert_client_error(op, "ValidationException", "Invalid Backup ARN", BackupArn=bad)
        assert_client_error(ddb.restore_table_from_backup, "ValidationException", "Invalid Backup ARN",
                            TargetTableName=unique_name(), BackupArn=bad)


# ---------------------------------------------------------------------------
# Other errors

def test_create_backup_of_a_missing_table(ddb):
    missing = unique_name()
    assert_client_error(ddb.create_backup, "TableNotFoundException", f"Table not found: {missing}",
                        TableName=missing, BackupName="bk1")


def test_restore_onto_an_existing_table_is_refused(ddb):
    name, existing = create_table(ddb, ("pk", "S")), create_table(ddb, ("pk", "S"))
    ddb.put_item(TableName=name, Item={"pk": S("from-backup")})
    arn = backup(ddb, name)["BackupArn"]
    for target in (existing, name):
        assert_client_error(ddb.restore_table_from_backup, "TableAlreadyExistsException",
                            f"Table already exists: {target}", TargetTableName=target, BackupArn=arn)
    assert scan_all(ddb, existing) == [], "the existing table is left alone"


@pytest.mark.parametrize("bad,constraint", [
    ("ab", "Member must have length greater than or equal to 3"),
    ("x" * 256, "Member must have length less than or equal to 255"),
    ("bad name!", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"),
], ids=["short", "long", "pattern"])
def test_invalid_backup_name(ddb, ddb_unchecked, bad, constraint):
    name = create_table(ddb, ("pk", "S"))
    msg = assert_client_error(ddb_unchecked.create_backup, "ValidationException", None, TableName=name,
                              BackupName=bad)
    assert f"at 'backupName' failed to satisfy constraint: {constraint}" in msg, msg
    assert ddb.list_backups(TableName=name)["BackupSummaries"] == []


# ---------------------------------------------------------------------------
# Continuous backups (point-in-time recovery settings)

def pitr(raw, name, enabled=None, **spec):
    if enabled is None:
        r = raw.call("DescribeContinuousBackups", {"TableName": name})
    else:
        r = raw.call("UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": enabled, **spec}})
    assert r.status == 200, r
    return r.json["ContinuousBackupsDescription"]


def test_new_table_has_continuous_backups_but_no_pitr(ddb, raw):
    name = create_table(ddb, ("pk", "S"))
    d = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    assert d == {"ContinuousBackupsStatus": "ENABLED",
                 "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}, \
        "DISABLED PITR has no restorable times and no RecoveryPeriodInDays (DDB-TABLE-083)"
    assert "RecoveryPeriodInDays" not in pitr(raw, name)["PointInTimeRecoveryDescription"]


def test_enabling_and_disabling_pitr(ddb, raw):
    name = create_table(ddb, ("pk", "S"))
    now = time.time()
    d = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]
    p = d["PointInTimeRecoveryDescription"]
    assert (d["ContinuousBackupsStatus"], p["PointInTimeRecoveryStatus"]) == ("ENABLED", "ENABLED")
    earliest, latest = p["EarliestRestorableDateTime"], p["LatestRestorableDateTime"]
    assert abs(earliest.timestamp() - now) < 60 and earliest <= latest <= datetime.datetime.now(
        datetime.timezone.utc) + datetime.timedelta(seconds=5)
    assert pitr(raw, name)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35, "35 days by default"
    again = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": True})["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert again["EarliestRestorableDateTime"] == earliest, "re-enabling keeps the window (DDB-TABLE-085)"
    assert pitr(raw, name, True, RecoveryPeriodInDays=7)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    assert pitr(raw, name)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    off = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})["ContinuousBackupsDescription"]
    expected_off = {"ContinuousBackupsStatus": "ENABLED",
                    "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    assert off == expected_off and pitr(raw, name) == expected_off
    assert ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification={
        "PointInTimeRecoveryEnabled": False})["ContinuousBackupsDescription"] == expected_off, "disabling twice is fine"
    assert pitr(raw, name, True)["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 35, \
        "the period is forgotten on disable (DDB-TABLE-084)"


def test_recovery_period_is_validated(ddb, raw):
    name = create_table(ddb, ("pk", "S"))
    for days in (0, 36):
        r = raw.call("UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {
            "PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": days}})
        assert_raw_error(r, "ValidationException")
    assert r.message.startswith("1 validation error detected: Value '36' at "
                                "'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy "
                                "constraint: Member must have value less tha"), r   # DDB-TABLE-084 (cut there)
    pitr(raw, name, True)
    r = raw.call("UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {
        "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 7}})
    assert_raw_error(r, "ValidationException", NO_PITR_MSG)
    assert pitr(raw, name)["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    r = raw.call("UpdateContinuousBackups", {"TableName": name, "PointInTimeRecoverySpecification": {}})
    assert_raw_error(r, "ValidationException")


def test_continuous_backups_of_a_missing_table(ddb):
    missing = unique_name()
    msg = f"Table not found: {missing}"   # DDB-TABLE-447, live in two regions
    assert_client_error(ddb.describe_continuous_backups, "TableNotFoundException", msg, TableName=missing)
    assert_client_error(ddb.update_continuous_backups, "TableNotFoundException", msg, TableName=missing,
                        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


# ---------------------------------------------------------------------------
# Durability

def test_backups_and_pitr_survive_a_restart(make_server):
    srv = make_server(sync=True)
    ddb, raw = make_client(srv.endpoint), RawClient(srv.port)
    name = indexed_table(ddb)
    fill(ddb, name, 5)
    items = scan_all(ddb, name)
    arn = backup(ddb, name)["BackupArn"]
    gone = backup(ddb, name, "deleted")["BackupArn"]
    ddb.delete_backup(BackupArn=gone)
    ddb.delete_item(TableName=name, Key={"pk": S("p0"), "sk": S("s0")})
    before = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    pitr(raw, name, True, RecoveryPeriodInDays=9)
    raw.close()
    srv.restart()
    ddb, raw = make_client(srv.endpoint), RawClient(srv.port)
    try:
        assert ddb.describe_backup(BackupArn=arn)["BackupDescription"] == before, "the backup survives a restart"
        assert [s["BackupArn"] for s in ddb.list_backups(TableName=name)["BackupSummaries"]] == [arn]
        assert_client_error(ddb.describe_backup, "BackupNotFoundException", f"Backup not found: {gone}",
                            BackupArn=gone)
        target = unique_name("restored")
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
        assert scan_all(ddb, target) == items
        p = pitr(raw, name)["PointInTimeRecoveryDescription"]
        assert (p["PointInTimeRecoveryStatus"], p["RecoveryPeriodInDays"]) == ("ENABLED", 9), \
            "PITR settings survive a restart"
        assert pitr(raw, target)["PointInTimeRecoveryDescription"] == {"PointInTimeRecoveryStatus": "DISABLED"}, \
            "a restored table does not inherit PITR (DDB-TABLE-215)"
    finally:
        raw.close()


def test_list_backups_ignores_transaction_tokens(ddb):
    # Idempotency tokens are catalog records too; a 4-character one once had the
    # shape of a backup record (same key kind, same length) and broke ListBackups.
    t = create_table(ddb, ("pk", "S"))
    ddb.transact_write_items(ClientRequestToken="abcd", TransactItems=[
        {"Put": {"TableName": t, "Item": {"pk": {"S": "x"}}}}])
    arn = ddb.create_backup(TableName=t, BackupName="after-token")["BackupDetails"]["BackupArn"]
    listed = [b["BackupArn"] for b in ddb.list_backups(TableName=t)["BackupSummaries"]]
    assert listed == [arn], listed
