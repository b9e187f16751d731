/* The WebSocket route table (ws_routes.c). */
#ifndef GIGCX_WS_ROUTES_H
#define GIGCX_WS_ROUTES_H

#include <stddef.h>
#include "gigcx/conn.h"

/* One whole text frame from a client (the transport's ws_frame hook): hello first, then the
 * frame types its role may send, within its flood limits. */
void gx_ws_routes_frame(gx_conn *c, const char *data, size_t len);

#endif
