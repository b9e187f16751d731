/* The embedded redis-server child: spawn, watch, stop. File work here (mkdir, realpath,
 * the pid file) happens once at start-up, before the loop serves anyone. */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libwebsockets.h>
#include "gigcx/embed.h"

struct gx_embed {
    uv_process_t proc;
    bool exited, stopping;
    void (*on_exit)(void *arg);
    void *arg;
    void (*done)(void *arg);
    void *done_arg;
};

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0700) && errno != EEXIST ? -1 : 0;
}

/* A redis-server left running by a crashed gigcxd would share our AOF: stop it first. */
static void stop_leftover(const char *dir)
{
    char path[PATH_MAX + 16], comm[64] = "";
    snprintf(path, sizeof(path), "%s/redis.pid", dir);
    FILE *f = fopen(path, "r");
    long pid = 0;
    if (!f)
        return;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = 0;
    fclose(f);
    snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
    f = pid > 1 ? fopen(path, "r") : NULL;
    if (f) {
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = '\0';
        fclose(f);
    }
    if (strncmp(comm, "redis-server", 12) != 0)
        return;
    lwsl_warn("embedded redis: stopping pid %ld left by an earlier run\n", pid);
    kill((pid_t)pid, SIGTERM);
    for (int i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
        usleep(50000);
}

static void on_closed(uv_handle_t *h)
{
    gx_embed *e = h->data;
    if (e->done)
        e->done(e->done_arg);
    free(e);
}

static void on_child_exit(uv_process_t *p, int64_t status, int sig)
{
    gx_embed *e = p->data;
    e->exited = true;
    if (!e->stopping) {
        lwsl_err("embedded redis-server exited (status %lld, signal %d)\n", (long long)status, sig);
        if (e->on_exit)
            e->on_exit(e->arg);
        return;
    }
    uv_close((uv_handle_t *)p, on_closed);
}

gx_embed *gx_embed_start(uv_loop_t *loop, const char *binary, const char *data_dir, char *url,
                         size_t urlcap, void (*on_exit)(void *arg), void *arg, char *err,
                         size_t errlen)
{
    char dir[PATH_MAX], sock[PATH_MAX + 16], pidf[PATH_MAX + 16];
    if (mkdir_p(data_dir) || !realpath(data_dir, dir)) {
        snprintf(err, errlen, "--data %s: cannot create: %s", data_dir, strerror(errno));
        return NULL;
    }
    snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
    snprintf(pidf, sizeof(pidf), "%s/redis.pid", dir);
    if (strlen(sock) >= 100) {
        snprintf(err, errlen, "--data %s: path too long for a unix socket", data_dir);
        return NULL;
    }
    stop_leftover(dir);
    gx_embed *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    e->on_exit = on_exit;
    e->arg = arg;
    char *args[] = {(char *)binary,
                    "--port",
                    "0",
                    "--unixsocket",
                    sock,
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    dir,
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "everysec",
                    "--save",
                    "",
                    "--daemonize",
                    "no",
                    "--pidfile",
                    pidf,
                    "--logfile",
                    "redis.log",
                    NULL};
    uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE},
                                     {.flags = UV_INHERIT_FD, .data.fd = 1},
                                     {.flags = UV_INHERIT_FD, .data.fd = 2}};
    uv_process_options_t opt = {
        .file = binary, .args = args, .exit_cb = on_child_exit, .stdio_count = 3, .stdio = stdio};
    e->proc.data = e;
    int rc = uv_spawn(loop, &e->proc, &opt);
    if (rc) {
        snprintf(err, errlen, "cannot start %s: %s (install redis-server or pass --redis)", binary,
                 uv_strerror(rc));
        uv_close((uv_handle_t *)&e->proc, NULL);
        e->exited = true;
        /* the handle must be closed before freeing; run the loop once to finish that */
        uv_run(loop, UV_RUN_NOWAIT);
        free(e);
        return NULL;
    }
    snprintf(url, urlcap, "unix://%s", sock);
    return e;
}

void gx_embed_stop(gx_embed *e, void (*done)(void *arg), void *arg)
{
    if (!e) {
        done(arg);
        return;
    }
    e->done = done;
    e->done_arg = arg;
    e->stopping = true;
    if (e->exited) {
        uv_close((uv_handle_t *)&e->proc, on_closed);
        return;
    }
    uv_process_kill(&e->proc, SIGTERM);
}
