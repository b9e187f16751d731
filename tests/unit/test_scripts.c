/* The Lua scripts' behaviour, run through a real redis-server this test starts on a free
 * loopback port: who may claim, that a claim wins once, chat dedup and ordering, the
 * transition rules, rating once, brand keys. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>
#include "gigcx/redis.h"
#include "gigcx/scripts.h"

static pid_t redis_pid;
static redisContext *rc;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &n);
    close(fd);
    return ntohs(a.sin_port);
}

static int start_redis(void **state)
{
    (void)state;
    int port = free_port();
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    redis_pid = fork();
    if (redis_pid == 0) {
        execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100; i++) { /* up to 5 s for the server to listen */
        rc = redisConnect("127.0.0.1", port);
        if (rc && !rc->err)
            return 0;
        redisFree(rc);
        rc = NULL;
        usleep(50000);
    }
    return -1;
}

static int stop_redis(void **state)
{
    (void)state;
    redisFree(rc);
    kill(redis_pid, SIGTERM);
    waitpid(redis_pid, NULL, 0);
    return 0;
}

static int flush(void **state)
{
    (void)state;
    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    return 0;
}

/* EVAL of script s with nkeys keys then args, NULL-terminated. Caller frees. */
static redisReply *run(gx_script s, int nkeys, ...)
{
    const char *argv[40] = {"EVAL", gx_script_src[s], NULL};
    char nk[8];
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[2] = nk;
    int argc = 3;
    va_list ap;
    va_start(ap, nkeys);
    for (const char *a; (a = va_arg(ap, const char *)) && argc < 40;)
        argv[argc++] = a;
    va_end(ap);
    redisReply *r = redisCommandArgv(rc, argc, argv, NULL);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("script error: %s", r->str);
    return r;
}

static void expect_word(redisReply *r, const char *word)
{
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_string_equal(r->element[0]->str, word);
    freeReplyObject(r);
}

#define TK "gx:{t:T1}:task"
#define TC "gx:{t:T1}:chat"
#define TI "gx:{t:T1}:cids"

#define TQ "gx:{b:acme}:q"
#define TCU "gx:u:c:acme:c1:tasks"
#define TALL "gx:{b:acme}:all"

static redisReply *create_as(const char *brand, const char *customer, const char *tier)
{
    return run(GX_SCRIPT_TASK_CREATE, 7, TK, TC, TI, TQ, "gx:expiry", TCU, TALL, "T1", brand,
               "billing", "en", "0", customer, "Ann Lee", "Charged twice", tier, "900000",
               "{\"amount\":5}", "{}", "Charged twice", "20", "10000", "", NULL);
}

static void create_task(int tier)
{
    char t[4];
    snprintf(t, sizeof(t), "%d", tier);
    redisReply *r = create_as("acme", "c1", t);
    assert_string_equal(r->element[0]->str, "ok");
    freeReplyObject(r);
}

static redisReply *claim(const char *user, const char *role, const char *brands, const char *langs,
                         const char *skills, const char *tier)
{
    char held[64], work[64];
    snprintf(held, sizeof(held), "gx:u:%s:tasks", user);
    snprintf(work, sizeof(work), "gx:u:%s:work", user);
    return run(GX_SCRIPT_CLAIM, 5, TK, TC, held, "gx:expiry", work, user, "Eve", role, brands,
               langs, skills, tier, "1000", "U\tT1\to\t-\n{}", "W\tT1\tx\n{}", "T1", NULL);
}

static void test_create_stores_opening_message(void **state)
{
    (void)state;
    create_task(1);
    redisReply *r = redisCommand(rc, "XRANGE " TC " - +");
    assert_int_equal(r->elements, 1);
    assert_string_equal(r->element[0]->element[1]->element[1]->str, "open");
    freeReplyObject(r);
    r = redisCommand(rc, "HGET " TK " status");
    assert_string_equal(r->str, "queued");
    freeReplyObject(r);
    /* the same id again (an Idempotency-Key's retry): the task as it is, nothing new */
    redisReply *again = create_as("acme", "c1", "1");
    assert_string_equal(again->element[0]->str, "exists");
    assert_int_equal(again->element[4]->integer, 0); /* its place in the queue */
    freeReplyObject(again);
    r = redisCommand(rc, "XLEN " TC);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    /* every index is written by the script itself */
    const char *idx[] = {"ZSCORE " TQ " T1", "ZSCORE gx:expiry T1", "SISMEMBER " TCU " T1",
                         "ZSCORE " TALL " T1"};
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
        r = redisCommand(rc, idx[i]);
        assert_true(r->type == REDIS_REPLY_STRING ||
                    (r->type == REDIS_REPLY_INTEGER && r->integer));
        freeReplyObject(r);
    }
    /* another brand's or customer's request with that id is refused */
    expect_word(create_as("other", "c1", "1"), "conflict");
    expect_word(create_as("acme", "c2", "1"), "conflict");
}

static void test_claim_eligibility(void **state)
{
    (void)state;
    create_task(2);
    expect_word(claim("e1", "expert", ",other,", ",en,", ",billing,", "2"), "forbidden");
    expect_word(claim("e1", "expert", ",acme,", ",de,", ",billing,", "2"), "forbidden");
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",shipping,", "2"), "forbidden");
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "forbidden");
    expect_word(claim("s1", "staff", ",acme,", ",", ",", "2"), "conflict");
    redisReply *r = claim("e1", "expert", ",acme,en,", ",fr,en,", ",x,billing,", "2");
    assert_string_equal(r->element[0]->str, "ok");
    assert_string_equal(r->element[1]->str, "assigned");
    assert_string_equal(r->element[5]->str, "Ann Lee");
    assert_string_equal(r->element[8]->str, "2"); /* the task's tier */
    assert_string_equal(r->element[9]->str, "");  /* not an offline message */
    assert_int_equal(r->elements, 12);            /* 11 fields + the opening message */
    freeReplyObject(r);
}

static void test_claim_wins_once(void **state)
{
    (void)state;
    create_task(1);
    redisReply *z = redisCommand(rc, "ZADD gx:expiry 5 T1");
    freeReplyObject(z);
    z = redisCommand(rc, "ZADD " TQ " 5 T1");
    freeReplyObject(z);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(claim("e2", "expert", ",acme,", ",en,", ",billing,", "1"), "conflict");
    /* the winner's own claim again (its answer was lost to a failover): won, not conflict */
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "dup");
    expect_word(claim("e1", "staff", ",acme,", ",", ",", "1"), "conflict");
    redisReply *r = redisCommand(rc, "HGET " TK " assignee");
    assert_string_equal(r->str, "e1");
    freeReplyObject(r);
    /* the claimer's task set and the expiry index move inside the script */
    r = redisCommand(rc, "SISMEMBER gx:u:e1:tasks T1");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = redisCommand(rc, "ZSCORE gx:expiry T1");
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    /* the claim goes in the claimer's "My work" index (claimed at ms), which expires */
    r = redisCommand(rc, "ZSCORE gx:u:e1:work T1");
    assert_string_equal(r->str, "1000");
    freeReplyObject(r);
    r = redisCommand(rc, "TTL gx:u:e1:work");
    assert_true(r->integer > 3000000 && r->integer <= 3024000);
    freeReplyObject(r);
    r = redisCommand(rc, "EXISTS gx:u:e2:work"); /* the loser's claim wrote nothing */
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    r = redisCommand(rc, "ZSCORE " TQ " T1"); /* out of the brand's queue, in the script */
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    expect_word(run(GX_SCRIPT_CLAIM, 5, "gx:{t:nope}:task", "gx:{t:nope}:chat", "gx:u:e1:tasks",
                    "gx:expiry", "gx:u:e1:work", "e1", "E", "expert", ",acme,", ",en,", ",billing,",
                    "1", "0", "u", "w", "nope", NULL),
                "not_found");
}

static redisReply *chat(const char *user, const char *role, const char *cid, const char *text)
{
    return run(GX_SCRIPT_CHAT_APPEND, 3, TK, TC, TI, user, role, "N", cid, text, "T1", NULL);
}

static void test_chat_rules_and_dedup(void **state)
{
    (void)state;
    create_task(1);
    expect_word(chat("c:acme:c2", "customer", "a", "hi"), "forbidden");
    expect_word(chat("c:other:c1", "customer", "a", "another brand's c1"), "forbidden");
    expect_word(chat("c1", "customer", "a", "a bare id is nobody"), "forbidden");
    expect_word(chat("e1", "expert", "a", "hi"), "forbidden");
    redisReply *a = chat("c:acme:c1", "customer", "a", "hi");
    assert_string_equal(a->element[0]->str, "ok");
    redisReply *b = chat("c:acme:c1", "customer", "a", "hi again");
    assert_string_equal(b->element[0]->str, "dup");
    assert_string_equal(a->element[1]->str, b->element[1]->str);
    freeReplyObject(b);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(chat("s:acme:e1", "staff", "x", "staff named like the expert"), "forbidden");
    b = chat("e1", "expert", "a", "same cid, other sender");
    assert_string_equal(b->element[0]->str, "ok");
    assert_true(strcmp(a->element[1]->str, b->element[1]->str) != 0);
    freeReplyObject(a);
    freeReplyObject(b);
    redisReply *n = redisCommand(rc, "XLEN " TC);
    assert_int_equal(n->integer, 3);
    freeReplyObject(n);
}

static redisReply *transition(const char *action, const char *user, const char *role,
                              const char *now)
{
    return run(GX_SCRIPT_TRANSITION, 1, TK, action, user, role, now, "U\tT1\to\t*\n{}", "", "note",
               "T1", NULL);
}

/* field of hash key as a number (0 when absent). */
static void expect_hash_int(const char *key, const char *field, long long want)
{
    redisReply *r = redisCommand(rc, "HGET %s %s", key, field);
    assert_non_null(r);
    assert_int_equal(r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0, want);
    freeReplyObject(r);
}

/* Whether T1 is in the sorted set or set key (a transition moves its indexes itself). */
static bool listed(const char *cmd, const char *key)
{
    redisReply *r = redisCommand(rc, "%s %s T1", cmd, key);
    bool in =
        r && ((r->type == REDIS_REPLY_INTEGER && r->integer) || r->type == REDIS_REPLY_STRING);
    freeReplyObject(r);
    return in;
}

static void test_transitions(void **state)
{
    (void)state;
    create_task(1);
    expect_word(transition("expire", "", "system", "1"), "conflict"); /* not due yet */
    expect_word(transition("resolve", "e1", "expert", "5"), "forbidden");
    expect_word(transition("cancel", "e1", "expert", "5"), "forbidden");
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(transition("release", "e2", "expert", "5"), "forbidden");
    assert_false(listed("ZSCORE", "gx:{b:acme}:q"));
    assert_true(listed("SISMEMBER", "gx:u:e1:tasks"));
    redisReply *r = transition("release", "e1", "expert", "5");
    assert_string_equal(r->element[1]->str, "queued");
    freeReplyObject(r);
    assert_true(listed("ZSCORE", "gx:{b:acme}:q")); /* back in its queue, expiring again */
    assert_true(listed("ZSCORE", "gx:expiry"));
    assert_false(listed("SISMEMBER", "gx:u:e1:tasks"));
    expect_word(transition("resolve", "e1", "expert", "6"), "conflict"); /* released it */
    expect_word(claim("e2", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    r = transition("resolve", "e2", "expert", "7");
    assert_string_equal(r->element[1]->str, "resolved");
    freeReplyObject(r);
    assert_false(listed("ZSCORE", "gx:{b:acme}:q"));
    assert_false(listed("ZSCORE", "gx:expiry"));
    assert_false(listed("SISMEMBER", "gx:u:e2:tasks"));
    expect_word(transition("resolve", "e2", "expert", "8"), "conflict");
    expect_word(transition("cancel", "c:other:c1", "customer", "9"), "forbidden");
    expect_word(transition("cancel", "c:acme:c1", "customer", "9"), "conflict");
    expect_word(chat("e2", "expert", "late", "after resolve"), "conflict");
}

/* A release the server makes for an absent holder, with why (ARGV[10]) or without. */
static redisReply *release_why(const char *user, const char *now, const char *why)
{
    return run(GX_SCRIPT_TRANSITION, 1, TK, "release", user, "expert", now, "U\tT1\to\t*\n{}", "",
               "assignee went silent", "T1", "requeued", why, NULL);
}

static long long llen(const char *key)
{
    redisReply *r = redisCommand(rc, "LLEN %s", key);
    long long n = r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

/* Chats taken from their holder are noted for the holder's next welcome: the server's
 * releases with a reason, reassign and take-over; at most 20, for a week; a key that cannot
 * take the note never stops the move. The expert's own release notes nothing. */
static void test_taken_notes(void **state)
{
    (void)state;
    create_task(1);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(transition("release", "e1", "expert", "5"), "ok"); /* their own: no note */
    assert_int_equal(llen("gx:u:e1:taken"), 0);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(release_why("e1", "1764950000123", "disconnected"), "ok");
    redisReply *r = redisCommand(rc, "LINDEX gx:u:e1:taken 0");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_non_null(strstr(r->str, "\"reason\":\"disconnected\""));
    assert_non_null(strstr(r->str, "\"task\":\"T1\""));
    assert_non_null(strstr(r->str, "\"at\":\"1764950000123\""));
    assert_non_null(strstr(r->str, "\"customer\":\"Ann Lee\""));
    freeReplyObject(r);
    r = redisCommand(rc, "TTL gx:u:e1:taken");
    assert_true(r->integer > 600000 && r->integer <= 604800);
    freeReplyObject(r);
    for (int i = 0; i < 25; i++) {
        expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
        expect_word(release_why("e1", "6", "deactivated"), "ok");
    }
    assert_int_equal(llen("gx:u:e1:taken"), 20);
    /* reassign and take-over note it too */
    expect_word(claim("e2", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(run(GX_SCRIPT_REASSIGN, 1, TK, "acme", "7", "U\tT1\to\t*\n{}", "T1", NULL), "ok");
    expect_word(claim("e2", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    freeReplyObject(run(GX_SCRIPT_TAKEOVER, 4, TK, TC, "gx:u:s:acme:s1:tasks",
                        "gx:u:s:acme:s1:work", "s1", "Sam", "acme", "8", "U\tT1\to\t~s:acme:s1\n{}",
                        "T1", NULL));
    r = redisCommand(rc, "LRANGE gx:u:e2:taken 0 -1");
    assert_int_equal(r->elements, 2);
    assert_non_null(strstr(r->element[0]->str, "\"reason\":\"taken_over\""));
    assert_non_null(strstr(r->element[0]->str, "\"by\":\"Sam\""));
    assert_non_null(strstr(r->element[1]->str, "\"reason\":\"reassigned\""));
    freeReplyObject(r);
    /* a key of another type: no note, and the task still goes back */
    freeReplyObject(redisCommand(rc, "SET gx:u:s:acme:s1:taken x"));
    freeReplyObject(redisCommand(rc, "HSET " TK " assignee_role staff"));
    r = run(GX_SCRIPT_TRANSITION, 1, TK, "release", "s:acme:s1", "staff", "9", "U\tT1\to\t*\n{}",
            "", "assignee went silent", "T1", "requeued", "disconnected", NULL);
    assert_string_equal(r->element[0]->str, "ok");
    assert_string_equal(r->element[1]->str, "escalated");
    freeReplyObject(r);
}

/* The "My work" index keeps the newest 1000 claims; work_list.lua reads them back newest
 * first from a time on, with their task's fields (hashes that are gone left out). */
static void test_work_index(void **state)
{
    (void)state;
    create_task(1);
    const char *fill = "for k = 0, 1004 do redis.call('ZADD', KEYS[1], k - 2000, 'old' .. k) end";
    freeReplyObject(redisCommand(rc, "EVAL %s 1 gx:u:e1:work", fill));
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    redisReply *r = redisCommand(rc, "ZCARD gx:u:e1:work");
    assert_int_equal(r->integer, 1000);
    freeReplyObject(r);
    r = redisCommand(rc, "ZSCORE gx:u:e1:work old0"); /* the oldest went */
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    r = run(GX_SCRIPT_WORK_LIST, 1, "gx:u:e1:work", "900", "5", NULL);
    assert_string_equal(r->element[0]->str, "ok");
    assert_int_equal(r->elements, 1 + GX_WORK_FIELDS); /* T1 only: the "old" ones have no hash */
    assert_string_equal(r->element[1 + GX_WORK_TASK]->str, "T1");
    assert_string_equal(r->element[1 + GX_WORK_CLAIMED_AT]->str, "1000");
    assert_string_equal(r->element[1 + GX_WORK_STATUS]->str, "assigned");
    assert_string_equal(r->element[1 + GX_WORK_ASSIGNEE]->str, "e1");
    assert_string_equal(r->element[1 + GX_WORK_CUSTOMER_NAME]->str, "Ann Lee");
    assert_string_equal(r->element[1 + GX_WORK_RESOLVED_BY]->str, "");
    freeReplyObject(r);
    r = run(GX_SCRIPT_WORK_LIST, 1, "gx:u:e1:work", "1001", "5", NULL); /* since after it */
    assert_int_equal(r->elements, 1);
    freeReplyObject(r);
}

static void test_expire_when_due(void **state)
{
    (void)state;
    create_task(1);
    redisReply *r = transition("expire", "", "system", "99999999999999");
    assert_string_equal(r->element[1]->str, "expired");
    freeReplyObject(r);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "conflict");
}

static void test_rate_once(void **state)
{
    (void)state;
    create_task(1);
    expect_word(run(GX_SCRIPT_RATE, 1, TK, "c:acme:c1", "5", "", "1", "T1", NULL), "conflict");
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    freeReplyObject(transition("resolve", "e1", "expert", "2"));
    expect_word(run(GX_SCRIPT_RATE, 1, TK, "c:acme:c2", "5", "", "3", "T1", NULL), "forbidden");
    expect_word(run(GX_SCRIPT_RATE, 1, TK, "c:other:c1", "5", "", "3", "T1", NULL), "forbidden");
    assert_true(listed("SISMEMBER", "gx:u:c:acme:c1:tasks")); /* listed until rated */
    redisReply *r = run(GX_SCRIPT_RATE, 1, TK, "c:acme:c1", "4", "great", "3", "T1", NULL);
    assert_string_equal(r->element[1]->str, "e1");
    freeReplyObject(r);
    assert_false(listed("SISMEMBER", "gx:u:c:acme:c1:tasks"));
    expect_hash_int("gx:expert:e1", "rating_sum", 4);
    expect_word(run(GX_SCRIPT_RATE, 1, TK, "c:acme:c1", "5", "", "4", "T1", NULL), "conflict");
}

/* A task an expert escalated and staff resolved: the rating is the staff's, not charged to
 * the expert's reputation. */
static void test_rate_charges_resolver(void **state)
{
    (void)state;
    create_task(1);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    freeReplyObject(transition("escalate", "e1", "expert", "2"));
    expect_word(claim("s1", "staff", ",acme,", "", "", "2"), "ok");
    freeReplyObject(transition("resolve", "s:acme:s1", "staff", "3"));
    redisReply *r = run(GX_SCRIPT_RATE, 1, TK, "c:acme:c1", "1", "", "4", "T1", NULL);
    assert_string_equal(r->element[0]->str, "ok");
    assert_string_equal(r->element[1]->str, "");
    freeReplyObject(r);
    expect_hash_int("gx:expert:e1", "rating_n", 0);
}

static void test_escalation_goes_to_staff(void **state)
{
    (void)state;
    create_task(1);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    expect_word(transition("escalate", "e1", "expert", "3"), "ok");
    expect_word(claim("e2", "expert", ",acme,", ",en,", ",billing,", "1"), "conflict");
    expect_word(claim("s1", "staff", ",other,", ",", ",", "2"), "forbidden");
    redisReply *r = claim("s1", "staff", ",acme,", ",", ",", "2");
    assert_string_equal(r->element[1]->str, "escalated");
    freeReplyObject(r);
    expect_word(claim("s2", "staff", ",acme,", ",", ",", "2"), "conflict");
    expect_word(chat("s:other:s1", "staff", "s", "another brand's s1"), "forbidden");
    expect_word(transition("resolve", "s:other:s1", "staff", "4"), "forbidden");
    expect_word(chat("s:acme:s1", "staff", "s", "staff here"), "ok");
}

static void test_brand_keys(void **state)
{
    (void)state;
    redisReply *r = run(GX_SCRIPT_BRAND_PUT, 1, "gx:brand:b", "B", "{}", "[]", "", "0", "h1", "w1",
                        "1", "{}", "", "b", "1", NULL);
    assert_string_equal(r->element[0]->str, "created");
    assert_string_equal(r->element[1]->str, "w1");
    freeReplyObject(r);
    r = run(GX_SCRIPT_BRAND_PUT, 1, "gx:brand:b", "B2", "{}", "[]", "", "0", "h2", "w2", "2", "{}",
            "", "b", "1", NULL);
    assert_string_equal(r->element[0]->str, "updated");
    assert_string_equal(r->element[1]->str, "w1");
    freeReplyObject(r);
    r = run(GX_SCRIPT_BRAND_PUT, 1, "gx:brand:b", "B2", "{}", "[]", "", "1", "h3", "w3", "3", "{}",
            "", "b", "1", NULL);
    assert_string_equal(r->element[0]->str, "rotated");
    assert_string_equal(r->element[2]->str, "h1");
    assert_string_equal(r->element[1]->str, "w3"); /* the widget key rotates too */
    assert_string_equal(r->element[4]->str, "w1");
    freeReplyObject(r);
    /* the keys that find the brand moved with it, in the same script */
    r = redisCommand(
        rc, "MGET gx:apikey:h3 gx:widgetkey:w3 gx:apikey:h1 gx:widgetkey:w1 gx:revoked:b:b");
    assert_string_equal(r->element[0]->str, "b");
    assert_string_equal(r->element[1]->str, "b");
    assert_int_equal(r->element[2]->type, REDIS_REPLY_NIL);
    assert_int_equal(r->element[3]->type, REDIS_REPLY_NIL);
    assert_string_equal(r->element[4]->str, "0");
    freeReplyObject(r);
    r = redisCommand(rc, "SISMEMBER gx:brands b");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
}

#define OWN "gx:{b:acme}:rkown"
#define RK1 "gx:{b:acme}:rk:1:billing:en"
#define RK2 "gx:{b:acme}:rk:2:billing:en"
#define WK1 "gx:{b:acme}:rkw:1:billing:en"
#define WK2 "gx:{b:acme}:rkw:2:billing:en"
#define DK1 "gx:{b:acme}:decl:t1"

static long long zcard(const char *key)
{
    redisReply *r = redisCommand(rc, "ZCARD %s", key);
    long long n = r->integer;
    freeReplyObject(r);
    return n;
}

/* rank_set's version: the first element of its reply. */
static long long ver_of(redisReply *r)
{
    long long v = r->type == REDIS_REPLY_ARRAY && r->elements ? r->element[0]->integer : -1;
    freeReplyObject(r);
    return v;
}

static void test_rank_set_ignores_older_sessions(void **state)
{
    (void)state;
    assert_int_equal(
        ver_of(run(GX_SCRIPT_RANK_SET, 5, OWN, RK1, RK2, WK1, WK2, "e1", "5", "add", "700", NULL)),
        1);
    assert_int_equal(zcard(RK1), 1);
    assert_int_equal(zcard(RK2), 1);
    /* the expert's older session (4) closing elsewhere must not take out session 5 */
    assert_int_equal(
        ver_of(run(GX_SCRIPT_RANK_SET, 5, OWN, RK1, RK2, WK1, WK2, "e1", "4", "del", "0", NULL)),
        0);
    assert_int_equal(zcard(RK1), 1);
    /* every change bumps the brand's ranking version */
    assert_int_equal(
        ver_of(run(GX_SCRIPT_RANK_SET, 5, OWN, RK1, RK2, WK1, WK2, "e1", "5", "del", "0", NULL)),
        2);
    assert_int_equal(zcard(RK1), 0);
    assert_int_equal(zcard(RK2), 0);
    /* and a late add from session 4 stays out */
    assert_int_equal(
        ver_of(run(GX_SCRIPT_RANK_SET, 3, OWN, RK1, WK1, "e1", "4", "add", "900", NULL)), 0);
    assert_int_equal(zcard(RK1), 0);
}

static void rank(const char *who, const char *op, const char *score)
{
    freeReplyObject(run(GX_SCRIPT_RANK_SET, 3, OWN, RK1, WK1, who, "1", op, score, NULL));
}

/* The waves give way: a task whose cut-off nobody ready reaches any more is named. */
static void test_rank_set_names_tasks_nobody_reached_can_take(void **state)
{
    (void)state;
    rank("e1", "add", "300");
    rank("e2", "add", "200");
    redisReply *r = run(GX_SCRIPT_WAVE_WATCH, 2, RK1, WK1, "t1", "300", NULL);
    assert_int_equal(r->integer, 0); /* e1 can take it */
    freeReplyObject(r);
    r = run(GX_SCRIPT_WAVE_WATCH, 2, RK1, WK1, "t2", "200", NULL);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    r = run(GX_SCRIPT_RANK_SET, 3, OWN, RK1, WK1, "e1", "1", "del", "0", NULL);
    assert_int_equal(r->elements, 2); /* t1's wave reached e1 only; t2's reaches e2 still */
    assert_string_equal(r->element[1]->str, "t1");
    freeReplyObject(r);
    r = run(GX_SCRIPT_RANK_SET, 3, OWN, RK1, WK1, "e2", "1", "del", "0", NULL);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "t2");
    freeReplyObject(r);
    r = run(GX_SCRIPT_WAVE_WATCH, 2, RK1, WK1, "t3", "100", NULL);
    assert_int_equal(r->integer, 1); /* nobody ready at all: give way at once */
    freeReplyObject(r);
    r = run(GX_SCRIPT_WAVE_WATCH, 2, RK1, WK1, "t3", "-", NULL);
    assert_int_equal(r->integer, 0); /* the last wave: no longer watched */
    freeReplyObject(r);
    assert_int_equal(zcard(WK1), 2);
}

/* A decline gives way when every ready expert the wave reached declined. */
static void test_wave_decline_counts_who_is_left(void **state)
{
    (void)state;
    rank("e1", "add", "300");
    rank("e2", "add", "200");
    freeReplyObject(run(GX_SCRIPT_WAVE_WATCH, 2, RK1, WK1, "t1", "200", NULL));
    redisReply *r = run(GX_SCRIPT_WAVE_DECLINE, 3, RK1, WK1, DK1, "t1", "e1", "60", NULL);
    assert_int_equal(r->integer, 0); /* e2 is left */
    freeReplyObject(r);
    r = run(GX_SCRIPT_WAVE_DECLINE, 3, RK1, WK1, DK1, "t1", "e2", "60", NULL);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
}

/* wave_cut: {version, score at the place}, "-" when nobody ranks below the place. */
static void expect_cut(const char *at, const char *ver, const char *score)
{
    redisReply *r = run(GX_SCRIPT_WAVE_CUT, 2, RK1, OWN, at, NULL);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, ver);
    assert_string_equal(r->element[1]->str, score);
    freeReplyObject(r);
}

static void test_wave_cut_reads_score_and_version(void **state)
{
    (void)state;
    expect_cut("0", "0", "-"); /* nobody ranked yet */
    const char *who[] = {"e1", "e2", "e3"}, *score[] = {"300", "200", "100"};
    for (int i = 0; i < 3; i++)
        rank(who[i], "add", score[i]);
    expect_cut("0", "3", "300");
    expect_cut("1", "3", "200");
    expect_cut("2", "3", "-"); /* the last place: the wave reaches everyone */
    rank("e1", "del", "0");
    expect_cut("0", "4", "200"); /* e1 left at version 4: a cut read at 3 counted it */
}

static void test_outcome_keeps_the_newest(void **state)
{
    (void)state;
    redisReply *r = run(GX_SCRIPT_OUTCOME, 1, "gx:expert:nobody", "1", "100", "3", NULL);
    assert_int_equal(r->elements, 0); /* no such expert: nothing created */
    freeReplyObject(r);
    freeReplyObject(redisCommand(rc, "HSET gx:expert:e1 name Eve rating_sum 9 rating_n 2"));
    const char *seq[] = {"1", "0", "1", "1"};
    for (int i = 0; i < 4; i++) {
        char now[8];
        snprintf(now, sizeof(now), "%d", 100 + i);
        freeReplyObject(run(GX_SCRIPT_OUTCOME, 1, "gx:expert:e1", seq[i], now, "3", NULL));
    }
    r = run(GX_SCRIPT_OUTCOME, 1, "gx:expert:e1", "0", "200", "3", NULL);
    assert_int_equal(r->elements, 8);
    assert_string_equal(r->element[1]->str, "9");
    assert_string_equal(r->element[5]->str, "011"); /* newest first, three kept */
    assert_string_equal(r->element[7]->str, "200");
    freeReplyObject(r);
}

static void test_wave_due_leases(void **state)
{
    (void)state;
    freeReplyObject(redisCommand(rc, "ZADD gx:waves 100 a 200 b 5000 c"));
    redisReply *r = run(GX_SCRIPT_WAVE_DUE, 1, "gx:waves", "1000", "5000", "10", NULL);
    assert_int_equal(r->elements, 2);
    freeReplyObject(r);
    /* taken: a second node sees none of them until the lease ends */
    r = run(GX_SCRIPT_WAVE_DUE, 1, "gx:waves", "1001", "5000", "10", NULL);
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    r = run(GX_SCRIPT_WAVE_DUE, 1, "gx:waves", "6000", "5000", "1", NULL);
    assert_int_equal(r->elements, 1); /* at most this many */
    freeReplyObject(r);
}

static const char *put_secret(const char *rotate, const char *secret, const char **what)
{
    static char out[64];
    redisReply *r = run(GX_SCRIPT_BRAND_PUT, 1, "gx:brand:s", "S", "{}", "[]", "http://x/h", rotate,
                        "h", "w", "1", "{}", secret, "s", "1", NULL);
    assert_int_equal(r->elements, strcmp(r->element[0]->str, "rotated") == 0 ? 5 : 4);
    static char word[16];
    snprintf(word, sizeof(word), "%s", r->element[0]->str);
    *what = word;
    snprintf(out, sizeof(out), "%s", r->element[3]->str);
    freeReplyObject(r);
    return out;
}

static void test_brand_webhook_secret(void **state)
{
    (void)state;
    const char *what;
    assert_string_equal(put_secret("0", "whsec_1", &what), "whsec_1");
    assert_string_equal(what, "created");
    assert_string_equal(put_secret("0", "whsec_2", &what), ""); /* kept, not shown */
    assert_string_equal(what, "updated");
    assert_string_equal(put_secret("1", "whsec_3", &what), "whsec_3");
    assert_string_equal(what, "rotated");
    /* a brand made before secrets existed gets one on its next update */
    freeReplyObject(redisCommand(rc, "HDEL gx:brand:s webhook_secret"));
    assert_string_equal(put_secret("0", "whsec_4", &what), "whsec_4");
    redisReply *r = redisCommand(rc, "HGET gx:brand:s webhook_secret");
    assert_string_equal(r->str, "whsec_4");
    freeReplyObject(r);
}

#define HDUE "gx:{wh}:due"
#define HEV "gx:{wh}:ev:"
#define HLOG "gx:{wh}:log:acme"

static redisReply *hook_claim(const char *now, const char *lease_end)
{
    return run(GX_SCRIPT_HOOK_CLAIM, 1, HDUE, now, lease_end, "10", HEV, NULL);
}

static long long hook_done(const char *outcome, const char *next, const char *entry,
                           const char *lease_end)
{
    redisReply *r = run(GX_SCRIPT_HOOK_DONE, 3, HEV "E1", HDUE, HLOG, "E1", outcome, next, entry,
                        "2", lease_end, NULL);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static long long due_of(const char *id)
{
    redisReply *r = redisCommand(rc, "ZSCORE " HDUE " %s", id);
    long long v = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    return v;
}

/* The outbox: recorded once per id, leased to one node at a time, settled only by the lease
 * holder (a retry) or by anyone (delivered), logged with a cap. */
static void test_hook_outbox_lease(void **state)
{
    (void)state;
    redisReply *r = run(GX_SCRIPT_HOOK_EMIT, 2, HEV "E1", HDUE, "E1", "acme", "task.created", "T1",
                        "{\"id\":\"E1\"}", "1000", NULL);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = run(GX_SCRIPT_HOOK_EMIT, 2, HEV "E1", HDUE, "E1", "acme", "task.created", "T1", "{}",
            "1000", NULL);
    assert_int_equal(r->integer, 0); /* the same id twice: kept once */
    freeReplyObject(r);
    r = hook_claim("999", "5000");
    assert_int_equal(r->elements, 0); /* not due yet */
    freeReplyObject(r);
    r = hook_claim("1000", "5000");
    assert_int_equal(r->elements, 7);
    assert_string_equal(r->element[0]->str, "E1");
    assert_string_equal(r->element[4]->str, "{\"id\":\"E1\"}");
    assert_string_equal(r->element[6]->str, "1");
    freeReplyObject(r);
    r = hook_claim("4999", "9000");
    assert_int_equal(r->elements, 0); /* leased until 5000 */
    freeReplyObject(r);
    assert_int_equal(hook_done("retry", "6000", "{\"a\":1}", "4000"), 0); /* not our lease */
    assert_int_equal(due_of("E1"), 5000);
    assert_int_equal(hook_done("retry", "6000", "{\"a\":2}", "5000"), 1);
    assert_int_equal(due_of("E1"), 6000);
    r = hook_claim("6000", "9000");
    assert_string_equal(r->element[6]->str, "2");
    freeReplyObject(r);
    assert_int_equal(hook_done("ok", "0", "{\"a\":3}", "9000"), 1);
    assert_int_equal(due_of("E1"), -1);
    r = redisCommand(rc, "LRANGE " HLOG " 0 -1");
    assert_int_equal(r->elements, 2); /* capped at 2, newest first */
    assert_string_equal(r->element[0]->str, "{\"a\":3}");
    freeReplyObject(r);
    freeReplyObject(redisCommand(rc, "ZADD " HDUE " 1 E2")); /* due, but its event is gone */
    r = hook_claim("10000", "20000");
    assert_int_equal(r->elements, 0);
    freeReplyObject(r);
    assert_int_equal(due_of("E2"), -1);
}

static void test_wave_pub_only_while_waiting(void **state)
{
    (void)state;
    create_task(1);
    redisReply *r = run(GX_SCRIPT_WAVE_PUB, 1, TK, "0", "700", "O\tpayload", NULL);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = redisCommand(rc, "HMGET " TK " wave wave_min");
    assert_string_equal(r->element[0]->str, "0");
    assert_string_equal(r->element[1]->str, "700");
    freeReplyObject(r);
    expect_word(claim("e1", "expert", ",acme,", ",en,", ",billing,", "1"), "ok");
    r = run(GX_SCRIPT_WAVE_PUB, 1, TK, "1", "-", "O\tpayload", NULL);
    assert_int_equal(r->integer, 0); /* claimed: no wave may follow the withdrawal */
    freeReplyObject(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_create_stores_opening_message, flush),
        cmocka_unit_test_setup(test_claim_eligibility, flush),
        cmocka_unit_test_setup(test_claim_wins_once, flush),
        cmocka_unit_test_setup(test_chat_rules_and_dedup, flush),
        cmocka_unit_test_setup(test_transitions, flush),
        cmocka_unit_test_setup(test_taken_notes, flush),
        cmocka_unit_test_setup(test_work_index, flush),
        cmocka_unit_test_setup(test_expire_when_due, flush),
        cmocka_unit_test_setup(test_rate_once, flush),
        cmocka_unit_test_setup(test_rate_charges_resolver, flush),
        cmocka_unit_test_setup(test_escalation_goes_to_staff, flush),
        cmocka_unit_test_setup(test_brand_keys, flush),
        cmocka_unit_test_setup(test_rank_set_ignores_older_sessions, flush),
        cmocka_unit_test_setup(test_rank_set_names_tasks_nobody_reached_can_take, flush),
        cmocka_unit_test_setup(test_wave_decline_counts_who_is_left, flush),
        cmocka_unit_test_setup(test_wave_cut_reads_score_and_version, flush),
        cmocka_unit_test_setup(test_outcome_keeps_the_newest, flush),
        cmocka_unit_test_setup(test_wave_due_leases, flush),
        cmocka_unit_test_setup(test_wave_pub_only_while_waiting, flush),
        cmocka_unit_test_setup(test_brand_webhook_secret, flush),
        cmocka_unit_test_setup(test_hook_outbox_lease, flush),
    };
    return cmocka_run_group_tests(tests, start_redis, stop_redis);
}
