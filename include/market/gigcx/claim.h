/* Claims: the one place a task gets an owner (claim.lua), and the claims a node holds back
 * while one of its own for the same task is in Redis. */
#ifndef GIGCX_CLAIM_H
#define GIGCX_CLAIM_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

/* claim.c */
void gx_claim_on_request(gx_session *s, json_t *msg, const char *ref);
/* Frees the claims a task's entry still holds back (at exit). */
void gx_claim_free_all(gx_tlocal *t);

#endif
