-- wrk script: 90 % GetItem of random preloaded keys, 10 % PutItem of new items.
--   wrk ... -s mix.lua URL -- TABLE N RUNID
-- Every 10th request of a thread is a PutItem (deterministic, so that
-- prepare.js check-put can read back the 2nd one, key
-- common.write_key("mix", RUNID, t, 2)); the others are GetItems as in
-- getitem.lua.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local gets = {}
local table_name, runid, put_headers
local counter, puts = 0, 0

function init(args)
   table_name = args[1] or "bench"
   local n = tonumber(args[2] or "10000")
   runid = args[3] or tostring(os.time())
   put_headers = common.headers("PutItem")
   math.randomseed(os.time() * 100 + (thread_id or 0))
   for i = 1, 20000 do
      local body = '{"TableName":"' .. table_name .. '","Key":{"id":{"S":"' ..
                   string.format("item-%08d", math.random(0, n - 1)) .. '"}}}'
      gets[i] = common.post("GetItem", body)
   end
end

function request()
   counter = counter + 1
   if counter % 10 ~= 0 then return gets[math.random(#gets)] end
   puts = puts + 1
   local key = common.write_key("mix", runid, thread_id, puts)
   local body = '{"TableName":"' .. table_name .. '","Item":' .. common.item_json(key, puts) .. '}'
   return wrk.format("POST", "/", put_headers, body)
end
