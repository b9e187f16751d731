/* WebSocket close codes as /metrics counts them: one slot per code the server sends or a
 * client is likely to, plus "other" (any other code a peer sent) and "none" (the socket went
 * without a close frame). Labels stay a fixed, small set whatever peers send. */
#ifndef GIGCX_WSCLOSE_H
#define GIGCX_WSCLOSE_H

#define GX_WSCLOSE_MAP(XX)                                                                         \
    XX(NORMAL, 1000)          /* done */                                                           \
    XX(GOING_AWAY, 1001)      /* drain, shed, a browser tab closed */                              \
    XX(PROTOCOL, 1002)        /* a bad close payload */                                            \
    XX(UNACCEPTABLE, 1003)    /* a binary frame */                                                 \
    XX(NO_STATUS, 1005)       /* a peer's close frame without a code */                            \
    XX(BAD_DATA, 1007)        /* text that is not UTF-8 */                                         \
    XX(POLICY, 1008)          /* rate limit exceeded repeatedly */                                 \
    XX(TOO_BIG, 1009)         /* a frame over 64 KiB */                                            \
    XX(INTERNAL, 1011)        /* out of memory, history or storage unavailable */                  \
    XX(TRY_AGAIN, 1013)       /* too far behind */                                                 \
    XX(UNAUTHENTICATED, 4401) /* no or a bad hello, a revoked token */                             \
    XX(HELLO_TIMEOUT, 4408)   /* no hello within 10 s */                                           \
    XX(REPLACED, 4409)        /* a newer session of the same expert */

enum {
#define GX_WSCLOSE_ENUM(name, code) GX_WSCLOSE_##name,
    GX_WSCLOSE_MAP(GX_WSCLOSE_ENUM)
#undef GX_WSCLOSE_ENUM
        GX_WSCLOSE_OTHER, /* a code not in the map */
    GX_WSCLOSE_NONE,      /* no close frame either way */
    GX_WSCLOSE_SLOTS
};

/* Who ended the socket: the side that sent the first close frame (or hung up without one). */
enum { GX_WSCLOSE_BY_SERVER, GX_WSCLOSE_BY_PEER, GX_WSCLOSE_BY_COUNT };

/* The slot of a close code (GX_WSCLOSE_OTHER when not in the map; 0: GX_WSCLOSE_NONE). */
int gx_wsclose_slot(int code);
/* The label of a slot: "1000", ..., "other", "none". Never NULL. */
const char *gx_wsclose_label(int slot);
/* "server" or "peer". Never NULL. */
const char *gx_wsclose_by(int by);

#endif
