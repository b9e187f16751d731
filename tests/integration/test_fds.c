/* Out of descriptors: gigcxd (here with room for 64 sockets) pauses accepting instead of
 * spinning on EMFILE (which took a core and wrote 394 MB of log in 52 s), and serves again
 * as soon as sockets close. A --max-sockets above the hard limit is refused at startup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "harness.h"

static const char *const extra[] = {"--max-sockets", "64", NULL};
GXT_FIXTURES(1, extra)

#define CONNS 600

/* CPU seconds node 0 used so far (user + system). */
static double cpu_s(void)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)env.node_pid[0]);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    /* after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt
     * cmajflt utime stime */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long log_size(void)
{
    char path[200];
    struct stat sb;
    snprintf(path, sizeof(path), "%s/node1.log", env.dir);
    return stat(path, &sb) ? -1 : (long)sb.st_size;
}

static int connect_node(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)env.node_port[0]),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

static void test_no_spin_at_the_descriptor_limit(void **state)
{
    (void)state;
    static int fds[CONNS];
    int n = 0;
    for (int i = 0; i < CONNS; i++)
        if ((fds[i] = connect_node()) >= 0) /* the kernel queues what is not accepted */
            n++;
    assert_true(n > 400);
    usleep(500000);
    double c0 = cpu_s();
    long l0 = log_size();
    usleep(2000000);
    double used = cpu_s() - c0;
    long logged = log_size() - l0;
    print_message("at the limit: %.2f CPU-s and %ld bytes of log in 2 s\n", used, logged);
    assert_true(used >= 0 && used < 0.5);
    assert_true(logged < 4096);
    for (int i = 0; i < CONNS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    int64_t t0 = gxt_now_ms();
    int st = 0;
    while (gxt_now_ms() - t0 < 6000 &&
           (st = gxt_http(&env, 0, "GET", "/healthz", NULL, NULL, NULL, NULL)) != 200)
        usleep(50000);
    assert_int_equal(st, 200);
    assert_true(gxt_metric(&env, 0, "gigcx_accept_pauses_total") > 0);
    assert_true(gxt_metric(&env, 0, "gigcx_accept_errors_total{errno=\"EMFILE\"}") > 0);
    assert_true(gxt_metric(&env, 0, "process_max_fds") == 64 + 256);
    assert_true(gxt_metric(&env, 0, "process_open_fds") > 0);
}

static void test_max_sockets_above_the_hard_limit_is_refused(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "%s --listen 127.0.0.1:%d --redis redis://127.0.0.1:%d --secret %s --admin-key %s "
             "--max-sockets 1048576 >/dev/null 2>&1",
             getenv("GIGCXD"), gxt_free_port(), env.redis_port, GXT_SECRET, GXT_ADMIN);
    int rc = system(cmd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_spin_at_the_descriptor_limit),
        cmocka_unit_test(test_max_sockets_above_the_hard_limit_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
