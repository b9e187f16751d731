-- Creates or updates a brand. A new brand gets the api key hash, widget key and webhook
-- signing secret passed in; an existing one keeps them unless rotate is '1', which replaces
-- the api key hash, the widget key and the signing secret. A brand made before signing
-- secrets existed gets
-- one on its next update.
-- The keys that find the brand (by api key hash and by widget key) and the list of brands
-- are written here too, so a key shown once always works; a rotation drops the old keys and
-- revokes every token of the brand issued until now.
-- KEYS: brand hash. ARGV: name, pay json, widget origins json, webhook url, rotate,
-- new api key hash, new widget key, now ms, config json, new signing secret, brand id,
-- '1' when a rotation revokes the brand's tokens (the API's; not --dev's seed at start-up),
-- the brand's canned responses as JSON ('' removes them; '=' or absent leaves them as they are).
-- Returns {"created"|"rotated"|"updated", widget key, old api key hash, signing secret if it
-- was set now else '', old widget key when rotated else ''}.
local exists = redis.call('EXISTS', KEYS[1]) == 1
local old = redis.call('HGET', KEYS[1], 'api_key_hash') or ''
local secret = ARGV[10] or ''
local had_secret = redis.call('HEXISTS', KEYS[1], 'webhook_secret') == 1
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'pay', ARGV[2], 'widget_origins', ARGV[3],
    'webhook_url', ARGV[4], 'updated_at', ARGV[8], 'config', ARGV[9])
if ARGV[13] == '' then
    redis.call('HDEL', KEYS[1], 'canned')
elseif ARGV[13] and ARGV[13] ~= '=' then
    redis.call('HSET', KEYS[1], 'canned', ARGV[13])
end
local function set_secret()
    if secret == '' then
        return ''
    end
    redis.call('HSET', KEYS[1], 'webhook_secret', secret)
    return secret
end
local brand = ARGV[11]
local function set_keys()
    redis.call('HSET', KEYS[1], 'api_key_hash', ARGV[6], 'widget_key', ARGV[7])
    redis.call('SET', 'gx:apikey:' .. ARGV[6], brand)
    redis.call('SET', 'gx:widgetkey:' .. ARGV[7], brand)
end
if not exists then
    redis.call('HSET', KEYS[1], 'created_at', ARGV[8])
    set_keys()
    redis.call('SADD', 'gx:brands', brand)
    return {'created', ARGV[7], '', set_secret()}
end
local wk = redis.call('HGET', KEYS[1], 'widget_key')
if ARGV[5] == '1' then
    if old ~= '' then
        redis.call('DEL', 'gx:apikey:' .. old)
    end
    if wk then
        redis.call('DEL', 'gx:widgetkey:' .. wk)
    end
    set_keys()
    if ARGV[12] == '1' then
        redis.call('SET', 'gx:revoked:b:' .. brand, math.floor(tonumber(ARGV[8]) / 1000))
    end
    return {'rotated', ARGV[7], old, set_secret(), wk or ''}
end
return {'updated', wk, '', had_secret and '' or set_secret()}
