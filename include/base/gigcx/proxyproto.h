/* The PROXY protocol header (HAProxy's, versions 1 and 2) that a balancer puts before the
 * client's bytes on each connection, naming the client's address (proxyproto.c). */
#ifndef GIGCX_PROXYPROTO_H
#define GIGCX_PROXYPROTO_H

#include <stddef.h>

/* The most bytes a header may take here: v1's 107, or v2's 16 and its addresses with some
 * TLVs. A longer one is refused. */
#define GX_PROXYPROTO_MAX 512

/* Reads a header at the start of buf (len bytes so far). Returns its length once whole, with
 * the client's address in ip ("" when the header names none: v1 UNKNOWN, v2 LOCAL or a
 * family other than TCP over IPv4 or IPv6, such as the balancer's own health checks); 0 while
 * more bytes are needed; -1 for anything that is not a valid header. */
int gx_proxyproto_parse(const unsigned char *buf, size_t len, char *ip, size_t iplen);

#endif
