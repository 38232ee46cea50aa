"""Tags: TagResource, UntagResource, ListTagsOfResource, Tags on CreateTable.

Sources: dynalite validations/{tag,untag,listTagsOf}Resource.js and test/*Resource.js (ARN
checks and their messages, recorded against DynamoDB: "Invalid TableArn", the
AccessDeniedException for ARNs without the ARN shape, "Invalid TableArn: Invalid ResourceArn
provided as input X", "Requested resource not found: ResourcArn: X not found" (sic), "Atleast
one Tag needs to be provided as Input." (sic)); the AWS developer guide's tagging restrictions
(50 tags, keys 1-128 and values 0-256 characters of letters, digits, spaces and + - = . _ : / @,
"aws:" reserved) with the service's messages ("The Tag Key provided is invalid, Key: X", "Tag
Key cannot be prefixed with aws:, Key: X", "Duplicate Tag Keys provided as input: Duplicate
Tag Key found X", "Number of Tags exceed the current limit for the provided ResourceArn").
Portico pages ListTagsOfResource by 10 tags.
"""

import pytest

from conftest import ACCOUNT_ID, REGION, assert_client_error, assert_raw_error, create_table, unique_name


def arn_of(name):
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


def all_tags(ddb, arn):
    pages = ddb.get_paginator("list_tags_of_resource").paginate(ResourceArn=arn)
    return [t for page in pages for t in page["Tags"]]


def test_new_table_has_no_tags(ddb, hash_table):
    assert ddb.list_tags_of_resource(ResourceArn=arn_of(hash_table))["Tags"] == []


def test_arn_from_describe_table_works(ddb, hash_table):
    arn = ddb.describe_table(TableName=hash_table)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]


def test_tag_round_trip_overwrite_and_untag(ddb, hash_table):
    arn = arn_of(hash_table)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "a", "Value": "one"}, {"Key": "c", "Value": ""}])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "a", "Value": "one"}, {"Key": "b", "Value": "2"}, {"Key": "c", "Value": ""}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["b", "missing"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "a", "Value": "one"}, {"Key": "c", "Value": ""}]
    ddb.untag_resource(ResourceArn=arn, TagKeys=["a", "c"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


def test_list_tags_pages_with_next_token(ddb, hash_table):
    arn = arn_of(hash_table)
    tags = [{"Key": f"k{i:02d}", "Value": f"v{i}"} for i in range(25)]
    ddb.tag_resource(ResourceArn=arn, Tags=tags)
    first = ddb.list_tags_of_resource(ResourceArn=arn)
    assert first["Tags"] == tags[:10]
    second = ddb.list_tags_of_resource(ResourceArn=arn, NextToken=first["NextToken"])
    assert second["Tags"] == tags[10:20]
    third = ddb.list_tags_of_resource(ResourceArn=arn, NextToken=second["NextToken"])
    assert third["Tags"] == tags[20:]
    assert "NextToken" not in third
    assert all_tags(ddb, arn) == tags


def test_create_table_stores_tags(ddb):
    name = unique_name()
    ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                     Tags=[{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "db"}])
    assert all_tags(ddb, arn_of(name)) == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "db"}]


def test_create_table_with_a_bad_tag_creates_nothing(ddb_unchecked):
    name = unique_name()
    assert_client_error(ddb_unchecked.create_table, "ValidationException",
                        "Tag Key cannot be prefixed with aws:, Key: aws:x",
                        TableName=name, AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
                        Tags=[{"Key": "aws:x", "Value": "v"}])
    assert name not in ddb_unchecked.list_tables()["TableNames"]


def test_tags_go_with_the_table(ddb):
    name = create_table(ddb)
    ddb.tag_resource(ResourceArn=arn_of(name), Tags=[{"Key": "k", "Value": "v"}])
    ddb.delete_table(TableName=name)
    create_table(ddb, name=name)
    assert ddb.list_tags_of_resource(ResourceArn=arn_of(name))["Tags"] == []


def test_fifty_tags_allowed_fifty_one_rejected(ddb, hash_table):
    arn = arn_of(hash_table)
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(40)])
    msg = "Number of Tags exceed the current limit for the provided ResourceArn"
    assert_client_error(ddb.tag_resource, "ValidationException", msg,
                        ResourceArn=arn, Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(11)])
    assert len(all_tags(ddb, arn)) == 40  # all or nothing
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": f"n{i}", "Value": "v"} for i in range(10)])
    assert len(all_tags(ddb, arn)) == 50
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "k0", "Value": "replaced"}])  # replacing is fine at 50


def test_unicode_letters_and_allowed_punctuation_are_accepted(ddb, hash_table):
    arn = arn_of(hash_table)
    tags = [{"Key": "ключ", "Value": "café 表"}, {"Key": "a+b-c=d.e_f:g/h@i", "Value": "x\u00a0y\u3000z"},
            {"Key": "k" * 128, "Value": "v" * 256}]
    ddb.tag_resource(ResourceArn=arn, Tags=tags)
    assert sorted(all_tags(ddb, arn), key=lambda t: t["Key"].encode()) == \
        sorted(tags, key=lambda t: t["Key"].encode())


@pytest.mark.parametrize("tags,message", [
    ([{"Key": "k" * 129, "Value": "v"}], "The Tag Key provided is invalid, Key: " + "k" * 129),
    ([{"Key": "", "Value": "v"}], "The Tag Key provided is invalid, Key: "),
    ([{"Value": "v"}], "The Tag Key provided is invalid, Key: null"),
    ([{"Key": "a,b", "Value": "v"}], "The Tag Key provided is invalid, Key: a,b"),
    ([{"Key": "k", "Value": "v" * 257}], "The Tag Value provided is invalid, Value: " + "v" * 257),
    ([{"Key": "k"}], "The Tag Value provided is invalid, Value: null"),
    ([{"Key": "k", "Value": "100%"}], "The Tag Value provided is invalid, Value: 100%"),
    ([{"Key": "k", "Value": "\U0001F511"}], "The Tag Value provided is invalid, Value: \U0001F511"),
    ([{"Key": "ok", "Value": "v"}, {"Key": "aws:zzz", "Value": "v"}],
     "Tag Key cannot be prefixed with aws:, Key: aws:zzz"),
    ([{"Key": "dup", "Value": "1"}, {"Key": "dup", "Value": "2"}],
     "Duplicate Tag Keys provided as input: Duplicate Tag Key found dup"),
    ([], "Atleast one Tag needs to be provided as Input."),
])
def test_invalid_tags_are_rejected_all_or_nothing(ddb_unchecked, hash_table, tags, message):
    arn = arn_of(hash_table)
    assert_client_error(ddb_unchecked.tag_resource, "ValidationException", message, ResourceArn=arn, Tags=tags)
    assert ddb_unchecked.list_tags_of_resource(ResourceArn=arn)["Tags"] == []


@pytest.mark.parametrize("keys,message", [
    ([], "Atleast one Tag Key needs to be provided as Input."),
    (["k" * 129], "The Tag Key provided is invalid, Key: " + "k" * 129),
    ([""], "The Tag Key provided is invalid, Key: "),
    ([f"k{i}" for i in range(51)], "Number of Tags exceed the current limit for the provided ResourceArn"),
])
def test_invalid_untag_requests(ddb_unchecked, hash_table, keys, message):
    assert_client_error(ddb_unchecked.untag_resource, "ValidationException", message,
                        ResourceArn=arn_of(hash_table), TagKeys=keys)


@pytest.mark.parametrize("op,body", [
    ("TagResource", {"Tags": [{"Key": "k", "Value": "v"}]}),
    ("UntagResource", {"TagKeys": ["k"]}),
    ("ListTagsOfResource", {}),
])
def test_arn_errors(raw, op, body):
    assert_raw_error(raw.call(op, dict(body)), "ValidationException", "Invalid TableArn")
    r = raw.call(op, dict(body, ResourceArn="not-an-arn"))
    assert_raw_error(r, "AccessDeniedException",
                     f"User: arn:aws:iam::{ACCOUNT_ID}:root is not authorized to perform: dynamodb:{op} "
                     f"on resource: not-an-arn")
    for bad in (arn_of("ab"), f"arn:aws:s3:{REGION}:{ACCOUNT_ID}:table/abc",
                f"arn:aws:dynamodb:{REGION}:acct:table/abc", f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:index/abc"):
        assert_raw_error(raw.call(op, dict(body, ResourceArn=bad)), "ValidationException",
                         f"Invalid TableArn: Invalid ResourceArn provided as input {bad}")


def test_unknown_table_is_resource_not_found(ddb):
    arn = arn_of(unique_name())
    detailed = f"Requested resource not found: ResourcArn: {arn} not found"
    assert_client_error(ddb.tag_resource, "ResourceNotFoundException", detailed,
                        ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert_client_error(ddb.list_tags_of_resource, "ResourceNotFoundException", detailed, ResourceArn=arn)
    assert_client_error(ddb.untag_resource, "ResourceNotFoundException", "Requested resource not found",
                        ResourceArn=arn, TagKeys=["k"])


def test_arn_of_another_region_or_account_is_not_found(ddb, hash_table):
    for arn in (f"arn:aws:dynamodb:eu-west-1:{ACCOUNT_ID}:table/{hash_table}",
                f"arn:aws:dynamodb:{REGION}:123456789012:table/{hash_table}"):
        assert_client_error(ddb.list_tags_of_resource, "ResourceNotFoundException",
                            f"Requested resource not found: ResourcArn: {arn} not found", ResourceArn=arn)


def test_tags_missing_is_validation_error(raw, hash_table):
    r = raw.call("TagResource", {"ResourceArn": arn_of(hash_table)})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value null at 'tags' failed to satisfy constraint: "
                     "Member must not be null")
    r = raw.call("UntagResource", {"ResourceArn": arn_of(hash_table)})
    assert_raw_error(r, "ValidationException",
                     "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: "
                     "Member must not be null")


def test_wrong_kinds_are_serialization_errors(raw, hash_table):
    assert_raw_error(raw.call("TagResource", {"ResourceArn": 5, "Tags": []}), "SerializationException")
    assert_raw_error(raw.call("UntagResource", {"ResourceArn": arn_of(hash_table), "TagKeys": "k"}),
                     "SerializationException")
