/* Why accept() failed, as /metrics counts it (gigcx_accept_errors_total{errno=...}): a fixed
 * set of errno names, the rest as "other". EAGAIN is not a failure (nobody waits) and is not
 * counted. Kept apart from listener.h so the metrics need no loop headers. */
#ifndef GIGCX_ACCEPT_ERRNO_H
#define GIGCX_ACCEPT_ERRNO_H

#include <errno.h>

#define GX_ACCEPT_ERRNO_MAP(XX)                                                                    \
    XX(EMFILE)       /* the process is out of descriptors */                                       \
    XX(ENFILE)       /* the system is */                                                           \
    XX(ENOBUFS)      /* socket buffers */                                                          \
    XX(ENOMEM)       /* kernel memory */                                                           \
    XX(ECONNABORTED) /* the peer gave up while queued */                                           \
    XX(EPROTO)       /* a protocol error on the queued connection */                               \
    XX(EPERM)        /* a firewall rule refused it */                                              \
    XX(EINTR)        /* a signal */

enum {
#define GX_ACCEPT_ERRNO_ENUM(e) GX_ACCEPT_##e,
    GX_ACCEPT_ERRNO_MAP(GX_ACCEPT_ERRNO_ENUM)
#undef GX_ACCEPT_ERRNO_ENUM
        GX_ACCEPT_OTHER,
    GX_ACCEPT_ERRNO_SLOTS
};

/* The slot of an accept() errno (GX_ACCEPT_OTHER for any other). */
static inline int gx_accept_errno_slot(int err)
{
#define GX_ACCEPT_ERRNO_CASE(e)                                                                    \
    if (err == e)                                                                                  \
        return GX_ACCEPT_##e;
    GX_ACCEPT_ERRNO_MAP(GX_ACCEPT_ERRNO_CASE)
#undef GX_ACCEPT_ERRNO_CASE
    return GX_ACCEPT_OTHER;
}

/* The label of a slot: "EMFILE", ..., "other". Never NULL. */
static inline const char *gx_accept_errno_label(int slot)
{
    static const char *const names[] = {
#define GX_ACCEPT_ERRNO_NAME(e) #e,
        GX_ACCEPT_ERRNO_MAP(GX_ACCEPT_ERRNO_NAME)
#undef GX_ACCEPT_ERRNO_NAME
    };
    return slot >= 0 && slot < GX_ACCEPT_OTHER ? names[slot] : "other";
}

#endif
