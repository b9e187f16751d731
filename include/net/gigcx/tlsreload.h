/* Loads a renewed TLS certificate and key into the running server (SIGHUP), so certificates
 * are rotated without dropping a socket: connections made after it get the new one. */
#ifndef GIGCX_TLSRELOAD_H
#define GIGCX_TLSRELOAD_H

struct lws_context;

/* Reads the PEM files at cert and key and swaps them into every vhost that serves cert.
 * Returns 0, or -1 (logged; the old certificate stays) when a file cannot be read or lws
 * refuses the pair. Blocking file reads: for an operator's signal, not a hot path. */
int gx_tlsreload(struct lws_context *ctx, const char *cert, const char *key);

#endif
