/* JWT (HS256 only) for gigcx identities: sign and verify with the server secret.
 * Any other alg, a bad signature, bad base64, a past exp, or a claim of the wrong type
 * is refused. It does not fetch keys or support other algorithms on purpose. */
#ifndef GIGCX_JWT_H
#define GIGCX_JWT_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include "gigcx/util.h"

typedef enum { GX_ROLE_NONE = 0, GX_ROLE_EXPERT, GX_ROLE_CUSTOMER, GX_ROLE_STAFF } gx_role;

/* A user's key inside gigcx: experts are global (only the admin mints them) and known by
 * their id; customers and staff belong to one brand, which names them with the id:
 * "c:<brand>:<id>", "s:<brand>:<id>". ':' is no id character, so no two roles or brands
 * share a key. Every per-user Redis key, map and bus field uses it, never the bare sub. */
#define GX_UID_MAX (2 + GX_ID_MAX + 1 + GX_ID_MAX)

typedef struct {
    char sub[GX_ID_MAX + 1];
    gx_role role;
    char brand[GX_ID_MAX + 1]; /* "" when absent (experts) */
    char name[128];            /* "" when absent; UTF-8, truncated on a char boundary */
    int64_t iat;               /* seconds */
    int64_t exp;               /* seconds */
    char uid[GX_UID_MAX + 1];  /* filled by gx_jwt_verify (gx_jwt_uid_make) */
} gx_claims;

/* Writes the uid of (role, brand, id) into out (at least GX_UID_MAX + 1 bytes); "" when
 * id is empty or the role is none. brand is ignored for experts. */
void gx_jwt_uid_make(char *out, gx_role role, const char *brand, const char *id);
/* The role named by a role word ("expert", "staff", "customer"), as gx_jwt_uid_make takes it
 * from a task's stored fields: gx_jwt_uid_of("staff", "acme", "bob") is "s:acme:bob". */
void gx_jwt_uid_of(char *out, const char *role_word, const char *brand, const char *id);
/* True for what gx_jwt_uid_make can produce from valid ids. */
bool gx_jwt_uid_valid(const char *s);

/* "expert" / "customer" / "staff" / NULL for GX_ROLE_NONE. */
const char *gx_jwt_role_name(gx_role r);
/* Parses a role name; GX_ROLE_NONE when unknown or NULL. */
gx_role gx_jwt_role_parse(const char *s);

/* Signs claims with secret. Returns a malloc'd NUL-terminated token (caller frees) or NULL
 * when claims are invalid (sub or brand not an id, role none, customer/staff without brand). */
char *gx_jwt_sign(const gx_claims *c, const char *secret, size_t secret_len);

/* Verifies token (len bytes) against secret at time now_s (seconds). Returns 0 and fills
 * out, or GX_EUNAUTH for anything wrong: malformed, alg not HS256, bad signature, expired
 * (exp <= now_s), missing/invalid sub or role, customer/staff without a valid brand. */
int gx_jwt_verify(const char *token, size_t len, const char *secret, size_t secret_len,
                  int64_t now_s, gx_claims *out);
/* The same against several secrets (the current one and those being rotated out; NULL or
 * "" entries are skipped): a token with a "kid" header is checked only against the secret
 * of that key id, one without against each. Tokens are signed with a kid. */
int gx_jwt_verify_any(const char *token, size_t len, const char *const *secrets, int nsecrets,
                      int64_t now_s, gx_claims *out);

#endif
