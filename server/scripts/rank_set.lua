-- Puts an expert in, or takes them out of, one brand's wave rankings: a sorted set per
-- required tier, topic and language of the experts ready for offers, by wave score.
-- A session older than the one that wrote last is ignored, so an old session closing on
-- one node cannot take out what the expert's newer session on another just put in.
-- Every change bumps the brand's ranking version (field '#v' of the owner hash, which no
-- expert id can be), so a node can tell whether a wave's cut-off was read before or after
-- an expert left (wave_cut.lua).
-- KEYS: the brand's owner hash, then the rank sets. ARGV: expert, session number,
-- 'add' or 'del', score. Returns the new version, or 0 when ignored.
local n = tonumber(ARGV[2])
local own = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if n < own then
    return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for i = 2, #KEYS do
    if ARGV[3] == 'add' then
        redis.call('ZADD', KEYS[i], ARGV[4], ARGV[1])
    else
        redis.call('ZREM', KEYS[i], ARGV[1])
    end
end
return redis.call('HINCRBY', KEYS[1], '#v', 1)
