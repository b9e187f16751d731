/* Redis failover under chat: a real primary, two replicas, three redis-sentinels, and gigcxd
 * following them (--redis sentinel://...) with --redis-wait. A customer keeps sending chat
 * messages, resending what got no ack, through a SENTINEL FAILOVER and then a kill -9 of
 * the new primary. Every message acknowledged must be in the transcript afterwards, once:
 * an ack only comes when a replica has the message, so no failover can take it back.
 * GXT_FAILOVER_NO_WAIT=1 runs it without --redis-wait and only reports what was lost. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "harness.h"

#define MASTER "gxm"
/* the sentinels ask a password (requirepass), which the nodes give (--sentinel-password) */
#define SPW "sentinel-pw-1"
#define SAUTH "AUTH " SPW "\r\n"
#define SENTINELS 3
#define MSGS_MAX 1800 /* under --chat-max-messages (2000) with the opening and the claim's */
#define IN_FLIGHT 8
#define PACE_MS 20 /* a new message every 20 ms */
/* Two replicas: after a failover the new primary has one at once (the old primary becomes
 * a replica only when a sentinel next looks at it, up to 10 s later), so acks go on. */
#define REPLICAS 2

static int replica_port[REPLICAS], sentinel_port[SENTINELS];
static pid_t replica_pid[REPLICAS];
static bool with_wait;

/* A replica of the harness's redis-server, with its own AOF directory. */
static void start_replica(gxt_env *env, int i)
{
    char port[16], master[16], dir[160], name[16];
    replica_port[i] = gxt_free_port();
    snprintf(port, sizeof(port), "%d", replica_port[i]);
    snprintf(master, sizeof(master), "%d", env->redis_port);
    snprintf(dir, sizeof(dir), "%s/replica%d", env->dir, i);
    snprintf(name, sizeof(name), "replica%d", i);
    mkdir(dir, 0700);
    char *argv[] = {"redis-server",
                    "--port",
                    port,
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--dir",
                    dir,
                    "--appendonly",
                    "yes",
                    "--replicaof",
                    "127.0.0.1",
                    master,
                    "--repl-diskless-sync-delay",
                    "0",
                    NULL};
    replica_pid[i] = gxt_spawn(env, name, argv);
}

static void start_sentinel(gxt_env *env, int i)
{
    char conf[200], name[16];
    sentinel_port[i] = gxt_free_port();
    snprintf(conf, sizeof(conf), "%s/sentinel%d.conf", env->dir, i);
    snprintf(name, sizeof(name), "sentinel%d", i);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    /* failover-timeout bounds how soon the same master may fail over again (twice it); a
     * shorter down-after fails a busy new primary over again on a loaded machine */
    fprintf(f,
            "port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor " MASTER " 127.0.0.1 %d 2\n"
            "sentinel down-after-milliseconds " MASTER " 2000\n"
            "sentinel failover-timeout " MASTER " 3000\n"
            "sentinel parallel-syncs " MASTER " 1\n"
            "requirepass " SPW "\nsentinel sentinel-pass " SPW "\n",
            sentinel_port[i], env->dir, env->redis_port);
    fclose(f);
    char *argv[] = {"redis-sentinel", conf, NULL};
    gxt_spawn(env, name, argv);
}

/* Polls cmd on port until its reply holds want (10 s at most). */
static bool wait_reply(int port, const char *cmd, const char *want)
{
    for (int i = 0; i < 200; i++) {
        char *r = gxt_redis_at(port, cmd);
        bool ok = r && strstr(r, want);
        free(r);
        if (ok)
            return true;
        usleep(50000);
    }
    return false;
}

/* The sentinels come up once the replica is in sync, so their first INFO of the primary
 * lists it; they know each other within a few hello periods (2 s). */
static void prepare(gxt_env *env)
{
    /* a replica that must sync in full after a failover starts at once, not after the
     * default 5 s wait for others (docs/operations.md) */
    free(gxt_redis(env, "CONFIG SET repl-diskless-sync-delay 0"));
    for (int i = 0; i < REPLICAS; i++)
        start_replica(env, i);
    for (int i = 0; i < REPLICAS; i++)
        if (!wait_reply(replica_port[i], "INFO replication", "master_link_status:up"))
            fail_msg("replica %d did not sync", i);
    for (int i = 0; i < SENTINELS; i++)
        start_sentinel(env, i);
    for (int i = 0; i < SENTINELS; i++)
        if (!wait_reply(sentinel_port[i], SAUTH "SENTINEL master " MASTER,
                        "num-other-sentinels\r\n$1\r\n2"))
            fail_msg("sentinel %d does not know the others", i);
    int n = snprintf(env->redis_url, sizeof(env->redis_url), "sentinel://");
    for (int i = 0; i < SENTINELS; i++)
        n += snprintf(env->redis_url + n, sizeof(env->redis_url) - (size_t)n, "%s127.0.0.1:%d",
                      i ? "," : "", sentinel_port[i]);
    snprintf(env->redis_url + n, sizeof(env->redis_url) - (size_t)n, "/" MASTER);
}

static const char *extra_wait[] = {
    "--redis-wait",        "500", "--ws-rate", "2000", "--user-rate", "2000",
    "--sentinel-password", SPW,   NULL};
static const char *extra_nowait[] = {"--ws-rate",           "2000", "--user-rate", "2000",
                                     "--sentinel-password", SPW,    NULL};
static gxt_env env;

static int setup(void **state)
{
    (void)state;
    with_wait = !getenv("GXT_FAILOVER_NO_WAIT");
    gxt_prepare = prepare;
    gxt_setup(&env, 1, with_wait ? extra_wait : extra_nowait);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return gxt_teardown(&env);
}

/* The port the sentinels call the primary now. */
static int primary_port(void)
{
    char *r = gxt_redis_at(sentinel_port[0], SAUTH "SENTINEL get-master-addr-by-name " MASTER);
    int port = 0;
    char *last = r ? strrchr(r, '$') : NULL; /* *2 $9 127.0.0.1 $5 <port> */
    if (last && strstr(last, "\r\n"))
        port = atoi(strstr(last, "\r\n") + 2);
    free(r);
    return port;
}

/* The primary on port has both others as replicas, in sync. */
static bool replicas_online(int port)
{
    char *r = gxt_redis_at(port, "INFO replication");
    int online = 0;
    for (const char *p = r; p && (p = strstr(p, "state=online")); p++)
        online++;
    free(r);
    return online == 2;
}

typedef struct {
    gxt_conn *c;
    char *token;
    const char *task;
    int next;    /* messages 0..next-1 were sent at least once */
    int64_t due; /* when the next new message goes */
    bool acked[MSGS_MAX];
    int64_t sent_at[MSGS_MAX]; /* 0: not in flight */
    int nacked, errors, resends;
    int64_t last_ack, gap_max;
} gxt_chat;

static void send_msg(gxt_chat *ch, int i)
{
    char cid[16];
    snprintf(cid, sizeof(cid), "m%d", i);
    gxt_send(ch->c, "{s:s, s:s, s:s, s:s, s:s}", "type", "chat.send", "task", ch->task, "text", cid,
             "cid", cid, "ref", cid);
    ch->sent_at[i] = gxt_now_ms();
}

static void on_frame(gxt_chat *ch, json_t *m)
{
    const char *type = gxt_str(m, "type");
    bool ack = strcmp(type, "chat.ack") == 0;
    if (!ack && strcmp(type, "error") != 0)
        return;
    const char *cid = gxt_str(m, ack ? "cid" : "ref");
    int i = cid[0] == 'm' ? atoi(cid + 1) : -1;
    if (i < 0 || i >= ch->next)
        return;
    ch->sent_at[i] = 0; /* an error: sent again by pump_chat */
    if (!ack) {
        ch->errors++;
        return;
    }
    if (!ch->acked[i]) {
        ch->acked[i] = true;
        ch->nacked++;
    }
    int64_t now = gxt_now_ms();
    if (ch->last_ack && now - ch->last_ack > ch->gap_max)
        ch->gap_max = now - ch->last_ack;
    ch->last_ack = now;
}

/* A customer whose socket closed logs in again (the task is theirs: resumed). */
static void reconnect(gxt_chat *ch)
{
    gxt_close(ch->c);
    ch->c = NULL;
    for (int i = 0; i < 100 && !ch->c; i++) {
        ch->c = gxt_login(&env, 0, ch->token, NULL, NULL);
        if (!ch->c)
            usleep(100000);
    }
    assert_non_null(ch->c);
    memset(ch->sent_at, 0, sizeof(ch->sent_at));
}

/* Takes every frame in, then keeps IN_FLIGHT messages out: unacked ones first (after an
 * error, or 3 s without an answer), then new ones while fresh is true. */
static void pump_chat(gxt_chat *ch, bool fresh)
{
    gxt_pump(&env, 10);
    if (ch->c->closed)
        reconnect(ch);
    while (json_array_size(ch->c->inbox)) {
        on_frame(ch, json_array_get(ch->c->inbox, 0));
        json_array_remove(ch->c->inbox, 0);
    }
    int64_t now = gxt_now_ms();
    int out = 0;
    for (int i = 0; i < ch->next; i++)
        if (!ch->acked[i] && ch->sent_at[i] && now - ch->sent_at[i] > 3000)
            ch->sent_at[i] = 0;
    for (int i = 0; i < ch->next; i++)
        out += !ch->acked[i] && ch->sent_at[i];
    for (int i = 0; i < ch->next && out < IN_FLIGHT; i++)
        if (!ch->acked[i] && !ch->sent_at[i]) {
            send_msg(ch, i);
            ch->resends++;
            out++;
        }
    if (fresh && out < IN_FLIGHT && ch->next < MSGS_MAX && now >= ch->due) {
        send_msg(ch, ch->next++);
        ch->due = now + PACE_MS;
    }
}

static void pump_for(gxt_chat *ch, int ms, bool fresh)
{
    for (int64_t end = gxt_now_ms() + ms; gxt_now_ms() < end;)
        pump_chat(ch, fresh);
}

/* Chats until acks have flowed for 1 s after being stopped, at most limit_ms. */
static void pump_until_flowing(gxt_chat *ch, int limit_ms)
{
    int64_t end = gxt_now_ms() + limit_ms;
    int64_t start = gxt_now_ms();
    while (gxt_now_ms() < end &&
           !(ch->last_ack > start + 200 && ch->nacked > 0 && gxt_now_ms() - ch->last_ack < 100 &&
             gxt_now_ms() - start > 1500))
        pump_chat(ch, true);
}

/* The stored cids of task: each counted into seen[]. */
static int read_transcript(const char *task, int *seen)
{
    char path[200], after[64] = "";
    int pages = 0, stored = 0;
    for (; pages < 20; pages++) {
        snprintf(path, sizeof(path), "/api/v1/tasks/%s/transcript?limit=500%s%s", task,
                 after[0] ? "&after=" : "", after);
        json_t *got = NULL;
        assert_int_equal(gxt_http(&env, 0, "GET", path, env.api_key, NULL, NULL, &got), 200);
        json_t *m;
        size_t k;
        json_array_foreach(json_object_get(got, "messages"), k, m)
        {
            const char *cid = gxt_str(m, "cid");
            if (cid[0] == 'm' && atoi(cid + 1) < MSGS_MAX) {
                seen[atoi(cid + 1)]++;
                stored++;
            }
        }
        const char *next = gxt_str(got, "next");
        snprintf(after, sizeof(after), "%s", next);
        json_decref(got);
        if (!after[0])
            break;
    }
    return stored;
}

static void check_nothing_lost(gxt_chat *ch, const char *phase)
{
    static int seen[MSGS_MAX];
    memset(seen, 0, sizeof(seen));
    int stored = read_transcript(ch->task, seen);
    int lost = 0, twice = 0;
    for (int i = 0; i < ch->next; i++) {
        lost += ch->acked[i] && !seen[i];
        twice += seen[i] > 1;
    }
    fprintf(stderr,
            "%s (%s): sent %d, acked %d, stored %d, acked but lost %d, stored twice %d, "
            "errors %d, resends %d, longest ack gap %lld ms\n",
            phase, with_wait ? "--redis-wait 500" : "no wait", ch->next, ch->nacked, stored, lost,
            twice, ch->errors, ch->resends, (long long)ch->gap_max);
    assert_int_equal(twice, 0);
    if (with_wait)
        assert_int_equal(lost, 0);
}

static void test_failover_loses_no_acked_message(void **state)
{
    (void)state;
    static gxt_chat ch;
    gxt_expert(&env, "fo1", "acme", 2);
    char *et = gxt_token(&env, "fo1", "expert", "acme");
    gxt_conn *e = gxt_login(&env, 0, et, NULL, NULL);
    assert_non_null(e);
    gxt_send(e, "{s:s, s:s}", "type", "presence.set", "status", "available");
    json_t *t = gxt_task(&env, 0, env.api_key, "fo-cust", "failover please", 0);
    ch.task = gxt_str(t, "task");
    gxt_claim_offered(e, ch.task);
    ch.token = strdup(gxt_str(t, "customer_token"));
    ch.c = gxt_login(&env, 0, ch.token, NULL, NULL);
    assert_non_null(ch.c);

    assert_int_equal(primary_port(), env.redis_port);
    pump_for(&ch, 1000, true);
    free(gxt_redis_at(sentinel_port[0], SAUTH "SENTINEL FAILOVER " MASTER));
    pump_until_flowing(&ch, 15000);
    int second = primary_port();
    assert_int_not_equal(second, env.redis_port);
    pump_for(&ch, 500, true);
    check_nothing_lost(&ch, "after SENTINEL FAILOVER");

    /* Both others follow the new primary before it is killed (the old one only when a
     * sentinel next looks at it, up to 10 s), so whichever is promoted next has every
     * acknowledged message; that also passes twice failover-timeout. */
    for (int i = 0; i < 3000 && !replicas_online(second); i++)
        pump_chat(&ch, true);
    assert_true(replicas_online(second));
    kill(replica_pid[second == replica_port[0] ? 0 : 1], SIGKILL);
    pump_until_flowing(&ch, 20000);
    int third = primary_port();
    assert_true(third != second && third > 0);
    pump_for(&ch, 500, true);
    for (int i = 0; i < 1500 && ch.nacked < ch.next; i++)
        pump_chat(&ch, false);
    assert_int_equal(ch.nacked, ch.next);
    check_nothing_lost(&ch, "after kill -9 of the primary");

    /* a new task is claimed on the primary the node moved to */
    json_t *t2 = gxt_task(&env, 0, env.api_key, "fo-cust2", "after the failovers", 0);
    gxt_claim_offered(e, gxt_str(t2, "task"));
    assert_int_equal(gxt_http(&env, 0, "GET", "/readyz", NULL, NULL, NULL, NULL), 200);
    /* the node counted both moves, the hold of the SENTINEL FAILOVER, and its WAITs */
    assert_true(gxt_metric(&env, 0, "gigcx_redis_primary_moves_total") >= 2);
    assert_true(gxt_metric(&env, 0, "gigcx_redis_failover_holds_total") >= 1);
    assert_true(gxt_metric(&env, 0, "gigcx_redis_waits_total") > 0 || !with_wait);
    json_decref(t2);
    json_decref(t);
    free(et);
    free(ch.token);
    gxt_close(ch.c);
    gxt_close(e);
}

/* Node 1 (the fixture's) gives the sentinels their password and is ready. A node without it
 * is refused by every sentinel: it never learns the primary, stays unready for as long as it
 * is watched (2 s), and says why in its log. */
static void test_sentinels_ask_a_password(void **state)
{
    (void)state;
    assert_int_equal(gxt_http(&env, 0, "GET", "/readyz", NULL, NULL, NULL, NULL), 200);
    char listen[64], log[200];
    env.node_port[1] = gxt_free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", env.node_port[1]);
    char *argv[] = {getenv("GIGCXD"), "--listen",  listen,        "--redis", env.redis_url,
                    "--secret",       GXT_SECRET,  "--admin-key", GXT_ADMIN, "--node-id",
                    "nopass",         "--drain-s", "0",           NULL};
    pid_t pid = gxt_spawn(&env, "nopass", argv);
    int st = 0, answers = 0;
    for (int64_t end = gxt_now_ms() + 2000; gxt_now_ms() < end; usleep(100000)) {
        st = gxt_http(&env, 1, "GET", "/readyz", NULL, NULL, NULL, NULL);
        assert_int_not_equal(st, 200);
        answers += st == 503;
    }
    assert_true(answers > 0); /* it serves, unready */
    kill(pid, SIGKILL);
    env.node_port[1] = 0;
    snprintf(log, sizeof(log), "%s/nopass.log", env.dir);
    FILE *f = fopen(log, "r");
    assert_non_null(f);
    char line[512];
    bool said = false;
    while (!said && fgets(line, sizeof(line), f))
        said = strstr(line, "sentinel") && strstr(line, "NOAUTH");
    fclose(f);
    assert_true(said);
}

int main(void)
{
    if (system("command -v redis-sentinel >/dev/null 2>&1") != 0) {
        print_message("redis-sentinel not installed: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentinels_ask_a_password),
        cmocka_unit_test(test_failover_loses_no_acked_message),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
