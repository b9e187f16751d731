-- A user's "My work" (work.list, work.c): the tasks they claimed since a time, newest claim
-- first, each with what its hash says now; work.c tells from that what became of the user's
-- part. Reads only. The task hashes are named from the ids in the index (not declared, as
-- in live_list.lua); a task whose hash is gone is left out.
-- KEYS: the user's work index. ARGV: since ms, at most how many.
-- Returns {"ok", then per task: task, claimed_at ms, then the fields below in that order}
-- (GX_WORK_FIELDS in scripts.h, "" for an absent field).
local fields = {'brand', 'topic', 'language', 'customer_name', 'status', 'assignee',
    'assignee_role', 'expert', 'staff', 'resolved_by', 'escalated_by_name', 'pay', 'rating',
    'rating_comment', 'summary', 'resolved_at', 'escalated_at', 'cancelled_at', 'expired_at',
    'released_at', 'taken_over_at', 'taken_over_from'}
local out = {'ok'}
local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0,
    tonumber(ARGV[2]))
for i = 1, #ids, 2 do
    local t = redis.call('HMGET', 'gx:{t:' .. ids[i] .. '}:task', unpack(fields))
    if t[1] then
        out[#out + 1] = ids[i]
        out[#out + 1] = ids[i + 1]
        for k = 1, #fields do
            out[#out + 1] = t[k] or ''
        end
    end
end
return out
