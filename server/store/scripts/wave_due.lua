-- Takes the tasks whose next offer wave is due, leasing each: a node that dies while it
-- sends a wave leaves the task to another node after the lease, never to nobody.
-- KEYS: the due set. ARGV: now ms, lease ms, at most this many. Returns the task ids.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local until_ms = tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 1, #due do
    redis.call('ZADD', KEYS[1], until_ms, due[i])
end
return due
