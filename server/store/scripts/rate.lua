-- Records the customer's one rating of a resolved task.
-- KEYS: task hash. ARGV: user (uid), score, comment, now ms.
-- Returns {"ok", expert id, brand} or {code}.
local t = redis.call('HMGET', KEYS[1], 'status', 'customer', 'rating', 'expert', 'brand')
if not t[1] then
    return {'not_found'}
end
if uid('customer', t[5], t[2]) ~= ARGV[1] then
    return {'forbidden'}
end
if t[1] ~= 'resolved' or t[3] then
    return {'conflict'}
end
redis.call('HSET', KEYS[1], 'rating', ARGV[2], 'rating_comment', ARGV[3], 'rated_at', ARGV[4])
return {'ok', t[4] or '', t[5]}
