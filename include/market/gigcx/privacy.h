/* What tier-1 experts see: personal data masked (pii.h) in every frame sent to them:
 * offer previews, task.assigned (history and the customer's name), live chat, typing,
 * history pages and resumed messages. Stored transcripts and everyone else see the
 * original. */
#ifndef GIGCX_PRIVACY_H
#define GIGCX_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "gigcx/buf.h"
#include "gigcx/session.h"

/* True when s gets personal data masked: experts below tier 2. */
bool gx_privacy_masked(const gx_session *s);

/* Masks, in place, the personal fields of one outgoing object: "text" and "preview" (as
 * chat messages: digit runs at either edge too, see gx_pii_mask_message), the customer's
 * "name" (to the first name, or whole when it is an e-mail or phone) in "customer" or in a
 * customer's "from", and every message of a "history" or "messages" array. True when
 * anything changed. */
bool gx_privacy_mask(json_t *o);

/* For fan-outs of one pre-encoded frame: the masked variant, built on first use and kept
 * in *cache (a reference; the caller unrefs it, NULL-safe). Returns the frame to send s:
 * the original for those who see it unmasked, or when masking changed nothing. */
gx_buf *gx_privacy_frame(const gx_session *s, gx_buf *orig, gx_buf **cache, bool *tried);

#endif
