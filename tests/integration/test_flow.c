/* The whole task flow on one node, as the users do it: offers, a claim with history,
 * chat both ways with dedup, typing, history paging, release and re-offer, resolve, rate,
 * cancel and escalation to staff, capacity, backlog order, REST reads, health and metrics. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

/* The slow reader's 48 histories of 160 KiB are 7.7 MB of Redis replies: on a loaded machine
 * under ASan they may take longer than the default 5 s command timeout. */
static const char *const flow_args[] = {"--redis-timeout", "30000", NULL};
GXT_FIXTURES(1, flow_args)

/* An available expert with its own id. */
static gxt_conn *expert(const char *id, int capacity)
{
    gxt_expert(&env, id, "acme", capacity);
    char *tok = gxt_token(&env, id, "expert", NULL);
    gxt_conn *c = gxt_login(&env, 0, tok, NULL, NULL);
    free(tok);
    gxt_send(c, "{s:s, s:s, s:s}", "type", "presence.set", "status", "available", "ref", "p");
    json_t *p = gxt_must(c, "presence", 3000);
    assert_string_equal(gxt_str(p, "status"), "available");
    assert_string_equal(gxt_str(p, "ref"), "p");
    json_decref(p);
    return c;
}

/* A new task claimed by a new available expert (*e), its customer connected (*cu). */
static json_t *claimed(const char *id, const char *customer, const char *text, gxt_conn **e,
                       gxt_conn **cu)
{
    *e = expert(id, 1);
    json_t *t = gxt_task(&env, 0, env.api_key, customer, text, 0);
    *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(*e, "offer", 3000));
    gxt_send(*e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(t, "task"));
    json_decref(gxt_must(*e, "task.assigned", 3000));
    return t;
}

static void test_offer_claim_chat_resolve_rate(void **state)
{
    (void)state;
    gxt_conn *e1 = expert("f1", 3), *e2 = expert("f2", 3);
    json_t *t = gxt_task(&env, 0, env.api_key, "cust1", "I was charged twice", 0);
    const char *task = gxt_str(t, "task");
    assert_string_equal(gxt_str(t, "status"), "queued");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);

    json_t *o1 = gxt_must(e1, "offer", 3000), *o2 = gxt_must(e2, "offer", 3000);
    assert_string_equal(gxt_str(o1, "task"), task);
    assert_string_equal(gxt_str(o1, "preview"), "I was charged twice");
    assert_true(json_integer_value(json_object_get(o1, "expires_at")) >
                json_integer_value(json_object_get(o1, "created_at")));
    json_decref(o1);
    json_decref(o2);

    gxt_send(e1, "{s:s, s:s, s:s}", "type", "task.claim", "task", task, "ref", "c1");
    json_t *a = gxt_must(e1, "task.assigned", 3000);
    assert_string_equal(gxt_str(a, "ref"), "c1");
    json_t *h0 = json_array_get(json_object_get(a, "history"), 0);
    assert_string_equal(gxt_str(h0, "cid"), "open");
    assert_string_equal(gxt_str(h0, "text"), "I was charged twice");
    /* a tier-1 expert knows the customer by first name only */
    assert_string_equal(gxt_str(json_object_get(a, "customer"), "name"), "Ann");
    json_decref(a);
    json_t *w = gxt_must(e2, "offer.withdrawn", 3000);
    assert_string_equal(gxt_str(w, "reason"), "claimed");
    json_decref(w);
    json_t *u = gxt_must(cu, "task.update", 3000);
    assert_string_equal(gxt_str(u, "status"), "assigned");
    assert_string_equal(gxt_str(json_object_get(u, "expert"), "name"), "f1");
    json_decref(u);
    gxt_send(e2, "{s:s, s:s}", "type", "task.claim", "task", task);
    assert_string_equal(gxt_error_code(e2, 3000), "conflict");
    assert_int_equal(gxt_count(cu, "chat.message"), 0); /* the opening text is never pushed */

    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "hello?", "cid",
             "k1");
    json_t *ack = gxt_must(cu, "chat.ack", 3000);
    json_t *m1 = gxt_must(e1, "chat.message", 3000), *m1c = gxt_must(cu, "chat.message", 3000);
    assert_string_equal(gxt_str(ack, "id"), gxt_str(m1, "id"));
    assert_string_equal(gxt_str(m1c, "id"), gxt_str(m1, "id"));
    assert_string_equal(gxt_str(json_object_get(m1, "from"), "role"), "customer");
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "again", "cid",
             "k1");
    json_t *ack2 = gxt_must(cu, "chat.ack", 3000);
    assert_string_equal(gxt_str(ack2, "id"),
                        gxt_str(ack, "id")); /* same cid: same id, nothing new */
    gxt_pump(&env, 200);
    assert_int_equal(gxt_count(e1, "chat.message"), 0);
    json_decref(ack);
    json_decref(ack2);
    json_decref(m1);
    json_decref(m1c);

    gxt_send(e1, "{s:s, s:s}", "type", "chat.typing", "task", task);
    json_t *ty = gxt_must(cu, "chat.typing", 3000);
    assert_string_equal(gxt_str(json_object_get(ty, "from"), "role"), "expert");
    json_decref(ty);
    for (int i = 0; i < 5; i++) {
        char cid[8];
        snprintf(cid, sizeof(cid), "x%d", i);
        gxt_send(e1, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", cid, "cid",
                 cid);
        json_decref(gxt_must(e1, "chat.ack", 3000));
    }
    gxt_send(e1, "{s:s, s:s, s:i}", "type", "chat.history", "task", task, "limit", 3);
    json_t *hist = gxt_must(e1, "chat.history", 3000);
    json_t *msgs = json_object_get(hist, "messages");
    assert_int_equal(json_array_size(msgs), 3);
    assert_string_equal(gxt_str(json_array_get(msgs, 2), "text"), "x4"); /* oldest first */
    gxt_send(e1, "{s:s, s:s, s:i, s:s}", "type", "chat.history", "task", task, "limit", 10,
             "before", gxt_str(json_array_get(msgs, 0), "id"));
    json_t *older = gxt_must(e1, "chat.history", 3000);
    json_t *om = json_object_get(older, "messages");
    assert_int_equal(json_array_size(om), 4); /* open, hello?, x0, x1 */
    assert_string_equal(gxt_str(json_array_get(om, 0), "cid"), "open");
    json_decref(hist);
    json_decref(older);

    gxt_send(e1, "{s:s, s:s, s:s}", "type", "task.resolve", "task", task, "ref", "r");
    json_t *ru = gxt_must(e1, "task.update", 3000);
    assert_string_equal(gxt_str(ru, "status"), "resolved");
    assert_string_equal(gxt_str(ru, "ref"), "r");
    json_decref(ru);
    json_t *rc = gxt_expect(cu, "task.update", 3000);
    assert_string_equal(gxt_str(rc, "status"), "resolved");
    json_decref(rc);
    gxt_send(e1, "{s:s, s:s}", "type", "task.resolve", "task", task);
    assert_string_equal(gxt_error_code(e1, 3000), "conflict");
    gxt_send(cu, "{s:s, s:s, s:i, s:s}", "type", "task.rate", "task", task, "score", 5, "ref", "q");
    json_t *rated = gxt_must(cu, "task.rated", 3000);
    assert_string_equal(gxt_str(rated, "ref"), "q");
    json_decref(rated);
    gxt_send(cu, "{s:s, s:s, s:i}", "type", "task.rate", "task", task, "score", 4);
    assert_string_equal(gxt_error_code(cu, 3000), "conflict");

    char path[160];
    json_t *got;
    snprintf(path, sizeof(path), "/api/v1/tasks/%s", task);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &got), 200);
    assert_string_equal(gxt_str(got, "status"), "resolved");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(got, "rating"), "score")),
                     5);
    json_decref(got);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", task);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &got), 200);
    assert_int_equal(json_array_size(json_object_get(got, "messages")), 7);
    json_decref(got);
    json_decref(t);
    gxt_close(e1);
    gxt_close(e2);
    gxt_close(cu);
}

/* Frames queued for one socket in the same moment go out in one write, framed by gigcxd:
 * messages of every header size (7-bit, 16-bit lengths) sent back to back arrive whole,
 * in order, each with its ack, and a history bigger than one batch arrives whole too. */
static void test_frames_sent_together_arrive_whole(void **state)
{
    (void)state;
    gxt_conn *e, *cu;
    json_t *t = claimed("f9", "cust9", "batch me", &e, &cu);
    const char *task = gxt_str(t, "task");
    enum { N = 40 }; /* within the flood limit's burst of 100 */
    static const size_t lens[] = {1, 125, 126, 300, 4000, 4000, 4000, 4000};
    char *text[N];
    for (int i = 0; i < N; i++) { /* all sent before any reply is read */
        size_t n = lens[i % 8];
        text[i] = malloc(n + 1);
        memset(text[i], 'a' + i % 26, n);
        text[i][n] = '\0';
        char cid[8];
        snprintf(cid, sizeof(cid), "b%d", i);
        gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text[i],
                 "cid", cid);
    }
    for (int i = 0; i < N; i++) {
        json_decref(gxt_must(cu, "chat.ack", 3000));
        json_t *mine = gxt_must(cu, "chat.message", 3000),
               *theirs = gxt_must(e, "chat.message", 3000);
        assert_string_equal(gxt_str(mine, "text"), text[i]);
        assert_string_equal(gxt_str(theirs, "text"), text[i]);
        json_decref(mine);
        json_decref(theirs);
    }
    gxt_send(e, "{s:s, s:s, s:i}", "type", "chat.history", "task", task, "limit", 200);
    json_t *h = gxt_must(e, "chat.history", 3000);
    json_t *msgs = json_object_get(h, "messages"); /* over 64 KiB: one frame of its own */
    assert_int_equal(json_array_size(msgs), N + 1);
    assert_string_equal(gxt_str(json_array_get(msgs, N), "text"), text[N - 1]);
    json_decref(h);
    for (int i = 0; i < N; i++)
        free(text[i]);
    json_decref(t);
    gxt_close(e);
    gxt_close(cu);
}

/* A reader that stops reading: the kernel takes part of a frame, then nothing; the rest
 * waits in the server (lws keeps the part the kernel refused, the queue the frames after
 * it) and arrives whole and in order once the reader reads again. */
static void test_slow_reader_gets_everything_in_order(void **state)
{
    (void)state;
    gxt_conn *e, *cu;
    json_t *t = claimed("f10", "cust10", "fill me", &e, &cu);
    const char *task = gxt_str(t, "task");
    enum { M = 40, H = 48 }; /* H histories of ~160 KiB: more than loopback buffers hold */
    char text[4001];
    memset(text, 'q', 4000);
    text[4000] = '\0';
    for (int i = 0; i < M; i++) {
        char cid[8];
        snprintf(cid, sizeof(cid), "s%d", i);
        gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", text, "cid",
                 cid);
    }
    for (int i = 0; i < M; i++)
        json_decref(gxt_must(e, "chat.message", 3000));
    gxc_pause(e->c, true);
    for (int i = 0; i < H; i++) {
        char ref[8];
        snprintf(ref, sizeof(ref), "h%d", i);
        gxt_send(e, "{s:s, s:s, s:i, s:s}", "type", "chat.history", "task", task, "limit", M, "ref",
                 ref);
    }
    /* io_uring: the short path; a loaded machine takes longer to fill the socket (<= 10 s) */
    for (int64_t end = gxt_now_ms() + 10000;;) {
        gxt_pump(&env, 200);
        if (gxt_metric(&env, 0, "gigcx_send_batches_total") == 0 ||
            gxt_metric(&env, 0, "gigcx_sends_short_total") > 0)
            break;
        assert_true(gxt_now_ms() < end);
    }
    gxc_pause(e->c, false);
    for (int i = 0; i < H; i++) {
        json_t *h = gxt_must(e, "chat.history", 5000);
        char ref[8];
        snprintf(ref, sizeof(ref), "h%d", i);
        assert_string_equal(gxt_str(h, "ref"), ref);
        assert_int_equal(json_array_size(json_object_get(h, "messages")), M);
        json_decref(h);
    }
    json_decref(t);
    gxt_close(e);
    gxt_close(cu);
}

static void test_release_reoffers_and_cancel_withdraws(void **state)
{
    (void)state;
    gxt_conn *e1 = expert("g1", 2), *e2 = expert("g2", 2);
    json_t *t = gxt_task(&env, 0, env.api_key, "cust2", "where is my parcel", 0);
    const char *task = gxt_str(t, "task");
    gxt_conn *cu = gxt_login(&env, 0, gxt_str(t, "customer_token"), NULL, NULL);
    json_decref(gxt_must(e1, "offer", 3000));
    json_decref(gxt_must(e2, "offer", 3000));
    gxt_send(e1, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e1, "task.assigned", 3000));
    json_decref(gxt_must(e2, "offer.withdrawn", 3000));
    gxt_send(e2, "{s:s, s:s}", "type", "task.release", "task", task);
    assert_string_equal(gxt_error_code(e2, 3000), "forbidden");
    gxt_send(e1, "{s:s, s:s, s:s}", "type", "task.release", "task", task, "ref", "rel");
    json_t *u = gxt_must(e1, "task.update", 3000);
    assert_string_equal(gxt_str(u, "status"), "queued");
    assert_string_equal(gxt_str(u, "ref"), "rel");
    assert_string_equal(gxt_str(u, "reason"), "released"); /* the expert's doing, not a cut */
    json_decref(u);
    json_t *again = gxt_must(e2, "offer", 3000); /* back in the queue, offered again */
    assert_string_equal(gxt_str(again, "task"), task);
    assert_string_equal(gxt_str(again, "handover"), "released");
    json_decref(again);
    /* the releaser is not offered it back at once: the others go first */
    json_t *back = gxt_expect(e1, "offer", 1000);
    assert_null(back);
    gxt_send(e1, "{s:s, s:s}", "type", "task.cancel", "task", task);
    assert_string_equal(gxt_error_code(e1, 3000), "forbidden");
    gxt_send(cu, "{s:s, s:s, s:s}", "type", "task.cancel", "task", task, "ref", "cx");
    json_t *cu_u;
    do { /* skip the queued/assigned updates that came before */
        cu_u = gxt_must(cu, "task.update", 3000);
        if (strcmp(gxt_str(cu_u, "status"), "cancelled") == 0)
            break;
        json_decref(cu_u);
    } while (1);
    assert_string_equal(gxt_str(cu_u, "ref"), "cx");
    json_decref(cu_u);
    json_t *wd = gxt_must(e2, "offer.withdrawn", 3000);
    assert_string_equal(gxt_str(wd, "reason"), "cancelled");
    json_decref(wd);
    gxt_send(cu, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "hi", "cid",
             "late");
    assert_string_equal(gxt_error_code(cu, 3000), "conflict");
    json_decref(t);
    gxt_close(e1);
    gxt_close(e2);
    gxt_close(cu);
}

static void test_capacity_and_backlog_order(void **state)
{
    (void)state;
    json_t *old = gxt_task(&env, 0, env.api_key, "cust3", "old normal", 0);
    json_t *urgent = gxt_task(&env, 0, env.api_key, "cust4", "urgent one", 9);
    gxt_conn *e = expert("h1", 1); /* going available sends the backlog */
    json_t *b1 = gxt_must(e, "offer", 3000), *b2 = gxt_must(e, "offer", 3000);
    assert_string_equal(gxt_str(b1, "task"), gxt_str(urgent, "task")); /* priority first */
    assert_string_equal(gxt_str(b2, "task"), gxt_str(old, "task"));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(urgent, "task"));
    json_decref(gxt_must(e, "task.assigned", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(old, "task"));
    assert_string_equal(gxt_error_code(e, 3000), "capacity");
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", "no-such-task");
    assert_string_equal(gxt_error_code(e, 3000), "capacity"); /* capacity is checked first */
    gxt_send(e, "{s:s, s:s}", "type", "task.resolve", "task", gxt_str(urgent, "task"));
    json_decref(gxt_must(e, "task.update", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", "no-such-task");
    assert_string_equal(gxt_error_code(e, 3000), "not_found");
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(old, "task"));
    json_decref(gxt_must(e, "task.assigned", 3000));
    json_decref(b1);
    json_decref(b2);
    json_decref(old);
    json_decref(urgent);
    gxt_close(e);
}

static void test_open_over_socket_and_escalate_to_staff(void **state)
{
    (void)state;
    gxt_conn *e = expert("s1", 2);
    char *ct = gxt_token(&env, "sockcust", "customer", "acme");
    char *st = gxt_token(&env, "boss", "staff", "acme");
    gxt_conn *cu = gxt_login(&env, 0, ct, NULL, NULL);
    gxt_conn *sf = gxt_login(&env, 0, st, NULL, NULL);
    gxt_send(sf, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(sf, "presence", 3000));
    gxt_send(cu, "{s:s, s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing", "language",
             "en", "text", "refund please", "ref", "o");
    json_t *cr = gxt_must(cu, "task.created", 3000);
    assert_string_equal(gxt_str(cr, "status"), "queued");
    assert_true(json_integer_value(json_object_get(cr, "position")) >= 1);
    const char *task = gxt_str(cr, "task");
    json_decref(gxt_must(e, "offer", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(e, "task.assigned", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.escalate", "task", task);
    assert_string_equal(gxt_error_code(e, 3000), "bad_request"); /* a reason is required */
    gxt_send(e, "{s:s, s:s, s:s}", "type", "task.escalate", "task", task, "reason", "over limit");
    json_t *eu = gxt_must(e, "task.update", 3000);
    assert_string_equal(gxt_str(eu, "status"), "escalated");
    json_decref(eu);
    json_t *so = gxt_must(sf, "offer", 3000);
    assert_string_equal(gxt_str(so, "task"), task);
    /* staff see the escalation's own clock, its reason and who escalated */
    assert_true(json_integer_value(json_object_get(so, "escalated_at")) >=
                json_integer_value(json_object_get(so, "created_at")));
    assert_string_equal(gxt_str(so, "escalation_reason"), "over limit");
    assert_non_null(json_object_get(so, "escalated_by"));
    json_decref(so);
    gxt_send(sf, "{s:s, s:s}", "type", "ping", "ref", "pg"); /* liveness, no storage */
    json_t *pong = gxt_must(sf, "pong", 3000);
    assert_string_equal(gxt_str(pong, "ref"), "pg");
    json_decref(pong);
    gxt_send(sf, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_t *sa = gxt_must(sf, "task.assigned", 3000);
    assert_true(json_array_size(json_object_get(sa, "history")) >= 1);
    assert_string_equal(gxt_str(sa, "escalation_reason"), "over limit"); /* why it came */
    json_decref(sa);
    gxt_send(sf, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "Boss here",
             "cid", "b1");
    json_t *m = gxt_must(cu, "chat.message", 3000);
    assert_string_equal(gxt_str(json_object_get(m, "from"), "role"), "staff");
    json_decref(m);
    gxt_send(e, "{s:s, s:s, s:s, s:s}", "type", "chat.send", "task", task, "text", "me too", "cid",
             "e9");
    assert_string_equal(gxt_error_code(e, 3000), "forbidden");
    /* but the expert still reads what they wrote, and what came after */
    gxt_send(e, "{s:s, s:s}", "type", "chat.history", "task", task);
    json_t *hist = gxt_must(e, "chat.history", 3000);
    char *text = json_dumps(hist, JSON_COMPACT);
    assert_non_null(strstr(text, "Boss here"));
    free(text);
    json_decref(hist);
    /* a staff release offers the task to the brand's staff again at once */
    char *st2 = gxt_token(&env, "boss2", "staff", "acme");
    gxt_conn *sf2 = gxt_login(&env, 0, st2, NULL, NULL);
    gxt_send(sf2, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(sf2, "presence", 3000));
    gxt_send(sf, "{s:s, s:s, s:s}", "type", "task.release", "task", task, "ref", "sr");
    json_t *su = gxt_must(sf, "task.update", 3000);
    assert_string_equal(gxt_str(su, "status"), "escalated");
    json_decref(su);
    json_t *again = gxt_must(sf2, "offer", 3000);
    assert_string_equal(gxt_str(again, "task"), task);
    json_decref(again);
    gxt_send(sf2, "{s:s, s:s}", "type", "task.claim", "task", task);
    json_decref(gxt_must(sf2, "task.assigned", 3000));
    free(st2);
    gxt_close(sf2);
    json_decref(cr);
    free(ct);
    free(st);
    gxt_close(e);
    gxt_close(cu);
    gxt_close(sf);
}

static void test_health_metrics_static_headers(void **state)
{
    (void)state;
    json_t *h;
    assert_int_equal(gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, &h), 200);
    assert_string_equal(gxt_str(h, "status"), "ok");
    json_decref(h);
    assert_int_equal(gxt_http(&env, 0, "GET", "/metrics", NULL, NULL, NULL, NULL), 200);
    assert_int_equal(gxt_http(&env, 0, "GET", "/nope", NULL, NULL, NULL, NULL), 404);
}

static json_int_t figure(json_t *stats, const char *group, const char *k)
{
    return json_integer_value(json_object_get(json_object_get(stats, group), k));
}

/* The dashboard's reads: brands, experts, marketplace figures that move, any brand's task. */
static void test_admin_reads(void **state)
{
    (void)state;
    json_t *before, *after, *list, *one;
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/admin/stats", "wrong", NULL, NULL, NULL),
                     401);
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/admin/stats", GXT_ADMIN, NULL, NULL, &before), 200);
    gxt_conn *e = expert("ad1", 2);
    json_t *t = gxt_task(&env, 0, env.api_key, "adc", "admin reads", 0);
    json_decref(gxt_must(e, "offer", 3000));
    gxt_send(e, "{s:s, s:s}", "type", "task.claim", "task", gxt_str(t, "task"));
    json_decref(gxt_must(e, "task.assigned", 3000));
    /* nodes publish their figures every second: read until the task and the claim show (at
     * most 10 s, for a loaded machine) */
    after = NULL;
    for (int64_t end = gxt_now_ms() + 10000;;) {
        json_decref(after);
        after = NULL;
        assert_int_equal(
            gxt_http(&env, 0, "GET", "/api/v1/admin/stats", GXT_ADMIN, NULL, NULL, &after), 200);
        if ((figure(after, "counters", "claims_won") > figure(before, "counters", "claims_won") &&
             figure(after, "counters", "tasks_created") >
                 figure(before, "counters", "tasks_created")) ||
            gxt_now_ms() > end)
            break;
        gxt_pump(&env, 50);
    }
    assert_true(figure(after, "counters", "tasks_created") >
                figure(before, "counters", "tasks_created"));
    assert_true(figure(after, "counters", "claims_won") > figure(before, "counters", "claims_won"));
    if (figure(after, "connections", "expert") < 1) { /* seen once under load: say what was read */
        char *dump = json_dumps(after, JSON_COMPACT);
        fail_msg("no expert connection in %s", dump ? dump : "?");
    }
    assert_int_equal(json_integer_value(json_object_get(after, "nodes")), 1);
    json_t *row, *acme = NULL;
    size_t i;
    json_array_foreach(json_object_get(after, "brands"), i,
                       row) if (strcmp(gxt_str(row, "brand"), "acme") == 0) acme = row;
    assert_non_null(acme);
    assert_non_null(json_object_get(acme, "queued"));

    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands", GXT_ADMIN, NULL, NULL, &list), 200);
    assert_true(json_array_size(json_object_get(list, "brands")) >= 1);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/acme", GXT_ADMIN, NULL, NULL, &one),
                     200);
    assert_string_equal(gxt_str(one, "widget_key"),
                        gxt_str(json_array_get(json_object_get(list, "brands"), 0), "widget_key"));
    assert_null(json_object_get(one, "env.api_key")); /* never shown again */
    json_decref(one);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/brands/nosuch", GXT_ADMIN, NULL, NULL, NULL),
                     404);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/experts/ad1", GXT_ADMIN, NULL, NULL, &one),
                     200);
    assert_int_equal(json_integer_value(json_object_get(one, "capacity")), 2);
    json_decref(one);
    json_decref(list);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/experts", GXT_ADMIN, NULL, NULL, &list),
                     200);
    assert_true(json_array_size(json_object_get(list, "experts")) >= 1);
    json_decref(list);

    char path[128];
    snprintf(path, sizeof(path), "/api/v1/tasks/%s", gxt_str(t, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", path, GXT_ADMIN, NULL, NULL, &one), 200);
    assert_string_equal(gxt_str(one, "status"), "assigned");
    json_decref(one);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", gxt_str(t, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", path, GXT_ADMIN, NULL, NULL, &one), 200);
    assert_string_equal(gxt_str(json_array_get(json_object_get(one, "messages"), 0), "text"),
                        "admin reads");
    json_decref(one);
    json_decref(before);
    json_decref(after);
    json_decref(t);
    gxt_close(e);
}

/* A brand with a 1 s queue time-out: by default an unclaimed task expires (holders see the
 * offer withdrawn); a brand that says "escalate" hands it to its staff instead. */
static json_t *timeout_brand(const char *brand, const char *rule, char **key)
{
    char path[96], body[256];
    snprintf(path, sizeof(path), "/api/v1/brands/%s?rotate=1", brand);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"pay\":{\"amount\":1,\"currency\":\"EUR\"},"
             /* the tasks' topic: declared, no expert covers it yet */
             "\"topics\":{\"billing\":{}},\"languages\":[\"en\"],"
             "\"queue_timeout_s\":1,\"on_timeout\":\"%s\"}",
             brand, rule);
    json_t *out;
    assert_int_equal(gxt_http(&env, 0, "PUT", path, GXT_ADMIN, NULL, body, &out) / 100, 2);
    *key = strdup(gxt_str(out, "api_key"));
    json_decref(out);
    json_t *t = gxt_task(&env, 0, *key, "tc", "anyone there?", 0);
    return t;
}

static void test_queue_timeout_expires_or_escalates(void **state)
{
    (void)state;
    char *k1, *k2;
    json_t *t1 = timeout_brand("hurry", "expire", &k1);
    gxt_conn *c1 = gxt_login(&env, 0, gxt_str(t1, "customer_token"), NULL, NULL);
    json_t *u = gxt_must(c1, "task.update", 5000);
    assert_string_equal(gxt_str(u, "status"), "expired");
    json_decref(u);

    char *st = gxt_token(&env, "sf9", "staff", "escal");
    json_t *t2 = timeout_brand("escal", "escalate", &k2);
    gxt_conn *staff = gxt_login(&env, 0, st, NULL, NULL);
    gxt_send(staff, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(staff, "presence", 3000));
    gxt_conn *c2 = gxt_login(&env, 0, gxt_str(t2, "customer_token"), NULL, NULL);
    u = gxt_must(c2, "task.update", 5000);
    assert_string_equal(gxt_str(u, "status"), "escalated");
    json_decref(u);
    json_t *o = gxt_must(staff, "offer", 3000); /* the brand's staff are offered it */
    assert_string_equal(gxt_str(o, "task"), gxt_str(t2, "task"));
    json_decref(o);
    /* out of the experts' queue, into the escalations' */
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "ZSCORE gx:{b:escal}:q %s", gxt_str(t2, "task"));
    char *r = gxt_redis(&env, cmd);
    assert_string_equal(r ? r : "", "$-1\r\n");
    free(r);
    snprintf(cmd, sizeof(cmd), "ZSCORE gx:{b:escal}:esc %s", gxt_str(t2, "task"));
    r = gxt_redis(&env, cmd);
    assert_true(r && r[0] == '$' && r[1] != '-');
    free(r);
    json_t *got;
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/brands/escal");
    assert_int_equal(gxt_http(&env, 0, "GET", path, GXT_ADMIN, NULL, NULL, &got), 200);
    assert_string_equal(gxt_str(got, "on_timeout"), "escalate");
    json_decref(got);
    gxt_close(c1);
    gxt_close(c2);
    gxt_close(staff);
    json_decref(t1);
    json_decref(t2);
    free(k1);
    free(k2);
    free(st);
}

/* The brand's task list: newest first, pages joined by the cursor with nothing missed or
 * repeated, filters by status and topic, another brand sees none of it. Tasks made in the
 * same millisecond may come in either order (by id), so order is checked by created_at. */
static void test_task_listing(void **state)
{
    (void)state;
    char *key = gxt_brand(&env, "lister");
    json_t *made = json_array();
    for (int i = 0; i < 7; i++) {
        json_t *t = gxt_task(&env, 0, key, "lc", "list me", 0);
        json_array_insert_new(made, 0, json_string(gxt_str(t, "task"))); /* newest first */
        json_decref(t);
    }
    json_t *seen = json_array();
    json_int_t last_at = LLONG_MAX;
    char last_id[80] = "";
    char path[256] = "/api/v1/tasks?limit=3";
    for (int page = 0; page < 5; page++) {
        json_t *out;
        assert_int_equal(gxt_http(&env, 0, "GET", path, key, NULL, NULL, &out), 200);
        size_t i;
        json_t *row;
        json_array_foreach(json_object_get(out, "tasks"), i, row)
        {
            json_int_t at = json_integer_value(json_object_get(row, "created_at"));
            const char *id = gxt_str(row, "task");
            assert_true(at > 0 && at <= last_at); /* newest first, across pages too */
            if (at == last_at)                    /* the same millisecond: descending ids */
                assert_true(strcmp(id, last_id) < 0);
            last_at = at;
            snprintf(last_id, sizeof(last_id), "%s", id);
            json_array_append_new(seen, json_string(gxt_str(row, "task")));
        }
        const char *next = gxt_str(out, "next_cursor");
        bool more = next[0];
        snprintf(path, sizeof(path), "/api/v1/tasks?limit=3&cursor=%s", next);
        json_decref(out);
        if (!more)
            break;
    }
    assert_int_equal(json_array_size(seen), json_array_size(made)); /* each of them once */
    size_t i, j;
    json_t *x, *y;
    json_array_foreach(made, i, x)
    {
        int times = 0;
        json_array_foreach(seen, j, y) times += json_equal(x, y);
        assert_int_equal(times, 1);
    }
    json_t *out;
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?status=resolved", key, NULL, NULL, &out), 200);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 0);
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/tasks?topic=billing&status=queued", key,
                              NULL, NULL, &out),
                     200);
    assert_int_equal(json_array_size(json_object_get(out, "tasks")), 7);
    json_decref(out);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/tasks?limit=0", key, NULL, NULL, NULL), 400);
    assert_int_equal(gxt_http(&env, 0, "GET", "/api/v1/tasks?cursor=junk", key, NULL, NULL, NULL),
                     400);
    /* acme's key lists acme's tasks only */
    assert_int_equal(
        gxt_http(&env, 0, "GET", "/api/v1/tasks?limit=200", env.api_key, NULL, NULL, &out), 200);
    json_t *row;
    json_array_foreach(json_object_get(out, "tasks"), i, row)
    {
        for (size_t k = 0; k < json_array_size(made); k++)
            assert_string_not_equal(gxt_str(row, "task"),
                                    json_string_value(json_array_get(made, k)));
    }
    json_decref(out);
    json_decref(seen);
    json_decref(made);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer_claim_chat_resolve_rate),
        cmocka_unit_test(test_frames_sent_together_arrive_whole),
        cmocka_unit_test(test_slow_reader_gets_everything_in_order),
        cmocka_unit_test(test_release_reoffers_and_cancel_withdraws),
        cmocka_unit_test(test_capacity_and_backlog_order),
        cmocka_unit_test(test_open_over_socket_and_escalate_to_staff),
        cmocka_unit_test(test_health_metrics_static_headers),
        cmocka_unit_test(test_admin_reads),
        cmocka_unit_test(test_task_listing),
        cmocka_unit_test(test_queue_timeout_expires_or_escalates),
    };
    /* the rerun through gxclient's own framing (GXT_OWN_FRAMING=1): only these */
    static const char *const own[] = {"test_offer_claim_chat_resolve_rate",
                                      "test_frames_sent_together_arrive_whole",
                                      "test_slow_reader_gets_everything_in_order", NULL};
    return GXT_RUN_CASES(tests, own, setup, teardown);
}
