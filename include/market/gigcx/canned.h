/* Canned responses: texts an expert or staff member inserts into the composer. A brand
 * sets its own (PUT /api/v1/brands/{id} `canned`, checked here); each expert or staff
 * member keeps personal ones in Redis (gx:u:<uid>:canned). Frames: canned.list,
 * canned.save, canned.delete (docs/protocol.md). */
#ifndef GIGCX_CANNED_H
#define GIGCX_CANNED_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gigcx/session.h"

#define GX_CANNED_BRAND_MAX 200 /* a brand's responses */
#define GX_CANNED_MINE_MAX 100  /* a user's personal responses */
#define GX_CANNED_TITLE_MAX 80  /* characters */
#define GX_CANNED_TEXT_MAX 2000 /* characters */

/* True when v is a brand's `canned`: an array of at most GX_CANNED_BRAND_MAX objects holding
 * exactly title (1..80 chars) and text (1..2000); else false with why filled. */
bool gx_canned_check(json_t *v, char *why, size_t whylen);

void gx_canned_on_list(gx_session *s, json_t *msg, const char *ref);
void gx_canned_on_save(gx_session *s, json_t *msg, const char *ref);
void gx_canned_on_delete(gx_session *s, json_t *msg, const char *ref);

#endif
