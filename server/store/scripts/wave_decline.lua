-- An expert declined a waiting task: records it, and says whether anyone the task's waves
-- reached so far can still take it (an expert with a free slot at or above the cut-off who
-- has not declined it). When not, the next wave goes at once.
-- KEYS: the rank set, the watch set, the task's decline set. ARGV: task, expert, ttl s.
-- Returns 1 when nobody reached is left.
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[3]))
local cut = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not cut then
    return 0 -- the last wave went out already (or the task left the queue)
end
local left = redis.call('ZCOUNT', KEYS[1], cut, '+inf')
for _, who in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local sc = redis.call('ZSCORE', KEYS[1], who)
    if sc and tonumber(sc) >= tonumber(cut) then
        left = left - 1
    end
end
if left <= 0 then
    return 1
end
return 0
