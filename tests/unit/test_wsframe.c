/* The client side of RFC 6455 that gxclient's own framing uses (loadtest/client/wsframe.c):
 * server frame headers in every length form, what a server frame may not be, client
 * headers and masking, and the opening handshake's request and answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/wsframe.h"

static int parse(const char *bytes, size_t n, gx_ws_head *h)
{
    return gx_ws_head_parse((const unsigned char *)bytes, n, h);
}

static void test_server_heads(void **state)
{
    (void)state;
    gx_ws_head h;
    assert_int_equal(parse("\x81\x05", 2, &h), 2);
    assert_true(h.fin);
    assert_int_equal(h.opcode, GX_WS_TEXT);
    assert_int_equal(h.len, 5);
    assert_int_equal(parse("\x01\x7e\x01\x00", 4, &h), 4); /* 16-bit length, not final */
    assert_false(h.fin);
    assert_int_equal(h.len, 256);
    assert_int_equal(parse("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10, &h), 10);
    assert_int_equal(h.opcode, GX_WS_BINARY);
    assert_int_equal(h.len, 65536);
    assert_int_equal(parse("\x89\x00", 2, &h), 2);
    assert_int_equal(h.opcode, GX_WS_PING);
    assert_int_equal(parse("\x88\x02", 2, &h), 2);
    assert_int_equal(h.opcode, GX_WS_CLOSE);
}

static void test_needs_more(void **state)
{
    (void)state;
    gx_ws_head h;
    assert_int_equal(parse("", 0, &h), 0);
    assert_int_equal(parse("\x81", 1, &h), 0);
    assert_int_equal(parse("\x81\x7e\x01", 3, &h), 0);
    assert_int_equal(parse("\x81\x7f\x00\x00\x00\x00\x00\x01\x00", 9, &h), 0);
}

static void test_refused(void **state)
{
    (void)state;
    gx_ws_head h;
    assert_int_equal(parse("\x81\x85", 2, &h), -1);         /* masked: servers never mask */
    assert_int_equal(parse("\xc1\x05", 2, &h), -1);         /* RSV1 without an extension */
    assert_int_equal(parse("\x83\x05", 2, &h), -1);         /* reserved data opcode */
    assert_int_equal(parse("\x8b\x00", 2, &h), -1);         /* reserved control opcode */
    assert_int_equal(parse("\x09\x00", 2, &h), -1);         /* fragmented ping */
    assert_int_equal(parse("\x89\x7e\x00\x7e", 4, &h), -1); /* control frame over 125 */
    assert_int_equal(parse("\x81\x7f\x80\x00\x00\x00\x00\x00\x00\x00", 10, &h), -1);
}

static void test_client_heads_and_mask(void **state)
{
    (void)state;
    const unsigned char mask[4] = {1, 2, 3, 4};
    unsigned char h[GX_WS_HEAD_MAX];
    assert_int_equal(gx_ws_head_write(h, GX_WS_TEXT, 0, mask), 6);
    assert_memory_equal(h, "\x81\x80\x01\x02\x03\x04", 6);
    assert_int_equal(gx_ws_head_write(h, GX_WS_TEXT, 125, mask), 6);
    assert_int_equal(h[1], 0x80 | 125);
    assert_int_equal(gx_ws_head_write(h, GX_WS_PONG, 126, mask), 8);
    assert_memory_equal(h, "\x8a\xfe\x00\x7e\x01\x02\x03\x04", 8);
    assert_int_equal(gx_ws_head_write(h, GX_WS_BINARY, 65535, mask), 8);
    assert_memory_equal(h + 2, "\xff\xff", 2);
    assert_int_equal(gx_ws_head_write(h, GX_WS_TEXT, 65536, mask), 14);
    assert_memory_equal(h + 1, "\xff\x00\x00\x00\x00\x00\x01\x00\x00\x01\x02\x03\x04", 13);

    unsigned char text[] = "Hello";
    gx_ws_mask(text, 5, (const unsigned char *)"\x37\xfa\x21\x3d"); /* RFC 6455, 5.7 */
    assert_memory_equal(text, "\x7f\x9f\x4d\x51\x58", 5);
    gx_ws_mask(text, 5, (const unsigned char *)"\x37\xfa\x21\x3d");
    assert_memory_equal(text, "Hello", 5);
}

static void test_handshake(void **state)
{
    (void)state;
    const char *key = "dGhlIHNhbXBsZSBub25jZQ==";
    char acc[29];
    gx_ws_accept_of(key, acc); /* RFC 6455, 1.3 */
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    const char *ok =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nsec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n"
        "Sec-WebSocket-Protocol: gigcx.v1\r\n\r\n";
    assert_true(gx_ws_response_ok(ok, strlen(ok), key));
    assert_false(gx_ws_response_ok(ok, strlen(ok), "AAAAAAAAAAAAAAAAAAAAAA=="));
    const char *denied = "HTTP/1.1 403 Forbidden\r\nSec-WebSocket-Accept: "
                         "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_false(gx_ws_response_ok(denied, strlen(denied), key));
    const char *bare = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n";
    assert_false(gx_ws_response_ok(bare, strlen(bare), key));

    char req[512];
    int n = gx_ws_request(req, sizeof(req), "127.0.0.1", 8080, "/ws", "gigcx.v1", NULL, key);
    assert_true(n > 0 && (size_t)n == strlen(req));
    assert_non_null(strstr(req, "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"));
    assert_non_null(strstr(req, "\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"));
    assert_non_null(strstr(req, "\r\nSec-WebSocket-Protocol: gigcx.v1\r\n"));
    assert_null(strstr(req, "Origin"));
    assert_string_equal(req + n - 4, "\r\n\r\n");
    n = gx_ws_request(req, sizeof(req), "h", 1, "/ws", NULL, "http://shop", key);
    assert_null(strstr(req, "Protocol"));
    assert_non_null(strstr(req, "\r\nOrigin: http://shop\r\n"));
    assert_int_equal(gx_ws_request(req, 40, "127.0.0.1", 8080, "/ws", NULL, NULL, key), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_heads), cmocka_unit_test(test_needs_more),
        cmocka_unit_test(test_refused),      cmocka_unit_test(test_client_heads_and_mask),
        cmocka_unit_test(test_handshake),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
