-- Stores one personal canned response, refusing a new one past the cap (an update of an id
-- already there always fits), so the count holds over every socket and node.
-- KEYS: the user's canned hash. ARGV: id, the response as JSON, the most kept.
-- Returns {"ok"} or {"capacity"}.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 and
    redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then
    return {'capacity'}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {'ok'}
