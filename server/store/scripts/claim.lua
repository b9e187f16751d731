-- The one place a task gets an owner: succeeds only if the claimer is eligible and the task
-- is claimable and unowned, so exactly one claim ever wins, whichever node sent it.
-- Everything a claim changes happens here, so a lost reply leaves nothing half done.
-- KEYS: task hash, chat stream, the claimer's task set, the expiry index, the claimer's work
-- index (note_work, lib.lua). ARGV: user, name,
-- role, ",brands,", ",languages,", ",skills,", tier, now ms, status update payload,
-- withdrawal payload, task id.
-- Returns {"ok", status, brand, topic, language, customer name, pay, escalation reason,
-- tier, offline ("1" or ""), customer e-mail, history...}, the same with "dup" for the winner's own claim again (one answered
-- unavailable while the replicas lagged: --redis-wait), or {code}. (The node answers claims
-- it held back with the brand, topic, language and tier: claim.c.)
local t = redis.call('HMGET', KEYS[1], 'status', 'assignee', 'brand', 'language', 'topic',
    'tier', 'customer_name', 'pay', 'escalation_reason', 'assignee_role', 'offline',
    'customer_email')
if not t[1] then
    return {'not_found'}
end
local function has(list, v)
    return string.find(list, ',' .. v .. ',', 1, true) ~= nil
end
local function reply(word, newstatus)
    local out = {word, newstatus, t[3], t[5], t[4], t[7], t[8], t[9] or '', t[6] or '0',
        t[11] or '', t[12] or ''}
    local hist = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 200)
    for i = #hist, 1, -1 do
        out[#out + 1] = hist[i]
    end
    return out
end
local status, assignee, brand = t[1], t[2], t[3]
local role = ARGV[3]
-- eligibility first: a claimer of another brand never hears about the task
local eligible = has(ARGV[4], brand)
if role ~= 'staff' then
    eligible = eligible and has(ARGV[5], t[4]) and has(ARGV[6], t[5]) and
        tonumber(ARGV[7]) >= tonumber(t[6])
end
if not eligible then
    return {'forbidden'}
end
if assignee == ARGV[1] and t[10] == role and
    (status == 'assigned' or (role == 'staff' and status == 'escalated')) then
    return reply('dup', status)
end
local newstatus
if role == 'staff' then
    if status ~= 'escalated' or assignee ~= '' then
        return {'conflict'}
    end
    newstatus = 'escalated'
else
    if status ~= 'queued' then
        return {'conflict'}
    end
    newstatus = 'assigned'
end
redis.call('HSET', KEYS[1], 'status', newstatus, 'assignee', ARGV[1], 'assignee_name', ARGV[2],
    'assignee_role', role, 'assigned_at', ARGV[8], role, ARGV[1])
redis.call('SADD', KEYS[3], ARGV[11])
note_work(KEYS[5], ARGV[11], ARGV[8])
redis.call('ZREM', KEYS[4], ARGV[11])
-- the brand's queue is named by the task, read above (one primary: docs/scaling.md)
redis.call('ZREM', 'gx:{b:' .. brand .. '}:' .. (role == 'staff' and 'esc' or 'q'), ARGV[11])
if role ~= 'staff' then
    forget_waves(brand, ARGV[11], t[6], t[5], t[4])
end
redis.call('PUBLISH', 'gx:ev:offer', ARGV[10])
redis.call('PUBLISH', 'gx:ev:task', ARGV[9])
return reply('ok', newstatus)
