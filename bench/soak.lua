-- wrk script for soak.sh: a mixed load whose data set stays bounded, so that
-- the server's memory has no legitimate reason to keep growing.
--
--   wrk ... -s soak.lua DDB_URL -- ddb TABLE N QTABLE QPARTS QPER KEYS
--   wrk ... -s soak.lua GATEWAY_URL -- gw N KEYS
--
-- ddb: DynamoDB requests against the endpoint. Reads hit the N items that
-- prepare.js setup preloaded (item-%08d) and the QPARTS x QPER items of
-- setup-query; writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem,
-- TransactWriteItems) only touch KEYS keys per wrk thread
-- ("soak-<thread>-%06d"), so the table's size levels off instead of growing
-- for the whole run, and the preloaded items stay intact (soak.sh verifies
-- them at the end). Some PutItems carry an already expired "exp" attribute:
-- soak.sh enables Time to Live on "exp", so the TTL sweeper deletes those
-- items during the run and its code path is soaked too.
--
-- gw: plain HTTP against the gateway routes that soak.sh configures:
-- GET /s/prod/items/{id} (DynamoDB GetItem), POST /s/prod/items/{id}
-- (DynamoDB UpdateItem on "gw-%06d" keys), GET /s/prod/up/{proxy+} (http
-- integration, proxied to the DynamoDB endpoint's health answer) and
-- GET /s/prod/ping (mock).
--
-- Every request must succeed (2xx): no request here is meant to fail a
-- condition or a validation. Requests are built per call, unlike the
-- throughput scripts, because a soak is about variety, not about wrk's cost.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local mode, table_name, n, qtable, qparts, qper, keys
local headers = {}
local counter = 0

local function hdr(op)
   if not headers[op] then headers[op] = common.headers(op) end
   return headers[op]
end

local function post(op, body)
   return wrk.format("POST", "/", hdr(op), body)
end

local function preloaded_key()
   return string.format("item-%08d", math.random(0, n - 1))
end

-- k-th write key of this thread (k from 0).
local function soak_key(k)
   return string.format("soak-%d-%06d", thread_id or 0, k % keys)
end

local function key_json(key)
   return '{"id":{"S":"' .. key .. '"}}'
end

local function item_json(key, extra)
   counter = counter + 1
   return '{"id":{"S":"' .. key .. '"},"n":{"N":"' .. counter .. '"},"payload":{"S":"' ..
          common.PAYLOAD .. '"}' .. (extra or "") .. '}'
end

function init(args)
   mode = args[1] or "ddb"
   math.randomseed(os.time() * 100 + (thread_id or 0))
   if mode == "ddb" then
      table_name = args[2] or "bench"
      n = tonumber(args[3] or "10000")
      qtable = args[4] or "benchq"
      qparts = tonumber(args[5] or "100")
      qper = tonumber(args[6] or "100")
      keys = tonumber(args[7] or "5000")
   elseif mode == "gw" then
      n = tonumber(args[2] or "10000")
      keys = tonumber(args[3] or "5000")
   else
      error("soak.lua: mode must be ddb or gw, not " .. tostring(mode))
   end
end

local T = nil -- '"TableName":"bench"', set on first use

local function ddb_request()
   T = T or ('"TableName":"' .. table_name .. '"')
   local r = math.random(100)
   if r <= 40 then
      return post("GetItem", '{' .. T .. ',"Key":' .. key_json(preloaded_key()) .. '}')
   elseif r <= 45 then
      -- A write key that may or may not exist; projection and consistent read.
      return post("GetItem", '{' .. T .. ',"Key":' .. key_json(soak_key(math.random(0, keys - 1))) ..
                  ',"ConsistentRead":true,"ProjectionExpression":"id, #n","ExpressionAttributeNames":{"#n":"n"}}')
   elseif r <= 55 then
      local p = math.random(0, qparts - 1)
      local a = math.random(0, qper - 10)
      local fwd = (math.random(2) == 1) and "true" or "false"
      return post("Query", '{"TableName":"' .. qtable .. '",' ..
         '"KeyConditionExpression":"p = :p AND s BETWEEN :a AND :b",' ..
         '"ExpressionAttributeValues":{":p":{"S":"' .. string.format("part-%05d", p) .. '"},' ..
         '":a":{"N":"' .. a .. '"},":b":{"N":"' .. (a + 9) .. '"}},"ScanIndexForward":' .. fwd .. '}')
   elseif r <= 67 then
      local key = soak_key(math.random(0, keys - 1))
      local v = math.random(4)
      if v == 1 then
         -- Already expired: the TTL sweeper deletes it.
         return post("PutItem", '{' .. T .. ',"Item":' .. item_json(key, ',"exp":{"N":"' .. (os.time() - 3600) .. '"}') .. '}')
      elseif v == 2 then
         return post("PutItem", '{' .. T .. ',"Item":' .. item_json(key) ..
                     ',"ConditionExpression":"attribute_not_exists(never_there)","ReturnValues":"ALL_OLD"}')
      end
      return post("PutItem", '{' .. T .. ',"Item":' .. item_json(key) .. '}')
   elseif r <= 79 then
      local key = soak_key(math.random(0, keys - 1))
      local rv = (math.random(2) == 1) and "ALL_NEW" or "NONE"
      return post("UpdateItem", '{' .. T .. ',"Key":' .. key_json(key) ..
         ',"UpdateExpression":"SET payload = :p, #t = :l ADD c :one REMOVE gone",' ..
         '"ExpressionAttributeNames":{"#t":"tags"},' ..
         '"ExpressionAttributeValues":{":p":{"S":"' .. common.PAYLOAD .. '"},":one":{"N":"1"},' ..
         '":l":{"L":[{"S":"t"}]}},"ReturnValues":"' .. rv .. '"}')
   elseif r <= 87 then
      local key = soak_key(math.random(0, keys - 1))
      local rv = (math.random(2) == 1) and "ALL_OLD" or "NONE"
      return post("DeleteItem", '{' .. T .. ',"Key":' .. key_json(key) .. ',"ReturnValues":"' .. rv .. '"}')
   elseif r <= 92 then
      -- 25 distinct consecutive write keys, puts and deletes mixed.
      local base = math.random(0, keys - 1)
      local reqs = {}
      for j = 0, 24 do
         local key = soak_key(base + j)
         if j % 3 == 2 then
            reqs[#reqs + 1] = '{"DeleteRequest":{"Key":' .. key_json(key) .. '}}'
         else
            reqs[#reqs + 1] = '{"PutRequest":{"Item":' .. item_json(key) .. '}}'
         end
      end
      return post("BatchWriteItem", '{"RequestItems":{"' .. table_name .. '":[' .. table.concat(reqs, ",") .. ']}}')
   elseif r <= 96 then
      local ks = {}
      for j = 1, 10 do ks[j] = key_json(string.format("item-%08d", (math.random(0, n - 1) + j) % n)) end
      ks[11] = key_json(soak_key(math.random(0, keys - 1)))
      -- Duplicate keys are an error: the 10 random preloaded keys could repeat.
      local seen, uniq = {}, {}
      for _, k in ipairs(ks) do
         if not seen[k] then seen[k] = true; uniq[#uniq + 1] = k end
      end
      return post("BatchGetItem", '{"RequestItems":{"' .. table_name .. '":{"Keys":[' .. table.concat(uniq, ",") .. ']}}}')
   elseif r <= 98 then
      local base = math.random(0, keys - 2)
      return post("TransactWriteItems", '{"TransactItems":[' ..
         '{"Put":{' .. T .. ',"Item":' .. item_json(soak_key(base)) .. '}},' ..
         '{"Update":{' .. T .. ',"Key":' .. key_json(soak_key(base + 1)) ..
         ',"UpdateExpression":"ADD c :one","ExpressionAttributeValues":{":one":{"N":"1"}}}}]}')
   end
   -- A short scan with a filter, from a random preloaded key on.
   return post("Scan", '{' .. T .. ',"Limit":20,"ExclusiveStartKey":' .. key_json(preloaded_key()) ..
      ',"FilterExpression":"n >= :z","ExpressionAttributeValues":{":z":{"N":"0"}}}')
end

local GW_GET = {["Accept"] = "application/json"}
local GW_POST = {["Accept"] = "application/json", ["Content-Type"] = "application/json"}

local function gw_request()
   local r = math.random(100)
   if r <= 55 then
      return wrk.format("GET", "/s/prod/items/" .. string.format("item-%08d", math.random(0, n - 1)), GW_GET)
   elseif r <= 70 then
      return wrk.format("POST", "/s/prod/items/" .. string.format("gw-%06d", math.random(0, keys - 1)),
                        GW_POST, '{"note":"soak"}')
   elseif r <= 90 then
      return wrk.format("GET", "/s/prod/up/health", GW_GET)
   end
   return wrk.format("GET", "/s/prod/ping", GW_GET)
end

function request()
   if mode == "gw" then return gw_request() end
   return ddb_request()
end
