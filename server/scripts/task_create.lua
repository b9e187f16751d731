-- Creates a task and stores its opening text as the first chat message (cid "open").
-- KEYS: task hash, chat stream, cid index. ARGV: id, brand, topic, language, priority,
-- customer id, customer name, text, required tier, queue timeout ms, pay json, meta json,
-- preview, wave size, wave interval ms. Returns {"ok", message id, created_at, expires_at} or {"conflict"}.
-- The opening message is the customer's, by uid (lib.lua) like every chat message.
if redis.call('EXISTS', KEYS[1]) == 1 then
    return {'conflict'}
end
local customer = uid('customer', ARGV[2], ARGV[6])
local id = redis.call('XADD', KEYS[2], '*', 'c', 'open', 'r', 'customer', 'u', customer,
    'n', ARGV[7], 'x', ARGV[8])
local ts = tonumber(string.match(id, '^(%d+)'))
local expires = ts + tonumber(ARGV[10])
redis.call('HSET', KEYS[3], customer .. '|open', id)
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'brand', ARGV[2], 'topic', ARGV[3],
    'language', ARGV[4], 'priority', ARGV[5], 'customer', ARGV[6], 'customer_name', ARGV[7],
    'tier', ARGV[9], 'timeout_ms', ARGV[10], 'pay', ARGV[11], 'meta', ARGV[12],
    'preview', ARGV[13], 'wave_k', ARGV[14], 'wave_t', ARGV[15], 'status', 'queued',
    'assignee', '', 'created_at', ts,
    'expires_at', expires, 'last_id', id)
return {'ok', id, tostring(ts), tostring(expires)}
