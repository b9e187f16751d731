-- Reads one wave's cut-off from a rank set (rank_set.lua): the score of the expert at
-- 0-based place ARGV[1], with the brand's ranking version at that moment, so that every
-- node can tell which of its experts the cut-off counted.
-- KEYS: the rank set, the brand's owner hash. ARGV: place.
-- Returns {version, score}, the score '-' when nobody ranks below that place: the wave
-- then reaches everyone, and experts who get ready later are offered it at once.
local at = tonumber(ARGV[1])
local r = redis.call('ZREVRANGE', KEYS[1], at, at + 1, 'WITHSCORES')
local v = redis.call('HGET', KEYS[2], '#v') or '0'
if #r < 4 then
    return {v, '-'}
end
return {v, r[2]}
