/* Ids: the rule every id from the network must pass, and random ids. */
#include <string.h>
#include <openssl/rand.h>
#include "gigcx/error.h"
#include "gigcx/util.h"

static bool id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool gx_id_valid(const char *s)
{
    if (!s)
        return false;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= GX_ID_MAX || !id_char((unsigned char)s[n]))
            return false;
    return n > 0;
}

int gx_id_random(char *out, size_t nbytes)
{
    unsigned char buf[64];
    if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1)
        return GX_EINTERNAL;
    gx_b64url_encode(buf, nbytes, out);
    return 0;
}
