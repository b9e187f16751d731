/* Fuzzes gx_jwt_verify. A fuzzer cannot forge HS256, so besides raw tokens (the split,
 * base64 and signature check) the harness signs what it is given, to reach the header and
 * claim checks; whatever verifies must sign again and verify to the same claims. */
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/jwt.h"
#include "gigcx/util.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

static const char secret[] = "fuzz-secret";
#define NOW 1700000000 /* seeds expire in 2096 */
#define SEG_MAX 8192

/* out = text + "." + base64url(HMAC(text)); returns its length. */
static size_t sign_raw(const char *text, size_t n, char *out)
{
    unsigned char mac[32];
    memcpy(out, text, n);
    gx_crypto_hmac_sha256(secret, sizeof(secret) - 1, out, n, mac);
    out[n] = '.';
    return n + 1 + gx_b64url_encode(mac, sizeof(mac), out + n + 1);
}

static void verify_and_round_trip(const char *tok, size_t n)
{
    gx_claims c, again;
    if (gx_jwt_verify(tok, n, secret, sizeof(secret) - 1, NOW, &c) != 0)
        return;
    CHECK(gx_id_valid(c.sub) && c.role != GX_ROLE_NONE && c.exp > NOW);
    CHECK(c.role == GX_ROLE_EXPERT ? c.brand[0] == '\0' : gx_id_valid(c.brand));
    CHECK(strlen(c.name) < sizeof(c.name));
    char *t = gx_jwt_sign(&c, secret, sizeof(secret) - 1);
    CHECK(t);
    CHECK(gx_jwt_verify(t, strlen(t), secret, sizeof(secret) - 1, NOW, &again) == 0);
    CHECK(strcmp(c.sub, again.sub) == 0 && c.role == again.role &&
          strcmp(c.brand, again.brand) == 0 && strcmp(c.name, again.name) == 0 &&
          c.iat == again.iat && c.exp == again.exp);
    /* a token signed with another secret is refused */
    CHECK(gx_jwt_verify(t, strlen(t), "other", 5, NOW, &again) == GX_EUNAUTH);
    free(t);
}

/* First byte: 0 a raw token; 1 payload JSON under the HS256 header; 2 header JSON, a
 * newline, payload JSON; 3 "header.payload" in base64url as given. 1-3 are signed here. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1 || size > SEG_MAX)
        return 0;
    int mode = data[0] & 3;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    if (mode == 0) {
        verify_and_round_trip(in, n);
        return 0;
    }
    static char text[2 * SEG_MAX], tok[2 * SEG_MAX + 64];
    size_t tl = 0;
    if (mode == 3) {
        memcpy(text, in, n);
        tl = n;
    } else {
        static const char std[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
        const char *hdr = std, *pay = in;
        size_t hn = sizeof(std) - 1, pn = n;
        const char *nl = mode == 2 ? memchr(in, '\n', n) : NULL;
        if (mode == 2 && !nl)
            return 0;
        if (nl) {
            hdr = in;
            hn = (size_t)(nl - in);
            pay = nl + 1;
            pn = n - hn - 1;
        }
        tl = gx_b64url_encode(hdr, hn, text);
        text[tl++] = '.';
        tl += gx_b64url_encode(pay, pn, text + tl);
    }
    verify_and_round_trip(tok, sign_raw(text, tl, tok));
    return 0;
}
