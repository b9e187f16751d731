/* Field checks for hostile JSON. No I/O: callers turn `why` into an error reply. */
#include <stdio.h>
#include <string.h>
#include "gigcx/util.h"
#include "gigcx/validate.h"

size_t gx_validate_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

bool gx_validate_id(json_t *obj, const char *field, const char **out, char *why, size_t whylen)
{
    json_t *j = json_object_get(obj, field);
    const char *v = json_string_value(j);
    if (!gx_id_valid(v) || strlen(v) != json_string_length(j)) {
        snprintf(why, whylen, "'%s' must be an id matching [A-Za-z0-9_-]{1,64}", field);
        return false;
    }
    *out = v;
    return true;
}

bool gx_validate_str(json_t *obj, const char *field, size_t minchars, size_t maxchars,
                     bool optional, const char **out, char *why, size_t whylen)
{
    json_t *j = json_object_get(obj, field);
    *out = NULL;
    if (!j && optional)
        return true;
    const char *v = json_string_value(j);
    size_t n = v ? gx_validate_utf8_len(v) : 0;
    /* strlen differs from the JSON length when the text holds \u0000: refuse it */
    if (!v || n < minchars || n > maxchars || strlen(v) != json_string_length(j)) {
        snprintf(why, whylen, "'%s' must be a string of %zu to %zu characters", field, minchars,
                 maxchars);
        return false;
    }
    *out = v;
    return true;
}

bool gx_validate_int(json_t *obj, const char *field, long min, long max, long def, bool optional,
                     long *out, char *why, size_t whylen)
{
    json_t *j = json_object_get(obj, field);
    if (!j && optional) {
        *out = def;
        return true;
    }
    if (!json_is_integer(j) || json_integer_value(j) < min || json_integer_value(j) > max) {
        snprintf(why, whylen, "'%s' must be an integer from %ld to %ld", field, min, max);
        return false;
    }
    *out = (long)json_integer_value(j);
    return true;
}

bool gx_validate_frame(json_t *msg, const char **type, const char **ref, char *why, size_t whylen)
{
    *type = *ref = NULL;
    if (!json_is_object(msg)) {
        snprintf(why, whylen, "a frame must be a JSON object");
        return false;
    }
    json_t *jref = json_object_get(msg, "ref");
    if (jref && (!json_is_string(jref) || gx_validate_utf8_len(json_string_value(jref)) > 64)) {
        snprintf(why, whylen, "ref must be a string of at most 64 characters");
        return false;
    }
    *ref = json_string_value(jref);
    *type = json_string_value(json_object_get(msg, "type"));
    if (!*type) {
        snprintf(why, whylen, "a JSON object with a string 'type' is required");
        return false;
    }
    return true;
}

bool gx_validate_known(json_t *obj, const char *const *known, char *why, size_t whylen)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t i = 0;
        while (known[i] && strcmp(known[i], k) != 0)
            i++;
        if (known[i])
            continue;
        int n = snprintf(why, whylen, "unknown field '%.40s': expected", k);
        for (i = 0; known[i] && n > 0 && (size_t)n < whylen; i++)
            n += snprintf(why + n, whylen - (size_t)n, "%s %s", i ? "," : "", known[i]);
        return false;
    }
    return true;
}
