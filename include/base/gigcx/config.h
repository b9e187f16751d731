/* gigcxd configuration: command-line flags, each with an environment twin (GIGCX_*) and a
 * key in the --config file (config_file.h). A flag beats its twin, which beats the file.
 * Opens no socket; the only file it reads is --config's. */
#ifndef GIGCX_CONFIG_H
#define GIGCX_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include "gigcx/xff.h"

typedef struct {
    char *config_file;     /* owned; --config: NULL = none */
    char *listen_host;     /* owned; default "127.0.0.1" */
    int listen_port;       /* default 8080; 0 = pick a free port */
    char *redis_url;       /* owned; NULL = start an embedded redis-server */
    char *data_dir;        /* owned; default "./gigcx-data" */
    char *static_dir;      /* owned; default: "static" beside the binary's source tree or cwd */
    char *admin_key;       /* owned; required unless dev */
    char *secret;          /* owned; JWT signing key, required unless dev */
    char *secret_previous; /* owned; NULL or a key still accepted while --secret rotates */
    char *tls_cert;        /* owned; NULL = plain */
    char *tls_key;         /* owned */
    char *node_id;         /* owned; default "<hostname>-<pid>" filled by gx_config_finish */
    char *redis_server; /* owned; redis-server binary for embedded mode, default "redis-server" */
    char *trusted_proxies; /* owned; --trusted-proxies as given, NULL = none */
    gx_cidrs trusted;      /* the same, parsed (xff.h) */
    char *metrics_key;     /* owned; NULL = /metrics is open, else it needs this bearer key */
    char *sentinel_user;   /* owned; NULL = the sentinels' default user */
    char *sentinel_pass;   /* owned; NULL = the sentinels ask no password */
    int log_level;         /* 0 error, 1 warn, 2 info, 3 debug; default 2 */
    int heartbeat_s;       /* ping interval, default 20 */
    int hello_timeout_ms;  /* --hello-timeout: a socket without a hello is closed after it */
    int queue_timeout_s;   /* default offer/queue time-out for brands that set none, default 900 */
    int ws_rate;           /* frames per second per socket (flood control), default 50 */
    int coalesce_us;       /* --coalesce-us: the loop's wait window under load (coalesce.h) */
    int send_threads;      /* --send-threads: helpers that share a fan-out's writes (sendq.h) */
    int max_sockets;       /* the descriptor limit asked for, less a reserve (main.c) */
    int expert_grace_s;    /* held tasks wait this long for an expert whose socket is gone */
    int webhook_retry_min_ms; /* first wait before a failed webhook is tried again, default 1000 */
    int webhook_max_age_s;    /* a webhook event is given up this long after it happened */
    int webhook_timeout_s;    /* one webhook POST, connect to status line, default 10 */
    int chat_max_messages;    /* --chat-max-messages: messages one task's chat may hold */
    int task_retention_s;     /* --task-retention: finished tasks kept this long; 0 = forever */
    int customer_open_max;    /* --customer-open-max: open tasks one customer may have */
    int drain_s;              /* --drain-s: the shutdown's drain window */
    bool max_sockets_given;  /* --max-sockets was set (not the default): beyond the limit, refuse */
    int redis_timeout_ms;    /* --redis-timeout: longest wait for a command's reply, 0 = none */
    int redis_wait_ms;       /* --redis-wait: acks wait for replicas this long, 0 = off */
    int redis_wait_replicas; /* --redis-wait-replicas */
    int user_rate;           /* --user-rate: frames per second one user, all sockets */
    int widget_ip_rate;      /* --widget-ip-rate: widget sessions per minute per address */
    int widget_brand_rate;   /* --widget-brand-rate: widget sessions per minute per brand */
    int brand_task_rate;     /* --brand-task-rate: tasks per minute per brand (REST) */
    bool webhook_allow_private; /* webhooks may reach loopback, link-local, private addresses */
    bool proxy_protocol;        /* every connection starts with a PROXY header (v1 or v2) */
    bool dev;                   /* --dev: throwaway keys, demo brand and experts */
    bool plain_send;            /* --plain-send: no io_uring batching of socket writes */
    bool help;                  /* --help was given */
    bool version;               /* --version was given */
} gx_config;

/* Fills cfg from defaults, then the --config file (named by the flag or GIGCX_CONFIG),
 * then argv, then the environment (which only fills what flags left unset). On a bad flag,
 * value or file line, or an unreadable file, returns -1 and writes one line naming it (a
 * file's errors name FILE:LINE) to err (buffer of errlen bytes); cfg must still be freed
 * with gx_config_free. */
int gx_config_parse(gx_config *cfg, int argc, char **argv, char **envp, char *err, size_t errlen);

/* Checks what parse cannot: secret and admin key present unless dev (dev generates them
 * when absent), TLS cert and key both or neither. Returns 0 or -1 with err filled. */
int gx_config_finish(gx_config *cfg, char *err, size_t errlen);
/* The default --static ("static", relative to the working directory) falls back to the
 * installed clients (installed: the package's share directory) when the working directory
 * has none, so an installed gigcxd serves its clients from anywhere. A --static given, or
 * a working directory with its own static/, is kept. gx_config_finish calls it. */
void gx_config_static_default(gx_config *cfg, const char *installed);

/* Writes --help: every flag with its env twin, default and meaning. */
void gx_config_usage(FILE *out, const char *argv0);

/* Frees every owned field; accepts NULL. */
void gx_config_free(gx_config *cfg);

#endif
