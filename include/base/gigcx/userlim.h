/* The flood limit of one user over all its sockets on this process, so opening 40 sockets
 * does not multiply a user's frame rate by 40. Entries live while the user has a socket
 * here. Across processes each keeps its own (documented in docs/protocol.md). */
#ifndef GIGCX_USERLIM_H
#define GIGCX_USERLIM_H

#include <stdbool.h>
#include <stdint.h>
#include "gigcx/bucket.h"
#include "gigcx/map.h"

typedef struct gx_userlim {
    gx_bucket b;
    int sockets; /* sessions of this user here that hold the entry */
} gx_userlim;

/* The user's entry, made on its first socket (NULL only when out of memory). */
gx_userlim *gx_userlim_attach(gx_map *limits, const char *uid, double burst, int64_t now_ms);
/* One socket of the user is gone; the entry goes with the last. */
void gx_userlim_detach(gx_map *limits, const char *uid);
/* Frees every entry (at shutdown). */
void gx_userlim_free_all(gx_map *limits);

#endif
