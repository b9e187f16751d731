-- Puts an expert in, or takes them out of, one brand's wave rankings: per required tier,
-- topic and language, a rank set of the experts with a free slot, by wave score (a wave's
-- cut-off is read from it), and beside it a watch set of the waiting tasks by their
-- current wave's cut-off (wave_watch.lua).
-- A session older than the one that wrote last is ignored, so an old session closing on
-- one node cannot take out what the expert's newer session on another just put in.
-- Every change bumps the brand's ranking version (field '#v' of the owner hash, which no
-- expert id can be), so a node can tell whether a wave's cut-off was read before or after
-- an expert left (wave_cut.lua).
-- When the best score in a rank set falls below a task's cut-off, nobody the task's waves
-- reached can take it any more: the task is named, for its next wave now.
-- KEYS: the brand's owner hash, then the rank sets, then their watch sets (as many).
-- ARGV: expert, session number, 'add' or 'del', score.
-- Returns {new version, task...}, or {0} when ignored.
local n = tonumber(ARGV[2])
local own = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n < own then
    return {0}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local sets = (#KEYS - 1) / 2
local out = {0}
local function top(key)
    local t = redis.call('ZREVRANGE', key, 0, 0, 'WITHSCORES')
    if #t == 0 then
        return nil
    end
    return tonumber(t[2])
end
for i = 2, sets + 1 do
    local before = top(KEYS[i])
    if ARGV[3] == 'add' then
        redis.call('ZADD', KEYS[i], ARGV[4], ARGV[1])
    else
        redis.call('ZREM', KEYS[i], ARGV[1])
    end
    local after = top(KEYS[i])
    if before and (not after or after < before) then
        local from = after and ('(' .. after) or '-inf'
        for _, task in ipairs(redis.call('ZRANGEBYSCORE', KEYS[i + sets], from, before)) do
            out[#out + 1] = task
        end
    end
end
out[1] = redis.call('HINCRBY', KEYS[1], '#v', 1)
return out
