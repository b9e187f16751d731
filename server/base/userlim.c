/* Per-user flood limits over all of a user's sockets on this process (userlim.h). */
#include <stdlib.h>
#include "gigcx/userlim.h"

gx_userlim *gx_userlim_attach(gx_map *limits, const char *uid, double burst, int64_t now_ms)
{
    gx_userlim *u = gx_map_get(limits, uid);
    if (!u) {
        u = calloc(1, sizeof(*u));
        if (!u)
            return NULL;
        gx_bucket_init(&u->b, burst, now_ms);
        u->share = 1.0;
        if (gx_map_set(limits, uid, u)) {
            free(u);
            return NULL;
        }
    }
    u->sockets++;
    return u;
}

void gx_userlim_detach(gx_map *limits, const char *uid)
{
    gx_userlim *u = gx_map_get(limits, uid);
    if (u && --u->sockets <= 0)
        free(gx_map_del(limits, uid));
}

static void free_one(const char *key, void *val, void *arg)
{
    (void)key;
    (void)arg;
    free(val);
}

void gx_userlim_free_all(gx_map *limits)
{
    gx_map_each(limits, free_one, NULL);
    gx_map_free(limits);
}

double gx_userlim_rate(int ws_rate, int user_rate)
{
    return user_rate > ws_rate ? user_rate : ws_rate;
}

bool gx_userlim_take(gx_userlim *u, double rate, int64_t now_ms)
{
    double r = rate * u->share;
    if (!gx_bucket_take(&u->b, r, 2.0 * r, now_ms))
        return false;
    u->used++;
    return true;
}
