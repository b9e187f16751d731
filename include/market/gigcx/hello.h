/* The first frame of a WebSocket session: the token, welcome, resume, and one session per
 * expert across every node. */
#ifndef GIGCX_HELLO_H
#define GIGCX_HELLO_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

void gx_hello_on_request(gx_session *s, json_t *msg, const char *ref);
/* A published session number for user (another hello somewhere). */
void gx_hello_on_session_event(gx_server *srv, const char *user, int64_t n);

#endif
