/* The PROXY protocol header, versions 1 and 2: whole, in pieces, and refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/proxyproto.h"

static char ip[64];

static int parse(const void *buf, size_t len)
{
    strcpy(ip, "unset");
    return gx_proxyproto_parse(buf, len, ip, sizeof(ip));
}

static int parse_str(const char *s)
{
    return parse(s, strlen(s));
}

static void test_v1(void **state)
{
    (void)state;
    const char *h = "PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\nGET / HTTP/1.1\r\n";
    assert_int_equal(parse_str(h), (int)strlen("PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\n"));
    assert_string_equal(ip, "203.0.113.7");
    const char *h6 = "PROXY TCP6 2001:db8::7 2001:db8::1 443 8080\r\n";
    assert_int_equal(parse_str(h6), (int)strlen(h6));
    assert_string_equal(ip, "2001:db8::7");
    assert_int_equal(parse_str("PROXY UNKNOWN\r\n"), 15);
    assert_string_equal(ip, "");
    const char *hu = "PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n";
    assert_int_equal(parse_str(hu), (int)strlen(hu));
    assert_string_equal(ip, "");
    /* every prefix of a header asks for more */
    const char *whole = "PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080\r\n";
    for (size_t n = 1; n < strlen(whole); n++)
        assert_int_equal(parse(whole, n), 0);
}

static void test_v1_refused(void **state)
{
    (void)state;
    const char *bad[] = {
        "GET / HTTP/1.1\r\n",                               /* no header at all */
        "PROXY TCP4 203.0.113.7 10.0.0.1 51000\r\n",        /* a field short */
        "PROXY TCP4 203.0.113.7 10.0.0.1 51000 8080 x\r\n", /* one too many */
        "PROXY TCP4 2001:db8::7 10.0.0.1 51000 8080\r\n",   /* the wrong family */
        "PROXY TCP4 203.0.113.999 10.0.0.1 1 2\r\n",        /* not an address */
        "PROXY TCP4 203.0.113.7 10.0.0.1 65536 8080\r\n",   /* not a port */
        "PROXY TCP4 203.0.113.7 10.0.0.1 -1 8080\r\n",
        "PROXY TCP4 203.0.113.7  10.0.0.1 1 2\r\n", /* two spaces */
        "PROXY UDP4 203.0.113.7 10.0.0.1 1 2\r\n",
        "PROXY TCP4 203.0.113.7 10.0.0.1 1 2\rX", /* CR without LF */
        "proxy TCP4 203.0.113.7 10.0.0.1 1 2\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse_str(bad[i]), -1);
    char longer[200];
    memset(longer, 'x', sizeof(longer));
    memcpy(longer, "PROXY TCP4 ", 11);
    assert_int_equal(parse(longer, sizeof(longer)), -1); /* no end within 107 bytes */
}

static const unsigned char sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* A v2 header: command (0 LOCAL, 1 PROXY), family byte, then body of n bytes. */
static size_t v2(unsigned char *out, int cmd, int fam, const unsigned char *body, size_t n)
{
    memcpy(out, sig, 12);
    out[12] = (unsigned char)(0x20 | cmd);
    out[13] = (unsigned char)fam;
    out[14] = (unsigned char)(n >> 8);
    out[15] = (unsigned char)(n & 0xFF);
    if (n)
        memcpy(out + 16, body, n);
    return 16 + n;
}

static void test_v2(void **state)
{
    (void)state;
    unsigned char b[600];
    const unsigned char a4[12] = {203, 0, 113, 7, 10, 0, 0, 1, 0xC7, 0x38, 0x1F, 0x90};
    size_t n = v2(b, 1, 0x11, a4, sizeof(a4));
    memcpy(b + n, "GET /", 5);
    assert_int_equal(parse(b, n + 5), (int)n);
    assert_string_equal(ip, "203.0.113.7");
    for (size_t k = 1; k < n; k++)
        assert_int_equal(parse(b, k), 0);
    unsigned char a6[36 + 8] = {0x20, 0x01, 0x0d, 0xb8, [15] = 7}; /* + a TLV's 8 bytes */
    n = v2(b, 1, 0x21, a6, sizeof(a6));
    assert_int_equal(parse(b, n), (int)n);
    assert_string_equal(ip, "2001:db8::7");
    n = v2(b, 0, 0x00, NULL, 0); /* LOCAL: the balancer's health check */
    assert_int_equal(parse(b, n), 16);
    assert_string_equal(ip, "");
    n = v2(b, 1, 0x31, a4, sizeof(a4)); /* unix socket family: no address of use */
    assert_int_equal(parse(b, n), (int)n);
    assert_string_equal(ip, "");
}

static void test_v2_refused(void **state)
{
    (void)state;
    unsigned char b[1100], body[1024] = {0};
    size_t n = v2(b, 1, 0x11, body, 8); /* too short for two IPv4 addresses and ports */
    assert_int_equal(parse(b, n), -1);
    n = v2(b, 2, 0x11, body, 12); /* no such command */
    assert_int_equal(parse(b, n), -1);
    n = v2(b, 1, 0x11, body, 12);
    b[12] = 0x11; /* version 1 in a v2 signature */
    assert_int_equal(parse(b, n), -1);
    n = v2(b, 1, 0x11, body, 1000); /* longer than we take */
    assert_int_equal(parse(b, 16), -1);
    b[3] = 'x'; /* a broken signature */
    assert_int_equal(parse(b, 12), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v1),
        cmocka_unit_test(test_v1_refused),
        cmocka_unit_test(test_v2),
        cmocka_unit_test(test_v2_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
