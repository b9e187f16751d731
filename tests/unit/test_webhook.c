/* The webhook module's pure parts: URL parsing (what may be POSTed to), the signature header
 * (checked against a vector computed independently), the backoff schedule, and which
 * transitions are events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/webhook.h"
#include "gigcx/poster.h"
#include "gigcx/outbox.h"

static void test_url_accepted(void **state)
{
    (void)state;
    gx_url u;
    assert_int_equal(gx_poster_url_parse("http://127.0.0.1:8080/hook?x=1", &u), 0);
    assert_false(u.tls);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 8080);
    assert_string_equal(u.path, "/hook?x=1");
    assert_string_equal(u.hosthdr, "127.0.0.1:8080");
    assert_int_equal(gx_poster_url_parse("https://hooks.example.com", &u), 0);
    assert_true(u.tls);
    assert_int_equal(u.port, 443);
    assert_string_equal(u.path, "/");
    assert_string_equal(u.hosthdr, "hooks.example.com"); /* default port: not in Host */
    assert_int_equal(gx_poster_url_parse("http://[::1]:9000/h", &u), 0);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.hosthdr, "[::1]:9000");
    assert_int_equal(gx_poster_url_parse("http://example.com?q", &u), 0);
    assert_string_equal(u.path, "/?q");
}

static void test_url_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        NULL,
        "",
        "ftp://example.com/",
        "http://",
        "http:///path",
        "http://user:pw@example.com/",
        "http://example.com:0/",
        "http://example.com:65536/",
        "http://example.com:80x/",
        "http://example.com:/",
        "http://exa mple.com/",
        "http://example.com/a b",
        "http://example.com/#frag",
        "http://ex_ample.com/",
        "http://[::1/",
        "http://[::1]x/",
        "http://[zz]/",
        "javascript:alert(1)",
        "http://example.com/a\r\nX-Injected: 1",
        "http://example.com/\x01",
        "http://example.com/caf\xc3\xa9",
    };
    gx_url u;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (gx_poster_url_parse(bad[i], &u) == 0)
            fail_msg("accepted %s", bad[i]);
    char longhost[400] = "http://";
    memset(longhost + 7, 'a', 300);
    assert_int_equal(gx_poster_url_parse(longhost, &u), -1);
    char longpath[700] = "http://a/";
    memset(longpath + 9, 'p', 600);
    assert_int_equal(gx_poster_url_parse(longpath, &u), -1);
}

static void test_signature(void **state)
{
    (void)state;
    char sig[GX_HOOK_SIG_MAX];
    gx_webhook_signature("whsec_test", 1700000000, "{\"a\":1}", 7, sig);
    /* python3: hmac.new(b'whsec_test', b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    assert_string_equal(
        sig, "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789");
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(gx_webhook_backoff_ms(1000, 1), 1000);
    assert_int_equal(gx_webhook_backoff_ms(1000, 2), 2000);
    assert_int_equal(gx_webhook_backoff_ms(1000, 5), 16000);
    assert_int_equal(gx_webhook_backoff_ms(1000, 13), GX_HOOK_RETRY_CAP_MS);
    assert_int_equal(gx_webhook_backoff_ms(1000, 1000000), GX_HOOK_RETRY_CAP_MS);
    assert_int_equal(gx_webhook_backoff_ms(100, 0), 100);
}

static void test_event_types(void **state)
{
    (void)state;
    assert_string_equal(gx_outbox_type_of("resolve"), "task.resolved");
    assert_string_equal(gx_outbox_type_of("escalate"), "task.escalated");
    assert_string_equal(gx_outbox_type_of("timeout"), "task.escalated");
    assert_string_equal(gx_outbox_type_of("expire"), "task.expired");
    assert_string_equal(gx_outbox_type_of("cancel"), "task.cancelled");
    assert_null(gx_outbox_type_of("release"));
    assert_null(gx_outbox_type_of(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_accepted), cmocka_unit_test(test_url_refused),
        cmocka_unit_test(test_signature),    cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_event_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
