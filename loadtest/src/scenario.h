/* A load scenario: who connects, what they do and how fast, and the SLOs that decide pass
 * or fail. Read from a JSON file; any field can be overridden by a --field value flag.
 * Every error names the field and says what was expected. */
#ifndef GXLT_SCENARIO_H
#define GXLT_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#define GXLT_PROFILE_MAX 32
#define GXLT_SLO_MAX 16

typedef struct {
    double lo, hi; /* milliseconds, uniform in [lo, hi] */
} gxlt_range;

typedef struct {
    double at_s, rate; /* tasks per second at time at_s; linear between points */
} gxlt_point;

typedef struct {
    char metric[32]; /* e.g. "claim_rtt" */
    double pct;      /* e.g. 99 */
    double max_ms;
} gxlt_slo;

/* Limits on the figures of a drain run (backlog > 0); a negative value is unset. */
typedef struct {
    double makespan_ratio_max;       /* makespan to the last resolve <= this * ideal + slack */
    double makespan_slack_s;         /* seconds added to that limit (0 when unset) */
    double idle_share_max;           /* idle slot-seconds while work waited / (N * C * makespan) */
    double fairness_max_over_median; /* tasks per expert: max / median */
} gxlt_drain_slo;

typedef struct {
    char name[64];
    char brand[64];
    /* the brand's webhook_url, empty for none (to measure the webhook outbox in Redis) */
    char webhook_url[64];
    double duration_s;   /* the measured phase */
    double drain_s;      /* after it: no new tasks, let the rest finish */
    int experts;         /* expert sockets */
    int capacity;        /* tasks an expert holds at once */
    double connect_rate; /* expert connects per second */
    bool claim;          /* experts claim offers (false: fan-out only) */
    gxlt_range claim_think, reply_think, customer_think;
    int messages;                         /* customer messages per task (each answered once) */
    double patience_s;                    /* a waiting customer cancels after this */
    double open_share;                    /* share of tasks opened by customers over the socket */
    gxlt_point profile[GXLT_PROFILE_MAX]; /* task arrival rate over time */
    int nprofile;
    int chat_pairs;      /* chat mode: pairs assigned up front, then chatting */
    double chat_rate;    /* chat mode: messages per second, all pairs together */
    int max_tasks;       /* stop creating tasks after this many (0 = no limit) */
    double storm_at_s;   /* reconnect storm: every expert drops at this time (0 = never) */
    int wave_size;       /* the brand's offer waves: experts per wave, 0 = all at once, -1 = the
                            server's default */
    int wave_interval_s; /* seconds between waves */
    /* REST connections (each a worker thread) per url, for creating tasks */
    int rest_connections;
    /* drain: a backlog of tasks created at once once every expert is available; experts
     * claim like the console and hold each task handle_ms; the run ends when all are
     * resolved, or after timeout_s */
    int backlog;          /* tasks (0 = not a drain run) */
    gxlt_range handle_ms; /* how long an expert holds a task before resolving it */
    double timeout_s;     /* the longest a drain may take, from its first task */
    bool claim_random;    /* drain: claim a random open offer, not the first (claim_pick) */
    bool backlog_first;   /* drain: the backlog is queued with every expert away; then they all
                             go available at once, and the makespan counts from then */
    gxlt_slo slo[GXLT_SLO_MAX];
    int nslo;
    gxlt_drain_slo dslo;
} gxlt_scenario;

/* Defaults for every field. */
void gxlt_scenario_defaults(gxlt_scenario *s);
/* Reads a scenario file over s. Returns 0, or -1 with a message naming the field in err. */
int gxlt_scenario_load(gxlt_scenario *s, const char *path, char *err, size_t errlen);
/* Parses a scenario from JSON text (for tests). Same contract as load. */
int gxlt_scenario_parse(gxlt_scenario *s, const char *json, char *err, size_t errlen);
/* Overrides one field from a flag: name as in the file (dashes allowed for underscores),
 * value as JSON text or a bare string. 1 when name is not a scenario field, 0 done, -1 bad. */
int gxlt_scenario_set(gxlt_scenario *s, const char *name, const char *value, char *err,
                      size_t errlen);
/* Checks the fields that depend on each other (after every flag is applied): 0 or -1. */
int gxlt_scenario_validate(const gxlt_scenario *s, char *err, size_t errlen);
/* Whether any drain limit is set. */
bool gxlt_scenario_has_drain_slo(const gxlt_scenario *s);
/* Task arrival rate at t seconds into the measured phase. */
double gxlt_scenario_rate(const gxlt_scenario *s, double t);

#endif
