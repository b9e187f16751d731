/* Hand-written RESP (resp.h): "*argc\r\n" then "$len\r\narg\r\n" for each argument. */
#include "gigcx/resp.h"
#include <string.h>

size_t gx_resp_u64_dec(char *out, uint64_t v)
{
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static size_t dec_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t arg_len(const char *const *argv, const size_t *lens, int i)
{
    return lens ? lens[i] : strlen(argv[i]);
}

size_t gx_resp_bulk_size(size_t len)
{
    return 1 + dec_len(len) + 2 + len + 2;
}

size_t gx_resp_size(int argc, const char *const *argv, const size_t *lens)
{
    size_t n = 1 + dec_len((uint64_t)argc) + 2;
    for (int i = 0; i < argc; i++)
        n += gx_resp_bulk_size(arg_len(argv, lens, i));
    return n;
}

/* c, then the number, then CRLF */
static char *head(char *p, char c, uint64_t v)
{
    *p++ = c;
    p += gx_resp_u64_dec(p, v);
    *p++ = '\r';
    *p++ = '\n';
    return p;
}

size_t gx_resp_bulk(char *out, const char *arg, size_t len)
{
    char *p = head(out, '$', len);
    memcpy(p, arg, len);
    p += len;
    *p++ = '\r';
    *p++ = '\n';
    return (size_t)(p - out);
}

size_t gx_resp_write(char *out, int argc, const char *const *argv, const size_t *lens)
{
    char *p = head(out, '*', (uint64_t)argc);
    for (int i = 0; i < argc; i++)
        p += gx_resp_bulk(p, argv[i], arg_len(argv, lens, i));
    return (size_t)(p - out);
}
