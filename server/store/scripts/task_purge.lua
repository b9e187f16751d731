-- Deletes finished tasks past the retention (--task-retention): for each brand, the oldest
-- tasks of its listing created before the cut-off, each one only if it ended (resolved,
-- cancelled or expired) and its last event (the end, or a rating after it) is before the
-- cut-off too. A task goes whole: its hash, chat, cid index and notes (UNLINK: Redis frees
-- a long chat off its main thread), its listing entry, and its customer's task set entry
-- (a resolved task waits there for a rating). Everything else already let go of it when it
-- ended. Tasks still open are passed over; at most ARGV[3] are looked at per brand, so a
-- call stays short however much is due.
-- KEYS: none (the brands set and the keys named from it: a sweep over every brand, like
-- the depth read). ARGV: cut-off ms, most deleted per call, most looked at per brand.
-- Returns {deleted, looked at}.
local cutoff = tonumber(ARGV[1])
local budget = tonumber(ARGV[2])
local per_brand = tonumber(ARGV[3])
local final = {resolved = true, cancelled = true, expired = true}
local deleted, looked = 0, 0
for _, brand in ipairs(redis.call('SMEMBERS', 'gx:brands')) do
    if deleted >= budget then
        break
    end
    local all = 'gx:{b:' .. brand .. '}:all'
    local ids = redis.call('ZRANGEBYSCORE', all, '-inf', cutoff, 'LIMIT', 0, per_brand)
    for _, task in ipairs(ids) do
        if deleted >= budget then
            break
        end
        looked = looked + 1
        local base = 'gx:{t:' .. task .. '}:'
        local t = redis.call('HMGET', base .. 'task', 'status', 'customer', 'resolved_at',
            'cancelled_at', 'expired_at', 'rated_at', 'brand')
        local last = math.max(tonumber(t[3]) or 0, tonumber(t[4]) or 0, tonumber(t[5]) or 0,
            tonumber(t[6]) or 0)
        if not t[1] then
            redis.call('ZREM', all, task) -- a listing entry with no task behind it
        elseif final[t[1]] and last <= cutoff and t[7] == brand then
            redis.call('UNLINK', base .. 'task', base .. 'chat', base .. 'cids', base .. 'notes')
            redis.call('ZREM', all, task)
            local who = uid('customer', brand, t[2])
            if who ~= '' then
                redis.call('SREM', 'gx:u:' .. who .. ':tasks', task)
            end
            deleted = deleted + 1
        end
    end
end
return {deleted, looked}
