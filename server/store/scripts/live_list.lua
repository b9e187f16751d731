-- A brand's live chats (assigned or escalated, with an assignee) among its newest tasks,
-- for the staff console's supervision list. Reads only.
-- KEYS: the brand's task listing. ARGV: how many of the newest tasks to look at.
-- Returns {"ok", then per live chat: task, status, topic, language, customer name,
-- assignee id, assignee name, assignee role, assigned_at}.
local out = {'ok'}
local ids = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
for _, id in ipairs(ids) do
    local t = redis.call('HMGET', 'gx:{t:' .. id .. '}:task', 'status', 'topic', 'language',
        'customer_name', 'assignee', 'assignee_name', 'assignee_role', 'assigned_at')
    if (t[1] == 'assigned' or t[1] == 'escalated') and t[5] and t[5] ~= '' then
        out[#out + 1] = id
        for k = 1, 8 do
            out[#out + 1] = t[k] or ''
        end
    end
end
return out
