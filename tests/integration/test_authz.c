/* The authorization table: every role (and the impostors a brand key could mint before ids
 * were namespaced) x every task frame x own task / same-brand task / other brand's task /
 * no task. Each cell's expected answer comes from who the actor is to the task (an oracle
 * written from the contract), so the table is generated, not typed: a new actor, frame or
 * task adds its cells by itself. Then the identity collisions: a customer or staff member
 * named like an expert, or like another brand's customer, neither sees nor disturbs them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "harness.h"

GXT_FIXTURES(1, NULL)

typedef struct {
    const char *name, *sub, *role, *brand; /* brand NULL for experts */
    char *token;
    gxt_conn *c;
} actor;

enum { CUST_A, CUST_B, EXP_A, EXP_B, STAFF_A, STAFF_B, IMP_CUST, IMP_STAFF, N_ACTORS };
static actor actors[N_ACTORS] = {
    {"customer c1@acme", "c1", "customer", "acme", NULL, NULL},
    {"customer c1@beta", "c1", "customer", "beta", NULL, NULL},
    {"expert x1 (acme)", "x1", "expert", NULL, NULL, NULL},
    {"expert x2 (beta)", "x2", "expert", NULL, NULL, NULL},
    {"staff s1@acme", "s1", "staff", "acme", NULL, NULL},
    {"staff s1@beta", "s1", "staff", "beta", NULL, NULL},
    {"customer x1@beta (an expert's id)", "x1", "customer", "beta", NULL, NULL},
    {"staff x1@beta (an expert's id)", "x1", "staff", "beta", NULL, NULL},
};

typedef struct {
    const char *name, *brand, *customer; /* the brand's customer id */
    int holder, past;                    /* actors, -1 for none */
    bool escalated;
    char id[65];
} task;

enum { T_A, T_B, T_AE, T_BE, T_NONE, N_TASKS };
static task tasks[N_TASKS] = {
    {"acme task held by x1", "acme", "c1", EXP_A, -1, false, ""},
    {"beta task held by x2", "beta", "c1", EXP_B, -1, false, ""},
    {"acme escalation held by s1@acme", "acme", "c2", STAFF_A, EXP_A, true, ""},
    {"beta escalation held by s1@beta", "beta", "c2", STAFF_B, EXP_B, true, ""},
    {"no such task", "acme", "", -1, -1, false, "nosuchtask0"},
};

typedef enum { P_NONE, P_PAST, P_CUSTOMER, P_HOLDER } party;

static party party_of(int a, const task *t)
{
    const actor *x = &actors[a];
    if (strcmp(x->role, "customer") == 0 && strcmp(x->brand, t->brand) == 0 &&
        strcmp(x->sub, t->customer) == 0)
        return P_CUSTOMER;
    return a == t->holder ? P_HOLDER : a == t->past ? P_PAST : P_NONE;
}

static bool is(int a, const char *role)
{
    return strcmp(actors[a].role, role) == 0;
}

/* The contract's answer to frame from actor a about t: "ok", an error code, or NULL for a
 * cell that would change the task (those run in test_own_actions, in an order that works). */
static const char *oracle(const char *frame, int a, const task *t)
{
    bool none = t->id[0] && t == &tasks[T_NONE];
    party p = none ? P_NONE : party_of(a, t);
    if (strcmp(frame, "chat.history") == 0)
        return none ? "not_found" : p != P_NONE ? "ok" : "forbidden";
    if (strcmp(frame, "chat.send") == 0)
        return none ? "not_found" : p == P_CUSTOMER || p == P_HOLDER ? "ok" : "forbidden";
    if (strcmp(frame, "task.rate") == 0) /* customers only; nothing here is resolved yet */
        return !is(a, "customer") ? "forbidden"
               : none             ? "not_found"
               : p == P_CUSTOMER  ? "conflict"
                                  : "forbidden";
    if (strcmp(frame, "task.cancel") == 0)
        return none ? "not_found" : p == P_CUSTOMER ? NULL : "forbidden";
    if (strcmp(frame, "task.claim") == 0) {
        if (is(a, "customer"))
            return "forbidden";
        if (none)
            return "not_found";
        bool brand_ok = is(a, "staff") ? strcmp(actors[a].brand, t->brand) == 0
                                       : strcmp(t->brand, a == EXP_A ? "acme" : "beta") == 0;
        /* every task here is taken; its holder claiming it again is answered as won (a
         * retry after an unavailable: docs/protocol.md) */
        return !brand_ok ? "forbidden" : p == P_HOLDER ? "ok" : "conflict";
    }
    /* task.release, task.resolve, task.escalate */
    bool escalate = strcmp(frame, "task.escalate") == 0;
    if (is(a, "customer") || (escalate && !is(a, "expert")))
        return "forbidden";
    if (none)
        return "not_found";
    return p == P_HOLDER ? NULL : p == P_PAST ? "conflict" : "forbidden";
}

static const char *const frames[] = {"chat.history", "chat.send",    "task.rate",
                                     "task.cancel",  "task.claim",   "task.release",
                                     "task.resolve", "task.escalate"};

/* Sends frame about task with a fresh ref and waits for the answer carrying it: "ok" for
 * any reply, else the error's code (static storage). */
static const char *ask(gxt_conn *c, const char *frame, const char *task_id)
{
    static int n;
    static char code[32];
    char ref[16];
    snprintf(ref, sizeof(ref), "z%d", ++n);
    /* one frame carries every field any of them needs; the others ignore the rest */
    gxt_send(c, "{s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "type", frame, "task", task_id, "ref", ref,
             "text", "knock knock", "cid", ref, "reason", "table", "score", 5);
    int64_t until = gxt_now_ms() + 5000;
    while (gxt_now_ms() < until) {
        size_t i;
        json_t *m;
        json_array_foreach(c->inbox, i, m)
        {
            if (strcmp(gxt_str(m, "ref"), ref) != 0)
                continue;
            bool err = strcmp(gxt_str(m, "type"), "error") == 0;
            snprintf(code, sizeof(code), "%s", err ? gxt_str(m, "code") : "ok");
            json_array_remove(c->inbox, i);
            return code;
        }
        gxt_pump(&env, 5);
    }
    return "(no answer)";
}

static void make_task(task *t, const char *key, gxt_conn *expert, gxt_conn *staff)
{
    json_t *r = gxt_task(&env, 0, key, t->customer, "I was charged twice", 0);
    snprintf(t->id, sizeof(t->id), "%s", gxt_str(r, "task"));
    json_decref(r);
    gxt_claim_offered(expert, t->id);
    if (!t->escalated)
        return;
    gxt_send(expert, "{s:s, s:s, s:s}", "type", "task.escalate", "task", t->id, "reason", "refund");
    json_decref(gxt_must(expert, "task.update", 3000));
    gxt_claim_offered(staff, t->id);
}

static gxt_conn *login(int a)
{
    actor *x = &actors[a];
    if (!x->token)
        x->token = gxt_token(&env, x->sub, x->role, x->brand);
    x->c = gxt_login(&env, 0, x->token, NULL, NULL);
    return x->c;
}

static void available(gxt_conn *c)
{
    gxt_send(c, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_decref(gxt_must(c, "presence", 3000));
}

static void test_setup_world(void **state)
{
    (void)state;
    char *beta = gxt_brand(&env, "beta");
    gxt_expert(&env, "x1", "acme", 3);
    gxt_expert(&env, "x2", "beta", 3);
    available(login(EXP_A));
    available(login(EXP_B));
    available(login(STAFF_A));
    available(login(STAFF_B));
    make_task(&tasks[T_A], env.api_key, actors[EXP_A].c, NULL);
    make_task(&tasks[T_B], beta, actors[EXP_B].c, NULL);
    make_task(&tasks[T_AE], env.api_key, actors[EXP_A].c, actors[STAFF_A].c);
    make_task(&tasks[T_BE], beta, actors[EXP_B].c, actors[STAFF_B].c);
    for (int a = CUST_A; a < N_ACTORS; a++)
        if (!actors[a].c)
            login(a);
    free(beta);
}

static void test_table(void **state)
{
    (void)state;
    int cells = 0, wrong = 0;
    for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++)
        for (int a = 0; a < N_ACTORS; a++)
            for (int t = 0; t < N_TASKS; t++) {
                const char *want = oracle(frames[f], a, &tasks[t]);
                if (!want)
                    continue;
                const char *got = ask(actors[a].c, frames[f], tasks[t].id);
                cells++;
                if (strcmp(got, want) != 0) {
                    wrong++;
                    print_error("%s by %s on %s: got %s, want %s\n", frames[f], actors[a].name,
                                tasks[t].name, got, want);
                }
            }
    print_message("%d cells checked\n", cells);
    assert_int_equal(wrong, 0);
    assert_true(cells >= 250);
}

/* Nobody's hello disturbs another identity that shares its id. */
static void test_identities_stay_apart(void **state)
{
    (void)state;
    /* the impostors' hellos above closed nobody: x1 still has its socket and its task */
    assert_false(actors[EXP_A].c->closed);
    assert_string_equal(ask(actors[EXP_A].c, "chat.history", tasks[T_A].id), "ok");
    json_t *w;
    gxt_conn *again = gxt_login(&env, 0, actors[CUST_B].token, NULL, &w);
    json_t *list = json_object_get(w, "tasks");
    assert_int_equal(json_array_size(list), 1); /* T_B; T_BE is c2@beta's */
    size_t i;
    json_t *t;
    json_array_foreach(list, i, t) assert_string_equal(gxt_str(t, "brand"), "beta");
    json_decref(w);
    gxt_close(again);
    gxt_conn *imp = gxt_login(&env, 0, actors[IMP_CUST].token, NULL, &w);
    assert_int_equal(json_array_size(json_object_get(w, "tasks")), 0);
    json_decref(w);
    gxt_close(imp);
    /* x1 logs in again (replacing its own session): its held task is still listed */
    gxt_close(actors[EXP_A].c);
    actors[EXP_A].c = gxt_login(&env, 0, actors[EXP_A].token, NULL, &w);
    int held = 0;
    json_array_foreach(json_object_get(w, "tasks"), i, t) held +=
        strcmp(gxt_str(t, "task"), tasks[T_A].id) == 0;
    assert_int_equal(held, 1);
    json_decref(w);
}

/* The cells the table left out because they change the task, in an order where each
 * holds: the holder's release, escalate and resolve, and the customer's cancel. */
static void test_own_actions(void **state)
{
    (void)state;
    assert_string_equal(ask(actors[STAFF_A].c, "task.resolve", tasks[T_AE].id), "ok");
    assert_string_equal(ask(actors[EXP_B].c, "task.escalate", tasks[T_B].id), "ok");
    assert_string_equal(ask(actors[EXP_A].c, "task.release", tasks[T_A].id), "ok");
    assert_string_equal(ask(actors[CUST_B].c, "task.cancel", tasks[T_B].id), "ok");
    assert_string_equal(ask(actors[STAFF_B].c, "task.release", tasks[T_BE].id), "ok");
    assert_string_equal(ask(actors[CUST_A].c, "task.cancel", tasks[T_A].id), "ok");
}

/* A brand key mints tokens for its own brand only. */
static void test_tokens_per_brand(void **state)
{
    (void)state;
    json_t *out = NULL;
    int st = gxt_http(&env, 0, "POST", "/api/v1/tokens", env.api_key, NULL,
                      "{\"sub\":\"c9\",\"role\":\"customer\",\"brand\":\"beta\"}", &out);
    assert_int_equal(st, 403);
    json_decref(out);
    st = gxt_http(&env, 0, "POST", "/api/v1/tokens", env.api_key, NULL,
                  "{\"sub\":\"x1\",\"role\":\"expert\"}", &out);
    assert_int_equal(st, 403);
    json_decref(out);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/tasks/%s", tasks[T_B].id);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, NULL), 404);
    snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript", tasks[T_B].id);
    assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, NULL), 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_setup_world),           cmocka_unit_test(test_table),
        cmocka_unit_test(test_identities_stay_apart), cmocka_unit_test(test_own_actions),
        cmocka_unit_test(test_tokens_per_brand),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    for (int a = 0; a < N_ACTORS; a++)
        free(actors[a].token);
    return rc;
}
