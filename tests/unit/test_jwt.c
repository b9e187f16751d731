/* JWT: valid tokens pass; tampered, expired, alg none, other algs, bad base64 and wrong
 * claim types are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "gigcx/error.h"
#include "gigcx/jwt.h"

#define SECRET "test-secret-0123456789"
#define NOW 1800000000

static char *sign(const char *sub, gx_role role, const char *brand, int64_t exp)
{
    gx_claims c = {.role = role, .iat = NOW, .exp = exp};
    snprintf(c.sub, sizeof(c.sub), "%s", sub);
    snprintf(c.brand, sizeof(c.brand), "%s", brand ? brand : "");
    snprintf(c.name, sizeof(c.name), "Ann Lee");
    return gx_jwt_sign(&c, SECRET, strlen(SECRET));
}

static int verify(const char *tok, gx_claims *c)
{
    return gx_jwt_verify(tok, strlen(tok), SECRET, strlen(SECRET), NOW, c);
}

/* A token with the given header and payload JSON, signed with SECRET (or "sig" as is). */
static char *craft(const char *header, const char *payload, const char *sig)
{
    static char out[4096];
    size_t o = gx_b64url_encode(header, strlen(header), out);
    out[o++] = '.';
    o += gx_b64url_encode(payload, strlen(payload), out + o);
    if (sig) {
        snprintf(out + o, sizeof(out) - o, ".%s", sig);
        return out;
    }
    unsigned char mac[32];
    gx_crypto_hmac_sha256(SECRET, strlen(SECRET), out, o, mac);
    out[o++] = '.';
    gx_b64url_encode(mac, 32, out + o);
    return out;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW + 60);
    gx_claims c;
    assert_int_equal(verify(t, &c), 0);
    assert_string_equal(c.sub, "c1");
    assert_int_equal(c.role, GX_ROLE_CUSTOMER);
    assert_string_equal(c.brand, "acme");
    assert_string_equal(c.name, "Ann Lee");
    assert_int_equal(c.exp, NOW + 60);
    free(t);
    t = sign("e1", GX_ROLE_EXPERT, NULL, NOW + 60);
    assert_int_equal(verify(t, &c), 0);
    assert_int_equal(c.role, GX_ROLE_EXPERT);
    free(t);
}

static void test_tampered_and_wrong_secret(void **state)
{
    (void)state;
    char *t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW + 60);
    gx_claims c;
    char *dot = strchr(t, '.');
    dot[3] ^= 1; /* a payload byte */
    assert_int_equal(verify(t, &c), GX_EUNAUTH);
    dot[3] ^= 1;
    t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A'; /* a signature byte */
    assert_int_equal(verify(t, &c), GX_EUNAUTH);
    free(t);
    t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW + 60);
    assert_int_equal(gx_jwt_verify(t, strlen(t), "other-secret-0123", 17, NOW, &c), GX_EUNAUTH);
    free(t);
}

static void test_expired(void **state)
{
    (void)state;
    gx_claims c;
    char *t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW);
    assert_int_equal(verify(t, &c), GX_EUNAUTH);
    free(t);
    t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW - 100);
    assert_int_equal(verify(t, &c), GX_EUNAUTH);
    free(t);
}

static void test_algorithms(void **state)
{
    (void)state;
    gx_claims c;
    const char *p = "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":1900000000}";
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", p, NULL), &c), 0);
    assert_int_equal(verify(craft("{\"alg\":\"none\"}", p, ""), &c), GX_EUNAUTH);
    assert_int_equal(verify(craft("{\"alg\":\"none\"}", p, NULL), &c), GX_EUNAUTH);
    assert_int_equal(verify(craft("{\"alg\":\"HS512\"}", p, NULL), &c), GX_EUNAUTH);
    assert_int_equal(verify(craft("{\"alg\":\"hs256\"}", p, NULL), &c), GX_EUNAUTH);
    assert_int_equal(verify(craft("{\"typ\":\"JWT\"}", p, NULL), &c), GX_EUNAUTH);
    assert_int_equal(verify(craft("[\"HS256\"]", p, NULL), &c), GX_EUNAUTH);
}

static void test_bad_shapes(void **state)
{
    (void)state;
    gx_claims c;
    const char *bad[] = {"",           ".", "..", "a.b", "a.b.c.d", "a+b.c.d", "eyJ=.eyJ=.abc",
                         "!!!.???.***"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(verify(bad[i], &c), GX_EUNAUTH);
    char *big = malloc(9000);
    memset(big, 'a', 8999);
    big[8999] = '\0';
    big[10] = big[20] = '.';
    assert_int_equal(verify(big, &c), GX_EUNAUTH);
    free(big);
    assert_int_equal(gx_jwt_verify(NULL, 0, SECRET, strlen(SECRET), NOW, &c), GX_EUNAUTH);
}

static void test_claim_types(void **state)
{
    (void)state;
    gx_claims c;
    const char *h = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    const char *bad[] = {
        "{\"sub\":5,\"role\":\"expert\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":\"1900000000\"}",
        "{\"sub\":\"e1\",\"role\":\"admin\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"expert\"}",
        "{\"sub\":\"a b\",\"role\":\"expert\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"customer\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"staff\",\"brand\":\"a/b\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"expert\",\"name\":7,\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"role\":\"expert\",\"iat\":\"x\",\"exp\":1900000000}",
        "{\"sub\":\"e1\",\"sub\":\"e2\",\"role\":\"expert\",\"exp\":1900000000}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (verify(craft(h, bad[i], NULL), &c) != GX_EUNAUTH)
            fail_msg("accepted: %s", bad[i]);
    char sub[80];
    memset(sub, 'a', 65);
    sub[65] = '\0';
    char p[200];
    snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"role\":\"expert\",\"exp\":1900000000}", sub);
    assert_int_equal(verify(craft(h, p, NULL), &c), GX_EUNAUTH);
}

static void test_name_truncated_on_char_boundary(void **state)
{
    (void)state;
    gx_claims c;
    char name[400] = "", p[600];
    for (int i = 0; i < 100; i++)
        strcat(name, "\xc3\xa9"); /* é, two bytes each: 200 bytes */
    snprintf(p, sizeof(p),
             "{\"sub\":\"e1\",\"role\":\"expert\",\"name\":\"%s\",\"exp\":1900000000}", name);
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", p, NULL), &c), 0);
    size_t n = strlen(c.name);
    assert_true(n < sizeof(c.name) && n % 2 == 0);
}

/* A name cut to fit the claims in the middle of a character (as http_api.c's mint does with
 * snprintf) loses that character, not the whole name. */
static void test_sign_drops_split_character(void **state)
{
    (void)state;
    gx_claims c = {.role = GX_ROLE_EXPERT, .iat = NOW, .exp = NOW + 60}, out;
    snprintf(c.sub, sizeof(c.sub), "e1");
    char name[400] = "";
    for (int i = 0; i < 100; i++)
        strcat(name, "\xc3\xa9");             /* é, two bytes each: 200 bytes, cut to 127 below */
    memcpy(c.name, name, sizeof(c.name) - 1); /* the cut, on purpose */
    c.name[sizeof(c.name) - 1] = '\0';
    char *tok = gx_jwt_sign(&c, SECRET, strlen(SECRET));
    assert_non_null(tok);
    assert_int_equal(verify(tok, &out), 0);
    assert_int_equal(strlen(out.name), 126);
    assert_memory_equal(out.name, name, 126);
    free(tok);
    /* three- and four-byte characters cut short, and whole ones kept */
    static const char *const cases[][2] = {{"ab\xe2\x82", "ab"},
                                           {"ab\xf0\x9f\x98", "ab"},
                                           {"ab\xe2\x82\xac", "ab\xe2\x82\xac"},
                                           {"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(c.name, sizeof(c.name), "%s", cases[i][0]);
        tok = gx_jwt_sign(&c, SECRET, strlen(SECRET));
        assert_int_equal(verify(tok, &out), 0);
        assert_string_equal(out.name, cases[i][1]);
        free(tok);
    }
}

static void test_sign_refuses_bad_claims(void **state)
{
    (void)state;
    assert_null(sign("a b", GX_ROLE_EXPERT, NULL, NOW + 60));
    assert_null(sign("c1", GX_ROLE_CUSTOMER, NULL, NOW + 60));
    assert_null(sign("c1", GX_ROLE_NONE, "acme", NOW + 60));
    assert_string_equal(gx_jwt_role_name(GX_ROLE_STAFF), "staff");
    assert_int_equal(gx_jwt_role_parse("customer"), GX_ROLE_CUSTOMER);
    assert_int_equal(gx_jwt_role_parse("root"), GX_ROLE_NONE);
    assert_int_equal(gx_jwt_role_parse(NULL), GX_ROLE_NONE);
}

/* Rotation: tokens name their key (kid); the previous secret still verifies its tokens
 * during a rollover, and a kid of neither secret is refused. */
static void test_rotation_with_kid(void **state)
{
    (void)state;
    const char *old = "old-secret-0123456789", *cur = SECRET;
    gx_claims c = {.role = GX_ROLE_EXPERT, .iat = NOW, .exp = NOW + 60};
    snprintf(c.sub, sizeof(c.sub), "e1");
    char *by_old = gx_jwt_sign(&c, old, strlen(old));
    char *by_cur = gx_jwt_sign(&c, cur, strlen(cur));
    const char *both[] = {cur, old}, *only_cur[] = {cur, NULL};
    gx_claims out;
    assert_int_equal(gx_jwt_verify_any(by_old, strlen(by_old), both, 2, NOW, &out), 0);
    assert_int_equal(gx_jwt_verify_any(by_cur, strlen(by_cur), both, 2, NOW, &out), 0);
    assert_int_equal(gx_jwt_verify_any(by_old, strlen(by_old), only_cur, 2, NOW, &out), GX_EUNAUTH);
    char head[128];
    long n = gx_b64url_decode(by_cur, (size_t)(strchr(by_cur, '.') - by_cur), head, sizeof(head));
    assert_true(n > 0);
    head[n] = '\0';
    assert_non_null(strstr(head, "\"kid\":\""));
    free(by_old);
    free(by_cur);
    /* a kid naming no configured secret, and a kid that is not a string */
    const char *pl = "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":1900000000}";
    assert_int_equal(verify(craft("{\"alg\":\"HS256\",\"kid\":\"deadbeef\"}", pl, NULL), &out),
                     GX_EUNAUTH);
    assert_int_equal(verify(craft("{\"alg\":\"HS256\",\"kid\":5}", pl, NULL), &out), GX_EUNAUTH);
    /* no kid at all (tokens from before kids): tried with each secret */
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", pl, NULL), &out), 0);
}

/* Not yet valid: nbf or iat more than a minute ahead. */
static void test_not_yet_valid(void **state)
{
    (void)state;
    gx_claims out;
    char pl[256];
    snprintf(pl, sizeof(pl), "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":%d,\"nbf\":%d}",
             NOW + 600, NOW + 120);
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", pl, NULL), &out), GX_EUNAUTH);
    snprintf(pl, sizeof(pl), "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":%d,\"iat\":%d}",
             NOW + 600, NOW + 120);
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", pl, NULL), &out), GX_EUNAUTH);
    snprintf(pl, sizeof(pl), "{\"sub\":\"e1\",\"role\":\"expert\",\"exp\":%d,\"nbf\":%d}",
             NOW + 600, NOW + 30); /* within the skew */
    assert_int_equal(verify(craft("{\"alg\":\"HS256\"}", pl, NULL), &out), 0);
}

/* uids: per role and brand; experts keep their id. */
static void test_uids(void **state)
{
    (void)state;
    char u[GX_UID_MAX + 1];
    gx_jwt_uid_make(u, GX_ROLE_EXPERT, "acme", "e1");
    assert_string_equal(u, "e1");
    gx_jwt_uid_make(u, GX_ROLE_CUSTOMER, "acme", "e1");
    assert_string_equal(u, "c:acme:e1");
    gx_jwt_uid_of(u, "staff", "beta", "e1");
    assert_string_equal(u, "s:beta:e1");
    gx_jwt_uid_of(u, "nobody", "beta", "e1");
    assert_string_equal(u, "");
    gx_jwt_uid_make(u, GX_ROLE_CUSTOMER, "acme", "");
    assert_string_equal(u, "");
    assert_true(gx_jwt_uid_valid("e1") && gx_jwt_uid_valid("c:acme:e1") &&
                gx_jwt_uid_valid("s:b:x"));
    assert_false(gx_jwt_uid_valid("c:acme:") || gx_jwt_uid_valid("x:acme:e1") ||
                 gx_jwt_uid_valid("c::e1") || gx_jwt_uid_valid("c:a:b:c") ||
                 gx_jwt_uid_valid(NULL));
    gx_claims c;
    char *t = sign("c1", GX_ROLE_CUSTOMER, "acme", NOW + 60);
    assert_int_equal(verify(t, &c), 0);
    assert_string_equal(c.uid, "c:acme:c1");
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_tampered_and_wrong_secret),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_algorithms),
        cmocka_unit_test(test_bad_shapes),
        cmocka_unit_test(test_claim_types),
        cmocka_unit_test(test_name_truncated_on_char_boundary),
        cmocka_unit_test(test_sign_drops_split_character),
        cmocka_unit_test(test_sign_refuses_bad_claims),
        cmocka_unit_test(test_rotation_with_kid),
        cmocka_unit_test(test_not_yet_valid),
        cmocka_unit_test(test_uids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
