/* Id rules, base64url, SHA-256, HMAC-SHA256 and random ids against known vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/keys.h"
#include "gigcx/util.h"

static void test_ids(void **state)
{
    (void)state;
    char s64[65], s65[66];
    memset(s64, 'a', 64);
    s64[64] = '\0';
    memset(s65, 'a', 65);
    s65[65] = '\0';
    assert_true(gx_id_valid("a"));
    assert_true(gx_id_valid("Az09_-"));
    assert_true(gx_id_valid(s64));
    assert_false(gx_id_valid(s65));
    assert_false(gx_id_valid(""));
    assert_false(gx_id_valid(NULL));
    const char *bad[] = {"a b", "a/b", "a.b", "a:b", "a\tb", "\xc3\xa9", "a\n", "{t}", "a*"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(gx_id_valid(bad[i]));
}

static void test_b64url_vectors(void **state)
{
    (void)state;
    /* RFC 4648 section 10, without padding */
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char buf[32], dec[32];
    for (int i = 0; i < 7; i++) {
        size_t n = gx_b64url_encode(in[i], strlen(in[i]), buf);
        assert_string_equal(buf, out[i]);
        assert_int_equal(n, gx_b64url_len(strlen(in[i])));
        long d = gx_b64url_decode(out[i], strlen(out[i]), dec, sizeof(dec));
        assert_int_equal(d, (long)strlen(in[i]));
        assert_memory_equal(dec, in[i], (size_t)d);
    }
    unsigned char bytes[] = {0xfb, 0xff, 0xfe};
    gx_b64url_encode(bytes, 3, buf);
    assert_string_equal(buf, "-__-"); /* the url alphabet, not + and / */
}

static void test_b64url_rejects(void **state)
{
    (void)state;
    char dec[8];
    const char *bad[] = {"Zm9v=", "Zm+v", "Zm/v", "Zm9v.", "Z", "Zm 9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(gx_b64url_decode(bad[i], strlen(bad[i]), dec, sizeof(dec)), -1);
    assert_int_equal(gx_b64url_decode("Zm9vYmFy", 8, dec, 5), -1); /* 6 bytes > outcap */
}

static void test_hashes(void **state)
{
    (void)state;
    char hex[65];
    gx_crypto_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    unsigned char mac[32];
    const unsigned char want[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                    0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                    0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                    0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
    const char *data = "what do ya want for nothing?";
    gx_crypto_hmac_sha256("Jefe", 4, data, strlen(data), mac);
    assert_memory_equal(mac, want, 32);
    assert_true(gx_crypto_equal("abc", "abc", 3));
    assert_false(gx_crypto_equal("abc", "abd", 3));
}

static void test_random_ids(void **state)
{
    (void)state;
    char a[40], b[40];
    assert_int_equal(gx_id_random(a, 24), 0);
    assert_int_equal(gx_id_random(b, 24), 0);
    assert_true(gx_id_valid(a));
    assert_int_equal(strlen(a), 32);
    assert_string_not_equal(a, b);
    assert_true(gx_now_ms() > 1700000000000LL);
}

static void test_copies_and_keys(void **state)
{
    (void)state;
    char d[6];
    gx_str_copy(d, "abc", sizeof(d));
    assert_string_equal(d, "abc");
    gx_str_copy(d, "abcdefgh", sizeof(d)); /* cut short, still terminated */
    assert_string_equal(d, "abcde");
    gx_str_copy(d, "", sizeof(d));
    assert_string_equal(d, "");
    char k[96];
    gx_keys_task(k, sizeof(k), "T-1_x", "chat");
    assert_string_equal(k, "gx:{t:T-1_x}:chat");
    char small[12];
    gx_keys_task(small, sizeof(small), "abcdefgh", "task"); /* too long: cut like snprintf */
    assert_string_equal(small, "gx:{t:abcde");
}

/* Logs never show a Redis password. */
static void test_url_redacted(void **state)
{
    (void)state;
    char b[128];
    assert_string_equal(gx_str_url_redacted("redis://u:p@w@h:1/2", b, sizeof(b)),
                        "redis://***@h:1/2");
    assert_string_equal(gx_str_url_redacted("sentinel://:pw@a:1,b:2/m", b, sizeof(b)),
                        "sentinel://***@a:1,b:2/m");
    assert_string_equal(gx_str_url_redacted("redis://h:6379", b, sizeof(b)), "redis://h:6379");
    assert_string_equal(gx_str_url_redacted("unix:///run/r.sock", b, sizeof(b)),
                        "unix:///run/r.sock");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_url_redacted),
        cmocka_unit_test(test_b64url_vectors),
        cmocka_unit_test(test_b64url_rejects),
        cmocka_unit_test(test_hashes),
        cmocka_unit_test(test_random_ids),
        cmocka_unit_test(test_copies_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
