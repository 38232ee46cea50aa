-- wrk script: BatchWriteItem of 25 new ~200-byte items per request.
--   wrk ... -s batchwrite.lua URL -- TABLE RUNID
-- Request c of wrk thread t carries the items numbered (c-1)*25+1 .. c*25,
-- keyed common.write_key("bat", RUNID, t, n). prepare.js check-put reads back
-- item 26 (the first of request 2) of every thread. items/s = 25 x req/s.

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local table_name, runid, headers
local counter = 0

function init(args)
   table_name = args[1] or "bench"
   runid = args[2] or tostring(os.time())
   headers = common.headers("BatchWriteItem")
end

function request()
   local puts = {}
   for j = 1, 25 do
      counter = counter + 1
      local key = common.write_key("bat", runid, thread_id, counter)
      puts[j] = '{"PutRequest":{"Item":' .. common.item_json(key, counter) .. '}}'
   end
   local body = '{"RequestItems":{"' .. table_name .. '":[' .. table.concat(puts, ",") .. ']}}'
   return wrk.format("POST", "/", headers, body)
end
