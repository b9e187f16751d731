/* Small helpers with no I/O, one file each: id rules and random ids (id.c), the clocks
 * (now.c), base64url (b64url.c), hashing (crypto.c), strings (str.c). Nothing here touches
 * the network or Redis. */
#ifndef GIGCX_UTIL_H
#define GIGCX_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define GX_ID_MAX 64

/* True when s (NUL-terminated) matches [A-Za-z0-9_-]{1,64}. NULL is not an id. */
bool gx_id_valid(const char *s);

/* Copies src into dst (cap bytes, NUL-terminated, cut short if need be): what
 * snprintf(dst, cap, "%s", src) does, for hot paths, without the format machinery. */
void gx_str_copy(char *dst, const char *src, size_t cap);
/* True when a ",a,b," list names v (as the Lua scripts' has() reads it). */
bool gx_str_csv_has(const char *csv, const char *v);

/* Milliseconds since the Unix epoch (wall clock). */
int64_t gx_now_ms(void);

/* CPU seconds this process has used so far, user and system, every thread. */
double gx_now_cpu_s(void);

/* base64url without padding. Encode writes at most gx_b64url_len(n)+1 bytes (NUL-terminated)
 * and returns the length written. Decode accepts no padding, rejects any byte outside the
 * url alphabet, and returns the decoded length or -1; it writes at most outcap bytes. */
size_t gx_b64url_len(size_t n);
size_t gx_b64url_encode(const void *in, size_t n, char *out);
long gx_b64url_decode(const char *in, size_t n, void *out, size_t outcap);

/* Lower-case hex SHA-256 of data into out (65 bytes with NUL). */
void gx_crypto_sha256_hex(const void *data, size_t n, char out[65]);

/* HMAC-SHA256 of data with key into out (32 bytes). */
void gx_crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t n,
                           unsigned char out[32]);

/* Constant-time comparison of n bytes: true when equal. */
bool gx_crypto_equal(const void *a, const void *b, size_t n);

/* Fills out with nbytes of cryptographic randomness rendered as base64url (so the result
 * is a valid id when nbytes <= 48). out needs gx_b64url_len(nbytes)+1 bytes.
 * Returns 0, or GX_EINTERNAL when the system has no randomness. */
int gx_id_random(char *out, size_t nbytes);

/* url with its user:password@ shown as ***@, in out (n bytes), for logs; returns out. */
const char *gx_str_url_redacted(const char *url, char *out, size_t n);

#endif
