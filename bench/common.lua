-- Shared by getitem.lua and putitem.lua (loaded with dofile from the same
-- directory): the request headers, the item shape, and the machine-readable
-- summary line that run.sh parses.
--
-- The item shape must match item() in prepare.js: "id" (S), "n" (N) and a
-- 150-character "payload" (S), about 200 bytes in DynamoDB's size rules.

local common = {}

common.PAYLOAD = string.rep("x", 150)

-- dynalite requires an Authorization header of SigV4 shape (it checks the
-- shape, not the signature); portico without configured credentials ignores
-- it. Both servers get exactly the same bytes.
function common.headers(op)
   return {
      ["Content-Type"]  = "application/x-amz-json-1.0",
      ["X-Amz-Target"]  = "DynamoDB_20120810." .. op,
      ["X-Amz-Date"]    = "20240101T000000Z",
      ["Authorization"] = "AWS4-HMAC-SHA256 Credential=bench/20240101/us-east-1/dynamodb/aws4_request, " ..
                          "SignedHeaders=host;x-amz-date;x-amz-target, Signature=00",
   }
end

function common.item_json(key, n)
   return '{"id":{"S":"' .. key .. '"},"n":{"N":"' .. n .. '"},"payload":{"S":"' .. common.PAYLOAD .. '"}}'
end

-- Key of the c-th item of kind KIND ("put", "bat", "mix") written by wrk
-- thread t in run RUNID (c, t from 1): scattered over the key space by a
-- multiplicative hash so that an ordered store does not get an easy
-- append-only load. Must match writeKey() in prepare.js.
function common.write_key(kind, runid, t, c)
   return string.format("%s-%08x-%s-%d-%d", kind, (c * 2654435761) % 4294967296, runid, t, c)
end

-- A request body ready to send (formatted once per distinct request).
function common.post(op, body)
   return wrk.format("POST", "/", common.headers(op), body)
end

-- One line for run.sh. errors.status counts responses that were not 2xx/3xx;
-- run.sh fails the whole benchmark if it or any socket error is non-zero.
function common.done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "non2xx=%d connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      e.status, e.connect, e.read, e.write, e.timeout))
end

-- Each wrk thread has its own Lua state: number the threads so that random
-- seeds and generated keys differ between them.
local next_thread = 1
function common.setup(thread)
   thread:set("thread_id", next_thread)
   next_thread = next_thread + 1
end

return common
