/* gigcxd configuration: flags (also as --flag=value), each with a GIGCX_* environment twin
 * and a key in the --config file; a flag beats its twin, which beats the file. One table
 * drives flags, the environment, the file's keys and --help. The file's syntax is
 * config_file.c's; no socket is opened here. */
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "gigcx/config.h"
#include "gigcx/config_file.h"
#include "gigcx/util.h"

typedef enum { T_STR, T_LISTEN, T_REDIS, T_ID, T_LEVEL, T_INT, T_BOOL } gx_opt_type;

typedef struct {
    const char *flag, *env, *arg, *def, *help;
    gx_opt_type type;
    size_t off; /* offset of the field in gx_config */
    int min, max;
} gx_opt;

#define F(field) offsetof(gx_config, field)

static const gx_opt opts[] = {
    {"--config", "GIGCX_CONFIG", "FILE", "off",
     "file of `key = value` lines, keys named as these flags without --; flags and the "
     "environment beat it",
     T_STR, F(config_file), 0, 0},
    {"--listen", "GIGCX_LISTEN", "HOST:PORT", "127.0.0.1:8080",
     "address for HTTP and WebSocket (/ws)", T_LISTEN, 0, 0, 0},
    {"--redis", "GIGCX_REDIS", "URL", "embedded",
     "redis://[user:pass@]host:port[/db], unix:///path, or "
     "sentinel://[user:pass@]host:port,host:port/master[/db]; absent = start a private "
     "redis-server",
     T_REDIS, F(redis_url), 0, 0},
    {"--data", "GIGCX_DATA", "DIR", "./gigcx-data", "data directory of the embedded Redis", T_STR,
     F(data_dir), 0, 0},
    {"--static", "GIGCX_STATIC", "DIR", "static", "browser clients to serve", T_STR, F(static_dir),
     0, 0},
    {"--admin-key", "GIGCX_ADMIN_KEY", "KEY", "required", "bearer key of the admin API", T_STR,
     F(admin_key), 0, 0},
    {"--secret", "GIGCX_SECRET", "KEY", "required", "token signing key (16 bytes or more)", T_STR,
     F(secret), 0, 0},
    {"--secret-previous", "GIGCX_SECRET_PREVIOUS", "KEY", "off",
     "a signing key being rotated out: tokens it signed are still accepted (sign with --secret)",
     T_STR, F(secret_previous), 0, 0},
    {"--tls-cert", "GIGCX_TLS_CERT", "FILE", "off", "PEM certificate: serve HTTPS and WSS", T_STR,
     F(tls_cert), 0, 0},
    {"--tls-key", "GIGCX_TLS_KEY", "FILE", "off", "PEM private key of --tls-cert", T_STR,
     F(tls_key), 0, 0},
    {"--node-id", "GIGCX_NODE_ID", "ID", "host-pid", "names this process in logs and events", T_ID,
     F(node_id), 0, 0},
    {"--log-level", "GIGCX_LOG_LEVEL", "LEVEL", "info", "error, warn, info or debug", T_LEVEL,
     F(log_level), 0, 0},
    {"--heartbeat", "GIGCX_HEARTBEAT", "SECONDS", "20",
     "WebSocket ping interval; a peer silent for 3 is dropped", T_INT, F(heartbeat_s), 1, 300},
    {"--hello-timeout", "GIGCX_HELLO_TIMEOUT", "MS", "10000",
     "a socket that has not sent a valid hello this long after it opened is closed (4408); "
     "checked once a second",
     T_INT, F(hello_timeout_ms), 100, 600000},
    {"--queue-timeout", "GIGCX_QUEUE_TIMEOUT", "SECONDS", "900",
     "how long a task waits unclaimed, for brands that set none", T_INT, F(queue_timeout_s), 1,
     86400},
    {"--expert-grace", "GIGCX_EXPERT_GRACE", "SECONDS", "60",
     "how long an expert's held tasks wait for them after their socket is gone", T_INT,
     F(expert_grace_s), 1, 86400},
    {"--webhook-retry-min-ms", "GIGCX_WEBHOOK_RETRY_MIN_MS", "MS", "1000",
     "first wait before a failed webhook is tried again; doubles per attempt up to an hour", T_INT,
     F(webhook_retry_min_ms), 1, 3600000},
    {"--webhook-max-age", "GIGCX_WEBHOOK_MAX_AGE", "SECONDS", "86400",
     "how long a webhook event is retried before it is logged as failed", T_INT,
     F(webhook_max_age_s), 1, 604800},
    {"--webhook-timeout", "GIGCX_WEBHOOK_TIMEOUT", "SECONDS", "10",
     "time one webhook POST may take, connect to status line", T_INT, F(webhook_timeout_s), 1, 60},
    {"--webhook-allow-private", "GIGCX_WEBHOOK_ALLOW_PRIVATE", NULL, "off",
     "let webhook URLs reach loopback, link-local and private addresses (tests, closed networks)",
     T_BOOL, F(webhook_allow_private), 0, 0},
    {"--metrics-key", "GIGCX_METRICS_KEY", "KEY", "off",
     "bearer key /metrics asks for (Authorization: Bearer KEY); off = /metrics is open", T_STR,
     F(metrics_key), 0, 0},
    {"--trusted-proxies", "GIGCX_TRUSTED_PROXIES", "CIDRS", "off",
     "proxies (a,b/n,...) whose X-Forwarded-For names the client, for the per-address "
     "budgets; off = the peer address is the client",
     T_STR, F(trusted_proxies), 0, 0},
    {"--proxy-protocol", "GIGCX_PROXY_PROTOCOL", NULL, "off",
     "every connection starts with a PROXY protocol header (v1 or v2: HAProxy's send-proxy or "
     "send-proxy-v2) naming the client, for the per-address budgets; one without it, or "
     "from a peer outside --trusted-proxies when that is set, is closed",
     T_BOOL, F(proxy_protocol), 0, 0},
    {"--sentinel-password", "GIGCX_SENTINEL_PASSWORD", "PASS", "off",
     "password of the sentinels of a sentinel:// --redis (their requirepass; the URL's is the "
     "data nodes'); keep it in the environment file, not on the command line",
     T_STR, F(sentinel_pass), 0, 0},
    {"--sentinel-user", "GIGCX_SENTINEL_USER", "USER", "off",
     "ACL user of the sentinels, with --sentinel-password; off = their default user", T_STR,
     F(sentinel_user), 0, 0},
    {"--redis-timeout", "GIGCX_REDIS_TIMEOUT", "MS", "5000",
     "a Redis command unanswered this long drops the connection (callers hear unavailable) "
     "and it is made again; 0 = wait forever",
     T_INT, F(redis_timeout_ms), 0, 600000},
    {"--redis-wait", "GIGCX_REDIS_WAIT", "MS", "0",
     "acknowledge a chat message, a claim or a new task only once --redis-wait-replicas "
     "replicas have it (Redis WAIT, up to MS; else unavailable, and the client resends), so a "
     "failover loses nothing acknowledged; 0 = off",
     T_INT, F(redis_wait_ms), 0, 60000},
    {"--redis-wait-replicas", "GIGCX_REDIS_WAIT_REPLICAS", "N", "1",
     "replicas --redis-wait waits for", T_INT, F(redis_wait_replicas), 1, 16},
    {"--ws-rate", "GIGCX_WS_RATE", "FRAMES", "50",
     "frames per second a socket may send (bursts of twice that); load tests raise it", T_INT,
     F(ws_rate), 1, 100000},
    {"--drain-s", "GIGCX_DRAIN_S", "SECONDS", "10",
     "on SIGTERM: unready at once, keep serving half of this, then stop accepting and close "
     "the sockets in batches with 1001 over the other half (a second SIGTERM: at once)",
     T_INT, F(drain_s), 0, 600},
    {"--max-sockets", "GIGCX_MAX_SOCKETS", "N", "32768",
     "sockets this process may hold; lws walks a table this long on every close, so keep it "
     "near need",
     T_INT, F(max_sockets), 64, 1048576},
    {"--coalesce-us", "GIGCX_COALESCE_US", "US", "2000",
     "under load, each wait for events starts at least this long after the last, so one pass "
     "handles many; 0 = off",
     T_INT, F(coalesce_us), 0, 100000},
    {"--redis-server", "GIGCX_REDIS_SERVER", "PATH", "redis-server",
     "redis-server binary for the embedded Redis", T_STR, F(redis_server), 0, 0},
    {"--send-threads", "GIGCX_SEND_THREADS", "N", "1",
     "threads that help write big batches (a fan-out) to the kernel, on CPUs the loop is not "
     "using; 0 = the loop's thread alone",
     T_INT, F(send_threads), 0, 16},
    {"--chat-max-messages", "GIGCX_CHAT_MAX_MESSAGES", "N", "2000",
     "messages one task's chat may hold; past it chat.send gets capacity; 0 = no limit", T_INT,
     F(chat_max_messages), 0, 1000000},
    {"--task-retention", "GIGCX_TASK_RETENTION", "SECONDS", "0",
     "finished tasks (resolved, cancelled, expired) and their chats are deleted this long "
     "after they ended or were rated; 0 = kept forever",
     T_INT, F(task_retention_s), 0, 315360000},
    {"--customer-open-max", "GIGCX_CUSTOMER_OPEN_MAX", "N", "5",
     "open tasks one customer may have at once (task.open gets capacity past it); 0 = no limit",
     T_INT, F(customer_open_max), 0, 10000},
    {"--widget-ip-rate", "GIGCX_WIDGET_IP_RATE", "N", "120",
     "anonymous widget sessions one address may open per minute, over every process; 0 = no "
     "limit",
     T_INT, F(widget_ip_rate), 0, 1000000},
    {"--widget-brand-rate", "GIGCX_WIDGET_BRAND_RATE", "N", "1200",
     "anonymous widget sessions per brand per minute, over every process; 0 = no limit", T_INT,
     F(widget_brand_rate), 0, 10000000},
    {"--brand-task-rate", "GIGCX_BRAND_TASK_RATE", "N", "60000",
     "tasks one brand may create per minute over the API, over every process; 0 = no limit", T_INT,
     F(brand_task_rate), 0, 100000000},
    {"--user-rate", "GIGCX_USER_RATE", "FRAMES", "100",
     "frames per second one user may send over all its sockets on this process (bursts of "
     "twice that); load tests raise it",
     T_INT, F(user_rate), 1, 1000000},
    {"--plain-send", "GIGCX_PLAIN_SEND", NULL, "off",
     "write each socket with its own send(), not batched through io_uring", T_BOOL, F(plain_send),
     0, 0},
    {"--dev", "GIGCX_DEV", NULL, "off", "throwaway keys, a demo brand, experts and tokens", T_BOOL,
     F(dev), 0, 0},
    {"--help", NULL, NULL, NULL, "this text", T_BOOL, F(help), 0, 0},
    {"--version", NULL, NULL, NULL, "the version and commit of this build", T_BOOL, F(version), 0,
     0},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int set_listen(gx_config *c, const char *v)
{
    const char *colon = strrchr(v, ':');
    if (!colon)
        return -1;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end || port < 0 || port > 65535)
        return -1;
    const char *h = v;
    size_t hl = (size_t)(colon - v);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') { /* [::1]:8080 */
        h++;
        hl -= 2;
    }
    free(c->listen_host);
    c->listen_host = hl ? strndup(h, hl) : strdup("0.0.0.0");
    c->listen_port = (int)port;
    return c->listen_host ? 0 : -1;
}

static int set_level(gx_config *c, const char *v)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++)
        if (strcasecmp(v, names[i]) == 0 || (v[0] == '0' + i && v[1] == '\0')) {
            c->log_level = i;
            return 0;
        }
    return -1;
}

/* Strict, so that a misspelt `dev = of` in a file is an error rather than a quiet "off". */
static int set_bool(bool *b, const char *v)
{
    static const char *const words[] = {"0", "false", "no", "off", "1", "true", "yes", "on"};
    for (int i = 0; i < 8; i++)
        if (strcasecmp(v, words[i]) == 0) {
            *b = i >= 4;
            return 0;
        }
    return -1;
}

static int set_value(gx_config *c, const gx_opt *o, const char *v)
{
    char *field = (char *)c + o->off;
    switch (o->type) {
    case T_LISTEN:
        return set_listen(c, v);
    case T_LEVEL:
        return set_level(c, v);
    case T_INT: {
        char *end;
        long n = strtol(v, &end, 10);
        if (!*v || *end || n < o->min || n > o->max)
            return -1;
        *(int *)field = (int)n;
        return 0;
    }
    case T_BOOL:
        return set_bool((bool *)field, v);
    case T_REDIS:
        if (strncmp(v, "redis://", 8) != 0 && strncmp(v, "unix://", 7) != 0 &&
            strncmp(v, "sentinel://", 11) != 0)
            return -1;
        break;
    case T_ID:
        if (!gx_id_valid(v))
            return -1;
        break;
    case T_STR:
        if (!*v)
            return -1;
        break;
    }
    free(*(char **)field);
    *(char **)field = strdup(v);
    return *(char **)field ? 0 : -1;
}

static const char *expected(const gx_opt *o)
{
    switch (o->type) {
    case T_LISTEN:
        return "HOST:PORT";
    case T_REDIS:
        return "redis://host:port, unix:///path or sentinel://host:port,.../master";
    case T_ID:
        return "an id of [A-Za-z0-9_-]{1,64}";
    case T_LEVEL:
        return "error, warn, info or debug";
    case T_INT:
        return "a whole number in range";
    case T_BOOL:
        return "on or off";
    default:
        return "a value";
    }
}

/* Whether an option's documented default is a value to parse, rather than words for what
 * its absence means ("required", "off", "embedded", "host-pid"). */
static bool default_is_value(const gx_opt *o)
{
    if (!o->def || o->type == T_REDIS || o->type == T_ID)
        return false;
    return o->type != T_STR || (strcmp(o->def, "required") != 0 && strcmp(o->def, "off") != 0);
}

/* Every default comes from the table, the same text --help shows. */
static void defaults(gx_config *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < NOPTS; i++)
        if (default_is_value(&opts[i]) && set_value(c, &opts[i], opts[i].def))
            abort(); /* a default the table's own checks refuse: a bug here */
}

static const gx_opt *find_flag(const char *arg, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].flag) == n && strncmp(arg, opts[i].flag, n) == 0)
            return &opts[i];
    if (n == 2 && strncmp(arg, "-h", 2) == 0)
        return &opts[NOPTS - 1];
    return NULL;
}

/* The command line, into cfg; given[] marks what it set, so the environment leaves it. */
static int parse_argv(gx_config *cfg, int argc, char **argv, bool *given, char *err, size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '=');
        size_t n = eq ? (size_t)(eq - a) : strlen(a);
        const gx_opt *o = find_flag(a, n);
        if (!o) {
            snprintf(err, errlen, "unknown flag '%s'", a);
            return -1;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v && o->type == T_BOOL)
            v = "1";
        else if (!v && (v = i + 1 < argc ? argv[++i] : NULL) == NULL) {
            snprintf(err, errlen, "%s: expects %s", o->flag, o->arg);
            return -1;
        }
        if (set_value(cfg, o, v)) {
            snprintf(err, errlen, "%s: expected %s, got '%s'", o->flag, expected(o), v);
            return -1;
        }
        given[o - opts] = true;
    }
    return 0;
}

/* The GIGCX_* twins of what the command line left unset; marks them in given[]. */
static int parse_envp(gx_config *cfg, char **envp, bool *given, char *err, size_t errlen)
{
    for (size_t i = 0; envp && i < NOPTS; i++) {
        if (given[i] || !opts[i].env)
            continue;
        size_t el = strlen(opts[i].env);
        for (char **e = envp; *e; e++) {
            if (strncmp(*e, opts[i].env, el) != 0 || (*e)[el] != '=')
                continue;
            if (set_value(cfg, &opts[i], *e + el + 1)) {
                snprintf(err, errlen, "%s: expected %s, got '%s'", opts[i].env, expected(&opts[i]),
                         *e + el + 1);
                return -1;
            }
            given[i] = true;
        }
    }
    return 0;
}

typedef struct {
    gx_config *cfg; /* borrowed */
    bool *given;    /* borrowed; NOPTS entries */
} file_ctx;

/* One `key = value` of the config file: the key is a flag's name without "--". */
static int apply_file_key(void *arg, const char *key, const char *value, char *err, size_t errlen)
{
    file_ctx *fc = arg;
    const gx_opt *o = NULL;
    for (size_t i = 0; i < NOPTS && !o; i++)
        if (strcmp(opts[i].flag + 2, key) == 0)
            o = &opts[i];
    if (!o || strcmp(key, "help") == 0 || strcmp(key, "config") == 0) {
        snprintf(err, errlen, "unknown key '%s' (keys are the flags of gigcxd --help, without --)",
                 key);
        return -1;
    }
    if (set_value(fc->cfg, o, value)) {
        snprintf(err, errlen, "%s: expected %s, got '%s'", key, expected(o), value);
        return -1;
    }
    fc->given[o - opts] = true;
    return 0;
}

/* Defaults, then the file, then flags, then their twins: each layer over the one before. */
static int parse_layers(gx_config *cfg, const char *file, int argc, char **argv, char **envp,
                        char *err, size_t errlen)
{
    bool in_file[NOPTS] = {false}, given[NOPTS] = {false};
    defaults(cfg);
    file_ctx fc = {.cfg = cfg, .given = in_file};
    if (file && gx_config_file_read(file, apply_file_key, &fc, err, errlen))
        return -1;
    if (parse_argv(cfg, argc, argv, given, err, errlen) ||
        parse_envp(cfg, envp, given, err, errlen))
        return -1;
    const gx_opt *ms = find_flag("--max-sockets", 13);
    cfg->max_sockets_given = ms && (given[ms - opts] || in_file[ms - opts]);
    return 0;
}

int gx_config_parse(gx_config *cfg, int argc, char **argv, char **envp, char *err, size_t errlen)
{
    if (parse_layers(cfg, NULL, argc, argv, envp, err, errlen))
        return -1;
    if (!cfg->config_file)
        return 0;
    /* The file is the bottom layer yet only the layers above it name it: once they have,
     * start again with it underneath. */
    char *file = cfg->config_file;
    cfg->config_file = NULL;
    gx_config_free(cfg);
    int rc = parse_layers(cfg, file, argc, argv, envp, err, errlen);
    free(file);
    return rc;
}

static void default_node_id(gx_config *c)
{
    char host[64] = "gigcxd", id[GX_ID_MAX + 1];
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(id, sizeof(id), "%.40s-%d", host, (int)getpid());
    for (char *p = id; *p; p++)
        if (!gx_id_valid((char[]){*p, '\0'}))
            *p = '-';
    c->node_id = strdup(id);
}

static char *throwaway_key(void)
{
    char k[40];
    return gx_id_random(k, 24) ? NULL : strdup(k);
}

int gx_config_finish(gx_config *cfg, char *err, size_t errlen)
{
    if (gx_xff_cidrs_parse(&cfg->trusted, cfg->trusted_proxies)) {
        snprintf(err, errlen,
                 "--trusted-proxies: expected addresses or CIDRs, a,b/n,... (at "
                 "most 32)");
        return -1;
    }
    if (cfg->dev && !cfg->secret)
        cfg->secret = throwaway_key();
    if (cfg->dev && !cfg->admin_key)
        cfg->admin_key = throwaway_key();
    if (!cfg->secret || !cfg->admin_key) {
        snprintf(err, errlen, "%s is required (or %s), unless --dev",
                 !cfg->secret ? "--secret" : "--admin-key",
                 !cfg->secret ? "GIGCX_SECRET" : "GIGCX_ADMIN_KEY");
        return -1;
    }
    if (!cfg->dev && strlen(cfg->secret) < 16) {
        snprintf(err, errlen, "--secret must be at least 16 bytes");
        return -1;
    }
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return -1;
    }
    if (!cfg->node_id)
        default_node_id(cfg);
#ifdef GX_STATIC_INSTALLED
    gx_config_static_default(cfg, GX_STATIC_INSTALLED);
#endif
    return cfg->node_id ? 0 : -1;
}

void gx_config_static_default(gx_config *cfg, const char *installed)
{
    struct stat st;
    if (!cfg->static_dir || strcmp(cfg->static_dir, "static") != 0 ||
        (stat("static", &st) == 0 && S_ISDIR(st.st_mode)))
        return;
    char *dir = stat(installed, &st) == 0 && S_ISDIR(st.st_mode) ? strdup(installed) : NULL;
    if (dir) {
        free(cfg->static_dir);
        cfg->static_dir = dir;
    }
}

void gx_config_usage(FILE *out, const char *argv0)
{
    fprintf(out,
            "usage: %s [flags]\n\ngigcxd serves the gigcx marketplace: WebSocket and HTTP "
            "on one port, Redis as the source of truth.\n\n",
            argv0);
    for (size_t i = 0; i < NOPTS; i++) {
        char flag[48];
        snprintf(flag, sizeof(flag), "%s%s%s", opts[i].flag, opts[i].arg ? " " : "",
                 opts[i].arg ? opts[i].arg : "");
        fprintf(out, "  %-26s %-21s %s", flag, opts[i].env ? opts[i].env : "", opts[i].help);
        if (opts[i].def)
            fprintf(out, " (default: %s)", opts[i].def);
        fputc('\n', out);
    }
    fprintf(out,
            "\nA flag beats its environment twin, which beats the --config file. Example:\n"
            "  %s --listen 127.0.0.1:8081 --redis redis://127.0.0.1:6379 --secret $S --admin-key "
            "$K\n  %s --dev   "
            "(embedded Redis, demo brand, printed tokens)\n",
            argv0, argv0);
}

void gx_config_free(gx_config *cfg)
{
    if (!cfg)
        return;
    char **fields[] = {&cfg->listen_host,     &cfg->redis_url,       &cfg->data_dir,
                       &cfg->static_dir,      &cfg->admin_key,       &cfg->secret,
                       &cfg->tls_cert,        &cfg->tls_key,         &cfg->node_id,
                       &cfg->redis_server,    &cfg->secret_previous, &cfg->metrics_key,
                       &cfg->trusted_proxies, &cfg->sentinel_user,   &cfg->sentinel_pass};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        free(*fields[i]);
        *fields[i] = NULL;
    }
    free(cfg->config_file);
    cfg->config_file = NULL;
}
