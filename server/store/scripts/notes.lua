-- Reads a task's whispers (internal notes) for its current assignee or a staff member of
-- its brand, so an expert who reconnects finds the notes sent meanwhile. Reads only.
-- KEYS: task hash, notes stream. ARGV: the reader's uid, role, brand ('' for experts).
-- Returns {"ok", notes...} (XRANGE entries, oldest first, the latest 200) or {code}.
local t = redis.call('HMGET', KEYS[1], 'brand', 'assignee', 'assignee_role')
if not t[1] then
    return {'not_found'}
end
local staff = ARGV[2] == 'staff' and ARGV[3] == t[1]
if not staff and uid(t[3], t[1], t[2]) ~= ARGV[1] then
    return {'forbidden'}
end
local out = {'ok'}
local notes = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 200)
for i = #notes, 1, -1 do
    out[#out + 1] = notes[i]
end
return out
