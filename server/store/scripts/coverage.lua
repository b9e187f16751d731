-- Rebuilds every brand's coverage (gx:{b:<brand>}:skills and :langs: what some expert of the
-- brand can take, which task creation and the widget's availability ask) from the experts
-- as they are now. PUT /api/v1/experts only adds to it at once; this takes out what no
-- active expert covers any more (a skill dropped, an expert deleted or deactivated). Sets
-- change member by member, so a task created meanwhile never sees one empty.
-- KEYS: none (gx:experts, gx:brands, each expert's hash and each brand's two sets: a sweep
-- over everything, like task_purge.lua). ARGV: none.
-- Returns {members added, members removed}.
-- An expert's field as stored: a JSON array of ids (http_api.c put_expert), or nothing.
local function ids(json)
    local ok, v = pcall(cjson.decode, json or '')
    if not ok or type(v) ~= 'table' then
        return {}
    end
    local out = {}
    for _, id in ipairs(v) do
        if type(id) == 'string' then
            out[#out + 1] = id
        end
    end
    return out
end

local want = {} -- brand -> {skills = {id = true}, langs = {id = true}}
for _, brand in ipairs(redis.call('SMEMBERS', 'gx:brands')) do
    want[brand] = {skills = {}, langs = {}}
end
for _, id in ipairs(redis.call('SMEMBERS', 'gx:experts')) do
    local e = redis.call('HMGET', 'gx:expert:' .. id, 'brands', 'skills', 'languages', 'active')
    if e[1] and e[4] ~= '0' then
        for _, brand in ipairs(ids(e[1])) do
            local w = want[brand]
            if w then
                for _, s in ipairs(ids(e[2])) do
                    w.skills[s] = true
                end
                for _, l in ipairs(ids(e[3])) do
                    w.langs[l] = true
                end
            end
        end
    end
end

local added, removed = 0, 0
local function sync(key, wanted)
    for _, m in ipairs(redis.call('SMEMBERS', key)) do
        if not wanted[m] then
            redis.call('SREM', key, m)
            removed = removed + 1
        end
        wanted[m] = nil
    end
    for m in pairs(wanted) do
        redis.call('SADD', key, m)
        added = added + 1
    end
end
for brand, w in pairs(want) do
    sync('gx:{b:' .. brand .. '}:skills', w.skills)
    sync('gx:{b:' .. brand .. '}:langs', w.langs)
end
return {added, removed}
