/* queue.get: why an expert's console is quiet (what waits, and what keeps it from them). */
#ifndef GIGCX_QUEUE_INFO_H
#define GIGCX_QUEUE_INFO_H

#include <stdbool.h>
#include <jansson.h>
#include "gigcx/session.h"

void gx_queue_info_on_get(gx_session *s, json_t *msg, const char *ref);

#endif
