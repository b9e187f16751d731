-- Reads a user's canned responses: the personal ones and those of each brand named.
-- KEYS: the user's canned hash, then the brands' hashes. Returns {"ok", personal as a flat
-- HGETALL array, then each brand's canned JSON ('' when none), in KEYS order}.
local out = {'ok', redis.call('HGETALL', KEYS[1])}
for i = 2, #KEYS do
    out[#out + 1] = redis.call('HGET', KEYS[i], 'canned') or ''
end
return out
