-- Creates a task, whole: the task, its opening text as the first chat message (cid "open"),
-- and every index it is found by (its brand's queue, the expiry index, the customer's tasks,
-- the brand's listing). One script, so a crash or a lost connection never leaves a task in
-- no queue, and a retry with the same id (Idempotency-Key) finds it whole.
-- KEYS: task hash, chat stream, cid index, brand queue, expiry index, customer's task set,
-- brand listing. ARGV: id, brand, topic, language, priority, customer id, customer name,
-- text, required tier, queue timeout ms, pay json, meta json, preview, wave size, wave
-- interval ms, on_timeout ("escalate" or ""), customer e-mail (or ""), offline ("1" or "").
-- Returns {"ok", message id, created_at, expires_at, queue rank}; for an id that exists,
-- {"exists", message id, created_at, expires_at, queue rank or -1} when it is this brand's
-- and this customer's, else {"conflict"}.
-- The opening message is the customer's, by uid (lib.lua) like every chat message.
local customer = uid('customer', ARGV[2], ARGV[6])
if redis.call('EXISTS', KEYS[1]) == 1 then
    local t = redis.call('HMGET', KEYS[1], 'brand', 'customer', 'created_at', 'expires_at')
    if t[1] ~= ARGV[2] or t[2] ~= ARGV[6] then
        return {'conflict'}
    end
    local rank = redis.call('ZRANK', KEYS[4], ARGV[1])
    return {'exists', redis.call('HGET', KEYS[3], customer .. '|open') or '', t[3], t[4],
        rank or -1}
end
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
if ARGV[16] == 'escalate' then
    redis.call('HSET', KEYS[1], 'on_timeout', 'escalate')
end
if (ARGV[17] or '') ~= '' then
    redis.call('HSET', KEYS[1], 'customer_email', ARGV[17])
end
if ARGV[18] == '1' then
    redis.call('HSET', KEYS[1], 'offline', '1')
end
-- higher priority first, then older first (tasks.c queue_score)
local score = (9 - tonumber(ARGV[5])) * 1e13 + ts
redis.call('ZADD', KEYS[4], string.format('%.0f', score), ARGV[1])
redis.call('ZADD', KEYS[5], expires, ARGV[1])
redis.call('SADD', KEYS[6], ARGV[1])
redis.call('ZADD', KEYS[7], ts, ARGV[1])
return {'ok', id, tostring(ts), tostring(expires), redis.call('ZRANK', KEYS[4], ARGV[1])}
