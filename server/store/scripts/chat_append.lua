-- Appends one chat message, deduplicated by (sender, cid), and publishes it from inside the
-- script so that publish order equals stream-id order even with several nodes appending.
-- KEYS: task hash, chat stream, cid index. ARGV: user (uid), role, name, cid, text, task id,
-- the most messages the stream may hold (0: no limit).
-- Returns {"ok", id, ts}, {"dup", id, ts} or {code}.
local t = redis.call('HMGET', KEYS[1], 'status', 'customer', 'assignee', 'expert', 'staff',
    'brand', 'assignee_role')
if not t[1] then
    return {'not_found'}
end
local status, user, role, brand = t[1], ARGV[1], ARGV[2], t[6]
local open = status == 'queued' or status == 'assigned' or status == 'escalated'
local current
if role == 'customer' then
    current = user == uid('customer', brand, t[2])
else
    current = user == uid(t[7], brand, t[3])
end
if not current then
    local past = user == uid('expert', brand, t[4]) or user == uid('staff', brand, t[5])
    if role ~= 'customer' and past and not open then
        return {'conflict'}
    end
    return {'forbidden'}
end
if not open then
    return {'conflict'}
end
local dkey = user .. '|' .. ARGV[4]
local old = redis.call('HGET', KEYS[3], dkey)
if old then
    return {'dup', old, string.match(old, '^(%d+)')}
end
local most = tonumber(ARGV[7]) or 0
if most > 0 and redis.call('XLEN', KEYS[2]) >= most then
    return {'capacity'}
end
local id = redis.call('XADD', KEYS[2], '*', 'c', ARGV[4], 'r', role, 'u', user, 'n', ARGV[3],
    'x', ARGV[5])
redis.call('HSET', KEYS[3], dkey, id)
redis.call('HSET', KEYS[1], 'last_id', id)
local ts = tonumber(string.match(id, '^(%d+)'))
local msg = cjson.encode({type = 'chat.message', task = ARGV[6], id = id, cid = ARGV[4],
    from = {role = role, name = ARGV[3]}, text = ARGV[5], ts = ts})
redis.call('PUBLISH', 'gx:ev:task', 'M\t' .. ARGV[6] .. '\t' .. id .. '\n' .. msg)
return {'ok', id, tostring(ts)}
