// AWS SDK for JavaScript v3 against a portico endpoint (used by test_auth.py).
// Usage: node sdk_v3_auth.mjs ENDPOINT KEY_ID SECRET
// Prints one JSON line: {"ok": true, "tables": [...]} or {"ok": false, "name": ..., "message": ...}.
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";

const [endpoint, accessKeyId, secretAccessKey] = process.argv.slice(2);
const client = new DynamoDBClient({
  endpoint,
  region: "us-east-1",
  credentials: { accessKeyId, secretAccessKey },
  maxAttempts: 1,
});
try {
  const out = await client.send(new ListTablesCommand({}));
  console.log(JSON.stringify({ ok: true, tables: out.TableNames }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, name: e.name, message: e.message }));
}
