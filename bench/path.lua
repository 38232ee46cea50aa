-- wrk script: plain GET requests, for the gateway and nginx's proxy.
--   wrk ... -s path.lua URL -- PREFIX [N]
-- With N: GET PREFIX.."item-%08d" of random keys below N (the gateway's
-- DynamoDB route /.../items/{id}); without: GET PREFIX itself.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local requests = {}

function init(args)
   local prefix = args[1] or "/"
   local n = tonumber(args[2] or "0")
   math.randomseed(os.time() * 100 + (thread_id or 0))
   if n == 0 then
      requests[1] = wrk.format("GET", prefix, {["Accept"] = "application/json"})
      return
   end
   for i = 1, math.min(n, 20000) do
      local path = prefix .. string.format("item-%08d", math.random(0, n - 1))
      requests[i] = wrk.format("GET", path, {["Accept"] = "application/json"})
   end
end

function request()
   return requests[math.random(#requests)]
end
