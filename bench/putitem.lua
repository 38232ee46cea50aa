-- wrk script: PutItem of new ~200-byte items.
--   wrk ... -s putitem.lua URL -- TABLE RUNID
-- Key of the c-th item written by wrk thread t (c, t from 1):
--   put-<hex8 of (c * 2654435761) mod 2^32>-<RUNID>-<t>-<c>
-- unique per run and thread, and scattered over the key space by the
-- multiplicative hash so that an ordered store does not get an easy
-- append-only load. prepare.js check-put reads back c = 2 of every thread
-- with n = c, so keep the two in step. (Not c = 1: wrk calls request() once
-- in the first thread to inspect it and never sends that request.)

local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(dir .. "common.lua")

setup = common.setup
done = common.done

local table_name, runid, headers
local counter = 0

function init(args)
   table_name = args[1] or "bench"
   runid = args[2] or tostring(os.time())
   headers = common.headers("PutItem")
end

function request()
   counter = counter + 1
   local key = common.write_key("put", runid, thread_id, counter)
   local body = '{"TableName":"' .. table_name .. '","Item":' .. common.item_json(key, counter) .. '}'
   return wrk.format("POST", "/", headers, body)
end
