/* The close-code slots of /metrics (see wsclose.h): a code to its slot and a slot to its
 * label. Nothing here knows about sockets. */
#include "gigcx/wsclose.h"

static const int codes[] = {
#define GX_WSCLOSE_CODE(name, code) code,
    GX_WSCLOSE_MAP(GX_WSCLOSE_CODE)
#undef GX_WSCLOSE_CODE
};

static const char *const labels[] = {
#define GX_WSCLOSE_LABEL(name, code) #code,
    GX_WSCLOSE_MAP(GX_WSCLOSE_LABEL)
#undef GX_WSCLOSE_LABEL
        "other",
    "none",
};

_Static_assert(sizeof(labels) / sizeof(labels[0]) == GX_WSCLOSE_SLOTS, "a label per slot");

int gx_wsclose_slot(int code)
{
    if (code == 0)
        return GX_WSCLOSE_NONE;
    for (int i = 0; i < GX_WSCLOSE_OTHER; i++)
        if (codes[i] == code)
            return i;
    return GX_WSCLOSE_OTHER;
}

const char *gx_wsclose_label(int slot)
{
    return slot >= 0 && slot < GX_WSCLOSE_SLOTS ? labels[slot] : "other";
}

const char *gx_wsclose_by(int by)
{
    return by == GX_WSCLOSE_BY_PEER ? "peer" : "server";
}
