/* Token revocation (revoke.h): a time per user and per brand in Redis, checked at hello,
 * and a bus message that closes live sessions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/keys.h"
#include "gigcx/error.h"
#include "gigcx/revoke.h"
#include "gigcx/session.h"
#include "gigcx/util.h"

int gx_revoke_user(gx_server *srv, const char *uid, bool this_second,
                   void (*cb)(redisReply *, void *), void *priv)
{
    long long now = (long long)(gx_now_ms() / 1000) + (this_second ? 1 : 0);
    int rc = gx_redis_cmd(srv->redis, cb, priv, "SET " GX_KEY_REVOKED " %lld", uid, now);
    char at[24];
    snprintf(at, sizeof(at), "%lld", now);
    const char *f[] = {uid, at};
    if (!rc)
        gx_bus_publish(srv->redis, GX_CH_SESS, 'R', f, 2, NULL);
    return rc;
}

int gx_revoke_deactivate(gx_server *srv, const char *id, void (*cb)(redisReply *, void *),
                         void *priv)
{
    /* through this second: a deactivated expert keeps no token, however fresh */
    long long at = (long long)(gx_now_ms() / 1000) + 1;
    int rc = gx_redis_cmd(srv->redis, cb, priv, "SET " GX_KEY_REVOKED " %lld", id, at);
    char at_s[24];
    snprintf(at_s, sizeof(at_s), "%lld", at);
    const char *f[] = {id, at_s, "deactivated"};
    if (!rc) { /* then the plain form, for nodes that know no reason (a rolling upgrade) */
        gx_bus_publish(srv->redis, GX_CH_SESS, 'R', f, 3, NULL);
        gx_bus_publish(srv->redis, GX_CH_SESS, 'R', f, 2, NULL);
    }
    return rc;
}

int gx_revoke_brand(gx_server *srv, const char *brand, void (*cb)(redisReply *, void *), void *priv)
{
    return gx_redis_cmd(srv->redis, cb, priv, "SET " GX_KEY_REVOKED_BRAND " %lld", brand,
                        (long long)(gx_now_ms() / 1000));
}

void gx_revoke_on_event(gx_server *srv, const char *uid, int64_t at_s, const char *why)
{
    const char *reason =
        why && strcmp(why, "deactivated") == 0 ? "expert deactivated" : "token revoked";
    for (gx_session *s = gx_session_first(srv); s; s = gx_session_next(s))
        if (s->state >= GX_SS_AUTHING && s->who.iat < at_s && strcmp(s->who.uid, uid) == 0)
            gx_session_close(s, 4401, reason, false);
}

bool gx_revoke_applies(int64_t iat_s, const char *user_at, const char *brand_at)
{
    return (user_at && iat_s < atoll(user_at)) || (brand_at && iat_s < atoll(brand_at));
}
