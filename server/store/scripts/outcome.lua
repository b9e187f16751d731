-- Records how an expert's task ended (for the recent resolution rate) and when (for
-- fairness), then returns the figures the wave score is made of.
-- KEYS: expert hash. ARGV: '1' resolved or '0' not, now in s, outcomes kept.
-- Returns field/value pairs like HGETALL, or {} when the expert does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
    return {}
end
local recent = redis.call('HGET', KEYS[1], 'recent') or ''
redis.call('HSET', KEYS[1], 'recent', string.sub(ARGV[1] .. recent, 1, tonumber(ARGV[3])),
    'last_end', ARGV[2])
local f = {'rating_sum', 'rating_n', 'recent', 'last_end'}
local v = redis.call('HMGET', KEYS[1], unpack(f))
local out = {}
for i = 1, #f do
    if v[i] then
        out[#out + 1] = f[i]
        out[#out + 1] = v[i]
    end
end
return out
