-- Watches a wave's cut-off, so the wave gives way when nobody it reached can take the task:
-- records the task's cut-off beside its rank set (rank_set.lua then names the tasks whose
-- cut-off rises above the best expert with a free slot), and says whether that is already
-- so. KEYS: the rank set, the watch set. ARGV: task, cut-off score ('-': the last wave,
-- nothing to watch). Returns 1 when nobody in the rank set scores at least the cut-off.
if ARGV[2] == '-' then
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 0
end
local cut = tonumber(ARGV[2])
redis.call('ZADD', KEYS[2], cut, ARGV[1])
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 or tonumber(top[2]) < cut then
    return 1
end
return 0
