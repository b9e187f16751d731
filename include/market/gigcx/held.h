/* The offers a session holds (held.c): what the spreading limit counts, what a higher
 * priority task displaces, and what a pull must not offer twice. */
#ifndef GIGCX_HELD_H
#define GIGCX_HELD_H

#include "gigcx/session.h"

/* Records that s holds t's offer; -1 when out of memory. */
int gx_held_add(gx_session *s, gx_tlocal *t, int prio, long long created, long long expires);
/* The index of task's offer in s->offers, or -1. */
int gx_held_find(const gx_session *s, const char *task);
/* Forgets offer i (the order of the others may change). */
void gx_held_del(gx_session *s, int i);
/* The offer a higher priority would displace: the lowest priority, then the newest; -1 when
 * s holds none. */
int gx_held_lowest(const gx_session *s);
/* Takes s off the holders of its offer i and forgets it, telling s why with an
 * offer.withdrawn (ref may be NULL). The session's ranking and room are for the caller. */
void gx_held_withdraw(gx_session *s, int i, const char *reason, const char *ref);

#endif
