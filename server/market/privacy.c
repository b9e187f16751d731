/* Masking what tier-1 experts receive (see privacy.h). Per fan-out the masked frame is
 * built at most once, and only when a tier-1 expert is among the recipients. */
#include "gigcx/privacy.h"
#include <stdlib.h>
#include <string.h>
#include "gigcx/pii.h"

bool gx_privacy_masked(const gx_session *s)
{
    return s->who.role == GX_ROLE_EXPERT && s->prof.tier < 2;
}

/* Message texts and previews are masked as chat messages (gx_pii_mask_message): a number
 * may be split across two messages, so digit runs at either edge are masked too. Out of
 * memory, the field is emptied rather than sent as written. */
static bool mask_string(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    if (!v)
        return false;
    bool changed = false;
    char *m = gx_pii_mask_message(v, strlen(v), &changed);
    if (!m || changed)
        json_object_set_new(o, key, json_string(m ? m : ""));
    free(m);
    return !m || changed;
}

/* The first name only, or the whole name masked when it is an address or number. */
static bool first_name(json_t *person)
{
    const char *name = json_string_value(json_object_get(person, "name"));
    if (!name)
        return false;
    char *first = gx_pii_first_name(name);
    bool changed = !first || strcmp(first, name) != 0;
    if (changed)
        json_object_set_new(person, "name", json_string(first ? first : ""));
    free(first);
    return changed;
}

bool gx_privacy_mask(json_t *o)
{
    if (!json_is_object(o))
        return false;
    bool changed = mask_string(o, "text");
    changed |= mask_string(o, "preview");
    changed |= first_name(json_object_get(o, "customer"));
    json_t *from = json_object_get(o, "from");
    const char *role = json_string_value(json_object_get(from, "role"));
    if (role && strcmp(role, "customer") == 0)
        changed |= first_name(from);
    static const char *const lists[] = {"history", "messages"};
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(o, lists[k]), i, m) changed |= gx_privacy_mask(m);
    }
    return changed;
}

gx_buf *gx_privacy_frame(const gx_session *s, gx_buf *orig, gx_buf **cache, bool *tried)
{
    if (!gx_privacy_masked(s))
        return orig;
    if (!*tried) {
        *tried = true;
        json_t *o = json_loadb(gx_buf_text(orig), orig->len, 0, NULL);
        if (gx_privacy_mask(o))
            *cache = gx_buf_json(o);
        json_decref(o);
    }
    return *cache ? *cache : orig;
}
