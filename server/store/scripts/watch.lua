-- A staff member starts watching a live chat of its brand: who may, what it shows, and the
-- internal notes (whispers) so far. Reads only.
-- KEYS: task hash, notes stream. ARGV: the watcher's brand.
-- Returns {"ok", status, topic, language, customer name, assignee name, assignee role,
-- notes...} (notes as XRANGE entries, oldest first, the latest 200) or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'status', 'topic', 'language', 'customer_name',
    'assignee_name', 'assignee_role', 'assignee')
local refusal = live_chat_refusal(t[1], t[2], t[8], ARGV[1])
if refusal then
    return {refusal}
end
local out = {'ok', t[2], t[3] or '', t[4] or '', t[5] or '', t[6] or '', t[7] or ''}
local notes = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 200)
for i = #notes, 1, -1 do
    out[#out + 1] = notes[i]
end
return out
