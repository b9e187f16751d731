/* Encoding and decoding bus messages (bus.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/bus.h"
#include "gigcx/error.h"

int gx_bus_parse(const char *payload, size_t len, gx_bus_msg *m)
{
    const char *nl = memchr(payload, '\n', len);
    size_t hl = nl ? (size_t)(nl - payload) : len;
    if (hl == 0 || hl >= sizeof(m->head))
        return -1;
    memcpy(m->head, payload, hl);
    m->head[hl] = '\0';
    m->n = 0;
    for (char *tok = m->head; tok && m->n < GX_BUS_FIELDS_MAX;) {
        m->f[m->n++] = tok;
        tok = strchr(tok, '\t');
        if (tok)
            *tok++ = '\0';
    }
    m->kind = m->f[0][0];
    m->body = nl ? nl + 1 : "";
    m->blen = nl ? len - hl - 1 : 0;
    return 0;
}

char *gx_bus_encode(char kind, const char *const *fields, int n, const char *body)
{
    size_t len = 2 + (body ? strlen(body) + 1 : 0);
    for (int i = 0; i < n; i++) {
        if (strpbrk(fields[i], "\t\n"))
            return NULL;
        len += 1 + strlen(fields[i]);
    }
    char *out = malloc(len), *p = out;
    if (!out)
        return NULL;
    *p++ = kind;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(fields[i]);
        *p++ = '\t';
        memcpy(p, fields[i], k);
        p += k;
    }
    if (body) {
        size_t k = strlen(body);
        *p++ = '\n';
        memcpy(p, body, k);
        p += k;
    }
    *p = '\0';
    return out;
}

char *gx_bus_update(const char *task, const char *origin, const char *freed, json_t *update)
{
    char *body = json_dumps(update, JSON_COMPACT);
    const char *f[] = {task, origin, freed ? freed : "-"};
    char *out = body ? gx_bus_encode('U', f, 3, body) : NULL;
    free(body);
    return out;
}

char *gx_bus_withdraw(const char *task, const char *winner, const char *reason)
{
    char body[256];
    int k =
        snprintf(body, sizeof(body),
                 "{\"type\":\"offer.withdrawn\",\"task\":\"%s\",\"reason\":\"%s\"}", task, reason);
    if (k < 0 || (size_t)k >= sizeof(body))
        return NULL;
    const char *f[] = {task, winner ? winner : "-"};
    return gx_bus_encode('W', f, 2, body);
}

int gx_bus_publish(gx_redis *redis, const char *channel, char kind, const char *const *fields,
                   int n, const char *body)
{
    char *msg = gx_bus_encode(kind, fields, n, body);
    if (!msg)
        return GX_EINTERNAL;
    const char *argv[] = {"PUBLISH", channel, msg};
    int rc = gx_redis_argv(redis, NULL, NULL, 3, argv, NULL);
    free(msg);
    return rc;
}
