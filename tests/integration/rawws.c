/* The blocking WebSocket client of rawws.h: RFC 6455 framing, client frames masked, only
 * what the tests need (text frames, skipping control frames). */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "rawws.h"

/* Reads exactly n bytes within the time left; 0 or -1. */
static int read_n(int fd, void *buf, size_t n, int64_t deadline_ms);

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_readable(int fd, int64_t deadline_ms)
{
    int left = (int)(deadline_ms - now_ms());
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return left > 0 && poll(&p, 1, left) == 1 ? 0 : -1;
}

static int read_n(int fd, void *buf, size_t n, int64_t deadline_ms)
{
    size_t got = 0;
    while (got < n) {
        if (wait_readable(fd, deadline_ms))
            return -1;
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            return -1;
        if (r > 0)
            got += (size_t)r;
    }
    return 0;
}

static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int rawws_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    static const char req[] =
        "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: gigcx.v1\r\n\r\n";
    char head[2048];
    size_t n = 0;
    int64_t deadline = now_ms() + 5000;
    if (write_all(fd, req, sizeof(req) - 1))
        goto fail;
    /* byte by byte up to the blank line: nothing of the first frame is read here */
    while (n + 1 < sizeof(head)) {
        if (read_n(fd, head + n, 1, deadline))
            goto fail;
        n++;
        if (n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0)
            break;
    }
    head[n] = '\0';
    if (strncmp(head, "HTTP/1.1 101", 12) == 0)
        return fd;
fail:
    close(fd);
    return -1;
}

int rawws_send(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *j = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text)
        return -1;
    size_t len = strlen(text), h = 2;
    unsigned char *f = malloc(len + 14);
    if (!f) {
        free(text);
        return -1;
    }
    f[0] = 0x81;
    if (len < 126) {
        f[1] = (unsigned char)(0x80 | len);
    } else {
        f[1] = 0x80 | 126;
        f[2] = (unsigned char)(len >> 8);
        f[3] = (unsigned char)len;
        h = 4;
    }
    const unsigned char mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(f + h, mask, 4);
    for (size_t i = 0; i < len; i++)
        f[h + 4 + i] = (unsigned char)text[i] ^ mask[i % 4];
    int rc = write_all(fd, f, h + 4 + len);
    free(f);
    free(text);
    return rc;
}

/* One frame's opcode and payload (malloc'd, NUL-terminated, outlen bytes); -1 on error or
 * time-out. */
static int read_frame(int fd, int64_t deadline, int *op, char **out, size_t *outlen)
{
    unsigned char h[8];
    if (read_n(fd, h, 2, deadline))
        return -1;
    *op = h[0] & 0x0f;
    uint64_t len = h[1] & 0x7f;
    if (len == 126) {
        if (read_n(fd, h, 2, deadline))
            return -1;
        len = (uint64_t)h[0] << 8 | h[1];
    } else if (len == 127) {
        if (read_n(fd, h, 8, deadline))
            return -1;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = len << 8 | h[i];
    }
    if (len > (1u << 24))
        return -1;
    *out = malloc(len + 1);
    if (!*out || read_n(fd, *out, len, deadline)) {
        free(*out);
        return -1;
    }
    (*out)[len] = '\0';
    *outlen = (size_t)len;
    return 0;
}

json_t *rawws_expect(int fd, const char *type, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int op;
        char *text;
        size_t n;
        if (read_frame(fd, deadline, &op, &text, &n))
            return NULL;
        json_t *j = op == 1 ? json_loads(text, 0, NULL) : NULL;
        free(text);
        if (op == 8)
            return NULL;
        const char *t = json_string_value(json_object_get(j, "type"));
        if (t && strcmp(t, type) == 0)
            return j;
        json_decref(j);
    }
}

int rawws_send_frame(int fd, int opcode, const void *payload, size_t len)
{
    unsigned char f[2 + 4 + 125];
    if (len > 125)
        return -1;
    f[0] = (unsigned char)(0x80 | opcode);
    f[1] = (unsigned char)(0x80 | len);
    const unsigned char mask[4] = {0x9a, 0xbc, 0xde, 0xf0};
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < len; i++)
        f[6 + i] = ((const unsigned char *)payload)[i] ^ mask[i % 4];
    return write_all(fd, f, 6 + len);
}

int rawws_close_code(int fd, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        int op;
        char *p;
        size_t n;
        if (read_frame(fd, deadline, &op, &p, &n))
            return -1;
        int code = op == 8 ? (n >= 2 ? ((unsigned char)p[0] << 8 | (unsigned char)p[1]) : 0) : -2;
        free(p);
        if (code != -2)
            return code;
    }
}

void rawws_close(int fd, int reset)
{
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(fd);
}
