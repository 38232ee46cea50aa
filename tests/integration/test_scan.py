"""Scan: whole-table reads in partition-hash order, Limit and pagination, parallel scan
(Segment / TotalSegments), filters (FilterExpression, legacy ScanFilter), projections,
Select, and every validation error.

Sources: dynalite (mhart/dynalite) validations/scan.js (Segment/TotalSegments messages,
expression-parameter mixing), actions/scan.js (ExclusiveStartKey checks, the
"correct Segment" message), db/index.js queryTable (Limit counts items read before the
filter; LastEvaluatedKey whenever a page stops on Limit or 1 MB); the AWS API reference
for Scan (TotalSegments 1..1000000, Segment 0..999999); Select/projection messages as
observed on the real service (Scan reports them without a prefix).
"""

import pytest

from conftest import assert_raw_error, create_table


@pytest.fixture(scope="module")
def table(ddb):
    """300 items over 60 partitions of 5 items each."""
    t = create_table(ddb, ("pk", "S"), ("sk", "N"))
    for p in range(60):
        for s in range(5):
            ddb.put_item(TableName=t, Item={"pk": {"S": f"p{p}"}, "sk": {"N": str(s)},
                                            "even": {"BOOL": (p + s) % 2 == 0}, "x": {"S": "v"}})
    return t


def keyof(item):
    return (item["pk"]["S"], int(item["sk"]["N"]))


def scan_all(ddb, **kw):
    pages, start = [], None
    while True:
        if start:
            kw["ExclusiveStartKey"] = start
        r = ddb.scan(**kw)
        pages.append(r)
        start = r.get("LastEvaluatedKey")
        if not start:
            return pages
        assert len(pages) < 2000


ALL = {(f"p{p}", s) for p in range(60) for s in range(5)}


def test_scan_returns_every_item_partitions_contiguous_and_sorted(ddb, table):
    r = ddb.scan(TableName=table)
    keys = [keyof(i) for i in r["Items"]]
    assert set(keys) == ALL and len(keys) == 300
    assert r["Count"] == r["ScannedCount"] == 300
    assert "LastEvaluatedKey" not in r
    # hash order: each partition's items are contiguous and in sort-key order
    seen, prev = [], None
    for pk, sk in keys:
        if pk != prev:
            assert pk not in seen
            seen.append(pk)
            prev = pk
    for i in range(0, 300, 5):
        assert [k[1] for k in keys[i:i + 5]] == [0, 1, 2, 3, 4]


def test_scan_order_is_stable_and_not_insertion_or_name_order(ddb, table):
    a = [keyof(i) for i in ddb.scan(TableName=table)["Items"]]
    b = [keyof(i) for p in scan_all(ddb, TableName=table, Limit=13) for i in p["Items"]]
    assert a == b
    assert [k[0] for k in a[::5]] != sorted({k[0] for k in a})


@pytest.mark.parametrize("limit", [1, 7, 100, 300])
def test_pagination_visits_every_item_once(ddb, table, limit):
    pages = scan_all(ddb, TableName=table, Limit=limit)
    keys = [keyof(i) for p in pages for i in p["Items"]]
    assert len(keys) == 300 and set(keys) == ALL
    for p in pages[:-1]:
        assert p["ScannedCount"] == limit
        assert p["LastEvaluatedKey"] == {"pk": p["Items"][-1]["pk"], "sk": p["Items"][-1]["sk"]}
    if 300 % limit == 0:
        assert pages[-1]["Items"] == [] and "LastEvaluatedKey" in pages[-2]


@pytest.mark.parametrize("total", [1, 2, 7, 100])
def test_parallel_scan_segments_are_disjoint_and_cover_the_table(ddb, table, total):
    union = []
    for seg in range(total):
        union += [keyof(i) for i in ddb.scan(TableName=table, Segment=seg, TotalSegments=total)["Items"]]
    assert len(union) == len(set(union)) == 300
    assert set(union) == ALL


@pytest.mark.parametrize("total", [2, 7, 100])
def test_each_segment_paginates_independently(ddb, table, total):
    union = []
    for seg in range(total):
        one = [keyof(i) for i in ddb.scan(TableName=table, Segment=seg, TotalSegments=total)["Items"]]
        paged = [keyof(i) for p in scan_all(ddb, TableName=table, Segment=seg, TotalSegments=total, Limit=4)
                 for i in p["Items"]]
        assert paged == one
        union += paged
    assert len(union) == len(set(union)) == 300


def test_a_partition_lives_in_exactly_one_segment(ddb, table):
    owner = {}
    for seg in range(7):
        for i in ddb.scan(TableName=table, Segment=seg, TotalSegments=7)["Items"]:
            assert owner.setdefault(i["pk"]["S"], seg) == seg


def test_million_segments(ddb, table):
    r = ddb.scan(TableName=table, Segment=999999, TotalSegments=1000000)
    assert r["Count"] <= 300
    got = []
    for seg in (0, 1, 500000, 999999):
        got += [keyof(i) for i in ddb.scan(TableName=table, Segment=seg, TotalSegments=1000000)["Items"]]
    assert len(got) == len(set(got))


def test_filter_expression_and_limit_before_filter(ddb, table):
    r = ddb.scan(TableName=table, FilterExpression="even = :t", ExpressionAttributeValues={":t": {"BOOL": True}})
    assert r["Count"] == 150 and r["ScannedCount"] == 300
    first10 = ddb.scan(TableName=table, Limit=10)["Items"]
    r = ddb.scan(TableName=table, FilterExpression="even = :t", ExpressionAttributeValues={":t": {"BOOL": True}},
                 Limit=10)
    assert r["ScannedCount"] == 10 and "LastEvaluatedKey" in r
    assert r["Items"] == [i for i in first10 if i["even"]["BOOL"]]
    assert r["LastEvaluatedKey"] == {"pk": first10[-1]["pk"], "sk": first10[-1]["sk"]}
    pages = scan_all(ddb, TableName=table, FilterExpression="even = :t",
                     ExpressionAttributeValues={":t": {"BOOL": True}}, Limit=9)
    keys = [keyof(i) for p in pages for i in p["Items"]]
    assert len(keys) == len(set(keys)) == 150
    assert all((int(pk[1:]) + sk) % 2 == 0 for pk, sk in keys)


def test_filter_on_key_attributes_is_allowed_in_scan(ddb, table):
    r = ddb.scan(TableName=table, FilterExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p7"}})
    assert sorted(keyof(i) for i in r["Items"]) == [("p7", s) for s in range(5)]


def test_legacy_scan_filter(ddb, table):
    r = ddb.scan(TableName=table, ScanFilter={"sk": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "4"}]}})
    assert r["Count"] == 60
    r = ddb.scan(TableName=table, ConditionalOperator="OR",
                 ScanFilter={"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "4"}]},
                             "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]}})
    assert r["Count"] == 64


def test_projections_and_select(ddb, raw, table):
    r = ddb.scan(TableName=table, AttributesToGet=["sk"], Limit=3)
    assert all(set(i) == {"sk"} for i in r["Items"]) and len(r["Items"]) == 3
    r = ddb.scan(TableName=table, ProjectionExpression="#x", ExpressionAttributeNames={"#x": "x"}, Limit=2)
    assert r["Items"] == [{"x": {"S": "v"}}, {"x": {"S": "v"}}]
    r = raw.call("Scan", {"TableName": table, "Select": "COUNT"})
    assert r.status == 200 and r.json == {"Count": 300, "ScannedCount": 300}
    r = ddb.scan(TableName=table, Select="SPECIFIC_ATTRIBUTES", AttributesToGet=["pk"], Limit=1)
    assert set(r["Items"][0]) == {"pk"}
    r = ddb.scan(TableName=table, Select="ALL_ATTRIBUTES", Limit=1, ConsistentRead=True)
    assert set(r["Items"][0]) == {"pk", "sk", "even", "x"}


def test_empty_table(ddb):
    t = create_table(ddb, ("id", "B"))
    r = ddb.scan(TableName=t, Limit=5)
    assert r["Items"] == [] and r["Count"] == 0 and r["ScannedCount"] == 0 and "LastEvaluatedKey" not in r


def test_scan_does_not_see_other_tables(ddb):
    a = create_table(ddb, ("id", "S"))
    b = create_table(ddb, ("id", "S"))
    for i in range(20):
        ddb.put_item(TableName=a, Item={"id": {"S": f"a{i}"}})
        ddb.put_item(TableName=b, Item={"id": {"S": f"b{i}"}})
    ids = {i["id"]["S"] for i in ddb.scan(TableName=a)["Items"]}
    assert ids == {f"a{i}" for i in range(20)}
    ids = {i["id"]["S"] for p in scan_all(ddb, TableName=b, Limit=3) for i in p["Items"]}
    assert ids == {f"b{i}" for i in range(20)}


def test_scan_pages_stop_at_one_megabyte(ddb):
    t = create_table(ddb, ("id", "N"))
    for i in range(25):
        ddb.put_item(TableName=t, Item={"id": {"N": str(i)}, "data": {"B": b"\x01" * 200_000}})
    pages = scan_all(ddb, TableName=t)
    # 200,000-byte items: 5 items read reach 1,000,0xx < 1 MB, the 6th crosses it.
    assert [p["ScannedCount"] for p in pages] == [6, 6, 6, 6, 1]
    assert sorted(int(i["id"]["N"]) for p in pages for i in p["Items"]) == list(range(25))


# ---------------------------------------------------------------------------
# errors

@pytest.mark.parametrize("body,msg", [
    ({"Segment": 1}, "The TotalSegments parameter is required but was not present in the request when "
                     "Segment parameter is present"),
    ({"TotalSegments": 2}, "The Segment parameter is required but was not present in the request when "
                           "parameter TotalSegments is present"),
    ({"Segment": 3, "TotalSegments": 3}, "The Segment parameter is zero-based and must be less than parameter "
                                         "TotalSegments: Segment: 3 is not less than TotalSegments: 3"),
    ({"Segment": 0, "TotalSegments": 1000001},
     "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy constraint: "
     "Member must have value less than or equal to 1000000"),
    ({"Segment": -1, "TotalSegments": 2},
     "1 validation error detected: Value '-1' at 'segment' failed to satisfy constraint: "
     "Member must have value greater than or equal to 0"),
    ({"Segment": 0, "TotalSegments": 0},
     "1 validation error detected: Value '0' at 'totalSegments' failed to satisfy constraint: "
     "Member must have value greater than or equal to 1"),
    ({"Limit": 0}, "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: "
                   "Member must have value greater than or equal to 1"),
    ({"Select": "COUNT", "AttributesToGet": ["a"]},
     "Cannot specify the AttributesToGet when choosing to get only the Count"),
    ({"Select": "COUNT", "ProjectionExpression": "a"},
     "Cannot specify the ProjectionExpression when choosing to get only the Count"),
    ({"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "a"},
     "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES"),
    ({"Select": "SPECIFIC_ATTRIBUTES"},
     "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"),
    ({"Select": "ALL_PROJECTED_ATTRIBUTES"},
     "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"),
    ({"IndexName": "idx"}, "The table does not have the specified index: idx"),
    ({"AttributesToGet": ["a", "a"]},
     "One or more parameter values were invalid: Duplicate value in attribute name: a"),
    ({"FilterExpression": "a = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}, "AttributesToGet": ["a"]},
     "Can not use both expression and non-expression parameters in the same request: "
     "Non-expression parameters: {AttributesToGet} Expression parameters: {FilterExpression}"),
    ({"ExpressionAttributeValues": {":v": {"S": "x"}}},
     "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"),
    ({"ExpressionAttributeNames": {"#a": "a"}},
     "ExpressionAttributeNames can only be specified when using expressions"),
    ({"ExclusiveStartKey": {"pk": {"S": "a"}}},
     "The provided starting key is invalid: The provided key element does not match the schema"),
    ({"ExclusiveStartKey": {"pk": {"N": "1"}, "sk": {"N": "1"}}},
     "The provided starting key is invalid: The provided key element does not match the schema"),
    ({"ExclusiveStartKey": {"pk": {"S": ""}, "sk": {"N": "1"}}},
     "The provided starting key is invalid: One or more parameter values were invalid: The AttributeValue for "
     "a key attribute cannot contain an empty string value. Key: pk"),
    ({"ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"SS": ["a", "a"]}}},
     "One or more parameter values were invalid: Input collection [a, a] contains duplicates."),
])
def test_scan_errors(raw, table, body, msg):
    assert_raw_error(raw.call("Scan", dict(body, TableName=table)), "ValidationException", msg)


def test_segment_zero_without_total_segments_is_a_full_scan(raw, table):
    # dynalite validations/scan.js tests `data.Segment &&`: a Segment of 0 alone passes.
    r = raw.call("Scan", {"TableName": table, "Segment": 0, "Select": "COUNT"})
    assert r.status == 200 and r.json["Count"] == 300


def test_exclusive_start_key_from_another_segment_is_rejected(ddb, raw, table):
    items = ddb.scan(TableName=table, Segment=0, TotalSegments=2)["Items"]
    key = {"pk": items[0]["pk"], "sk": items[0]["sk"]}
    r = raw.call("Scan", {"TableName": table, "Segment": 1, "TotalSegments": 2, "ExclusiveStartKey": key})
    assert_raw_error(r, "ValidationException",
                     "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey "
                     "with correct Segment. TotalSegments: 2 Segment: 1")
    r = raw.call("Scan", {"TableName": table, "Segment": 0, "TotalSegments": 2, "ExclusiveStartKey": key})
    assert r.status == 200


def test_missing_table(raw):
    assert_raw_error(raw.call("Scan", {"TableName": "no-such-table"}), "ResourceNotFoundException",
                     "Requested resource not found")
