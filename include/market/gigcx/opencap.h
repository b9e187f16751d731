/* The cap on one customer's open tasks (--customer-open-max), counted from Redis so that
 * more sockets, reconnects or other processes do not raise it. */
#ifndef GIGCX_OPENCAP_H
#define GIGCX_OPENCAP_H

#include <jansson.h>
#include "gigcx/session.h"

typedef void (*gx_opencap_go)(gx_session *s, json_t *msg, const char *ref);

/* Calls go(s, msg, ref) once the customer has fewer open tasks than the cap (at once when
 * the cap is off), if s is still live; otherwise answers capacity, or unavailable when
 * Redis cannot say. msg is kept (a reference) until then. */
void gx_opencap_check(gx_session *s, json_t *msg, const char *ref, gx_opencap_go go);

#endif
