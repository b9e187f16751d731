/* A string-keyed hash map (open addressing, linear probing, tombstones) for the
 * process-local indexes: tasks, brands and experts by id. Keys are copied; values are
 * borrowed pointers the caller owns. Not thread-safe: the loop is its only user. */
#ifndef GIGCX_MAP_H
#define GIGCX_MAP_H

#include <stddef.h>

typedef struct {
    char *key; /* owned; NULL = empty, GX_MAP_TOMB = deleted */
    void *val; /* borrowed */
} gx_map_slot;

typedef struct {
    gx_map_slot *slots;
    size_t cap;  /* power of two, or 0 */
    size_t used; /* live entries */
    size_t fill; /* live + tombstones */
} gx_map;

/* Returns the value for key, or NULL. */
void *gx_map_get(const gx_map *m, const char *key);
/* Sets key to val (val must not be NULL). Returns 0, or -1 when out of memory. */
int gx_map_set(gx_map *m, const char *key, void *val);
/* Removes key; returns its value or NULL when absent. */
void *gx_map_del(gx_map *m, const char *key);
/* Calls fn for each entry; fn must not change the map. */
void gx_map_each(const gx_map *m, void (*fn)(const char *key, void *val, void *arg), void *arg);
/* Frees the table and keys (not the values). */
void gx_map_free(gx_map *m);

#endif
