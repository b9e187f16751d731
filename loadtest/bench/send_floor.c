/* gigcx-bench-send-floor: what one small loopback TCP send and one recv cost in kernel
 * CPU on this machine, with the peer in another process waiting in epoll, as gigcxd's
 * peers (the load tester) are. It is the floor under gigcxd's CPU per offer (one send)
 * and per chat message (one recv, two sends), since on loopback the sender's system call
 * also runs the receiver's TCP stack and its wake-up. Sends are measured one system call
 * each, and in io_uring batches of 256 through gigcxd's own gx_sendq (as a fan-out goes).
 *
 * gigcx-bench-send-floor [sockets] [rounds] [bytes] [gap_ms]   (defaults 2000 40 350 20)
 *
 * gap_ms is the pause between rounds: the longer it is, the colder the caches each round
 * starts with (the fan-out scenario sends a round every 500 ms). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "gigcx/sendq.h"
#include "gigcx/util.h"

static int gap_ms = 20; /* between rounds */

static void pause_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static int die(const char *what)
{
    perror(what);
    exit(1);
}

/* n connected pairs over 127.0.0.1: ours[i] is the accepted end, theirs[i] the other. */
static void make_pairs(int n, int *ours, int *theirs)
{
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)};
    socklen_t len = sizeof(a);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 4096) ||
        getsockname(lfd, (struct sockaddr *)&a, &len))
        die("listen");
    for (int i = 0; i < n; i++) {
        theirs[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (theirs[i] < 0 || connect(theirs[i], (struct sockaddr *)&a, sizeof(a)))
            die("connect");
        if ((ours[i] = accept(lfd, NULL, NULL)) < 0)
            die("accept");
        setsockopt(ours[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(theirs[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    close(lfd);
}

/* The peer: reads whatever arrives until told to stop; echoes when asked to, so the
 * parent can measure its receive side. */
static void peer(int n, const int *fds, int ctl, int echo_rounds, size_t bytes)
{
    int ep = epoll_create1(0);
    char buf[65536];
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ctl};
    epoll_ctl(ep, EPOLL_CTL_ADD, ctl, &ev);
    for (;;) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 10000);
        for (int i = 0; i < k; i++) {
            if (evs[i].data.fd != ctl) {
                while (recv(evs[i].data.fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
                    ;
                continue;
            }
            char c;
            if (read(ctl, &c, 1) != 1 || c == 'q')
                exit(0);
            for (int r = 0; r < echo_rounds; r++) {
                for (int j = 0; j < n; j++)
                    if (send(fds[j], buf, bytes, MSG_NOSIGNAL) < 0)
                        exit(1);
                pause_ms(20);
            }
            if (write(ctl, "d", 1) != 1)
                exit(1);
        }
    }
}

static double measure_sends(int n, const int *fds, int rounds, size_t bytes)
{
    char *msg = calloc(1, bytes);
    double cpu = 0;
    for (int r = 0; r < rounds; r++) {
        double c0 = gx_now_cpu_s();
        for (int i = 0; i < n; i++)
            if (send(fds[i], msg, bytes, MSG_NOSIGNAL) != (ssize_t)bytes)
                die("send");
        cpu += gx_now_cpu_s() - c0;
        pause_ms(gap_ms); /* the peer drains and goes back to sleep, as between offers */
    }
    free(msg);
    return cpu / ((double)n * rounds);
}

static double mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void sent(void *user, int res, void *arg)
{
    (void)user;
    (void)arg;
    if (res <= 0)
        die("batched send");
}

/* The same rounds, each socket's send queued in batches of 256 and run by gx_sendq with
 * helpers threads sharing them (as gigcxd's --send-threads); *wall_ms: a round's median
 * time from its first send to its last. */
static double measure_batched(int n, const int *fds, int rounds, size_t bytes, unsigned helpers,
                              double *wall_ms)
{
    gx_sendq *q = gx_sendq_new(256, helpers);
    if (!q || gx_sendq_helpers(q) != helpers)
        return -1;
    char *msg = calloc(1, bytes);
    double cpu = 0, *wall = calloc((size_t)rounds, sizeof(*wall));
    for (int r = 0; r < rounds; r++) {
        double c0 = gx_now_cpu_s(), t0 = mono_ms();
        for (int i = 0; i < n; i++) {
            gx_sendq_add(q, fds[i], msg, bytes, NULL);
            if (gx_sendq_count(q) == 256 || i == n - 1)
                gx_sendq_run(q, sent, NULL);
        }
        wall[r] = mono_ms() - t0;
        cpu += gx_now_cpu_s() - c0;
        pause_ms(gap_ms);
    }
    qsort(wall, (size_t)rounds, sizeof(*wall), cmp_double);
    *wall_ms = wall[rounds / 2];
    free(wall);
    free(msg);
    gx_sendq_free(q);
    return cpu / ((double)n * rounds);
}

/* Asks the peer for rounds x n messages and receives them through epoll as gigcxd does. */
static double measure_recvs(int n, const int *fds, int ctl, int rounds, size_t bytes)
{
    int ep = epoll_create1(0);
    char buf[65536];
    long want = (long)n * rounds * (long)bytes, got = 0;
    int interrupted = 0;
    for (int i = 0; i < n; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
    }
    double c0 = gx_now_cpu_s();
    if (write(ctl, "e", 1) != 1)
        die("ctl");
    while (got < want) {
        struct epoll_event evs[256];
        int k = epoll_wait(ep, evs, 256, 5000);
        if (k < 0 && errno == EINTR && ++interrupted < 100) /* interrupted is not timed out */
            continue;
        if (k <= 0)
            die("recv timed out");
        for (int i = 0; i < k; i++) {
            ssize_t m = recv(evs[i].data.fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (m > 0)
                got += m;
        }
    }
    double cpu = gx_now_cpu_s() - c0;
    char c;
    if (read(ctl, &c, 1) != 1)
        die("ctl");
    close(ep);
    return cpu / ((double)n * rounds);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2000, rounds = argc > 2 ? atoi(argv[2]) : 40;
    size_t bytes = argc > 3 ? (size_t)atoi(argv[3]) : 350;
    gap_ms = argc > 4 ? atoi(argv[4]) : 20;
    struct rlimit rl = {2 * (rlim_t)n + 64, 2 * (rlim_t)n + 64};
    if (n < 1 || n > 30000 || rounds < 1 || bytes < 1 || bytes > 60000 || gap_ms < 0 ||
        gap_ms > 10000)
        return fprintf(stderr, "usage: %s [sockets<=30000] [rounds] [bytes] [gap_ms<=10000]\n",
                       argv[0]),
               2;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        die("setrlimit");
    int *ours = malloc(n * sizeof(int)), *theirs = malloc(n * sizeof(int)), ctl[2];
    make_pairs(n, ours, theirs);
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, ctl))
        die("socketpair");
    pid_t pid = fork();
    if (pid == 0) {
        close(ctl[0]);
        peer(n, theirs, ctl[1], rounds, bytes);
    }
    close(ctl[1]);
    pause_ms(100);
    double s = measure_sends(n, ours, rounds, bytes);
    double bw, hw, b = measure_batched(n, ours, rounds, bytes, 0, &bw);
    double h = measure_batched(n, ours, rounds, bytes, 1, &hw);
    double r = measure_recvs(n, ours, ctl[0], rounds, bytes);
    double floor = b > 0 ? b : s; /* without io_uring gigcxd sends one call each */
    printf("%d sockets, %d rounds, %zu bytes: %.2f us CPU per send (%.2f batched by io_uring), "
           "%.2f us per recv (epoll included)\n",
           n, rounds, bytes, s * 1e6, b * 1e6, r * 1e6);
    if (b > 0 && h > 0)
        printf("batched with a helper thread (gigcxd --send-threads 1): %.2f us CPU per send; "
               "a round of %d sends takes %.2f ms against %.2f alone\n",
               h * 1e6, n, hw, bw);
    printf("floor per offer (1 %s send) %.2f us; per chat message (1 recv + 2 sends) %.2f us\n",
           b > 0 ? "batched" : "plain", floor * 1e6, (r + 2 * floor) * 1e6);
    if (write(ctl[0], "q", 1) != 1)
        return 1;
    waitpid(pid, NULL, 0);
    return 0;
}
