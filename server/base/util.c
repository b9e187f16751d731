/* Small helpers with no I/O: id rules, base64url, SHA-256/HMAC (OpenSSL), randomness,
 * the wall clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "gigcx/assert.h"
#include "gigcx/error.h"
#include "gigcx/util.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static bool id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool gx_id_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= GX_ID_MAX || !id_char((unsigned char)s[n]))
            return false;
    return n > 0;
}

int64_t gx_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

double gx_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

size_t gx_b64url_len(size_t n)
{
    return (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t gx_b64url_encode(const void *in, size_t n, char *out)
{
    const unsigned char *p = in;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
        out[o++] = b64url[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        out[o++] = b64url[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long gx_b64url_decode(const char *in, size_t n, void *out, size_t outcap)
{
    unsigned char *o = out;
    size_t k = 0;
    unsigned v = 0;
    int bits = 0;
    if (n % 4 == 1) /* no valid encoding has a lone trailing character */
        return -1;
    for (size_t i = 0; i < n; i++) {
        int d = b64url_value((unsigned char)in[i]);
        if (d < 0)
            return -1;
        v = (v << 6 | (unsigned)d) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (k >= outcap)
                return -1;
            o[k++] = (unsigned char)(v >> bits);
        }
    }
    return (long)k;
}

void gx_sha256_hex(const void *data, size_t n, char out[65])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data, n, h, &len, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = hex[h[i] >> 4];
        out[2 * i + 1] = hex[h[i] & 15];
    }
    out[64] = '\0';
}

void gx_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                    unsigned char out[32])
{
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, (int)keylen, data, n, out, &len);
}

bool gx_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

int gx_random_id(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
        return GX_EINTERNAL;
    gx_b64url_encode(buf, nbytes, out);
    return 0;
}

void gx_strlcpy(char *dst, const char *src, size_t cap)
{
    if (!cap)
        return;
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool gx_csv_has(const char *csv, const char *v)
{
    char needle[80];
    int n = snprintf(needle, sizeof(needle), ",%s,", v);
    return csv && n > 0 && (size_t)n < sizeof(needle) && strstr(csv, needle);
}

void gx_task_key(char *out, size_t cap, const char *task, const char *kind)
{
    size_t t = strlen(task), k = strlen(kind);
    if (6 + t + 2 + k + 1 > cap) { /* ids are at most 64: only a caller's mistake gets here */
        snprintf(out, cap, "gx:{t:%s}:%s", task, kind);
        return;
    }
    memcpy(out, "gx:{t:", 6);
    memcpy(out + 6, task, t);
    memcpy(out + 6 + t, "}:", 2);
    memcpy(out + 8 + t, kind, k + 1);
}

void gx_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "assertion failed: %s at %s:%d\n", expr, file, line);
    fflush(stderr);
    abort();
}

const char *gx_url_redacted(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://");
    const char *host = scheme ? scheme + 3 : url;
    const char *at = strrchr(host, '@');
    if (!scheme || !at)
        snprintf(out, n, "%s", url);
    else
        snprintf(out, n, "%.*s***%s", (int)(host - url), url, at);
    return out;
}
