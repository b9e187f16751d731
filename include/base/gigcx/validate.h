/* Field checks for hostile JSON: pure functions that say what is wrong with a field, so the
 * WebSocket and HTTP layers answer with the same words, and tests need no socket. */
#ifndef GIGCX_VALIDATE_H
#define GIGCX_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* Each returns true and sets *out when field is acceptable; false with why filled otherwise.
 * An absent optional field is acceptable: *out is NULL (strings) or def (integers). */
bool gx_validate_id(json_t *obj, const char *field, const char **out, char *why, size_t whylen);
bool gx_validate_str(json_t *obj, const char *field, size_t minchars, size_t maxchars,
                     bool optional, const char **out, char *why, size_t whylen);
bool gx_validate_int(json_t *obj, const char *field, long min, long max, long def, bool optional,
                     long *out, char *why, size_t whylen);
/* A whole request frame: an object with a string type and, if present, a ref string of at
 * most 64 characters. */
bool gx_validate_frame(json_t *msg, const char **type, const char **ref, char *why, size_t whylen);

/* Every member of obj is named in known (NULL-terminated): a misspelt "webhookUrl" must be
 * refused, not stored or ignored while the default applies. why names the first unknown
 * member and lists the known ones. */
bool gx_validate_known(json_t *obj, const char *const *known, char *why, size_t whylen);

/* Number of UTF-8 code points in s (NUL-terminated, valid UTF-8 as jansson guarantees). */
size_t gx_validate_utf8_len(const char *s);

#endif
