/* Revocation before expiry: a user's tokens issued before a moment (gx:revoked:<uid>), or
 * every customer and staff token of a brand issued before its key was rotated
 * (gx:revoked:b:<brand>), are refused at hello; a user's live sessions on every process
 * are closed with 4401 when it happens. Times are token iat seconds: a token issued in the
 * same second as the revocation stays valid, so one minted right after it always works. */
#ifndef GIGCX_REVOKE_H
#define GIGCX_REVOKE_H

#include <stdint.h>
#include <hiredis/hiredis.h>
#include "gigcx/server.h"

/* Revokes every token of uid issued before this second (through it as well with
 * this_second: for a user who is gone, nothing minted now may pass), and closes the user's
 * sessions everywhere. cb (may be NULL) gets the
 * reply of the write: the revocation holds only when Redis stored it. Returns 0 or a
 * GX_E* code when the command could not be sent. */
int gx_revoke_user(gx_server *srv, const char *uid, bool this_second,
                   void (*cb)(redisReply *, void *), void *priv);
/* An expert's deactivation: every token of expert id issued up to this second is revoked
 * (cb gets the write's reply) and its sessions everywhere close with 4401 "expert
 * deactivated". Returns 0 or a GX_E* code when the command could not be sent. */
int gx_revoke_deactivate(gx_server *srv, const char *id, void (*cb)(redisReply *, void *),
                         void *priv);
/* The same for every customer and staff token of brand (a rotated key), checked at hello;
 * live sessions are left alone. */
int gx_revoke_brand(gx_server *srv, const char *brand, void (*cb)(redisReply *, void *),
                    void *priv);
/* A revocation published by any process: closes this process's sessions of uid whose
 * token was issued before at_s; why (NULL, or "deactivated") picks the close reason. */
void gx_revoke_on_event(gx_server *srv, const char *uid, int64_t at_s, const char *why);
/* True when a token issued at iat_s is revoked by either stored time (NULL: none). */
bool gx_revoke_applies(int64_t iat_s, const char *user_at, const char *brand_at);

#endif
