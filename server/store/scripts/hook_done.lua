-- Settles one webhook attempt and logs it for the brand (newest first, capped).
-- 'ok' (delivered) and 'giveup' take the event out of the outbox; 'retry' makes it due again
-- at ARGV[3], but only while the caller still holds the lease (its end is still the due
-- time): a node whose lease ran out must not shorten another node's.
-- KEYS: event hash, due set, log list. ARGV: id, outcome, next due ms, log entry, log cap,
-- lease end ms. Returns 1 when the outbox changed, else 0.
redis.call('LPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
if redis.call('EXISTS', KEYS[1]) == 0 then
    return 0
end
if ARGV[2] == 'ok' or ARGV[2] == 'giveup' then
    redis.call('DEL', KEYS[1])
    redis.call('ZREM', KEYS[2], ARGV[1])
    return 1
end
if tonumber(redis.call('ZSCORE', KEYS[2], ARGV[1])) ~= tonumber(ARGV[6]) then
    return 0
end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
