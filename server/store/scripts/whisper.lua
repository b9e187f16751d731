-- Stores a staff member's internal note (whisper) on a live chat of its brand, apart from
-- the chat stream, so the customer's history never holds it.
-- KEYS: task hash, notes stream. ARGV: the staff member's brand, uid, name, text, most kept.
-- Returns {"ok", note id} or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'status', 'assignee')
if not t[1] then
    return {'not_found'}
end
if t[1] ~= ARGV[1] then
    return {'forbidden'}
end
if (t[2] ~= 'assigned' and t[2] ~= 'escalated') or not t[3] or t[3] == '' then
    return {'conflict'}
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'u', ARGV[2], 'n', ARGV[3],
    'x', ARGV[4])
return {'ok', id}
