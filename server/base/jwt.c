/* JWT HS256 sign and verify. The signature is checked (in constant time) before anything
 * in the token is trusted; only alg HS256 is accepted, so "none" and algorithm confusion
 * are refused by construction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gigcx/error.h"
#include "gigcx/jwt.h"

#define GX_JWT_MAX 8192

/* The key id of a secret: the first 8 hex digits of its SHA-256, so a token names the
 * secret it was signed with (two are valid while one is being rotated out) without
 * revealing anything of it. */
static void kid_of(const char *secret, size_t len, char out[9])
{
    char hex[65];
    gx_crypto_sha256_hex(secret, len, hex);
    memcpy(out, hex, 8);
    out[8] = '\0';
}

/* The base64url header {"alg":"HS256","typ":"JWT","kid":"<kid>"} into out (96 bytes). */
static size_t header_b64(const char *secret, size_t len, char *out)
{
    char kid[9], h[64];
    kid_of(secret, len, kid);
    int n = snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    return gx_b64url_encode(h, (size_t)n, out);
}

const char *gx_jwt_role_name(gx_role r)
{
    switch (r) {
    case GX_ROLE_EXPERT:
        return "expert";
    case GX_ROLE_CUSTOMER:
        return "customer";
    case GX_ROLE_STAFF:
        return "staff";
    default:
        return NULL;
    }
}

gx_role gx_jwt_role_parse(const char *s)
{
    for (gx_role r = GX_ROLE_EXPERT; s && r <= GX_ROLE_STAFF; r++)
        if (strcmp(s, gx_jwt_role_name(r)) == 0)
            return r;
    return GX_ROLE_NONE;
}

static bool claims_valid(const gx_claims *c)
{
    if (!gx_id_valid(c->sub) || c->role == GX_ROLE_NONE)
        return false;
    return c->role == GX_ROLE_EXPERT || gx_id_valid(c->brand);
}

/* The length of name (n bytes) less an incomplete UTF-8 character at its end. A caller that
 * cuts a name to fit gx_claims (snprintf into name[128]) may split one, and jansson refuses
 * such a string: the whole name would be left out of the token, not just its last byte. */
static size_t utf8_whole(const char *s, size_t n)
{
    size_t i = n, cont = 0;
    while (i > 0 && cont < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        cont++;
    }
    if (i == 0)
        return n;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return cont + 1 < want ? i - 1 : n;
}

char *gx_jwt_sign(const gx_claims *c, const char *secret, size_t secret_len)
{
    if (!claims_valid(c))
        return NULL;
    json_t *p = json_pack("{s:s, s:s, s:I, s:I}", "sub", c->sub, "role", gx_jwt_role_name(c->role),
                          "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp);
    if (c->brand[0])
        json_object_set_new(p, "brand", json_string(c->brand));
    if (c->name[0])
        json_object_set_new(p, "name", json_stringn(c->name, utf8_whole(c->name, strlen(c->name))));
    char *payload = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    if (!payload)
        return NULL;
    char head[96];
    size_t hl = header_b64(secret, secret_len, head), pl = strlen(payload);
    char *out = malloc(hl + 1 + gx_b64url_len(pl) + 1 + gx_b64url_len(32) + 1);
    if (out) {
        memcpy(out, head, hl);
        size_t o = hl;
        out[o++] = '.';
        o += gx_b64url_encode(payload, pl, out + o);
        unsigned char mac[32];
        gx_crypto_hmac_sha256(secret, secret_len, out, o, mac);
        out[o++] = '.';
        gx_b64url_encode(mac, sizeof(mac), out + o);
    }
    free(payload);
    return out;
}

/* Decodes one base64url JSON segment into an object (new reference) or NULL. */
static json_t *segment_json(const char *seg, size_t n)
{
    char buf[GX_JWT_MAX];
    long len = gx_b64url_decode(seg, n, buf, sizeof(buf));
    if (len <= 0)
        return NULL;
    json_t *j = json_loadb(buf, (size_t)len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* Copies a string claim. Only a display name may be cut (on a UTF-8 character boundary):
 * an id that does not fit is refused, never shortened into another valid id. */
static bool copy_str(json_t *o, const char *key, char *out, size_t cap, bool required)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return !required;
    if (!json_is_string(v))
        return false;
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    if (n >= cap && strcmp(key, "name") != 0)
        return false;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

#define GX_JWT_SKEW_S 60 /* clocks of the minting brand's servers and ours may differ */

static int read_claims(json_t *p, int64_t now_s, gx_claims *out)
{
    json_t *exp = json_object_get(p, "exp"), *iat = json_object_get(p, "iat");
    json_t *nbf = json_object_get(p, "nbf");
    char role[16] = "";
    memset(out, 0, sizeof(*out));
    if (!json_is_integer(exp) || (iat && !json_is_integer(iat)) || (nbf && !json_is_integer(nbf)) ||
        (nbf && json_integer_value(nbf) > now_s + GX_JWT_SKEW_S) ||
        !copy_str(p, "sub", out->sub, sizeof(out->sub), true) ||
        !copy_str(p, "role", role, sizeof(role), true) ||
        !copy_str(p, "brand", out->brand, sizeof(out->brand), false) ||
        !copy_str(p, "name", out->name, sizeof(out->name), false))
        return GX_EUNAUTH;
    out->role = gx_jwt_role_parse(role);
    out->exp = json_integer_value(exp);
    out->iat = iat ? json_integer_value(iat) : 0;
    if (out->exp <= now_s || out->iat > now_s + GX_JWT_SKEW_S || !claims_valid(out))
        return GX_EUNAUTH;
    if (out->role == GX_ROLE_EXPERT)
        out->brand[0] = '\0'; /* experts belong to brands through their profile, not the token */
    gx_jwt_uid_make(out->uid, out->role, out->brand, out->sub);
    return 0;
}

void gx_jwt_uid_make(char *out, gx_role role, const char *brand, const char *id)
{
    out[0] = '\0';
    if (!id || !id[0] || strlen(id) > GX_ID_MAX)
        return;
    if (role == GX_ROLE_EXPERT)
        snprintf(out, GX_UID_MAX + 1, "%s", id);
    else if ((role == GX_ROLE_CUSTOMER || role == GX_ROLE_STAFF) && brand &&
             strlen(brand) <= GX_ID_MAX)
        snprintf(out, GX_UID_MAX + 1, "%c:%s:%s", role == GX_ROLE_STAFF ? 's' : 'c', brand, id);
}

void gx_jwt_uid_of(char *out, const char *role_word, const char *brand, const char *id)
{
    gx_jwt_uid_make(out, gx_jwt_role_parse(role_word), brand, id);
}

bool gx_jwt_uid_valid(const char *s)
{
    if (gx_id_valid(s))
        return true;
    if (!s || (s[0] != 'c' && s[0] != 's') || s[1] != ':')
        return false;
    const char *colon = strchr(s + 2, ':');
    char brand[GX_ID_MAX + 1];
    size_t bl = colon ? (size_t)(colon - (s + 2)) : 0;
    if (!bl || bl > GX_ID_MAX)
        return false;
    memcpy(brand, s + 2, bl);
    brand[bl] = '\0';
    return gx_id_valid(brand) && gx_id_valid(colon + 1);
}

/* True when the signature is secret's; a token that names a key id is only tried with the
 * secret of that id. */
static bool signed_by(const char *token, size_t signed_len, const unsigned char *sig,
                      const char *kid, const char *secret)
{
    if (!secret || !secret[0])
        return false;
    size_t n = strlen(secret);
    char mine[9];
    kid_of(secret, n, mine);
    if (kid && strcmp(kid, mine) != 0)
        return false;
    unsigned char mac[32];
    gx_crypto_hmac_sha256(secret, n, token, signed_len, mac);
    return gx_crypto_equal(sig, mac, 32);
}

int gx_jwt_verify_any(const char *token, size_t len, const char *const *secrets, int nsecrets,
                      int64_t now_s, gx_claims *out)
{
    if (!token || len == 0 || len > GX_JWT_MAX)
        return GX_EUNAUTH;
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return GX_EUNAUTH;
    unsigned char sig[48];
    long sl = gx_b64url_decode(d2 + 1, len - (size_t)(d2 + 1 - token), sig, sizeof(sig));
    json_t *h = sl == 32 ? segment_json(token, (size_t)(d1 - token)) : NULL;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    json_t *kidv = json_object_get(h, "kid");
    const char *kid = json_string_value(kidv);
    bool ok = alg && strcmp(alg, "HS256") == 0 && (!kidv || kid);
    bool good = false;
    for (int i = 0; ok && !good && i < nsecrets; i++)
        good = signed_by(token, (size_t)(d2 - token), sig, kid, secrets[i]);
    json_decref(h);
    if (!good)
        return GX_EUNAUTH;
    json_t *p = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
    int rc = p ? read_claims(p, now_s, out) : GX_EUNAUTH;
    json_decref(p);
    return rc;
}

int gx_jwt_verify(const char *token, size_t len, const char *secret, size_t secret_len,
                  int64_t now_s, gx_claims *out)
{
    char *copy = strndup(secret, secret_len); /* the key list takes NUL-terminated secrets */
    const char *const keys[] = {copy};
    int rc = copy ? gx_jwt_verify_any(token, len, keys, 1, now_s, out) : GX_EUNAUTH;
    free(copy);
    return rc;
}
