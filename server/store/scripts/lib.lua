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
