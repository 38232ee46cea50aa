-- wrk script: GetItem of random keys that prepare.js preloaded.
--   wrk ... -s getitem.lua URL -- TABLE N
-- Keys are item-00000000 .. item-<N-1>, as preloadKey() in prepare.js writes them.
-- Requests are formatted once in init() (up to 50,000 distinct keys a thread)
-- so that wrk, which shares the machine's cores with the server, spends as
-- little CPU per request as possible.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local requests = {}

function init(args)
   local table_name = args[1] or "bench"
   local n = tonumber(args[2] or "10000")
   math.randomseed(os.time() * 100 + (thread_id or 0))
   local headers = common.headers("GetItem")
   local count = math.min(n, 50000)
   for i = 1, count do
      local k = (count == n) and (i - 1) or math.random(0, n - 1)
      local body = '{"TableName":"' .. table_name .. '","Key":{"id":{"S":"' ..
                   string.format("item-%08d", k) .. '"}}}'
      requests[i] = wrk.format("POST", "/", headers, body)
   end
end

function request()
   return requests[math.random(#requests)]
end
