/* POST /api/v1/admin/shed {share | count, over_s?}: closes that many of this node's
 * WebSocket sockets with 1001 over over_s seconds (shed.h), so a node that rejoined gets
 * load back through the balancer. The admin key is checked by the router. It acts on this
 * node only: the operator calls the node that has too much. */
#include <stdio.h>
#include <string.h>
#include "gigcx/audit.h"
#include "gigcx/error.h"
#include "gigcx/http_api.h"
#include "gigcx/shed.h"
#include "gigcx/validate.h"

#define GX_SHED_COUNT_MAX 1000000

/* The body's fields are share, count and over_s, nothing else: a misspelt "shares" must
 * not shed the default instead of what was meant. */
static bool known_fields(gx_http_req *r, json_t *o)
{
    static const char *const known[] = {"share", "count", "over_s", NULL};
    char why[200];
    if (gx_validate_known(o, known, why, sizeof(why)))
        return true;
    gx_http_error(r, GX_EBADREQ, "%s", why);
    return false;
}

/* How many to shed: share in (0, 1] of the sockets, or count of them (at least 1); exactly
 * one of the two. -1 after answering 400. */
static int wanted(gx_http_req *r, json_t *o)
{
    json_t *share = json_object_get(o, "share"), *count = json_object_get(o, "count");
    double f = json_number_value(share);
    json_int_t c = json_integer_value(count);
    if (!share == !count)
        gx_http_error(r, GX_EBADREQ,
                      "give exactly one of 'share' (a number in (0, 1]) and "
                      "'count' (an integer >= 1)");
    else if (share && (!json_is_number(share) || !(f > 0 && f <= 1)))
        gx_http_error(r, GX_EBADREQ, "'share' must be a number in (0, 1]");
    else if (count && (!json_is_integer(count) || c < 1 || c > GX_SHED_COUNT_MAX))
        gx_http_error(r, GX_EBADREQ, "'count' must be an integer from 1 to %d", GX_SHED_COUNT_MAX);
    else
        return share ? gx_shed_count(gx_req_srv(r), f) : (int)c;
    return -1;
}

void gx_http_shed(gx_http_req *r)
{
    json_t *o = gx_http_api_body(r);
    long over_s;
    char why[160];
    if (!o || !known_fields(r, o))
        return;
    int n = wanted(r, o);
    if (n < 0)
        return;
    if (!gx_validate_int(o, "over_s", 1, 60, GX_SHED_WINDOW_S, true, &over_s, why, sizeof(why))) {
        gx_http_error(r, GX_EBADREQ, "%s", why);
        return;
    }
    int open = gx_shed_candidates(gx_req_srv(r));
    int rc = gx_shed_start(gx_req_srv(r), n, (int)over_s * 1000, GX_SHED_LOAD);
    if (rc == GX_ECONFLICT) {
        gx_http_error(r, rc, "%s",
                      gx_req_srv(r)->draining || gx_req_srv(r)->net.stopping
                          ? "the node is draining"
                          : "a shed is in progress; wait for it to end");
        return;
    }
    if (rc < 0) {
        gx_http_error(r, rc, "out of memory");
        return;
    }
    char detail[80];
    snprintf(detail, sizeof(detail), "%d of %d sockets over %ld s", rc, open, over_s);
    gx_audit(gx_req_srv(r), NULL, "admin", "node.shed", gx_req_srv(r)->cfg->node_id, detail);
    gx_http_reply_json(
        r, 202, json_pack("{s:i, s:i, s:i}", "shedding", rc, "open", open, "over_s", (int)over_s));
}
