/* Scenario files: a table of fields, each with a parser, so the file and the command line
 * share one path and every error names its field. */
#include "scenario.h"
#include <jansson.h>
#include <stdio.h>
#include <string.h>

typedef int (*parse_fn)(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen);

static int bad(char *err, size_t errlen, const char *field, const char *want)
{
    snprintf(err, errlen, "field '%s': expected %s", field, want);
    return -1;
}

#define AT(type) ((type *)((char *)s + off))

static int p_int(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 10000000)
        return -2;
    *AT(int) = (int)json_integer_value(v);
    return 0;
}

static int p_num(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return -2;
    *AT(double) = json_number_value(v);
    return 0;
}

static int p_bool(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    if (!json_is_boolean(v))
        return -2;
    *AT(bool) = json_is_true(v);
    return 0;
}

static int p_str(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    const char *str = json_string_value(v);
    if (!str || !str[0] || strlen(str) >= 64)
        return -2;
    snprintf(AT(char), 64, "%s", str);
    return 0;
}

/* a URL that goes into the brand's JSON as it is */
static int p_url(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    const char *str = json_string_value(v);
    if (!str || (strncmp(str, "http://", 7) != 0 && strncmp(str, "https://", 8) != 0) ||
        strpbrk(str, "\"\\"))
        return -2;
    return p_str(s, off, v, err, errlen);
}

static int p_range(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    if (json_is_number(v)) { /* a single number: always that long */
        *AT(gxlt_range) = (gxlt_range){json_number_value(v), json_number_value(v)};
        return json_number_value(v) < 0 ? -2 : 0;
    }
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_number(json_array_get(v, 0)) ||
        !json_is_number(json_array_get(v, 1)))
        return -2;
    gxlt_range r = {json_number_value(json_array_get(v, 0)),
                    json_number_value(json_array_get(v, 1))};
    if (r.lo < 0 || r.hi < r.lo)
        return -2;
    *AT(gxlt_range) = r;
    return 0;
}

static int p_profile(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)off, (void)err, (void)errlen;
    if (json_is_number(v)) { /* a constant rate */
        s->profile[0] = (gxlt_point){0, json_number_value(v)};
        s->nprofile = 1;
        return json_number_value(v) < 0 ? -2 : 0;
    }
    if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > GXLT_PROFILE_MAX)
        return -2;
    size_t i;
    json_t *p;
    double last = -1;
    json_array_foreach(v, i, p)
    {
        json_t *t = json_array_get(p, 0), *r = json_array_get(p, 1);
        if (!json_is_array(p) || json_array_size(p) != 2 || !json_is_number(t) ||
            !json_is_number(r) || json_number_value(t) <= last || json_number_value(r) < 0)
            return -2;
        last = json_number_value(t);
        s->profile[i] = (gxlt_point){last, json_number_value(r)};
    }
    s->nprofile = (int)json_array_size(v);
    return 0;
}

/* "claim_pick": "first" (the console's top offer) or "random" (any open offer). */
static int p_pick(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)off, (void)err, (void)errlen;
    const char *str = json_string_value(v);
    if (!str || (strcmp(str, "first") != 0 && strcmp(str, "random") != 0))
        return -2;
    s->claim_random = strcmp(str, "random") == 0;
    return 0;
}

/* "slo": {"claim_rtt.p99_ms": 10, ...}: latency percentiles, and for a drain run the
 * scalar limits of gxlt_drain_slo, named without a dot: {"idle_share_max": 0.01, ...}. */
static const char *const slo_metrics[] = {"connect",    "offer_delivery", "claim_rtt", "chat_rtt",
                                          "queue_wait", "first_reply",    NULL};

#define D(name)                                                                                    \
    {                                                                                              \
#name, offsetof(gxlt_drain_slo, name)                                                      \
    }
static const struct {
    const char *name;
    size_t off;
} drain_slos[] = {D(makespan_ratio_max), D(makespan_slack_s), D(idle_share_max),
                  D(fairness_max_over_median)};

static const gxlt_drain_slo no_drain_slo = {-1, -1, -1, -1};

bool gxlt_scenario_has_drain_slo(const gxlt_scenario *s)
{
    return s->dslo.makespan_ratio_max >= 0 || s->dslo.makespan_slack_s >= 0 ||
           s->dslo.idle_share_max >= 0 || s->dslo.fairness_max_over_median >= 0;
}

static int p_drain_slo(gxlt_scenario *s, const char *k, json_t *lim, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof(drain_slos) / sizeof(drain_slos[0]); i++) {
        if (strcmp(drain_slos[i].name, k) != 0)
            continue;
        if (!json_is_number(lim) || json_number_value(lim) < 0) {
            snprintf(err, errlen, "field 'slo': '%s' wants a number >= 0", k);
            return -1;
        }
        *(double *)((char *)&s->dslo + drain_slos[i].off) = json_number_value(lim);
        return 0;
    }
    snprintf(err, errlen,
             "field 'slo': unknown limit '%s' (metric.pNN_ms, or for a drain makespan_ratio_max, "
             "makespan_slack_s, idle_share_max, fairness_max_over_median)",
             k);
    return -1;
}

static int p_slo(gxlt_scenario *s, size_t off, json_t *v, char *err, size_t errlen)
{
    (void)off;
    if (!json_is_object(v) || json_object_size(v) > GXLT_SLO_MAX)
        return -2;
    s->nslo = 0;
    s->dslo = no_drain_slo;
    const char *k;
    json_t *lim;
    json_object_foreach(v, k, lim)
    {
        gxlt_slo o = {0};
        const char *dot = strchr(k, '.');
        if (!dot) { /* a drain limit */
            if (p_drain_slo(s, k, lim, err, errlen))
                return -1;
            continue;
        }
        double pct;
        char tail[8];
        if ((size_t)(dot - k) >= sizeof(o.metric) || sscanf(dot + 1, "p%lf_%7s", &pct, tail) != 2 ||
            strcmp(tail, "ms") != 0 || pct <= 0 || pct > 100 || !json_is_number(lim))
            return bad(err, errlen, "slo",
                       "an object like {\"claim_rtt.p99_ms\": 10} (metric.pNN_ms: number)");
        memcpy(o.metric, k, (size_t)(dot - k));
        bool known = false;
        for (int i = 0; slo_metrics[i]; i++)
            known |= strcmp(slo_metrics[i], o.metric) == 0;
        if (!known) {
            snprintf(err, errlen,
                     "field 'slo': unknown metric '%s' (connect, offer_delivery, claim_rtt, "
                     "chat_rtt, queue_wait, first_reply)",
                     o.metric);
            return -1;
        }
        o.pct = pct;
        o.max_ms = json_number_value(lim);
        s->slo[s->nslo++] = o;
    }
    if (s->dslo.makespan_slack_s >= 0 && s->dslo.makespan_ratio_max < 0)
        return bad(err, errlen, "slo", "makespan_slack_s only with makespan_ratio_max");
    return 0;
}

#define F(name, fn, want)                                                                          \
    {                                                                                              \
#name, offsetof(gxlt_scenario, name), fn, want                                             \
    }
static const struct {
    const char *name;
    size_t off;
    parse_fn fn;
    const char *want;
} fields[] = {
    F(name, p_str, "a string of 1..63 chars"),
    F(brand, p_str, "a brand id of 1..63 chars"),
    F(webhook_url, p_url, "an http(s) URL of 1..63 chars without quotes or backslashes"),
    F(duration_s, p_num, "seconds >= 0"),
    F(drain_s, p_num, "seconds >= 0"),
    F(experts, p_int, "an integer >= 0"),
    F(capacity, p_int, "an integer 1..10"),
    F(connect_rate, p_num, "connects per second > 0"),
    F(claim, p_bool, "true or false"),
    F(claim_think, p_range, "milliseconds, or [min, max]"),
    F(reply_think, p_range, "milliseconds, or [min, max]"),
    F(customer_think, p_range, "milliseconds, or [min, max]"),
    F(messages, p_int, "an integer >= 0"),
    F(patience_s, p_num, "seconds >= 0"),
    F(open_share, p_num, "a share 0..1"),
    {"task_rate", 0, p_profile, "tasks per second, or [[t_s, rate], ...] with t_s increasing"},
    F(chat_pairs, p_int, "an integer >= 0"),
    F(chat_rate, p_num, "messages per second >= 0"),
    F(max_tasks, p_int, "an integer >= 0"),
    F(storm_at_s, p_num, "seconds >= 0"),
    F(wave_size, p_int, "an integer 0..1000 (0 = offers to everyone at once)"),
    F(wave_interval_s, p_int, "seconds 1..3600"),
    F(rest_connections, p_int, "an integer 1..64"),
    F(backlog, p_int, "an integer >= 0 (tasks created at once; 0 = not a drain run)"),
    F(backlog_first, p_bool, "true or false"),
    F(handle_ms, p_range, "milliseconds, or [min, max]"),
    F(timeout_s, p_num, "seconds > 0"),
    {"claim_pick", 0, p_pick, "\"first\" or \"random\""},
    {"slo", 0, p_slo,
     "an object of metric.pNN_ms: number (and for a drain makespan_ratio_max, makespan_slack_s, "
     "idle_share_max, fairness_max_over_median: number)"},
    {"description", 0, NULL, "a string"},
};

void gxlt_scenario_defaults(gxlt_scenario *s)
{
    *s = (gxlt_scenario){.name = "unnamed",
                         .brand = "loadtest",
                         .duration_s = 10,
                         .drain_s = 5,
                         .experts = 50,
                         .capacity = 3,
                         .connect_rate = 5000,
                         .claim = true,
                         .claim_think = {50, 300},
                         .reply_think = {100, 500},
                         .customer_think = {100, 500},
                         .messages = 2,
                         .patience_s = 60,
                         .open_share = 0.5,
                         .profile = {{0, 5}},
                         .nprofile = 1,
                         .wave_size = -1,
                         .wave_interval_s = 10,
                         .rest_connections = 4,
                         .handle_ms = {1000, 1000},
                         .timeout_s = 600,
                         .dslo = no_drain_slo};
}

static int set_field(gxlt_scenario *s, int i, json_t *v, char *err, size_t errlen)
{
    if (!fields[i].fn)
        return json_is_string(v) ? 0 : bad(err, errlen, fields[i].name, fields[i].want);
    int rc = fields[i].fn(s, fields[i].off, v, err, errlen);
    if (rc == -2)
        return bad(err, errlen, fields[i].name, fields[i].want);
    return rc;
}

int gxlt_scenario_validate(const gxlt_scenario *s, char *err, size_t errlen);

/* Each field alone; fields that depend on each other are checked once all are set. */
static int check(gxlt_scenario *s, char *err, size_t errlen)
{
    if (s->capacity < 1 || s->capacity > 10)
        return bad(err, errlen, "capacity", "an integer 1..10");
    if (s->open_share > 1)
        return bad(err, errlen, "open_share", "a share 0..1");
    if (s->connect_rate <= 0)
        return bad(err, errlen, "connect_rate", "connects per second > 0");
    if (s->wave_size > 1000)
        return bad(err, errlen, "wave_size", "an integer 0..1000 (0 = offers to everyone at once)");
    if (s->wave_interval_s < 1 || s->wave_interval_s > 3600)
        return bad(err, errlen, "wave_interval_s", "seconds 1..3600");
    if (s->rest_connections < 1 || s->rest_connections > 64)
        return bad(err, errlen, "rest_connections", "an integer 1..64");
    if (s->timeout_s <= 0)
        return bad(err, errlen, "timeout_s", "seconds > 0");
    return 0;
}

int gxlt_scenario_validate(const gxlt_scenario *s, char *err, size_t errlen)
{
    if (s->chat_pairs > s->experts)
        return bad(err, errlen, "chat_pairs", "at most one pair per expert (<= experts)");
    if (s->backlog > 0 && (s->chat_pairs > 0 || s->storm_at_s > 0 || !s->claim))
        return bad(err, errlen, "backlog",
                   "0 with chat_pairs, storm_at_s or claim false (a drain claims every task)");
    if (s->backlog > 0 && s->experts < 1)
        return bad(err, errlen, "experts", "at least 1 to drain a backlog");
    if (s->backlog == 0 && gxlt_scenario_has_drain_slo(s))
        return bad(err, errlen, "slo", "only latency limits (metric.pNN_ms) when backlog is 0");
    return 0;
}

int gxlt_scenario_parse(gxlt_scenario *s, const char *text, char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "not a JSON object (line %d: %s)", je.line, root ? "" : je.text);
        json_decref(root);
        return -1;
    }
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach(root, k, v)
    {
        int i = 0, n = (int)(sizeof(fields) / sizeof(fields[0]));
        while (i < n && strcmp(fields[i].name, k) != 0)
            i++;
        if (i == n) {
            snprintf(err, errlen, "field '%s': unknown field", k);
            rc = -1;
            break;
        }
        if ((rc = set_field(s, i, v, err, errlen)))
            break;
    }
    json_decref(root);
    return rc ? rc : check(s, err, errlen) ? -1 : gxlt_scenario_validate(s, err, errlen);
}

int gxlt_scenario_load(gxlt_scenario *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return -1;
    }
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    int rc = gxlt_scenario_parse(s, buf, err, errlen);
    if (rc) { /* say which file */
        char msg[256];
        snprintf(msg, sizeof(msg), "%s: %s", path, err);
        snprintf(err, errlen, "%s", msg);
    }
    return rc;
}

int gxlt_scenario_set(gxlt_scenario *s, const char *name, const char *value, char *err,
                      size_t errlen)
{
    char key[64];
    snprintf(key, sizeof(key), "%s", name);
    for (char *p = key; *p; p++)
        if (*p == '-')
            *p = '_';
    int i = 0, n = (int)(sizeof(fields) / sizeof(fields[0]));
    while (i < n && strcmp(fields[i].name, key) != 0)
        i++;
    if (i == n)
        return 1;
    json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
    if (!v)
        v = json_string(value); /* a bare word is a string */
    int rc = set_field(s, i, v, err, errlen);
    json_decref(v);
    return rc ? rc : check(s, err, errlen);
}

double gxlt_scenario_rate(const gxlt_scenario *s, double t)
{
    if (s->nprofile == 0)
        return 0;
    if (t <= s->profile[0].at_s)
        return s->profile[0].rate;
    for (int i = 1; i < s->nprofile; i++) {
        const gxlt_point *a = &s->profile[i - 1], *b = &s->profile[i];
        if (t <= b->at_s) /* the share of the step first: (b - a) * (t - at) alone may overflow */
            return a->rate + (b->rate - a->rate) * ((t - a->at_s) / (b->at_s - a->at_s));
    }
    return s->profile[s->nprofile - 1].rate;
}
