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

-- A chat taken from its holder without their asking (gone past the grace period,
-- deactivated, reassigned or taken over by staff): noted in the holder's gx:u:<uid>:taken,
-- newest first, at most 20, for a week, so their next welcome says when and why (hello.c).
-- Called last, through pcall: a note that cannot be written never undoes the move itself.
local function note_taken(holder, task, reason, now, customer_name, by_name)
    if not holder or holder == '' or not reason or reason == '' then
        return
    end
    local key = 'gx:u:' .. holder .. ':taken'
    local ok, rec = pcall(cjson.encode, {task = task, reason = reason, at = tostring(now),
        customer = customer_name or '', by = by_name or ''})
    if not ok then
        return
    end
    redis.pcall('LPUSH', key, rec)
    redis.pcall('LTRIM', key, 0, 19)
    redis.pcall('EXPIRE', key, 604800)
end

-- Why a staff member may not act on a task as a live chat of their brand (watch, whisper),
-- or nil when they may: it exists, is of their brand, and is assigned or escalated to
-- someone.
local function live_chat_refusal(brand, status, holder, caller_brand)
    if not brand then
        return 'not_found'
    end
    if brand ~= caller_brand then
        return 'forbidden'
    end
    if (status ~= 'assigned' and status ~= 'escalated') or not holder or holder == '' then
        return 'conflict'
    end
    return nil
end

-- A task the user claimed (or took over), for their "My work" list (work.list, work.c): the
-- user's gx:u:<uid>:work zset, task -> claimed-at ms, the newest 1000 (GX_WORK_KEEP) kept,
-- for 35 days (GX_WORK_TTL_S) after the latest claim: the list reaches back 31 days at most.
local function note_work(key, task, now)
    redis.call('ZADD', key, now, task)
    redis.call('ZREMRANGEBYRANK', key, 0, -1001)
    redis.call('EXPIRE', key, 3024000)
end
