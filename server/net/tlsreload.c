/* SIGHUP: the certificate and key read again from their files and handed to lws, which
 * swaps them into the vhost's SSL_CTX (tlsreload.h). */
#include <stdio.h>
#include <stdlib.h>
#include <libwebsockets.h>
#include "gigcx/tlsreload.h"

#define GX_PEM_MAX (1 << 20)

/* The whole file, NUL-terminated (malloc'd), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(GX_PEM_MAX + 1) : NULL;
    size_t n = buf ? fread(buf, 1, GX_PEM_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    if (!buf || n == 0 || n > GX_PEM_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

int gx_tlsreload(struct lws_context *ctx, const char *cert, const char *key)
{
    size_t cl = 0, kl = 0;
    char *c = slurp(cert, &cl), *k = c ? slurp(key, &kl) : NULL;
    int rc = c && k ? lws_tls_cert_updated(ctx, cert, key, c, cl, k, kl) : -1;
    if (rc)
        lwsl_err("TLS reload: %s and %s not loaded; the old certificate stays\n", cert, key);
    else
        lwsl_user("TLS reload: %s loaded\n", cert);
    free(c);
    free(k);
    return rc ? -1 : 0;
}
