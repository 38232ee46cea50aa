"""DynamoDB Streams: StreamSpecification on CreateTable / UpdateTable, and the streams service
(ListStreams, DescribeStream, GetShardIterator, GetRecords; X-Amz-Target DynamoDBStreams_20120810).

Expectations are DynamoDB's. Messages come from live captures of the service (the ack-api-quirks lab:
DDB-TABLE-035 CreateTable, DDB-TABLE-050/362 UpdateTable, DDB-TABLE-378 ListStreams) and from a client
test run against AWS ("Requested resource not found: Stream: <arn> not found"); error codes without a
recorded message from scylladb test/alternator/test_streams.py, which runs against AWS too. Record
shapes: the streams API reference and dynalite test/getRecords.js (eventVersion "1.1"). "A PutItem or
UpdateItem that does not change any data in an item writes no stream record" and "deleting a missing
item writes none" are the developer guide's (Streams.html#Streams.Processing), as Alternator's tests
confirm against AWS.

Portico simplifications tested as such: a stream has exactly one shard; records are visible as soon
as the write is acknowledged. Not asserted: what DeleteTable does to the stream (DynamoDB keeps it 24 h).
"""

import datetime
import json
import os
import re
import shutil
import subprocess
import threading
import time

import boto3
import pytest
from botocore.config import Config

from conftest import (ACCOUNT_ID, REGION, REQUEST_TIMEOUT, assert_client_error, client_error, create_table,
                      make_client, unique_name)

LABEL_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$")
SHARD_RE = re.compile(r"^shardId-\d{20}-[0-9a-f]{8}$")
VIEWS = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]
_lock = threading.Lock()


def make_streams_client(endpoint, validate=True):
    with _lock:
        return boto3.session.Session().client(
            "dynamodbstreams", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=10,
                          read_timeout=REQUEST_TIMEOUT, parameter_validation=validate))


@pytest.fixture(scope="module")
def streams(server):
    return make_streams_client(server.endpoint)


@pytest.fixture(scope="module")
def streams_unchecked(server):
    return make_streams_client(server.endpoint, validate=False)


def stream_table(ddb, view="NEW_AND_OLD_IMAGES", range_key=False):
    """Creates a table with a stream; returns (name, stream ARN, CreateTable's TableDescription)."""
    name = unique_name()
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
    if range_key:
        attrs.append({"AttributeName": "sk", "AttributeType": "S"})
        schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
    desc = ddb.create_table(TableName=name, AttributeDefinitions=attrs, KeySchema=schema,
                            BillingMode="PAY_PER_REQUEST",
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": view})["TableDescription"]
    return name, desc["LatestStreamArn"], desc


def only_shard(streams, arn):
    shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
    assert len(shards) == 1, f"a Portico stream has exactly one shard, got {shards}"
    return shards[0]


def iterator(streams, arn, kind="TRIM_HORIZON", seq=None):
    kw = {"SequenceNumber": seq} if seq is not None else {}
    shard_id = only_shard(streams, arn)["ShardId"]
    return streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind, **kw)["ShardIterator"]


def drain(streams, it):
    """Reads until a page is empty (open shard) or the shard ends; returns (records, next iterator or None)."""
    out = []
    while True:
        r = streams.get_records(ShardIterator=it)
        out += r["Records"]
        if "NextShardIterator" not in r:
            return out, None
        it = r["NextShardIterator"]
        if not r["Records"]:
            return out, it


def records(streams, arn):
    return drain(streams, iterator(streams, arn))[0]


def put(ddb, table, pk, **attrs):
    ddb.put_item(TableName=table, Item={"pk": {"S": pk}, **attrs})


def summary(recs):
    return [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in recs]


def seq(r):
    return int(r["dynamodb"]["SequenceNumber"])


# ---------------------------------------------------------------------------
# StreamSpecification on CreateTable / UpdateTable / DescribeTable

def test_create_table_with_stream_reports_specification_label_and_arn(ddb):
    before = datetime.datetime.now(datetime.timezone.utc)
    name, arn, desc = stream_table(ddb, "NEW_IMAGE")
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    label = desc["LatestStreamLabel"]
    assert LABEL_RE.match(label), f"label must be an ISO-8601 UTC timestamp with milliseconds: {label!r}"
    when = datetime.datetime.strptime(label, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
    assert abs((when - before).total_seconds()) < 60, "the label is the stream's creation time"
    assert arn == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}/stream/{label}"
    table = ddb.describe_table(TableName=name)["Table"]
    assert (table["StreamSpecification"], table["LatestStreamLabel"], table["LatestStreamArn"]) == \
        (desc["StreamSpecification"], label, arn), "DescribeTable repeats CreateTable's stream fields"


def test_table_without_stream_has_no_stream_fields(ddb, streams):
    plain = create_table(ddb, ("pk", "S"))
    disabled = unique_name()
    ddb.create_table(TableName=disabled, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                     StreamSpecification={"StreamEnabled": False})
    for name in (plain, disabled):
        table = ddb.describe_table(TableName=name)["Table"]
        for field in ("StreamSpecification", "LatestStreamArn", "LatestStreamLabel"):
            assert field not in table, f"{field} shown for a table that never had a stream"
        assert streams.list_streams(TableName=name)["Streams"] == []


@pytest.mark.parametrize("spec,message", [
    ({"StreamEnabled": True}, "One or more parameter values were invalid: Table is being created with a "
                              "stream enabled, UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "NEW_IMAGE"},
     "One or more parameter values were invalid: Table is being created with a stream disabled, "
     "UpdateViewType should not be specified"),
    ({"StreamEnabled": True, "StreamViewType": "new_image"},
     "1 validation error detected: Value 'new_image' at 'streamSpecification.streamViewType' failed to satisfy "
     "constraint: Member must satisfy enum value set: [OLD_IMAGE, KEYS_ONLY, NEW_AND_OLD_IMAGES, NEW_IMAGE]"),
    ({"StreamViewType": "KEYS_ONLY"}, "1 validation error detected: Value null at 'streamSpecification.streamEnabled' "
                                      "failed to satisfy constraint: Member must not be null"),
], ids=["enabled-without-type", "disabled-with-type", "bad-type", "no-enabled"])
def test_create_table_stream_specification_is_validated(ddb, ddb_unchecked, spec, message):
    name = unique_name()
    assert_client_error(ddb_unchecked.create_table, "ValidationException", message, TableName=name,
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                        StreamSpecification=spec)
    assert name not in ddb.list_tables()["TableNames"], "a rejected CreateTable must not create the table"


def test_update_table_enables_a_stream(ddb, streams):
    name = create_table(ddb, ("pk", "S"))
    desc = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                 "StreamViewType": "KEYS_ONLY"})["TableDescription"]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    arn, label = desc["LatestStreamArn"], desc["LatestStreamLabel"]
    assert arn == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}/stream/{label}"
    assert ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"] == arn
    assert streams.list_streams(TableName=name)["Streams"] == [{"StreamArn": arn, "TableName": name,
                                                                "StreamLabel": label}]


def test_enabling_an_enabled_stream_is_rejected(ddb):
    name, _, _ = stream_table(ddb, "KEYS_ONLY")
    for view in ("KEYS_ONLY", "NEW_IMAGE"):   # the same view type, or another: both refused
        assert_client_error(ddb.update_table, "ValidationException",
                            f"Table already has an enabled stream: TableName: {name}", TableName=name,
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    assert ddb.describe_table(TableName=name)["Table"]["StreamSpecification"]["StreamViewType"] == "KEYS_ONLY"


def test_disabling_without_an_enabled_stream_is_rejected(ddb):
    name = create_table(ddb, ("pk", "S"))
    msg = f"Table has no stream to disable: TableName: {name}"
    assert_client_error(ddb.update_table, "ValidationException", msg, TableName=name,
                        StreamSpecification={"StreamEnabled": False})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert_client_error(ddb.update_table, "ValidationException", msg, TableName=name,
                        StreamSpecification={"StreamEnabled": False})


@pytest.mark.parametrize("spec,message", [
    ({"StreamEnabled": True}, "One or more parameter values were invalid: If stream is being enabled then "
                              "UpdateViewType is required"),
    ({"StreamEnabled": False, "StreamViewType": "KEYS_ONLY"},
     "One or more parameter values were invalid: If stream is being disabled, then UpdateViewType must not "
     "be specified"),
], ids=["enable-without-type", "disable-with-type"])
def test_update_table_stream_view_type_rules(ddb, spec, message):
    # enabling is refused on a table without a stream, disabling on one with a stream
    name = stream_table(ddb)[0] if spec["StreamEnabled"] is False else create_table(ddb, ("pk", "S"))
    assert_client_error(ddb.update_table, "ValidationException", message, TableName=name,
                        StreamSpecification=spec)


def test_disabled_stream_is_closed_listed_and_readable(ddb, streams):
    name, arn, desc = stream_table(ddb, "NEW_AND_OLD_IMAGES")
    put(ddb, name, "a")
    put(ddb, name, "b")
    early_it = iterator(streams, arn)
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    put(ddb, name, "after-disable")                         # not recorded: the stream is closed
    table = ddb.describe_table(TableName=name)["Table"]
    assert "StreamSpecification" not in table, "DynamoDB drops StreamSpecification once disabled"
    assert (table["LatestStreamArn"], table["LatestStreamLabel"]) == (arn, desc["LatestStreamLabel"]), \
        "LatestStreamArn / LatestStreamLabel stay after disabling"
    sd = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert sd["StreamStatus"] == "DISABLED" and sd["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    rng = only_shard(streams, arn)["SequenceNumberRange"]
    assert rng["EndingSequenceNumber"].isdecimal(), "a closed shard has an EndingSequenceNumber"
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]
    for it in (early_it, iterator(streams, arn)):           # an iterator taken before, and a fresh one
        recs, nxt = drain(streams, it)
        assert summary(recs) == [("INSERT", "a"), ("INSERT", "b")]
        assert nxt is None, "at the end of a closed shard GetRecords returns no NextShardIterator"
    assert int(rng["EndingSequenceNumber"]) >= seq(recs[-1])


def test_reenabling_starts_a_new_stream(ddb, streams):
    name, old_arn, _ = stream_table(ddb, "KEYS_ONLY")
    put(ddb, name, "old")
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    desc = ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True,
                                                                 "StreamViewType": "NEW_IMAGE"})["TableDescription"]
    new_arn = desc["LatestStreamArn"]
    assert new_arn != old_arn and desc["LatestStreamLabel"] != old_arn.rsplit("/", 1)[1]
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}
    sd = streams.describe_stream(StreamArn=new_arn)["StreamDescription"]
    assert (sd["StreamStatus"], sd["StreamViewType"]) == ("ENABLED", "NEW_IMAGE")
    assert records(streams, new_arn) == [], "a new stream starts empty"
    put(ddb, name, "new")
    assert summary(records(streams, new_arn)) == [("INSERT", "new")]
    # the closed stream stays listed, DISABLED and readable (DynamoDB keeps it for 24 hours)
    listed = [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]]
    assert listed == [new_arn, old_arn], f"the older, disabled stream is still listed: {listed}"
    old = streams.describe_stream(StreamArn=old_arn)["StreamDescription"]
    assert (old["StreamStatus"], old["StreamViewType"]) == ("DISABLED", "KEYS_ONLY")
    assert summary(records(streams, old_arn)) == [("INSERT", "old")], "the old stream keeps its records"
    page = streams.list_streams(TableName=name, Limit=1)
    assert [s["StreamArn"] for s in page["Streams"]] == [new_arn]
    rest = streams.list_streams(TableName=name, ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])
    assert [s["StreamArn"] for s in rest["Streams"]] == [old_arn], "pagination walks a table's streams"


# ---------------------------------------------------------------------------
# DescribeStream / ListStreams

def test_describe_stream_describes_the_stream_and_its_one_shard(ddb, streams):
    name, arn, desc = stream_table(ddb, "OLD_IMAGE", range_key=True)
    sd = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert (sd["StreamArn"], sd["StreamLabel"], sd["StreamStatus"], sd["StreamViewType"], sd["TableName"]) == \
        (arn, desc["LatestStreamLabel"], "ENABLED", "OLD_IMAGE", name)
    assert sd["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert abs(sd["CreationRequestDateTime"].timestamp() - time.time()) < 60
    assert "LastEvaluatedShardId" not in sd
    (shard,) = sd["Shards"]
    assert SHARD_RE.match(shard["ShardId"]), shard["ShardId"]
    assert "ParentShardId" not in shard
    assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdecimal()
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"], "an open shard has no end"
    after = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard["ShardId"])["StreamDescription"]
    assert after["Shards"] == [], "nothing follows the last shard"


def test_list_streams_with_and_without_table_name(ddb, streams):
    t1, arn1, d1 = stream_table(ddb)
    t2, arn2, _ = stream_table(ddb)
    mine = streams.list_streams(TableName=t1)["Streams"]
    assert mine == [{"StreamArn": arn1, "TableName": t1, "StreamLabel": d1["LatestStreamLabel"]}]
    everything = streams.list_streams()["Streams"]
    assert {arn1, arn2} <= {s["StreamArn"] for s in everything}


def test_list_streams_paginates_with_limit(ddb, streams):
    arns = {stream_table(ddb)[1] for _ in range(3)}
    seen, start = [], None
    for _ in range(1000):
        kw = {"ExclusiveStartStreamArn": start} if start else {}
        page = streams.list_streams(Limit=1, **kw)
        assert len(page["Streams"]) <= 1
        seen += [s["StreamArn"] for s in page["Streams"]]
        start = page.get("LastEvaluatedStreamArn")
        if not start:
            break
    assert len(seen) == len(set(seen)), "a stream is listed once across pages"
    assert arns <= set(seen)


@pytest.mark.parametrize("limit", [0, 101])
def test_list_streams_limit_bounds(streams_unchecked, limit):
    code, _, _ = client_error(streams_unchecked.list_streams, Limit=limit)
    assert code == "ValidationException"


# ---------------------------------------------------------------------------
# Records: which writes, what they hold

def check_record(r, view, now):
    assert r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == REGION and r["eventVersion"] == "1.1"
    assert r["eventID"] and "userIdentity" not in r, r
    d = r["dynamodb"]
    assert d["StreamViewType"] == view
    assert d["SequenceNumber"].isdecimal() and len(d["SequenceNumber"]) >= 21, \
        "SequenceNumber: digits, at least 21 of them (botocore refuses shorter ones in GetShardIterator)"
    assert isinstance(d["SizeBytes"], int) and d["SizeBytes"] > 0
    assert abs(d["ApproximateCreationDateTime"].timestamp() - now) < 60
    new_expected = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and r["eventName"] != "REMOVE"
    old_expected = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES") and r["eventName"] != "INSERT"
    assert ("NewImage" in d) == new_expected and ("OldImage" in d) == old_expected, (view, r)


@pytest.mark.parametrize("view", VIEWS)
def test_put_update_delete_records_by_view_type(ddb, streams, view):
    name, arn, _ = stream_table(ddb, view)
    put(ddb, name, "k", a={"N": "1"})                                      # INSERT
    put(ddb, name, "k", b={"S": "x"})                                      # MODIFY (replaced)
    ddb.update_item(TableName=name, Key={"pk": {"S": "k"}}, UpdateExpression="SET c = :c",
                    ExpressionAttributeValues={":c": {"BOOL": True}})      # MODIFY
    ddb.update_item(TableName=name, Key={"pk": {"S": "u"}}, UpdateExpression="SET c = :c",
                    ExpressionAttributeValues={":c": {"N": "2"}})          # INSERT by UpdateItem
    ddb.delete_item(TableName=name, Key={"pk": {"S": "k"}})                # REMOVE
    ddb.delete_item(TableName=name, Key={"pk": {"S": "missing"}})          # nothing
    recs = records(streams, arn)
    assert summary(recs) == [("INSERT", "k"), ("MODIFY", "k"), ("MODIFY", "k"), ("INSERT", "u"), ("REMOVE", "k")]
    now = time.time()
    for r in recs:
        check_record(r, view, now)
        assert r["dynamodb"]["Keys"] == {"pk": r["dynamodb"]["Keys"]["pk"]}, "Keys holds the key attributes only"
    assert len({r["eventID"] for r in recs}) == len(recs), "eventIDs are unique"
    assert [seq(r) for r in recs] == sorted({seq(r) for r in recs}), "sequence numbers increase"
    k = {"pk": {"S": "k"}}
    images = [(r["dynamodb"].get("OldImage"), r["dynamodb"].get("NewImage")) for r in recs]
    full = [(None, {**k, "a": {"N": "1"}}), ({**k, "a": {"N": "1"}}, {**k, "b": {"S": "x"}}),
            ({**k, "b": {"S": "x"}}, {**k, "b": {"S": "x"}, "c": {"BOOL": True}}),
            (None, {"pk": {"S": "u"}, "c": {"N": "2"}}), ({**k, "b": {"S": "x"}, "c": {"BOOL": True}}, None)]
    keep_old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    keep_new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert images == [(o if keep_old else None, n if keep_new else None) for o, n in full], \
        "images are the whole item before / after the change"


def test_writes_that_change_nothing_produce_no_record(ddb, streams):
    name, arn, _ = stream_table(ddb)
    put(ddb, name, "k", a={"N": "1"}, m={"M": {"x": {"S": "1"}, "y": {"S": "2"}}})
    put(ddb, name, "k", a={"N": "1"}, m={"M": {"x": {"S": "1"}, "y": {"S": "2"}}})  # identical PutItem
    ddb.update_item(TableName=name, Key={"pk": {"S": "k"}}, UpdateExpression="SET a = :one",
                    ExpressionAttributeValues={":one": {"N": "1.0"}})               # same number
    ddb.update_item(TableName=name, Key={"pk": {"S": "k"}}, UpdateExpression="REMOVE nothere")
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {
        "pk": {"S": "k"}, "a": {"N": "1"}, "m": {"M": {"y": {"S": "2"}, "x": {"S": "1"}}}}}}]})
    assert summary(records(streams, arn)) == [("INSERT", "k")], \
        "a PutItem/UpdateItem that does not change the item writes no stream record"


def test_failed_conditional_write_produces_no_record(ddb, streams):
    name, arn, _ = stream_table(ddb)
    put(ddb, name, "k")
    assert_client_error(ddb.put_item, "ConditionalCheckFailedException", None, TableName=name,
                        Item={"pk": {"S": "k"}, "v": {"S": "2"}}, ConditionExpression="attribute_not_exists(pk)")
    assert summary(records(streams, arn)) == [("INSERT", "k")]


def test_batch_write_item_writes_one_record_per_changed_item(ddb, streams):
    name, arn, _ = stream_table(ddb, "KEYS_ONLY")
    put(ddb, name, "a")
    put(ddb, name, "b")
    ddb.batch_write_item(RequestItems={name: [
        {"PutRequest": {"Item": {"pk": {"S": "a"}, "v": {"S": "changed"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "c"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}},
        {"DeleteRequest": {"Key": {"pk": {"S": "missing"}}}}]})
    recs = records(streams, arn)
    assert summary(recs[:2]) == [("INSERT", "a"), ("INSERT", "b")]
    assert sorted(summary(recs[2:])) == [("INSERT", "c"), ("MODIFY", "a"), ("REMOVE", "b")]


def test_transact_write_items_writes_one_record_per_changed_item(ddb, streams):
    name, arn, _ = stream_table(ddb, "NEW_AND_OLD_IMAGES")
    put(ddb, name, "upd", n={"N": "1"})
    put(ddb, name, "del")
    put(ddb, name, "chk")
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "new"}}}},
        {"Update": {"TableName": name, "Key": {"pk": {"S": "upd"}}, "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": name, "Key": {"pk": {"S": "del"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "chk"}},
                            "ConditionExpression": "attribute_exists(pk)"}}])
    recs = records(streams, arn)[3:]
    assert sorted(summary(recs)) == [("INSERT", "new"), ("MODIFY", "upd"), ("REMOVE", "del")], \
        "one record per changed item; a ConditionCheck records nothing"
    upd = next(r for r in recs if r["eventName"] == "MODIFY")["dynamodb"]
    assert (upd["OldImage"]["n"], upd["NewImage"]["n"]) == ({"N": "1"}, {"N": "2"})
    code, _, _ = client_error(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": name, "Item": {"pk": {"S": "never"}}}},
        {"ConditionCheck": {"TableName": name, "Key": {"pk": {"S": "nope"}},
                            "ConditionExpression": "attribute_exists(pk)"}}])
    assert code == "TransactionCanceledException"
    assert len(records(streams, arn)) == 6, "a cancelled transaction writes no record"


def test_ttl_deletion_is_a_remove_by_the_service(ddb, streams):
    name, arn, _ = stream_table(ddb, "OLD_IMAGE")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    put(ddb, name, "expired", exp={"N": str(int(time.time()) - 10)})
    put(ddb, name, "mine")
    ddb.delete_item(TableName=name, Key={"pk": {"S": "mine"}})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:   # the sweeper runs every second (--ttl-period default)
        recs = records(streams, arn)
        if len(recs) == 4:
            break
        time.sleep(0.2)
    assert summary(recs)[0] == ("INSERT", "expired") and sorted(summary(recs)) == \
        [("INSERT", "expired"), ("INSERT", "mine"), ("REMOVE", "expired"), ("REMOVE", "mine")], summary(recs)
    by_key = {r["dynamodb"]["Keys"]["pk"]["S"]: r for r in recs if r["eventName"] == "REMOVE"}
    assert "userIdentity" not in by_key["mine"], "a client's delete has no userIdentity"
    assert by_key["expired"]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert by_key["expired"]["dynamodb"]["OldImage"]["pk"] == {"S": "expired"}


# ---------------------------------------------------------------------------
# Iterators

def test_trim_horizon_latest_and_sequence_number_iterators(ddb, streams):
    name, arn, _ = stream_table(ddb, "KEYS_ONLY")
    for k in ("a", "b", "c"):
        put(ddb, name, k)
    latest = iterator(streams, arn, "LATEST")
    recs = records(streams, arn)
    assert summary(recs) == [("INSERT", "a"), ("INSERT", "b"), ("INSERT", "c")], "TRIM_HORIZON reads from the first"
    start = only_shard(streams, arn)["SequenceNumberRange"]["StartingSequenceNumber"]
    assert int(start) <= seq(recs[0])
    at_b = drain(streams, iterator(streams, arn, "AT_SEQUENCE_NUMBER", recs[1]["dynamodb"]["SequenceNumber"]))[0]
    assert summary(at_b) == [("INSERT", "b"), ("INSERT", "c")]
    after_b = drain(streams, iterator(streams, arn, "AFTER_SEQUENCE_NUMBER", recs[1]["dynamodb"]["SequenceNumber"]))[0]
    assert summary(after_b) == [("INSERT", "c")]
    at_start = drain(streams, iterator(streams, arn, "AT_SEQUENCE_NUMBER", start))[0]
    assert summary(at_start) == summary(recs), "AT the shard's StartingSequenceNumber reads everything"
    got, nxt = drain(streams, latest)
    assert got == [] and nxt, "LATEST sees nothing written before it was taken"
    put(ddb, name, "d")
    assert summary(drain(streams, nxt)[0]) == [("INSERT", "d")], "... and what is written after"


def test_limit_and_next_shard_iterator_page_through_records(ddb, streams):
    name, arn, _ = stream_table(ddb, "KEYS_ONLY")
    for i in range(5):
        put(ddb, name, f"k{i}")
    it, pages = iterator(streams, arn), []
    for _ in range(3):
        r = streams.get_records(ShardIterator=it, Limit=2)
        pages.append([x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]])
        it = r["NextShardIterator"]
    assert pages == [["k0", "k1"], ["k2", "k3"], ["k4"]]
    for _ in range(2):   # an open shard always answers with a next iterator, records or not
        r = streams.get_records(ShardIterator=it)
        assert r["Records"] == [] and r["NextShardIterator"], r
        it = r["NextShardIterator"]
    put(ddb, name, "k5")
    assert [x["dynamodb"]["Keys"]["pk"]["S"] for x in streams.get_records(ShardIterator=it)["Records"]] == ["k5"]


@pytest.mark.parametrize("limit", [0, 1001])
def test_get_records_limit_bounds(ddb, streams, streams_unchecked, limit):
    _, arn, _ = stream_table(ddb)
    code, _, _ = client_error(streams_unchecked.get_records, ShardIterator=iterator(streams, arn), Limit=limit)
    assert code == "ValidationException"


# ---------------------------------------------------------------------------
# Errors

def test_unknown_stream_arn_is_resource_not_found(ddb, streams):
    name, arn, _ = stream_table(ddb)
    shard_id = only_shard(streams, arn)["ShardId"]
    missing = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{unique_name()}/stream/2026-01-01T00:00:00.000"
    msg = f"Requested resource not found: Stream: {missing} not found"
    assert_client_error(streams.describe_stream, "ResourceNotFoundException", msg, StreamArn=missing)
    assert_client_error(streams.get_shard_iterator, "ResourceNotFoundException", msg, StreamArn=missing,
                        ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
    other_label = arn.rsplit("/", 1)[0] + "/stream/2000-01-01T00:00:00.000"   # the table exists, not this stream
    assert_client_error(streams.describe_stream, "ResourceNotFoundException",
                        f"Requested resource not found: Stream: {other_label} not found", StreamArn=other_label)


def test_malformed_stream_arn_is_validation_error(streams):
    # AWS answers ValidationException for a StreamArn that is not an ARN (scylladb test_streams.py).
    code, _, _ = client_error(streams.describe_stream, StreamArn="x" * 40)
    assert code == "ValidationException"


def test_unknown_shard_id_is_resource_not_found(ddb, streams):
    _, arn, _ = stream_table(ddb)
    code, _, _ = client_error(streams.get_shard_iterator, StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                              ShardIteratorType="LATEST")
    assert code == "ResourceNotFoundException"


def test_malformed_iterator_is_validation_error(streams):
    for it in ("garbage", "sdfsdfsgagaddafgagasgasgasdfasdfasdfasdfasdgasdasdgasdg"):
        code, _, _ = client_error(streams.get_records, ShardIterator=it)
        assert code == "ValidationException", it


def test_sequence_number_must_match_the_iterator_type(ddb, streams):
    name, arn, _ = stream_table(ddb)
    put(ddb, name, "k")
    shard_id = only_shard(streams, arn)["ShardId"]
    seqno = records(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):     # SequenceNumber required
        code, _, _ = client_error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_id, ShardIteratorType=kind)
        assert code == "ValidationException", kind
    for kind in ("TRIM_HORIZON", "LATEST"):                          # SequenceNumber not allowed
        code, _, _ = client_error(streams.get_shard_iterator, StreamArn=arn, ShardId=shard_id,
                                  ShardIteratorType=kind, SequenceNumber=seqno)
        assert code == "ValidationException", kind


# ---------------------------------------------------------------------------
# Durability

@pytest.mark.parametrize("how", ["restart", "kill9"])
def test_records_survive_a_restart(make_server, how):
    srv = make_server(sync=True)
    ddb = make_client(srv.endpoint)
    name, arn, _ = stream_table(ddb, "NEW_IMAGE")
    for i in range(5):
        put(ddb, name, f"k{i}", i={"N": str(i)})
    ddb.delete_item(TableName=name, Key={"pk": {"S": "k0"}})
    before = records(make_streams_client(srv.endpoint), arn)
    if how == "restart":
        srv.restart()
    else:
        srv.kill9()
        srv.start()
    ddb, streams = make_client(srv.endpoint), make_streams_client(srv.endpoint)
    assert records(streams, arn) == before, "acknowledged writes keep their stream records"
    put(ddb, name, "later")
    after = records(streams, arn)
    assert summary(after[-1:]) == [("INSERT", "later")] and seq(after[-1]) > seq(before[-1]), \
        "sequence numbers keep increasing after a restart"


def test_streams_outlive_their_deleted_table(make_server):
    # DynamoDB keeps a deleted table's streams listed and readable (DISABLED) for 24 hours,
    # also once a table of the same name exists again (ack-api-quirks DDB-TABLE-378).
    srv = make_server(sync=True)
    ddb, streams = make_client(srv.endpoint), make_streams_client(srv.endpoint)
    name, arn, _ = stream_table(ddb, "NEW_IMAGE")
    put(ddb, name, "a")
    put(ddb, name, "b")
    ddb.delete_table(TableName=name)
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]
    sd = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert (sd["StreamStatus"], sd["TableName"]) == ("DISABLED", name)
    assert sd["Shards"][0]["SequenceNumberRange"]["EndingSequenceNumber"].isdecimal(), "deleting closes the shard"
    recs, nxt = drain(streams, iterator(streams, arn))
    assert summary(recs) == [("INSERT", "a"), ("INSERT", "b")] and nxt is None
    # a new table of that name: its own stream, listed first; the old one still readable
    new_arn = ddb.create_table(
        TableName=name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"},
    )["TableDescription"]["LatestStreamArn"]
    put(ddb, name, "c")
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [new_arn, arn]
    assert summary(records(streams, new_arn)) == [("INSERT", "c")], "the new table's stream has only its writes"
    srv.restart()
    streams = make_streams_client(srv.endpoint)
    assert summary(records(streams, arn)) == [("INSERT", "a"), ("INSERT", "b")], "kept across a restart"
    # a table that never had a stream leaves nothing behind
    plain = create_table(make_client(srv.endpoint), ("pk", "S"))
    make_client(srv.endpoint).delete_table(TableName=plain)
    assert streams.list_streams(TableName=plain)["Streams"] == []


NODE_DIR = os.path.join(os.path.dirname(__file__), "node")
STREAMS_SDK = os.path.join(NODE_DIR, "node_modules", "@aws-sdk", "client-dynamodb-streams")


@pytest.mark.skipif(not os.path.isdir(STREAMS_SDK) or not shutil.which("node"),
                    reason="node or @aws-sdk/client-dynamodb-streams not installed (make node-deps)")
def test_javascript_sdk_v3_reads_the_stream(server):
    name = unique_name()
    r = subprocess.run(["node", os.path.join(NODE_DIR, "sdk_v3_streams.mjs"), server.endpoint, name],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["ok"], out
    assert out["listed"] == [out["arn"]] and out["status"] == "ENABLED" and out["viewType"] == "NEW_AND_OLD_IMAGES"
    assert [(x["event"], x["keys"]) for x in out["records"]] == [
        ("INSERT", {"pk": {"S": "a"}}), ("MODIFY", {"pk": {"S": "a"}}), ("REMOVE", {"pk": {"S": "a"}})], out
    assert out["records"][1]["oldImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}}
    assert out["records"][1]["newImage"] == {"pk": {"S": "a"}, "n": {"N": "2"}}
    assert all(x["createdIsDate"] for x in out["records"]), "the SDK parses ApproximateCreationDateTime"
    assert out["hasNext"], "an open shard always has a next iterator"
