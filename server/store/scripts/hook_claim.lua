-- Leases up to ARGV[3] due webhook events to the calling node: their due time moves to the
-- lease's end, so no other node takes them while this one delivers, and a node that dies
-- leaves them to be taken again when the lease runs out. Counts the attempt.
-- KEYS: due set. ARGV: now ms, lease end ms, how many, event key prefix (same {wh} tag).
-- Returns a flat list: id, brand, type, task, body, created, attempt for each event.
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
    local key = ARGV[4] .. id
    local e = redis.call('HMGET', key, 'brand', 'type', 'task', 'body', 'created')
    if not e[1] then
        redis.call('ZREM', KEYS[1], id) -- settled elsewhere meanwhile: nothing left to send
    else
        local n = redis.call('HINCRBY', key, 'attempts', 1)
        redis.call('ZADD', KEYS[1], ARGV[2], id)
        for _, v in ipairs({id, e[1], e[2], e[3], e[4], e[5], tostring(n)}) do
            out[#out + 1] = v
        end
    end
end
return out
