#!/usr/bin/env node
// Benchmark helper for run.sh: creates the bench table on a server, preloads
// it, and checks that the server really stored what it acknowledged, so that
// a server answering 200 with nothing behind it never reports a fast number.
//
//   node prepare.js setup  URL TABLE N     create TABLE (hash key "id" S),
//                                          wait until ACTIVE, write N items
//   node prepare.js verify URL TABLE N     GetItem a sample of the preloaded
//                                          keys; each must come back intact
//   node prepare.js check-put URL TABLE RUNID THREADS [KIND [C]]
//                                          an early item (the C-th, default
//                                          2) of each wrk thread of
//                                          putitem.lua (KIND put, default),
//                                          batchwrite.lua (bat) or mix.lua
//                                          (mix) must be readable
//   node prepare.js setup-query URL TABLE PARTS PER
//                                          create TABLE (hash p S, range s N)
//                                          and write PARTS partitions of PER
//                                          items; then check one Query
//   node prepare.js drive URL TABLE OP COUNT N RUNID
//                                          send COUNT GetItem (keys among
//                                          the N preloaded) or PutItem (new
//                                          keys) requests, one at a time
//                                          (callgrind.sh counts instructions
//                                          per request with it)
//   node prepare.js get-body URL TABLE     print the body of a GetItem
//                                          response (nginx serves one as
//                                          large for the ceiling)
//
// Items and keys are made by the same rules as getitem.lua / putitem.lua
// (item(), preloadKey() below): change them together.
//
// Raw HTTP with a keep-alive agent and no SDK, so the loader costs little and
// needs nothing beyond Node itself. The same fake SigV4 header as the wrk
// scripts is sent: dynalite insists on one being present (it checks its shape,
// not the signature); portico without configured credentials ignores it.
'use strict'

const http = require('http')

const agent = new http.Agent({ keepAlive: true, maxSockets: 32 })
const CONCURRENCY = 32
const BATCH = 25 // BatchWriteItem's limit

const HEADERS = {
  'Content-Type': 'application/x-amz-json-1.0',
  'Authorization': 'AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, ' +
    'SignedHeaders=host;x-amz-date;x-amz-target, Signature=00',
  'X-Amz-Date': '20240101T000000Z',
}

// ~150 bytes of payload: with the key, "n" and attribute names an item is
// about 200 bytes, DynamoDB-size-wise. Identical in getitem.lua/putitem.lua.
const PAYLOAD = 'x'.repeat(150)

function preloadKey (i) { return 'item-' + String(i).padStart(8, '0') }

// The key common.write_key() in common.lua gives the c-th item of kind
// `kind` written by wrk thread t.
function writeKey (kind, runid, t, c) {
  const scatter = Number((BigInt(c) * 2654435761n) % 4294967296n).toString(16).padStart(8, '0')
  return `${kind}-${scatter}-${runid}-${t}-${c}`
}

function partKey (p) { return 'part-' + String(p).padStart(5, '0') }

function item (key, i) {
  return { id: { S: key }, n: { N: String(i) }, payload: { S: PAYLOAD } }
}

function call (url, op, body) {
  const data = Buffer.from(JSON.stringify(body))
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent,
      headers: Object.assign({ 'X-Amz-Target': 'DynamoDB_20120810.' + op, 'Content-Length': data.length }, HEADERS),
    }, res => {
      const chunks = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        let json = null
        try { json = JSON.parse(text) } catch (e) { /* reported below */ }
        resolve({ status: res.statusCode, text, json })
      })
    })
    req.on('error', reject)
    req.end(data)
  })
}

async function must (url, op, body) {
  const r = await call(url, op, body)
  if (r.status !== 200 || r.json === null) {
    throw new Error(`${op} on ${url} answered ${r.status}: ${r.text.slice(0, 300)}`)
  }
  return r.json
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function createTable (url, table, withRange) {
  await must(url, 'CreateTable', withRange
    ? {
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'p', AttributeType: 'S' }, { AttributeName: 's', AttributeType: 'N' }],
        KeySchema: [{ AttributeName: 'p', KeyType: 'HASH' }, { AttributeName: 's', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
      }
    : {
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      })
  const deadline = Date.now() + 15000
  for (;;) {
    const d = await must(url, 'DescribeTable', { TableName: table })
    if (d.Table && d.Table.TableStatus === 'ACTIVE') return
    if (Date.now() > deadline) throw new Error(`${table} on ${url} not ACTIVE after 15 s`)
    await sleep(50)
  }
}

// Runs `fn` over jobs 0..count-1 with CONCURRENCY requests in flight.
async function pool (count, fn) {
  let next = 0
  const worker = async () => {
    while (next < count) await fn(next++)
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, count) }, worker))
}

// BatchWriteItem when the server has it (25 items a request), PutItem
// otherwise: the loader must work against a server still growing its API.
async function preload (url, table, n) {
  const probe = await call(url, 'BatchWriteItem', { RequestItems: { [table]: [{ PutRequest: { Item: item(preloadKey(0), 0) } }] } })
  if (probe.status === 200 && probe.json && probe.json.UnprocessedItems !== undefined) {
    await pool(Math.ceil(n / BATCH), async b => {
      let reqs = []
      for (let i = b * BATCH; i < Math.min(n, (b + 1) * BATCH); i++) {
        reqs.push({ PutRequest: { Item: item(preloadKey(i), i) } })
      }
      for (let attempt = 0; reqs.length > 0; attempt++) {
        if (attempt > 50) throw new Error('BatchWriteItem keeps leaving items unprocessed')
        const r = await must(url, 'BatchWriteItem', { RequestItems: { [table]: reqs } })
        reqs = (r.UnprocessedItems && r.UnprocessedItems[table]) || []
        if (reqs.length > 0) await sleep(10)
      }
    })
    return 'BatchWriteItem'
  }
  await pool(n, i => must(url, 'PutItem', { TableName: table, Item: item(preloadKey(i), i) }))
  return 'PutItem'
}

// Query table: PARTS partitions of PER items, 25 a BatchWriteItem.
async function preloadQuery (url, table, parts, per) {
  const n = parts * per
  await pool(Math.ceil(n / BATCH), async b => {
    let reqs = []
    for (let i = b * BATCH; i < Math.min(n, (b + 1) * BATCH); i++) {
      const p = Math.floor(i / per); const s = i % per
      reqs.push({ PutRequest: { Item: { p: { S: partKey(p) }, s: { N: String(s) }, payload: { S: PAYLOAD } } } })
    }
    for (let attempt = 0; reqs.length > 0; attempt++) {
      if (attempt > 50) throw new Error('BatchWriteItem keeps leaving items unprocessed')
      const r = await must(url, 'BatchWriteItem', { RequestItems: { [table]: reqs } })
      reqs = (r.UnprocessedItems && r.UnprocessedItems[table]) || []
      if (reqs.length > 0) await sleep(10)
    }
  })
  // What query.lua asks: 10 consecutive items of one partition.
  const p = partKey(parts - 1)
  const r = await must(url, 'Query', {
    TableName: table,
    KeyConditionExpression: 'p = :p AND s BETWEEN :a AND :b',
    ExpressionAttributeValues: { ':p': { S: p }, ':a': { N: '5' }, ':b': { N: '14' } },
  })
  if (r.Count !== 10 || r.Items.length !== 10 || r.Items[0].s.N !== '5' || r.Items[9].s.N !== '14' ||
      r.Items[3].payload.S !== PAYLOAD) {
    throw new Error(`Query on ${url} returned ${JSON.stringify(r).slice(0, 300)}`)
  }
}

// Attribute values here are one-key objects ({S: ...}, {N: ...}), so comparing
// their JSON texts is exact; attribute order in the response may differ.
function sameItem (got, want) {
  const names = Object.keys(want)
  return Object.keys(got).length === names.length &&
    names.every(k => JSON.stringify(got[k]) === JSON.stringify(want[k]))
}

async function getAndCompare (url, table, want) {
  const r = await must(url, 'GetItem', { TableName: table, Key: { id: want.id }, ConsistentRead: true })
  if (!r.Item || !sameItem(r.Item, want)) {
    throw new Error(`GetItem ${want.id.S} on ${url} returned ${JSON.stringify(r).slice(0, 300)}`)
  }
}

async function verify (url, table, n) {
  const samples = Math.min(n, 200)
  const keys = [0, n - 1]
  for (let s = 2; s < samples; s++) keys.push(Math.floor(Math.random() * n))
  await pool(keys.length, j => getAndCompare(url, table, item(preloadKey(keys[j]), keys[j])))
  return keys.length
}

async function main () {
  const [cmd, url, table, ...rest] = process.argv.slice(2)
  if (cmd === 'setup') {
    const n = Number(rest[0])
    const t0 = Date.now()
    await createTable(url, table)
    const how = await preload(url, table, n)
    console.log(`preloaded ${n} items into ${url} with ${how} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  } else if (cmd === 'verify') {
    const count = await verify(url, table, Number(rest[0]))
    console.log(`verified ${count} preloaded items on ${url}`)
  } else if (cmd === 'check-put') {
    const [runid, threads, kind = 'put', c = '2'] = rest
    for (let t = 1; t <= Number(threads); t++) {
      await getAndCompare(url, table, item(writeKey(kind, runid, t, Number(c)), Number(c)))
    }
    console.log(`verified a ${kind} write of each of ${threads} wrk threads on ${url}`)
  } else if (cmd === 'setup-query') {
    const [parts, per] = rest.map(Number)
    const t0 = Date.now()
    await createTable(url, table, true)
    await preloadQuery(url, table, parts, per)
    console.log(`preloaded ${parts} x ${per} items into ${url} (${table}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  } else if (cmd === 'drive') {
    const [op, count, n, runid] = rest
    for (let i = 0; i < Number(count); i++) {
      if (op === 'GetItem') {
        const k = preloadKey((i * 7919) % Number(n))
        const r = await must(url, 'GetItem', { TableName: table, Key: { id: { S: k } } })
        if (!r.Item) throw new Error(`GetItem ${k} on ${url} found nothing`)
      } else if (op === 'PutItem') {
        await must(url, 'PutItem', { TableName: table, Item: item(writeKey('drv', runid, 1, i + 1), i + 1) })
      } else {
        throw new Error('drive: OP must be GetItem or PutItem')
      }
    }
  } else if (cmd === 'get-body') {
    const r = await call(url, 'GetItem', { TableName: table, Key: { id: { S: preloadKey(0) } } })
    if (r.status !== 200) throw new Error(`GetItem on ${url} answered ${r.status}`)
    process.stdout.write(r.text)
  } else {
    throw new Error('usage: prepare.js setup|verify|check-put|setup-query|get-body URL TABLE ...')
  }
}

main().then(() => { agent.destroy() }, err => {
  console.error('prepare.js: ' + err.message)
  agent.destroy()
  process.exit(1)
})
