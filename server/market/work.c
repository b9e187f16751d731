/* work.list: a user's claims since a time (work_list.lua reads them and their task hashes in
 * one script), each told from the user's side. The hash keeps only a task's latest holder of
 * each role (expert, staff), so what became of an earlier holder's part is "released": the
 * task went on without them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/party.h"
#include "gigcx/pii.h"
#include "gigcx/privacy.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/util.h"
#include "gigcx/work.h"

static bool is(const char *a, const char *b)
{
    return strcmp(a, b) == 0;
}

static gx_party party(const gx_claims *who, const char *const *f)
{
    gx_task_people p = {.brand = f[GX_WORK_BRAND],
                        .customer = "",
                        .assignee = f[GX_WORK_ASSIGNEE],
                        .assignee_role = f[GX_WORK_ASSIGNEE_ROLE],
                        .expert = f[GX_WORK_EXPERT],
                        .staff = f[GX_WORK_STAFF]};
    return gx_party_of(who->uid, &p);
}

const char *gx_work_outcome(const gx_claims *who, const char *const *f)
{
    const char *status = f[GX_WORK_STATUS];
    gx_party pt = party(who, f);
    bool holds = pt == GX_PARTY_ASSIGNEE;
    if (holds && (is(status, "assigned") || is(status, "escalated")))
        return "active";
    if (is(status, "resolved") && is(f[GX_WORK_RESOLVED_BY], who->uid))
        return "resolved";
    /* only an expert escalates, and no expert holds a task after that, so the last expert
     * with an escalation by name (not the queue's time-out) is the one who escalated it */
    if (who->role == GX_ROLE_EXPERT && pt == GX_PARTY_PAST && f[GX_WORK_ESCALATED_BY_NAME][0])
        return "escalated";
    /* ended while theirs, or after they let it go with nobody taking it since */
    bool last = holds || (pt == GX_PARTY_PAST && !f[GX_WORK_ASSIGNEE][0]);
    if (last && (is(status, "cancelled") || is(status, "expired")))
        return status;
    return "released";
}

/* When the user's part ended, or 0 when the hash cannot say (someone held it after them). */
static long long ended_at(const gx_claims *who, const char *const *f, const char *outcome)
{
    static const struct {
        const char *outcome;
        int field;
    } stamp[] = {{"resolved", GX_WORK_RESOLVED_AT},
                 {"escalated", GX_WORK_ESCALATED_AT},
                 {"cancelled", GX_WORK_CANCELLED_AT},
                 {"expired", GX_WORK_EXPIRED_AT}};
    for (size_t i = 0; i < sizeof(stamp) / sizeof(stamp[0]); i++)
        if (is(outcome, stamp[i].outcome))
            return atoll(f[stamp[i].field]);
    if (!is(outcome, "released"))
        return 0;
    if (is(f[GX_WORK_TAKEN_OVER_FROM], who->uid))
        return atoll(f[GX_WORK_TAKEN_OVER_AT]);
    return party(who, f) == GX_PARTY_PAST ? atoll(f[GX_WORK_RELEASED_AT]) : 0;
}

/* The rating is charged to whoever resolved the task, or held it when the customer ended it
 * (rate.lua); a tier-1 expert reads the customer's comment masked. */
static void rating_fields(json_t *o, const gx_session *s, const char *const *f, const char *out)
{
    if (!f[GX_WORK_RATING][0] || !(is(out, "resolved") || is(out, "cancelled")))
        return;
    json_object_set_new(o, "rating", json_integer(atoi(f[GX_WORK_RATING])));
    const char *c = f[GX_WORK_RATING_COMMENT];
    if (!c[0])
        return;
    char *m = gx_privacy_masked(s) ? gx_pii_mask(c, strlen(c), NULL) : NULL;
    json_object_set_new(o, "rating_comment", json_string(m ? m : gx_privacy_masked(s) ? "" : c));
    free(m);
}

static json_t *item(const gx_session *s, const char *const *f)
{
    const char *out = gx_work_outcome(&s->who, f);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}, s:I, s:s}", "task", f[GX_WORK_TASK], "brand",
                  f[GX_WORK_BRAND], "topic", f[GX_WORK_TOPIC], "language", f[GX_WORK_LANG],
                  "status", f[GX_WORK_STATUS], "customer", "name", f[GX_WORK_CUSTOMER_NAME],
                  "claimed_at", (json_int_t)atoll(f[GX_WORK_CLAIMED_AT]), "outcome", out);
    if (!o)
        return NULL;
    long long end = ended_at(&s->who, f, out);
    if (end > 0)
        json_object_set_new(o, "ended_at", json_integer(end));
    /* staff are the brand's employees: the crowd's pay is not theirs to see */
    json_t *pay = is(out, "resolved") && s->who.role != GX_ROLE_STAFF
                      ? json_loads(f[GX_WORK_PAY], 0, NULL)
                      : NULL;
    if (json_is_object(pay))
        json_object_set(o, "pay", pay);
    json_decref(pay);
    rating_fields(o, s, f, out);
    if (f[GX_WORK_SUMMARY][0])
        json_object_set_new(o, "summary", json_string(f[GX_WORK_SUMMARY]));
    if (gx_privacy_masked(s))
        gx_privacy_mask(o); /* the customer's first name only, as in task.assigned */
    return o;
}

static void on_listed(redisReply *r, void *priv)
{
    gx_req *q = priv;
    if (gx_reply_status(r)) {
        gx_request_fail(q, GX_EUNAVAIL);
        return;
    }
    json_t *tasks = json_array();
    for (size_t i = 1; i + GX_WORK_FIELDS <= r->elements; i += GX_WORK_FIELDS) {
        const char *f[GX_WORK_FIELDS];
        for (size_t k = 0; k < GX_WORK_FIELDS; k++)
            f[k] = gx_reply_str(r, i + k);
        json_t *o = item(q->s, f);
        if (o)
            json_array_append_new(tasks, o);
    }
    json_t *out = json_pack("{s:s, s:o}", "type", "work.list", "tasks", tasks);
    gx_session_send_json(q->s, out, gx_request_ref(q));
    json_decref(out);
    gx_request_free(q);
}

void gx_work_on_list(gx_session *s, json_t *msg, const char *ref)
{
    long long now = (long long)gx_now_ms();
    long since, limit;
    if (!gx_request_field_int(s, msg, "since", 0, 1L << 53, (long)(now - GX_WORK_SINCE_DEFAULT_MS),
                              ref, &since) ||
        !gx_request_field_int(s, msg, "limit", 1, GX_WORK_LIMIT_MAX, GX_WORK_LIMIT_DEFAULT, ref,
                              &limit))
        return;
    if (since < now - GX_WORK_SINCE_MAX_MS) { /* the index keeps 35 days; promise 31 */
        gx_session_error(s, GX_EBADREQ, ref, "'since' must be within the last 31 days");
        return;
    }
    gx_req *q = gx_request_new(s, ref, NULL);
    if (!q)
        return;
    char key[160], from[24], count[16];
    snprintf(key, sizeof(key), GX_KEY_USER_WORK, s->who.uid);
    snprintf(from, sizeof(from), "%ld", since);
    snprintf(count, sizeof(count), "%ld", limit);
    const char *argv[] = {key, from, count};
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_WORK_LIST, on_listed, q, 1, 3, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}
