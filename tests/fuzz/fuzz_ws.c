/* Fuzzes the bytes a WebSocket frame goes through: the load tester's own framing
 * (loadtest/client/wsframe.c) reading a stream of server frames and a handshake answer, and
 * the server's reading of an incoming text frame: gx_jr_flat checked against jansson (as
 * unit_jr does), then gx_validate_frame and the field checks the handlers use (validate.c). */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "gigcx/jr.h"
#include "gigcx/util.h"
#include "gigcx/validate.h"
#include "gigcx/wsframe.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

/* One client frame as gigcxd's on_frame reads it, with the fast path held to jansson's
 * answer: a flat frame must read the same either way. */
static void frame_json(const char *p, size_t n)
{
    json_t *fast = gx_jr_flat(p, n);
    json_t *slow = json_loadb(p, n, JSON_REJECT_DUPLICATES, NULL);
    if (fast) {
        CHECK(slow && json_equal(fast, slow));
        CHECK(json_object_size(fast) == json_object_size(slow));
    }
    json_t *msg = fast ? fast : slow;
    const char *type, *ref, *v;
    char why[160];
    long l;
    if (gx_validate_frame(msg, &type, &ref, why, sizeof(why)))
        CHECK(type && (!ref || gx_validate_utf8_len(ref) <= 64));
    /* the checks run on whatever parsed: handlers see only objects, but must not care */
    if (gx_validate_id(msg, "task", &v, why, sizeof(why)))
        CHECK(gx_id_valid(v));
    if (gx_validate_str(msg, "text", 1, 4000, false, &v, why, sizeof(why)))
        CHECK(v && gx_validate_utf8_len(v) >= 1 && gx_validate_utf8_len(v) <= 4000);
    if (gx_validate_str(msg, "cid", 0, 64, true, &v, why, sizeof(why)))
        CHECK(!v || gx_validate_utf8_len(v) <= 64);
    if (gx_validate_int(msg, "limit", 1, 200, 50, true, &l, why, sizeof(why)))
        CHECK(l >= 1 && l <= 200);
    json_decref(fast);
    json_decref(slow);
}

/* Server frames back to back, as gxclient's own-framing mode reads them off the socket. */
static void frame_stream(const unsigned char *p, size_t n)
{
    static const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t off = 0;
    while (off < n) {
        gx_ws_head h;
        int hl = gx_ws_head_parse(p + off, n - off, &h);
        if (hl <= 0)
            return;
        CHECK(hl == 2 || hl == 4 || hl == 10);
        CHECK(h.opcode <= GX_WS_BINARY || (h.opcode >= GX_WS_CLOSE && h.opcode <= GX_WS_PONG));
        CHECK(!(h.opcode & 0x8) || (h.fin && h.len <= 125));
        CHECK(!(h.len >> 63));
        off += (size_t)hl;
        size_t plen = h.len < n - off ? (size_t)h.len : n - off;
        if (h.opcode == GX_WS_TEXT)
            frame_json((const char *)p + off, plen);
        /* the header a client writes for it, unmasked, reads back the same */
        unsigned char out[GX_WS_HEAD_MAX];
        size_t wl = gx_ws_head_write(out, h.opcode, plen, mask);
        CHECK(wl >= 6 && wl <= GX_WS_HEAD_MAX && memcmp(out + wl - 4, mask, 4) == 0);
        out[1] &= 0x7f;
        gx_ws_head back;
        CHECK(gx_ws_head_parse(out, wl - 4, &back) == (int)(wl - 4));
        CHECK(back.fin && back.opcode == h.opcode && back.len == plen);
        /* masking twice gives the payload back */
        unsigned char *copy = malloc(plen + 1);
        CHECK(copy);
        memcpy(copy, p + off, plen);
        gx_ws_mask(copy, plen, mask);
        gx_ws_mask(copy, plen, mask);
        CHECK(memcmp(copy, p + off, plen) == 0);
        free(copy);
        off += plen;
    }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    frame_stream(data, size);
    frame_json((const char *)data, size);
    /* the answer to the upgrade request: the RFC's own example key */
    gx_ws_response_ok((const char *)data, size, "dGhlIHNhbXBsZSBub25jZQ==");
    return 0;
}
