-- Stores a staff member's internal note (whisper) on a live chat of its brand, apart from
-- the chat stream, so the customer's history never holds it.
-- KEYS: task hash, notes stream. ARGV: the staff member's brand, uid, name, text, most kept.
-- Returns {"ok", note id} or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'status', 'assignee')
local refusal = live_chat_refusal(t[1], t[2], t[3], ARGV[1])
if refusal then
    return {refusal}
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'u', ARGV[2], 'n', ARGV[3],
    'x', ARGV[4])
return {'ok', id}
