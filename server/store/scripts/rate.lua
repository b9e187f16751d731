-- Records the customer's one rating of a resolved task, or of one the customer ended (cancelled)
-- while an expert or staff member had it, and charges it to whoever resolved (held) it: an expert's reputation figures (which order the waves) take it in the same script; a
-- staff member's resolution charges no expert. The task leaves the customer's open tasks.
-- KEYS: task hash. ARGV: user (uid), score, comment, now ms, task id.
-- Returns {"ok", expert id charged or '', brand} or {code}.
local t = redis.call('HMGET', KEYS[1], 'status', 'customer', 'rating', 'resolved_by', 'brand',
    'assignee', 'assignee_role')
if not t[1] then
    return {'not_found'}
end
if uid('customer', t[5], t[2]) ~= ARGV[1] then
    return {'forbidden'}
end
local ended = t[1] == 'cancelled' and (t[6] or '') ~= ''
if (t[1] ~= 'resolved' and not ended) or t[3] then
    return {'conflict'}
end
redis.call('HSET', KEYS[1], 'rating', ARGV[2], 'rating_comment', ARGV[3], 'rated_at', ARGV[4])
redis.call('SREM', 'gx:u:' .. ARGV[1] .. ':tasks', ARGV[5])
-- experts' uids are their bare ids; customers' and staff's carry their role and brand
local by = t[4] or ''
if ended then -- the customer ended it: the one who held it is rated
    by = t[7] == 'expert' and t[6] or ':'
end
if by == '' or string.find(by, ':', 1, true) then
    return {'ok', '', t[5]}
end
redis.call('HINCRBY', 'gx:expert:' .. by, 'rating_sum', ARGV[2])
redis.call('HINCRBY', 'gx:expert:' .. by, 'rating_n', 1)
return {'ok', by, t[5]}
