/* String-keyed open-addressing hash map. FNV-1a hashing; grows at 70% fill. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/map.h"

static char tomb_mark;
#define GX_MAP_TOMB (&tomb_mark)

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static gx_map_slot *find(const gx_map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = hash(key) & mask;; i = (i + 1) & mask) {
        gx_map_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->key != GX_MAP_TOMB && strcmp(s->key, key) == 0)
            return s;
    }
}

static int grow(gx_map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 16;
    if (m->used * 2 < m->cap) /* mostly tombstones: rehash at the same size */
        ncap = m->cap;
    gx_map_slot *ns = calloc(ncap, sizeof(*ns));
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        gx_map_slot *s = &m->slots[i];
        if (!s->key || s->key == GX_MAP_TOMB)
            continue;
        size_t j = hash(s->key) & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    m->fill = m->used;
    return 0;
}

void *gx_map_get(const gx_map *m, const char *key)
{
    gx_map_slot *s = find(m, key);
    return s ? s->val : NULL;
}

int gx_map_set(gx_map *m, const char *key, void *val)
{
    gx_map_slot *s = find(m, key);
    if (s) {
        s->val = val;
        return 0;
    }
    if ((m->fill + 1) * 10 >= m->cap * 7 && grow(m))
        return -1;
    char *k = strdup(key);
    if (!k)
        return -1;
    size_t mask = m->cap - 1;
    size_t i = hash(key) & mask;
    while (m->slots[i].key && m->slots[i].key != GX_MAP_TOMB)
        i = (i + 1) & mask;
    if (!m->slots[i].key)
        m->fill++;
    m->slots[i].key = k;
    m->slots[i].val = val;
    m->used++;
    return 0;
}

void *gx_map_del(gx_map *m, const char *key)
{
    gx_map_slot *s = find(m, key);
    if (!s)
        return NULL;
    void *v = s->val;
    free(s->key);
    s->key = GX_MAP_TOMB;
    s->val = NULL;
    m->used--;
    return v;
}

void gx_map_each(const gx_map *m, void (*fn)(const char *key, void *val, void *arg), void *arg)
{
    for (size_t i = 0; i < m->cap; i++) {
        gx_map_slot *s = &m->slots[i];
        if (s->key && s->key != GX_MAP_TOMB)
            fn(s->key, s->val, arg);
    }
}

void gx_map_free(gx_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && m->slots[i].key != GX_MAP_TOMB)
            free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof(*m));
}
