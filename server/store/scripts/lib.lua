-- Put in front of every script when it is compiled in (embed_scripts.cmake): what more
-- than one script needs, in one place.

-- A user's key (include/gigcx/jwt.h, gx_uid_make): experts are known by their id;
-- customers and staff belong to one brand, which names them with the id. A task's hash
-- stores bare ids, so every check of who someone is to a task compares these keys.
local function uid(role, brand, id)
    if not id or id == '' then
        return ''
    end
    if role == 'expert' then
        return id
    end
    if role == 'customer' then
        return 'c:' .. brand .. ':' .. id
    end
    if role == 'staff' then
        return 's:' .. brand .. ':' .. id
    end
    return ''
end

-- A task that stops waiting leaves its waves: the due set, the watch set of its route (the
-- rank set's twin, gx_ranking_watch_key) and its decline set (gx_waves_forget in C).
local function forget_waves(brand, task, tier, topic, lang)
    redis.call('ZREM', 'gx:waves', task)
    redis.call('ZREM', 'gx:{b:' .. brand .. '}:rkw:' .. (tier or '1') .. ':' .. (topic or '') ..
        ':' .. (lang or ''), task)
    redis.call('DEL', 'gx:{b:' .. brand .. '}:decl:' .. task)
end
