-- A staff member of the task's brand takes a live chat over: it becomes the assignee (the
-- task is then escalated, as staff's tasks are), the previous holder's task set loses it,
-- the staff member's gains it, and the update goes out (the previous holder lets go; their
-- next welcome says so: note_taken, lib.lua).
-- KEYS: task hash, chat stream, the staff member's task set, their work index (note_work,
-- lib.lua). ARGV: staff id, name, brand,
-- now ms, update payload, task id.
-- Returns {"ok", brand, topic, language, customer name, previous holder's uid, history...}
-- (the latest 200 messages, oldest first) or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'status', 'assignee', 'assignee_role', 'topic',
    'language', 'customer_name')
if not t[1] then
    return {'not_found'}
end
if t[1] ~= ARGV[3] then
    return {'forbidden'}
end
if (t[2] ~= 'assigned' and t[2] ~= 'escalated') or not t[3] or t[3] == '' or
    (t[4] == 'staff' and t[3] == ARGV[1]) then
    return {'conflict'}
end
local holder = uid(t[4], t[1], t[3])
redis.call('HSET', KEYS[1], 'status', 'escalated', 'assignee', ARGV[1], 'assignee_name',
    ARGV[2], 'assignee_role', 'staff', 'staff', ARGV[1], 'taken_over_at', ARGV[4],
    'taken_over_from', holder)
redis.call('SREM', 'gx:u:' .. holder .. ':tasks', ARGV[6])
redis.call('SADD', KEYS[3], ARGV[6])
note_work(KEYS[4], ARGV[6], ARGV[4])
redis.call('PUBLISH', 'gx:ev:task', ARGV[5])
note_taken(holder, ARGV[6], 'taken_over', ARGV[4], t[7], ARGV[2])
local out = {'ok', t[1], t[5] or '', t[6] or '', t[7] or '', holder}
local hist = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 200)
for i = #hist, 1, -1 do
    out[#out + 1] = hist[i]
end
return out
