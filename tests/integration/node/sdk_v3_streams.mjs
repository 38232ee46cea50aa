// DynamoDB Streams through the AWS SDK for JavaScript v3 (used by test_streams.py):
// creates TABLE with a NEW_AND_OLD_IMAGES stream, inserts, modifies and removes one
// item, then reads the stream with DynamoDBStreamsClient from TRIM_HORIZON.
// Usage: node sdk_v3_streams.mjs ENDPOINT TABLE
// Prints one JSON line: {"ok": true, "records": [...], ...} or {"ok": false, "name", "message"}.
import { DynamoDBClient, CreateTableCommand, PutItemCommand, DeleteItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBStreamsClient, ListStreamsCommand, DescribeStreamCommand, GetShardIteratorCommand, GetRecordsCommand,
} from "@aws-sdk/client-dynamodb-streams";

const [endpoint, table] = process.argv.slice(2);
const common = { endpoint, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 };
const ddb = new DynamoDBClient(common);
const streams = new DynamoDBStreamsClient(common);
try {
  const created = await ddb.send(new CreateTableCommand({
    TableName: table, BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_AND_OLD_IMAGES" },
  }));
  const arn = created.TableDescription.LatestStreamArn;
  await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "a" }, n: { N: "1" } } }));
  await ddb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: "a" }, n: { N: "2" } } }));
  await ddb.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: "a" } } }));
  const listed = (await streams.send(new ListStreamsCommand({ TableName: table }))).Streams.map((s) => s.StreamArn);
  const desc = (await streams.send(new DescribeStreamCommand({ StreamArn: arn }))).StreamDescription;
  const it = (await streams.send(new GetShardIteratorCommand({
    StreamArn: arn, ShardId: desc.Shards[0].ShardId, ShardIteratorType: "TRIM_HORIZON",
  }))).ShardIterator;
  const out = await streams.send(new GetRecordsCommand({ ShardIterator: it }));
  console.log(JSON.stringify({
    ok: true, arn, listed, status: desc.StreamStatus, viewType: desc.StreamViewType,
    hasNext: typeof out.NextShardIterator === "string",
    records: out.Records.map((r) => ({
      event: r.eventName,
      keys: r.dynamodb.Keys,
      newImage: r.dynamodb.NewImage ?? null,
      oldImage: r.dynamodb.OldImage ?? null,
      sequence: r.dynamodb.SequenceNumber,
      createdIsDate: r.dynamodb.ApproximateCreationDateTime instanceof Date,
    })),
  }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
}
