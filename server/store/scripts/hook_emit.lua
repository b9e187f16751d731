-- Puts one webhook event in the outbox, due at once. Its body is stored as it will be sent,
-- so a redelivery carries the same bytes. Every outbox key shares the {wh} hash tag.
-- KEYS: event hash, due set. ARGV: id, brand, type, task, body, created ms.
-- Returns 1, or 0 when the id is already there.
if redis.call('EXISTS', KEYS[1]) == 1 then
    return 0
end
redis.call('HSET', KEYS[1], 'brand', ARGV[2], 'type', ARGV[3], 'task', ARGV[4], 'body', ARGV[5],
    'created', ARGV[6], 'attempts', 0)
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
return 1
