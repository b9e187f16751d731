/* gigcx-bench-pii: masking throughput (MB/s) over chat-like messages, a fifth of them
 * carrying an e-mail, phone, card or IBAN. Prints the median and the spread of 7 runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gigcx/pii.h"

#define MESSAGES 20000

static const char *const plain[] = {
    "Hi, my order 12345678 arrived on 2024-11-23 but the box was damaged. ",
    "It cost 1,299.99 EUR and the tracking number is 1Z999AA10123456784. ",
    "Could you check why I was charged twice for the same item please? ",
    "I tried again yesterday at 14:30, room 101, it still does not work. ",
};
static const char *const personal[] = {
    "You can reach me at ann.lee@example.com any time. ",
    "Call me on +44 20 7946 0958 after six. ",
    "The card was 4111 1111 1111 1111, expiry next year. ",
    "Refund to DE89 3704 0044 0532 0130 00 please. ",
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    char **msg = malloc(MESSAGES * sizeof(*msg));
    size_t total = 0;
    for (int i = 0; i < MESSAGES; i++) {
        char buf[1024] = "";
        for (int k = 0; k < 4; k++)
            strcat(buf, plain[(i + k) % 4]);
        if (i % 5 == 0)
            strcat(buf, personal[(i / 5) % 4]);
        msg[i] = strdup(buf);
        total += strlen(buf);
    }
    double mbps[7];
    for (int run = 0; run < 7; run++) {
        double t0 = now_s();
        size_t masked = 0;
        for (int i = 0; i < MESSAGES; i++) {
            bool changed;
            char *out = gx_pii_mask(msg[i], strlen(msg[i]), &changed);
            masked += changed;
            free(out);
        }
        mbps[run] = (double)total / 1e6 / (now_s() - t0);
        if (masked != MESSAGES / 5) {
            fprintf(stderr, "expected %d masked messages, got %zu\n", MESSAGES / 5, masked);
            return 1;
        }
    }
    qsort(mbps, 7, sizeof(double), cmp);
    printf("pii masking: %d messages, %.1f MB per run; median %.1f MB/s (min %.1f, max %.1f)\n",
           MESSAGES, (double)total / 1e6, mbps[3], mbps[0], mbps[6]);
    for (int i = 0; i < MESSAGES; i++)
        free(msg[i]);
    free(msg);
    return 0;
}
