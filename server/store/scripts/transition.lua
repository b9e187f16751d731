-- Moves a task between statuses for release, resolve, escalate, cancel, expire and timeout
-- (a queue time-out the brand sends to its staff), checking
-- who may do it, and publishes the status update (and the offer withdrawal) it causes.
-- The task's indexes move with its status here, in the same script, so a crash can never
-- leave a task in no queue, in two, or expiring forever: its queue (brand), its escalated
-- queue, the expiry index, the wave due set and watch set, its decline set, and the task sets
-- of its customer and of the assignee who lets go of it.
-- KEYS: task hash. ARGV: action, user (uid), role, now ms, update payload, withdrawal payload
-- ('' for none), note (summary or reason), task id, handover of a release ('released' by the
-- expert, 'requeued' by the server for one gone silent), why the server took it back for the
-- holder's next welcome ('disconnected', 'deactivated'; '' or absent: not noted).
-- Returns {"ok", new status, brand, priority, created_at, customer's uid, previous
-- assignee's uid, expires_at, topic, language, tier} or {code}.
local t = redis.call('HMGET', KEYS[1], 'status', 'customer', 'assignee', 'expert', 'staff',
    'brand', 'priority', 'created_at', 'expires_at', 'timeout_ms', 'assignee_role',
    'assignee_name', 'customer_name')
if not t[1] then
    return {'not_found'}
end
local action, user, role, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local status, assignee = t[1], t[3]
local customer = uid('customer', t[6], t[2])
local holder = uid(t[11], t[6], assignee)
local open = status == 'queued' or status == 'assigned' or status == 'escalated'
local newstatus
local fields = {}
if action == 'cancel' then
    if role ~= 'customer' or user ~= customer then
        return {'forbidden'}
    end
    if not open then
        return {'conflict'}
    end
    newstatus = 'cancelled'
elseif action == 'expire' or action == 'timeout' then
    if status ~= 'queued' or tonumber(t[9]) > now then
        return {'conflict'}
    end
    if action == 'timeout' then -- the brand's staff take what no expert claimed
        newstatus = 'escalated'
        fields = {'escalation_reason', ARGV[7], 'escalated_by_name', ''}
    else
        newstatus = 'expired'
    end
else
    local held = holder ~= '' and user == holder
    if not held then
        if user == uid('expert', t[6], t[4]) or user == uid('staff', t[6], t[5]) then
            return {'conflict'}
        end
        return {'forbidden'}
    end
    if status ~= 'assigned' and status ~= 'escalated' then
        return {'conflict'}
    end
    if action == 'release' then
        newstatus = role == 'staff' and 'escalated' or 'queued'
        fields = {'expires_at', now + tonumber(t[10]), 'handover', ARGV[9] or 'released'}
    elseif action == 'resolve' then
        newstatus = 'resolved'
        fields = {'summary', ARGV[7], 'resolved_by', user}
    elseif action == 'escalate' then
        if role ~= 'expert' then
            return {'forbidden'}
        end
        newstatus = 'escalated'
        fields = {'escalation_reason', ARGV[7], 'escalated_by_name', t[12] or ''}
    else
        return {'bad_request'}
    end
end
local stamp = {release = 'released_at', resolve = 'resolved_at', escalate = 'escalated_at',
    cancel = 'cancelled_at', expire = 'expired_at', timeout = 'escalated_at'}
local keep = action == 'resolve' or action == 'cancel'
redis.call('HSET', KEYS[1], 'status', newstatus, 'assignee', keep and assignee or '',
    stamp[action], now, unpack(fields))
if ARGV[6] ~= '' then
    redis.call('PUBLISH', 'gx:ev:offer', ARGV[6])
end
redis.call('PUBLISH', 'gx:ev:task', ARGV[5])
local expires = redis.call('HGET', KEYS[1], 'expires_at')
local route = redis.call('HMGET', KEYS[1], 'topic', 'language', 'tier')
local task, brand = ARGV[8], t[6]
local q, esc = 'gx:{b:' .. brand .. '}:q', 'gx:{b:' .. brand .. '}:esc'
local score = string.format('%.0f', (9 - tonumber(t[7])) * 1e13 + tonumber(t[8]))
if holder ~= '' then
    redis.call('SREM', 'gx:u:' .. holder .. ':tasks', task)
end
if newstatus == 'queued' then -- requeued: declines end, waves start again
    redis.call('DEL', 'gx:{b:' .. brand .. '}:decl:' .. task)
    redis.call('ZADD', q, score, task)
    redis.call('ZADD', 'gx:expiry', expires, task)
else
    forget_waves(brand, task, route[3], route[1], route[2])
    redis.call('ZREM', q, task)
    if newstatus == 'escalated' then
        redis.call('ZADD', esc, score, task)
    else
        redis.call('ZREM', esc, task)
        redis.call('ZREM', 'gx:expiry', task)
        if newstatus ~= 'resolved' then -- a resolved task stays listed until rated
            redis.call('SREM', 'gx:u:' .. customer .. ':tasks', task)
        end
    end
end
if action == 'release' then -- the server's own release: the holder hears why at welcome
    note_taken(holder, task, ARGV[10], now, t[13])
end
return {'ok', newstatus, t[6], t[7], t[8], customer, holder, expires, route[1] or '',
    route[2] or '', route[3] or '1'}
