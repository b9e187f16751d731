/* Reading the common shape of a client frame without jansson's lexer (jr.h says why). */
#include <string.h>
#include "gigcx/jr.h"

#define GX_JR_KEY_MAX 64 /* longer keys are no field of ours: jansson reads them */

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* A string of printable ASCII without escapes at p: sets *s and *n and returns what follows
 * its closing quote, or NULL. */
static const char *plain_string(const char *p, const char *e, const char **s, size_t *n)
{
    if (p >= e || *p != '"')
        return NULL;
    const char *q = ++p;
    for (; q < e && *q != '"'; q++) {
        unsigned char c = (unsigned char)*q;
        if (c < 0x20 || c > 0x7e || c == '\\')
            return NULL;
    }
    if (q >= e)
        return NULL;
    *s = p;
    *n = (size_t)(q - p);
    return q + 1;
}

/* One "key": "value" pair at p, added to o; returns what follows it, or NULL. */
static const char *pair(json_t *o, const char *p, const char *e)
{
    const char *k, *v;
    size_t kn, vn;
    char key[GX_JR_KEY_MAX];
    p = plain_string(p, e, &k, &kn);
    if (!p || kn >= sizeof(key))
        return NULL;
    p = skip_ws(p, e);
    if (p >= e || *p != ':')
        return NULL;
    p = plain_string(skip_ws(p + 1, e), e, &v, &vn);
    if (!p)
        return NULL;
    memcpy(key, k, kn);
    key[kn] = '\0';
    if (json_object_get(o, key) || json_object_set_new(o, key, json_stringn(v, vn)))
        return NULL; /* a key twice: jansson words that error */
    return skip_ws(p, e);
}

json_t *gx_jr_flat(const char *p, size_t len)
{
    const char *e = p + len;
    p = skip_ws(p, e);
    if (p >= e || *p != '{')
        return NULL;
    json_t *o = json_object();
    p = skip_ws(p + 1, e);
    if (o && p < e && *p != '}') {
        while ((p = pair(o, p, e)) && p < e && *p == ',')
            p = skip_ws(p + 1, e);
    }
    if (!o || !p || p >= e || *p != '}' || skip_ws(p + 1, e) != e) {
        json_decref(o);
        return NULL;
    }
    return o;
}
