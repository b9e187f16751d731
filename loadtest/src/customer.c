/* Simulated customers: a task arrives either as a brand's REST call (the customer then
 * joins with the token it returns) or as task.open from a customer's own socket. They wait
 * (cancelling past their patience), chat turn by turn, rate when resolved, and measure
 * queue wait, first reply and chat latency. In chat mode they only hold their pair open
 * while the chat tick sends at a fixed rate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

struct gxlt_customer {
    gxlt_run *run; /* borrowed */
    char id[64];
    char *token; /* owned */
    gxc_conn *c;
    char ip[16];
    gxlt_task *t; /* borrowed from the task table */
    bool via_open, welcomed, assigned, done, closing;
    int sent;
    uint64_t t_req, seq;
    int sock; /* socket number, for spreading */
};

static void customer_connect(gxlt_customer *cu);

static void say(void *actor, void *arg)
{
    (void)arg;
    gxlt_customer *cu = actor;
    if (!cu->welcomed || cu->done || !cu->t)
        return;
    char text[64], cid[32];
    snprintf(text, sizeof(text), "[lt %llu] customer message %d", (unsigned long long)gxlt_now_us(),
             cu->sent + 1);
    snprintf(cid, sizeof(cid), "c%llu", (unsigned long long)++cu->seq);
    json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "chat.send", "task", cu->t->id,
                          "text", text, "cid", cid, "ref", "m");
    if (gxlt_send(cu->c, m)) {
        cu->sent++;
        cu->run->st.msgs_sent++;
    }
    json_decref(m);
}

static void finish(gxlt_customer *cu)
{
    if (cu->t) /* what the expert writes from now on is not for this customer to miss */
        cu->t->left[1] = true;
    cu->done = true;
    cu->closing = true;
    if (cu->c)
        gxc_close(cu->c);
}

static void patience(void *actor, void *arg)
{
    (void)arg;
    gxlt_customer *cu = actor;
    if (cu->assigned || cu->done || !cu->t || !cu->welcomed)
        return;
    json_t *m = json_pack("{s:s, s:s, s:s}", "type", "task.cancel", "task", cu->t->id, "ref", "x");
    gxlt_send(cu->c, m);
    json_decref(m);
    cu->run->st.tasks_cancelled++;
}

static void got_task(gxlt_customer *cu, const char *id)
{
    gxlt_run *run = cu->run;
    cu->t = gxlt_task_get(run, id);
    cu->t->cust = cu;
    gxlt_task_born(run, cu->t, cu->t_req);
    run->st.tasks_created++;
    if (run->sc.patience_s > 0 && run->sc.chat_pairs == 0)
        gxlt_at(run, (uint64_t)(run->sc.patience_s * 1e6), patience, cu, NULL);
}

static void on_assigned(gxlt_customer *cu)
{
    if (cu->assigned)
        return;
    cu->assigned = true;
    gxlt_run *run = cu->run;
    if (run->sc.chat_pairs == 0 && run->sc.messages > 0)
        gxlt_at(run, gxlt_draw_us(run->sc.customer_think), say, cu, NULL);
}

static void on_update(gxlt_customer *cu, json_t *m)
{
    const char *status = json_string_value(json_object_get(m, "status"));
    if (!status || !cu->t)
        return;
    if (strcmp(status, "assigned") == 0) {
        on_assigned(cu);
    } else if (strcmp(status, "resolved") == 0) {
        json_t *r = json_pack("{s:s, s:s, s:i, s:s}", "type", "task.rate", "task", cu->t->id,
                              "score", 4 + (int)(random() % 2), "ref", "rate");
        gxlt_send(cu->c, r);
        json_decref(r);
    } else if (strcmp(status, "cancelled") == 0 || strcmp(status, "expired") == 0) {
        finish(cu);
    }
}

static void on_chat(gxlt_customer *cu, json_t *m, uint64_t now)
{
    const char *role = json_string_value(json_object_get(json_object_get(m, "from"), "role"));
    if (!role || strcmp(role, "customer") == 0 || !cu->t)
        return;
    gxlt_run *run = cu->run;
    gxlt_task *t = cu->t;
    int before = t->received[1];
    gxlt_receive_chat(run, t, 1, m, now);
    if (t->received[1] == before)
        return;
    if (!t->first_reply_seen && t->t0_us) {
        t->first_reply_seen = true;
        gxlt_observe(run, M_FIRST_REPLY, now - t->t0_us);
    }
    if (run->sc.chat_pairs == 0 && cu->sent < run->sc.messages)
        gxlt_at(run, gxlt_draw_us(run->sc.customer_think), say, cu, NULL);
}

static void on_welcome(gxlt_customer *cu, json_t *m)
{
    gxlt_run *run = cu->run;
    cu->welcomed = true;
    if (cu->via_open && !cu->t) {
        json_t *o =
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "task.open", "topic", "billing",
                      "language", "en", "text", "[lt 0] I need help with a bill", "ref", "open");
        cu->t_req = gxlt_now_us();
        gxlt_send(cu->c, o);
        json_decref(o);
        return;
    }
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(m, "tasks"), i, x)
    {
        const char *st = json_string_value(json_object_get(x, "status"));
        if (st && cu->t && strcmp(st, "queued") != 0)
            on_assigned(cu);
    }
    (void)run;
}

static void on_text(gxc_conn *c, const char *text, size_t len, void *user)
{
    (void)c;
    gxlt_customer *cu = user;
    gxlt_run *run = cu->run;
    uint64_t now = gxlt_now_us();
    json_t *m = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!type) {
        gxlt_error(run, "invalid_frame", false);
    } else if (strcmp(type, "chat.message") == 0) {
        on_chat(cu, m, now);
    } else if (strcmp(type, "chat.ack") == 0 && cu->t) {
        cu->t->acked[0]++;
        run->st.msgs_acked++;
    } else if (strcmp(type, "task.update") == 0) {
        on_update(cu, m);
    } else if (strcmp(type, "task.created") == 0) {
        got_task(cu, json_string_value(json_object_get(m, "task")));
    } else if (strcmp(type, "task.rated") == 0) {
        run->st.tasks_rated++;
        finish(cu);
    } else if (strcmp(type, "welcome") == 0) {
        on_welcome(cu, m);
    } else if (strcmp(type, "error") == 0) {
        const char *code = json_string_value(json_object_get(m, "code"));
        /* a cancel racing the claim is refused with conflict: expected */
        const char *ref = json_string_value(json_object_get(m, "ref"));
        bool expected = ref && strcmp(ref, "x") == 0 && code && strcmp(code, "conflict") == 0;
        gxlt_error(run, code ? code : "?", expected);
    }
    json_decref(m);
}

static void on_open(gxc_conn *c, void *user)
{
    gxlt_customer *cu = user;
    json_t *h = json_pack("{s:s, s:s}", "type", "hello", "token", cu->token);
    if (cu->t) {
        char id[48];
        gx_sid_format(cu->t->last[1], id, sizeof(id));
        json_object_set_new(h, "resume", json_pack("{s:s}", cu->t->id, id));
    }
    gxlt_send(c, h);
    json_decref(h);
}

static void reconnect(void *actor, void *arg)
{
    (void)arg;
    customer_connect(actor);
}

static void on_close(gxc_conn *c, int code, void *user)
{
    (void)c, (void)code;
    gxlt_customer *cu = user;
    cu->c = NULL;
    cu->welcomed = false;
    if (cu->closing || cu->run->stopping)
        return;
    cu->run->st.v[V_CLOSE]++;
    gxlt_at(cu->run, 500000, reconnect, cu, NULL);
}

static const gxc_callbacks customer_cbs = {
    .on_open = on_open, .on_text = on_text, .on_close = on_close};

static void customer_connect(gxlt_customer *cu)
{
    gxc_target t = gxlt_target(cu->run, cu->sock, cu->ip);
    cu->c = gxc_connect(cu->run->ws, &t, &customer_cbs, cu);
}

static void on_task_posted(int status, const char *body, void *priv)
{
    gxlt_customer *cu = priv;
    gxlt_run *run = cu->run;
    json_t *j = status == 201 ? json_loads(body, 0, NULL) : NULL;
    const char *task = json_string_value(json_object_get(j, "task"));
    const char *tok = json_string_value(json_object_get(j, "customer_token"));
    if (!task || !tok || run->stopping) {
        if (!run->stopping) {
            char code[32];
            snprintf(code, sizeof(code), "http_%d", status);
            gxlt_error(run, code, false);
        }
        json_decref(j);
        return;
    }
    cu->token = strdup(tok);
    got_task(cu, task);
    json_decref(j);
    customer_connect(cu);
}

static void on_token(int status, const char *body, void *priv)
{
    gxlt_customer *cu = priv;
    json_t *j = status == 201 ? json_loads(body, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (tok && !cu->run->stopping) {
        cu->token = strdup(tok);
        customer_connect(cu);
    } else if (!cu->run->stopping) {
        char code[32];
        snprintf(code, sizeof(code), "http_%d", status);
        gxlt_error(cu->run, code, false);
    }
    json_decref(j);
}

/* One new customer with one new task. */
void gxlt_customer_start(gxlt_run *run)
{
    gxlt_customer *cu = calloc(1, sizeof(*cu));
    if (!cu)
        return;
    if (run->ncusts == run->capcusts) {
        size_t ncap = run->capcusts ? run->capcusts * 2 : 256;
        gxlt_customer **n = realloc(run->custs, ncap * sizeof(*n));
        if (!n) {
            free(cu);
            return;
        }
        run->custs = n;
        run->capcusts = ncap;
    }
    run->custs[run->ncusts++] = cu;
    cu->run = run;
    uint64_t n = run->ncustomers++;
    cu->sock = (int)(n + (uint64_t)run->sc.experts);
    snprintf(cu->id, sizeof(cu->id), "%s-c%llu", run->prefix, (unsigned long long)n);
    cu->via_open = run->sc.chat_pairs == 0 && (double)random() / RAND_MAX < run->sc.open_share;
    run->st.tasks_requested++;
    gxlt_rest *rest = run->rest[n % (uint64_t)run->nurls];
    char body[512];
    if (cu->via_open) {
        snprintf(body, sizeof(body),
                 "{\"sub\":\"%s\",\"role\":\"customer\",\"brand\":\"%s\",\"name\":\"Pat Doe\"}",
                 cu->id, run->prefix);
        gxlt_rest_async(rest, "POST", "/api/v1/tokens", run->api_key, body, on_token, cu);
        return;
    }
    cu->t_req = gxlt_now_us();
    snprintf(body, sizeof(body),
             "{\"customer\":{\"id\":\"%s\",\"name\":\"Pat Doe\"},\"topic\":\"billing\","
             "\"language\":\"en\",\"text\":\"[lt %llu] I need help with a bill\"}",
             cu->id, (unsigned long long)cu->t_req);
    gxlt_rest_async_stamped(rest, "POST", "/api/v1/tasks", run->api_key, body, on_task_posted, cu,
                            &cu->t_req);
}

/* Chat mode: n messages this tick, each from a random side of a random assigned pair. */
void gxlt_chat_tick(gxlt_run *run, double dt_s)
{
    static double credit;
    credit += run->sc.chat_rate * dt_s;
    for (int tries = 0; credit >= 1 && run->ncusts && tries < 100000; tries++) {
        gxlt_customer *cu = run->custs[(size_t)random() % run->ncusts];
        if (!cu->t || cu->t->winner < 0 || !cu->welcomed || !gxlt_expert_conn(run, cu->t->winner))
            continue;
        credit -= 1;
        if (random() % 2)
            say(cu, NULL);
        else
            gxlt_expert_say(run, cu->t->winner, cu->t);
    }
    if (credit > run->sc.chat_rate) /* nobody to send for: do not build a burst */
        credit = run->sc.chat_rate;
}

/* Messages acknowledged to one side and never received by the other are lost. */
static void count_lost(const char *key, void *val, void *arg)
{
    (void)key;
    gxlt_task *t = val;
    gxlt_run *run = arg;
    for (int side = 0; side < 2; side++)
        if (t->acked[side] > t->received[side] && !t->left[side])
            run->st.v[V_LOST] += (uint64_t)(t->acked[side] - t->received[side]);
}

void gxlt_customers_finish(gxlt_run *run)
{
    gx_map_each(&run->tasks, count_lost, run);
    /* A customer still waiting for a task an expert was given over 2 s ago was never told. */
    uint64_t now = gxlt_now_us();
    for (size_t i = 0; i < run->ncusts; i++) {
        const gxlt_customer *cu = run->custs[i];
        if (cu->welcomed && cu->t && cu->t->assigned_us && now - cu->t->assigned_us > 2000000 &&
            !cu->assigned && !cu->done)
            run->st.v[V_UNTOLD]++;
    }
}

void gxlt_customers_free(gxlt_run *run)
{
    for (size_t i = 0; i < run->ncusts; i++) {
        free(run->custs[i]->token);
        free(run->custs[i]);
    }
    free(run->custs);
    run->custs = NULL;
    run->ncusts = 0;
}
