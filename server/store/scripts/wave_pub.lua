-- Publishes one offer wave of a task, only while the task still waits: in one step with the
-- status check, so a wave can never reach the channel after the claim's withdrawal did.
-- KEYS: task hash. ARGV: wave number, cut-off score ('-' = everyone), offer payload.
-- Returns 1 when published, 0 when the task no longer waits.
local t = redis.call('HMGET', KEYS[1], 'status', 'assignee')
if t[1] ~= 'queued' or (t[2] and t[2] ~= '') then
    return 0
end
redis.call('HSET', KEYS[1], 'wave', ARGV[1], 'wave_min', ARGV[2])
redis.call('PUBLISH', 'gx:ev:offer', ARGV[3])
return 1
