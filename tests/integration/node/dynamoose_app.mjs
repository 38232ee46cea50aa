// An ordinary Dynamoose application run against a Portico endpoint, unmodified:
// Dynamoose creates its own table (hash + range key, a global secondary index, Time
// to Live through the `expires` option) and then does what an application does —
// create/get/update ($ADD/$SET/$REMOVE), conditional writes, queries on the index,
// filtered scans, batch get/put/delete, transactions — and finally waits for items
// to expire. Every result is checked with node:assert.
//
// Usage: node dynamoose_app.mjs <endpoint>   (e.g. http://127.0.0.1:8000)
// Exits 0 when every step passed; otherwise prints, for each failed step, the
// failure and the last DynamoDB requests/responses it made, and exits 1.
// Set DYNAMOOSE_APP_TRACE=1 to print every request and response as it happens.
//
// The server must sweep expired items quickly (the pytest wrapper starts it with
// --ttl-period 0.2); EXPIRY_TIMEOUT_MS bounds the wait.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import dynamoose from "dynamoose";

const endpoint = process.argv[2];
if (!endpoint) {
    console.error("usage: node dynamoose_app.mjs <endpoint>");
    process.exit(2);
}
const TRACE = process.env.DYNAMOOSE_APP_TRACE === "1";
const EXPIRY_TIMEOUT_MS = 20000;

// ---------------------------------------------------------------------------
// The client, with a middleware that remembers the recent wire traffic so that a
// failure can show exactly what Dynamoose sent and what came back.

const ddb = new dynamoose.aws.ddb.DynamoDB({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "x" },
    maxAttempts: 1,
});

const recent = [];
const RECENT_MAX = 8;
function remember(entry) {
    recent.push(entry);
    if (recent.length > RECENT_MAX) recent.shift();
    if (TRACE) console.log(formatEntry(entry));
}
function formatEntry(e) {
    const lines = [`  > ${e.op} ${e.request}`];
    if (e.error) lines.push(`  < ${e.status ?? "?"} ${e.error}`);
    else lines.push(`  < ${e.status ?? "?"} ${e.response}`);
    return lines.join("\n");
}
function bodyText(body) {
    if (typeof body === "string") return body;
    if (body instanceof Uint8Array) return new TextDecoder().decode(body);
    return `<${typeof body} body>`;
}
function truncate(s, n = 1500) {
    return s.length > n ? s.slice(0, n) + `... (${s.length} chars)` : s;
}

ddb.middlewareStack.add(
    (next, context) => async (args) => {
        const entry = {
            op: context.commandName,
            request: truncate(bodyText(args.request?.body)),
        };
        try {
            const result = await next(args);
            entry.status = result.response?.statusCode;
            const { $metadata, ...output } = result.output ?? {};
            entry.response = truncate(JSON.stringify(output));
            remember(entry);
            return result;
        } catch (err) {
            entry.status = err.$metadata?.httpStatusCode;
            entry.error = `${err.name}: ${err.message}`;
            remember(entry);
            throw err;
        }
    },
    { step: "build", name: "porticoTrace" },
);
dynamoose.aws.ddb.set(ddb);

// ---------------------------------------------------------------------------
// Steps: each runs on its own; a failure is reported and the next step still runs.

let passed = 0;
const failures = [];
async function step(name, fn) {
    recent.length = 0;
    try {
        await fn();
        passed++;
        console.log(`ok   ${name}`);
        return true;
    } catch (err) {
        failures.push(name);
        console.log(`FAIL ${name}`);
        console.log(`  ${err && err.stack ? err.stack.split("\n").slice(0, 30).join("\n  ") : err}`);
        if (recent.length) {
            console.log("  last DynamoDB requests of this step:");
            for (const e of recent) console.log(formatEntry(e));
        }
        return false;
    }
}

async function rejects(promise, name, messagePart) {
    let err;
    try {
        await promise;
    } catch (e) {
        err = e;
    }
    assert.ok(err, `expected ${name}, but the call succeeded`);
    assert.equal(err.name, name, `expected ${name}, got ${err.name}: ${err.message}`);
    if (messagePart !== undefined) {
        assert.ok(String(err.message).includes(messagePart),
            `expected the ${name} message to contain ${JSON.stringify(messagePart)}, got ${JSON.stringify(err.message)}`);
    }
    return err;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs) => [...xs].sort();
const ms = (v) => (v instanceof Date ? v.getTime() : v);

// ---------------------------------------------------------------------------
// The model.

const TABLE = `dynamoose-app-${randomUUID().slice(0, 8)}`;
const HOUR = 3600 * 1000;

const userSchema = new dynamoose.Schema({
    org: { type: String, hashKey: true },
    id: { type: String, rangeKey: true },
    email: {
        type: String,
        required: true,
        validate: /^[^@\s]+@[^@\s]+$/,
        set: (v) => (typeof v === "string" ? v.toLowerCase() : v),
    },
    name: { type: String, required: true, validate: (v) => v.length >= 2 },
    team: {
        type: String,
        index: { name: "byTeam", type: "global", rangeKey: "score" },
    },
    score: { type: Number, default: 0, validate: (v) => v >= 0 },
    age: Number,
    role: { type: String, enum: ["user", "admin"], default: "user" },
    active: { type: Boolean, default: true },
    visits: { type: Number, default: 0 },
    tags: { type: Set, schema: [String] },
    lucky: { type: Set, schema: [Number] },
    address: {
        type: Object,
        schema: {
            street: String,
            city: { type: String, required: true },
            geo: { type: Object, schema: { lat: Number, lon: Number } },
        },
    },
    nicknames: { type: Array, schema: [String] },
    history: {
        type: Array,
        schema: [{ type: Object, schema: { what: String, at: Date } }],
    },
}, { timestamps: true });

const User = dynamoose.model("User", userSchema, { create: false, waitForActive: false });
const table = new dynamoose.Table(TABLE, [User], {
    create: true,
    throughput: "ON_DEMAND",
    initialize: false,
    waitForActive: { enabled: true, check: { timeout: 30000, frequency: 200 } },
    expires: { ttl: HOUR, attribute: "expiresAt", items: { returnExpired: true } },
});

function alice(over = {}) {
    return {
        org: "acme", id: "u1", email: "Alice@Example.com", name: "Alice", team: "red",
        score: 10, age: 34, tags: new Set(["admin", "vip"]), lucky: new Set([7, 13]),
        address: { street: "1 Main St", city: "Paris", geo: { lat: 48.85, lon: 2.35 } },
        nicknames: ["al", "ally"],
        history: [{ what: "signup", at: new Date(1700000000000) }],
        ...over,
    };
}

// ---------------------------------------------------------------------------

const setUp = await step("Dynamoose creates the table with its index and Time to Live", async () => {
    await table.initialize();
    const { Table: t } = await ddb.describeTable({ TableName: TABLE });
    assert.equal(t.TableStatus, "ACTIVE");
    assert.deepEqual(t.KeySchema, [
        { AttributeName: "org", KeyType: "HASH" },
        { AttributeName: "id", KeyType: "RANGE" },
    ]);
    assert.equal(t.BillingModeSummary?.BillingMode, "PAY_PER_REQUEST");
    const defs = Object.fromEntries(t.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
    assert.deepEqual(defs, { org: "S", id: "S", team: "S", score: "N" });
    assert.equal(t.GlobalSecondaryIndexes?.length, 1, "one global secondary index");
    const gsi = t.GlobalSecondaryIndexes[0];
    assert.equal(gsi.IndexName, "byTeam");
    assert.equal(gsi.IndexStatus, "ACTIVE");
    assert.deepEqual(gsi.KeySchema, [
        { AttributeName: "team", KeyType: "HASH" },
        { AttributeName: "score", KeyType: "RANGE" },
    ]);
    assert.deepEqual(gsi.Projection, { ProjectionType: "ALL" });
    const ttl = await ddb.describeTimeToLive({ TableName: TABLE });
    assert.equal(ttl.TimeToLiveDescription.AttributeName, "expiresAt");
    assert.ok(["ENABLED", "ENABLING"].includes(ttl.TimeToLiveDescription.TimeToLiveStatus),
        `TTL status ${ttl.TimeToLiveDescription.TimeToLiveStatus}`);
});

if (!setUp) {
    // Every model call would wait forever for a table that never became ready.
    console.log("dynamoose app: table setup failed; the remaining steps cannot run");
    process.exit(1);
}

await step("a second Table over the existing table finds it and does not recreate it", async () => {
    const Again = dynamoose.model("UserAgain", userSchema, { create: false, waitForActive: false });
    const t2 = new dynamoose.Table(TABLE, [Again], {
        create: true, initialize: false, throughput: "ON_DEMAND",
        expires: { ttl: HOUR, attribute: "expiresAt" },
    });
    await t2.initialize();
});

await step("create applies defaults, setters, timestamps and the expiry default", async () => {
    const before = Date.now();
    const u = await User.create(alice());
    assert.equal(u.role, "user");
    assert.equal(u.active, true);
    assert.equal(u.visits, 0);
    assert.equal(u.email, "alice@example.com");
    // The saved item carries the values Dynamoose wrote (epoch numbers or Dates).
    const created = ms(u.createdAt);
    assert.ok(created >= before && created <= Date.now(), `createdAt ${u.createdAt}`);
    assert.equal(ms(u.updatedAt), created);
    const exp = u.expiresAt * 1000; // the stored value: epoch seconds
    assert.ok(exp >= before + HOUR - 2000 && exp <= Date.now() + HOUR + 2000, `expiresAt ${u.expiresAt}`);

    // What is stored, in DynamoDB types.
    const { Item: raw } = await ddb.getItem({ TableName: TABLE, Key: { org: { S: "acme" }, id: { S: "u1" } } });
    assert.ok(raw, "item stored");
    assert.deepEqual(sorted(raw.tags.SS), ["admin", "vip"]);
    assert.deepEqual(sorted(raw.lucky.NS), ["13", "7"]);
    assert.deepEqual(raw.address.M.geo.M, { lat: { N: "48.85" }, lon: { N: "2.35" } });
    assert.deepEqual(raw.nicknames, { L: [{ S: "al" }, { S: "ally" }] });
    assert.deepEqual(raw.history.L[0].M.at, { N: "1700000000000" });
    assert.deepEqual(raw.active, { BOOL: true });
    assert.ok(/^\d+$/.test(raw.createdAt.N), "createdAt stored as epoch milliseconds");
    assert.ok(/^\d{10}$/.test(raw.expiresAt.N), "expiresAt stored as epoch seconds (TTL format)");
});

await step("create of an existing key is a conditional-write failure", async () => {
    await rejects(User.create(alice({ name: "Impostor" })), "ConditionalCheckFailedException",
        "The conditional request failed");
    const u = await User.get({ org: "acme", id: "u1" });
    assert.equal(u.name, "Alice");
});

await step("validation, required and enum errors stop bad items", async () => {
    await rejects(User.create(alice({ id: "bad1", email: "not-an-email" })), "ValidationError");
    await rejects(User.create(alice({ id: "bad2", role: "root" })), "ValidationError");
    await rejects(User.create(alice({ id: "bad3", score: -1 })), "ValidationError");
    await rejects(User.create({ org: "acme", id: "bad4", name: "No Email" }), "ValidationError");
    await rejects(User.create(alice({ id: "bad5", address: { street: "no city" } })), "ValidationError");
    await rejects(User.create(alice({ id: "bad6", age: "old" })), "TypeMismatch");
    const { Count } = await ddb.scan({ TableName: TABLE, Select: "COUNT" });
    assert.equal(Count, 1, "no invalid item reached the table");
});

await step("get returns typed values: sets, nested objects, arrays, dates", async () => {
    const u = await User.get({ org: "acme", id: "u1" });
    assert.ok(u, "item found");
    assert.ok(u.tags instanceof Set);
    assert.deepEqual(sorted(u.tags), ["admin", "vip"]);
    assert.deepEqual([...u.lucky].sort((a, b) => a - b), [7, 13]);
    assert.deepEqual(u.address, { street: "1 Main St", city: "Paris", geo: { lat: 48.85, lon: 2.35 } });
    assert.deepEqual(u.nicknames, ["al", "ally"]);
    assert.ok(u.history[0].at instanceof Date);
    assert.ok(u.createdAt instanceof Date && u.updatedAt instanceof Date && u.expiresAt instanceof Date);
    assert.equal(u.history[0].at.getTime(), 1700000000000);
    const missing = await User.get({ org: "acme", id: "nobody" });
    assert.equal(missing, undefined);
    const partial = await User.get({ org: "acme", id: "u1" }, { attributes: ["name", "address"] });
    assert.deepEqual(Object.keys(partial.toJSON()).sort(), ["address", "name"]);
    const consistent = await User.get({ org: "acme", id: "u1" }, { consistent: true });
    assert.equal(consistent.name, "Alice");
});

await step("update with $ADD, $SET and $REMOVE", async () => {
    const before = (await User.get({ org: "acme", id: "u1" })).updatedAt.getTime();
    await sleep(5);
    const u = await User.update({ org: "acme", id: "u1" }, {
        $ADD: { visits: 3, tags: ["beta"], lucky: [21], history: [{ what: "login", at: new Date(1700000100000) }] },
        $SET: { name: "Alice B", address: { street: "1 Main St", city: "Lyon" }, age: 35 },
        $REMOVE: ["nicknames"],
    });
    assert.equal(u.visits, 3);
    assert.deepEqual(sorted(u.tags), ["admin", "beta", "vip"]);
    assert.deepEqual([...u.lucky].sort((a, b) => a - b), [7, 13, 21]);
    assert.deepEqual(u.history.map((h) => h.what), ["signup", "login"]);
    assert.equal(u.name, "Alice B");
    assert.equal(u.address.city, "Lyon");
    assert.equal(u.address.geo, undefined);
    assert.equal(u.nicknames, undefined);
    assert.ok(u.updatedAt.getTime() > before, "updatedAt advanced");

    // Plain-object form: sets attributes, and $DELETE removes set members.
    const v = await User.update({ org: "acme", id: "u1" }, { score: 15, $DELETE: { tags: ["beta"] } });
    assert.equal(v.score, 15);
    assert.deepEqual(sorted(v.tags), ["admin", "vip"]);
    const again = await User.get({ org: "acme", id: "u1" });
    assert.equal(again.visits, 3);
    assert.equal(again.score, 15);
    assert.equal(again.nicknames, undefined);
});

await step("update validation rejects bad values before sending", async () => {
    await rejects(User.update({ org: "acme", id: "u1" }, { role: "root" }), "ValidationError");
    await rejects(User.update({ org: "acme", id: "u1" }, { $SET: { email: "nope" } }), "ValidationError");
});

await step("conditional update, save and delete", async () => {
    const key = { org: "acme", id: "u1" };
    const u = await User.update(key, { $SET: { role: "admin" } },
        { condition: new dynamoose.Condition("visits").eq(3).and().where("tags").contains("vip") });
    assert.equal(u.role, "admin");
    await rejects(User.update(key, { $ADD: { visits: 1 } }, { condition: new dynamoose.Condition("visits").gt(100) }),
        "ConditionalCheckFailedException", "The conditional request failed");
    assert.equal((await User.get(key)).visits, 3, "failed update changed nothing");

    // Optimistic save: item.save with a condition on the value it read.
    const item = await User.get(key);
    item.age = 36;
    await item.save({ condition: new dynamoose.Condition("age").eq(35) });
    const stale = await User.get(key);
    stale.age = 99;
    await rejects(stale.save({ condition: new dynamoose.Condition("age").eq(35) }), "ConditionalCheckFailedException");
    assert.equal((await User.get(key)).age, 36);
    await rejects(new User(alice({ name: "Overwriter" })).save({ overwrite: false }), "ConditionalCheckFailedException");

    // Conditional delete.
    await User.create(alice({ id: "tmp", email: "tmp@example.com", team: "blue", score: 1 }));
    await rejects(User.delete({ org: "acme", id: "tmp" }, { condition: new dynamoose.Condition("role").eq("admin") }),
        "ConditionalCheckFailedException");
    await User.delete({ org: "acme", id: "tmp" }, { condition: new dynamoose.Condition("role").eq("user") });
    assert.equal(await User.get({ org: "acme", id: "tmp" }), undefined);
    // Conditions with attribute_exists / not_exists.
    await rejects(User.update({ org: "acme", id: "ghost" }, { $SET: { name: "Ghost" } },
        { condition: new dynamoose.Condition().attribute("name").exists() }), "ConditionalCheckFailedException");
});

const teamMembers = [
    { id: "u2", name: "Bob", team: "red", score: 30, age: 41, tags: new Set(["vip"]), city: "Berlin" },
    { id: "u3", name: "Carol", team: "red", score: 20, age: 28, tags: new Set(["new"]), city: "Paris" },
    { id: "u4", name: "Dan", team: "blue", score: 50, age: 52, tags: new Set(["vip", "new"]), city: "Rome" },
    { id: "u5", name: "Erin", team: "red", score: 5, age: 23, tags: new Set(["x"]), city: "Paris" },
    { id: "u6", name: "Frank", team: "green", score: 12, age: 38, tags: new Set(["y"]), city: "Oslo" },
];

await step("batchPut writes many items and fills defaults", async () => {
    const res = await User.batchPut(teamMembers.map((m) => ({
        org: "acme", id: m.id, name: m.name, email: `${m.name}@example.com`, team: m.team, score: m.score,
        age: m.age, tags: m.tags, address: { city: m.city },
    })));
    assert.deepEqual(res.unprocessedItems, []);
    const { Count } = await ddb.scan({ TableName: TABLE, Select: "COUNT" });
    assert.equal(Count, 6);
    const bob = await User.get({ org: "acme", id: "u2" });
    assert.equal(bob.role, "user");
    assert.equal(bob.email, "bob@example.com");
    assert.ok(bob.createdAt instanceof Date && bob.expiresAt instanceof Date);
});

await step("query on the global index: key condition, sort order, filter, paging, count", async () => {
    const red = await User.query("team").eq("red").using("byTeam").exec();
    assert.deepEqual(red.map((u) => u.id), ["u5", "u1", "u3", "u2"], "ascending by score");
    assert.equal(red.count, 4);
    const desc = await User.query("team").eq("red").where("score").ge(15).sort("descending").using("byTeam").exec();
    assert.deepEqual(desc.map((u) => u.score), [30, 20, 15]);
    const between = await User.query("team").eq("red").where("score").between(6, 25).using("byTeam").exec();
    assert.deepEqual(between.map((u) => u.id), ["u1", "u3"]);
    const filtered = await User.query("team").eq("red").where("age").lt(30).using("byTeam").exec();
    assert.deepEqual(filtered.map((u) => u.id), ["u5", "u3"]);
    // Dynamoose picks the index by itself when the hash key is an index's.
    const auto = await User.query("team").eq("blue").exec();
    assert.deepEqual(auto.map((u) => u.id), ["u4"]);
    // Paging through the index two at a time.
    const page1 = await User.query("team").eq("red").using("byTeam").limit(2).exec();
    assert.deepEqual(page1.map((u) => u.id), ["u5", "u1"]);
    assert.ok(page1.lastKey, "a lastKey to continue from");
    const page2 = await User.query("team").eq("red").using("byTeam").limit(2).startAt(page1.lastKey).exec();
    assert.deepEqual(page2.map((u) => u.id), ["u3", "u2"]);
    const everything = await User.query("team").eq("red").using("byTeam").limit(1).all().exec();
    assert.deepEqual(everything.map((u) => u.id), ["u5", "u1", "u3", "u2"]);
    const counted = await User.query("team").eq("red").using("byTeam").count().exec();
    assert.equal(counted.count, 4);
    const projected = await User.query("team").eq("red").using("byTeam").attributes(["id", "score"]).exec();
    assert.deepEqual(projected.map((u) => Object.keys(u.toJSON()).sort()), Array(4).fill(["id", "score"]));
});

await step("query on the table's own keys", async () => {
    const all = await User.query("org").eq("acme").exec();
    assert.deepEqual(all.map((u) => u.id), ["u1", "u2", "u3", "u4", "u5", "u6"]);
    const some = await User.query("org").eq("acme").where("id").gt("u3").exec();
    assert.deepEqual(some.map((u) => u.id), ["u4", "u5", "u6"]);
    const prefixed = await User.query("org").eq("acme").where("id").beginsWith("u").and().where("age").ge(41).exec();
    assert.deepEqual(prefixed.map((u) => u.id), ["u2", "u4"]);
    const last = await User.query({ org: { eq: "acme" } }).sort("descending").limit(1).exec();
    assert.deepEqual(last.map((u) => u.id), ["u6"]);
    const typed = await User.query("org").eq("acme").where("id").eq("u1").exec();
    assert.ok(typed[0].tags instanceof Set);
});

await step("scan with filters", async () => {
    const over35 = await User.scan("age").gt(35).exec();
    assert.deepEqual(sorted(over35.map((u) => u.id)), ["u1", "u2", "u4", "u6"]);
    const vips = await User.scan("tags").contains("vip").exec();
    assert.deepEqual(sorted(vips.map((u) => u.id)), ["u1", "u2", "u4"]);
    const parisians = await User.scan("address.city").eq("Paris").exec();
    assert.deepEqual(sorted(parisians.map((u) => u.id)), ["u3", "u5"]);
    const combo = await User.scan(new dynamoose.Condition("team").eq("red").and().where("score").between(10, 25)).exec();
    assert.deepEqual(sorted(combo.map((u) => u.id)), ["u1", "u3"]);
    const either = await User.scan("team").eq("green").or().where("name").beginsWith("Da").exec();
    assert.deepEqual(sorted(either.map((u) => u.id)), ["u4", "u6"]);
    const inList = await User.scan("team").in(["green", "blue"]).exec();
    assert.deepEqual(sorted(inList.map((u) => u.id)), ["u4", "u6"]);
    const notRed = await User.scan("team").not().eq("red").exec();
    assert.deepEqual(sorted(notRed.map((u) => u.id)), ["u4", "u6"]);
    const lucky = await User.scan().where("lucky").exists().exec();
    assert.deepEqual(lucky.map((u) => u.id), ["u1"]);
    const ageless = await User.scan().where("age").not().exists().exec();
    assert.deepEqual(ageless.map((u) => u.id), []);
    const n = await User.scan("active").eq(true).count().exec();
    assert.equal(n.count, 6);
    const paged = await User.scan().limit(2).all().exec();
    assert.equal(paged.length, 6);
    const index = await User.scan().using("byTeam").exec();
    assert.equal(index.length, 6);
});

await step("batchGet returns the items found, batchDelete removes them", async () => {
    const got = await User.batchGet([{ org: "acme", id: "u2" }, { org: "acme", id: "u4" }, { org: "acme", id: "nobody" }]);
    assert.deepEqual(sorted(got.map((u) => u.id)), ["u2", "u4"]);
    assert.deepEqual(got.unprocessedKeys, []);
    assert.ok(got.find((u) => u.id === "u4").tags instanceof Set);
    // Dynamoose matches responses to keys, so a projection must keep the key attributes.
    const few = await User.batchGet([{ org: "acme", id: "u3" }], { attributes: ["org", "id", "name"] });
    assert.deepEqual(few.map((u) => u.toJSON()), [{ org: "acme", id: "u3", name: "Carol" }]);
    const del = await User.batchDelete([{ org: "acme", id: "u5" }, { org: "acme", id: "u6" }]);
    assert.deepEqual(del.unprocessedItems, []);
    const after = await User.batchGet([{ org: "acme", id: "u5" }, { org: "acme", id: "u6" }]);
    assert.equal(after.length, 0);
    const red = await User.query("team").eq("red").using("byTeam").exec();
    assert.deepEqual(red.map((u) => u.id), ["u1", "u3", "u2"], "index follows batch deletes");
});

await step("transactions: all-or-nothing writes and consistent reads", async () => {
    await dynamoose.transaction([
        User.transaction.create(alice({ id: "t1", email: "t1@example.com", name: "Tina", team: "blue", score: 60 })),
        User.transaction.update({ org: "acme", id: "u2" }, { $ADD: { visits: 2 }, $SET: { role: "admin" } }),
        User.transaction.delete({ org: "acme", id: "u3" }),
        User.transaction.condition({ org: "acme", id: "u1" }, new dynamoose.Condition("role").eq("admin")),
    ]);
    const t1 = await User.get({ org: "acme", id: "t1" });
    assert.equal(t1.role, "user", "defaults applied in a transaction create");
    const bob = await User.get({ org: "acme", id: "u2" });
    assert.equal(bob.visits, 2);
    assert.equal(bob.role, "admin");
    assert.equal(await User.get({ org: "acme", id: "u3" }), undefined);

    // A failing condition cancels every write of the transaction.
    const err = await rejects(dynamoose.transaction([
        User.transaction.update({ org: "acme", id: "u2" }, { $ADD: { visits: 100 } }),
        User.transaction.create(alice({ id: "t2", email: "t2@example.com" })),
        User.transaction.condition({ org: "acme", id: "u4" }, new dynamoose.Condition("score").lt(10)),
    ]), "TransactionCanceledException");
    assert.equal(err.message,
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed]");
    assert.deepEqual(err.CancellationReasons?.map((r) => r.Code), ["None", "None", "ConditionalCheckFailed"],
        JSON.stringify(err.CancellationReasons));
    assert.equal(err.CancellationReasons[2].Message, "The conditional request failed");
    assert.equal((await User.get({ org: "acme", id: "u2" })).visits, 2, "no write of a cancelled transaction applied");
    assert.equal(await User.get({ org: "acme", id: "t2" }), undefined);
    // Creating an existing item inside a transaction cancels it too.
    await rejects(dynamoose.transaction([
        User.transaction.create(alice({ id: "t1", email: "dup@example.com" })),
    ]), "TransactionCanceledException");

    // (Only existing items: for a missing one DynamoDB answers an empty ItemResponse
    // `{}`, which Dynamoose 4.2 cannot turn into an item — it throws "No value defined".)
    const [a, b] = await dynamoose.transaction([
        User.transaction.get({ org: "acme", id: "u1" }),
        User.transaction.get({ org: "acme", id: "t1" }),
    ]);
    assert.equal(a.name, "Alice B");
    assert.ok(a.tags instanceof Set);
    assert.equal(b.name, "Tina");
    const blue = await User.query("team").eq("blue").using("byTeam").exec();
    assert.deepEqual(blue.map((u) => u.id), ["u4", "t1"], "index follows transactional writes");
});

await step("items expire: the server's Time to Live sweep deletes them", async () => {
    const soon = new Date(Date.now() + 1500);
    await User.batchPut([
        { org: "acme", id: "e1", name: "Ephemeral", email: "e1@example.com", team: "gray", score: 1, expiresAt: soon },
        { org: "acme", id: "e2", name: "Ephemeral", email: "e2@example.com", team: "gray", score: 2, expiresAt: soon },
    ]);
    await User.create({ org: "acme", id: "e3", name: "Ephemeral", email: "e3@example.com", team: "gray", score: 3,
        expiresAt: new Date(Date.now() - 60 * 1000) });
    const { Item } = await ddb.getItem({ TableName: TABLE, Key: { org: { S: "acme" }, id: { S: "e1" } } });
    assert.ok(Math.abs(Number(Item.expiresAt.N) - soon.getTime() / 1000) <= 1, `stored expiresAt ${Item.expiresAt.N}`);
    const deadline = Date.now() + EXPIRY_TIMEOUT_MS;
    let left;
    for (;;) {
        left = await User.query("team").eq("gray").using("byTeam").exec();
        const direct = await User.batchGet([1, 2, 3].map((i) => ({ org: "acme", id: `e${i}` })));
        if (left.length === 0 && direct.length === 0) break;
        if (Date.now() > deadline) {
            assert.fail(`still there after ${EXPIRY_TIMEOUT_MS} ms: index ${left.map((u) => u.id)}, table ${direct.map((u) => u.id)}`);
        }
        await sleep(250);
    }
    // Items with a future expiry stay.
    const rest = await User.scan().exec();
    assert.deepEqual(sorted(rest.map((u) => u.id)), ["t1", "u1", "u2", "u4"], JSON.stringify(rest.map((u) => u.id)));
});

await step("table cleanup through the SDK", async () => {
    await ddb.deleteTable({ TableName: TABLE });
});

const total = passed + failures.length;
console.log(`dynamoose app: ${passed} of ${total} steps passed` +
    (failures.length ? `; failed: ${failures.join(" | ")}` : ""));
process.exit(failures.length ? 1 : 0);
