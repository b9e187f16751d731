-- A staff member of the task's brand sends a chat an expert holds back to the queue, for
-- another expert: the task is requeued as on a release (fresh queue time-out, the brand's
-- queue, the expiry index), the expert's task set loses it, and the expert is recorded as
-- having declined it at the new expiry (the brand's decline set and the expert's declines),
-- so it is not offered to them again until it is requeued once more. The expert's next
-- welcome says so (note_taken, lib.lua).
-- KEYS: task hash. ARGV: the staff member's brand, now ms, update payload, task id.
-- Returns {"ok", new expires_at, the expert's id} or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'status', 'assignee', 'assignee_role',
    'priority', 'created_at', 'timeout_ms', 'customer_name')
if not t[1] then
    return {'not_found'}
end
if t[1] ~= ARGV[1] then
    return {'forbidden'}
end
if t[2] ~= 'assigned' or t[4] ~= 'expert' or not t[3] or t[3] == '' then
    return {'conflict'}
end
local now, task, brand, expert = tonumber(ARGV[2]), ARGV[4], t[1], t[3]
local expires = now + tonumber(t[7])
redis.call('HSET', KEYS[1], 'status', 'queued', 'assignee', '', 'released_at', now,
    'expires_at', expires, 'handover', 'reassigned', 'reassigned_from', expert)
redis.call('SREM', 'gx:u:' .. expert .. ':tasks', task)
local score = string.format('%.0f', (9 - tonumber(t[5])) * 1e13 + tonumber(t[6]))
redis.call('ZADD', 'gx:{b:' .. brand .. '}:q', score, task)
redis.call('ZADD', 'gx:expiry', expires, task)
local decl = 'gx:{b:' .. brand .. '}:decl:' .. task
redis.call('DEL', decl)
redis.call('SADD', decl, expert)
redis.call('EXPIRE', decl, math.floor(tonumber(t[7]) / 1000) + 60)
redis.call('HSET', 'gx:u:' .. expert .. ':declined', task, expires)
redis.call('EXPIRE', 'gx:u:' .. expert .. ':declined', 86400)
redis.call('PUBLISH', 'gx:ev:task', ARGV[3])
note_taken(expert, task, 'reassigned', now, t[8])
return {'ok', tostring(expires), expert}
