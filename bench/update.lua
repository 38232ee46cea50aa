-- wrk script: UpdateItem "ADD c :one" on a few hot keys.
--   wrk ... -s update.lua URL -- TABLE HOT
-- Keys hot-0 .. hot-<HOT-1> (not preloaded: the first ADD creates the item),
-- so that many connections contend for the same items, as counters do.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local requests = {}

function init(args)
   local table_name = args[1] or "bench"
   local hot = tonumber(args[2] or "16")
   math.randomseed(os.time() * 100 + (thread_id or 0))
   for i = 1, hot do
      local body = '{"TableName":"' .. table_name .. '","Key":{"id":{"S":"hot-' .. (i - 1) .. '"}},' ..
         '"UpdateExpression":"ADD c :one","ExpressionAttributeValues":{":one":{"N":"1"}}}'
      requests[i] = common.post("UpdateItem", body)
   end
end

function request()
   return requests[math.random(#requests)]
end
