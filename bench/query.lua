-- wrk script: Query of WINDOW consecutive items of a random partition.
--   wrk ... -s query.lua URL -- TABLE PARTS PER WINDOW
-- prepare.js setup-query writes PARTS partitions "part-%05d" (hash key p, S)
-- of PER items each (range key s, N, 0..PER-1). Each request asks for
-- s BETWEEN a AND a+WINDOW-1 in one partition, so it returns exactly WINDOW
-- items (~200 bytes each). Requests are formatted once in init().

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local requests = {}

function init(args)
   local table_name = args[1] or "benchq"
   local parts = tonumber(args[2] or "100")
   local per = tonumber(args[3] or "100")
   local window = tonumber(args[4] or "10")
   math.randomseed(os.time() * 100 + (thread_id or 0))
   for i = 1, 20000 do
      local p = math.random(0, parts - 1)
      local a = math.random(0, per - window)
      local body = '{"TableName":"' .. table_name .. '",' ..
         '"KeyConditionExpression":"p = :p AND s BETWEEN :a AND :b",' ..
         '"ExpressionAttributeValues":{":p":{"S":"' .. string.format("part-%05d", p) .. '"},' ..
         '":a":{"N":"' .. a .. '"},":b":{"N":"' .. (a + window - 1) .. '"}}}'
      requests[i] = common.post("Query", body)
   end
end

function request()
   return requests[math.random(#requests)]
end
