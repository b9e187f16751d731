/* Fuzzes Redis replies as gigcxd reads them: bytes through hiredis's redisReader, then each
 * reply through the helpers handlers use on script and stream replies (request.c, chat.c).
 * Also the hand-written RESP writer (resp.c) against hiredis's formatter, read back. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include "gigcx/chat.h"
#include "gigcx/error.h"
#include "gigcx/request.h"
#include "gigcx/resp.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

#define ARGS_MAX 64

static void use_reply(redisReply *r)
{
    int st = gx_reply_status(r);
    CHECK(st == 0 || st == GX_ENOTFOUND || st == GX_EFORBIDDEN || st == GX_ECONFLICT ||
          st == GX_EBADREQ || st == GX_ECAPACITY || st == GX_EINTERNAL);
    for (size_t i = 0; i < 4; i++)
        CHECK(gx_reply_str(r, i) != NULL);
    const char *f = gx_reply_field(r, "c");
    if (f) /* the value is read as a C string */
        CHECK(strlen(f) < (size_t)-1);
    gx_sid id;
    json_t *m = gx_chat_entry_json("t1", r, &id);
    if (m) {
        CHECK(json_is_object(m));
        free(json_dumps(m, JSON_COMPACT));
        json_decref(m);
    }
    for (int rev = 0; rev < 2; rev++) {
        json_t *all = gx_chat_entries("t1", r, rev);
        CHECK(json_is_array(all));
        json_decref(all);
    }
    /* a reply kept past its callback: the copy owns the contents, the husk is empty */
    redisReply *kept = gx_reply_steal(r);
    CHECK(kept && r->type == REDIS_REPLY_NIL && r->elements == 0 && !r->str);
    freeReplyObject(kept);
}

/* hiredis 0.14 allocates an array reply's element pointers as soon as it reads "*<count>",
 * with no upper bound (later versions cap it with maxelements): a huge count is an
 * allocation failure in hiredis, not a fault of ours, so such inputs are skipped. */
static bool huge_array(const char *p, size_t n)
{
    for (const char *e = p + n; (p = memchr(p, '*', (size_t)(e - p))) != NULL;) {
        unsigned long v = 0;
        for (p++; p < e && *p >= '0' && *p <= '9' && v <= 1000000; p++)
            v = v * 10 + (unsigned long)(*p - '0');
        if (v > 1000000)
            return true;
    }
    return false;
}

static void read_replies(const char *p, size_t n)
{
    if (huge_array(p, n))
        return;
    redisReader *rd = redisReaderCreate();
    CHECK(rd);
    if (redisReaderFeed(rd, p, n) == REDIS_OK) {
        void *r;
        while (redisReaderGetReply(rd, &r) == REDIS_OK && r) {
            use_reply(r);
            freeReplyObject(r);
        }
    }
    redisReaderFree(rd);
}

/* The arguments are the input split at newlines; the command must equal hiredis's bytes and
 * read back as an array of exactly those bulk strings. */
static void write_command(const char *p, size_t n)
{
    const char *argv[ARGS_MAX];
    size_t lens[ARGS_MAX];
    int argc = 0;
    for (const char *e = p + n; argc < ARGS_MAX;) {
        const char *nl = memchr(p, '\n', (size_t)(e - p));
        argv[argc] = p;
        lens[argc++] = (size_t)((nl ? nl : e) - p);
        if (!nl)
            break;
        p = nl + 1;
    }
    size_t sz = gx_resp_size(argc, argv, lens);
    char *out = malloc(sz);
    CHECK(out);
    CHECK(gx_resp_write(out, argc, argv, lens) == sz);
    char *want;
    int wn = redisFormatCommandArgv(&want, argc, argv, lens);
    CHECK(wn >= 0 && (size_t)wn == sz && memcmp(out, want, sz) == 0);
    redisFreeCommand(want);
    redisReader *rd = redisReaderCreate();
    void *r = NULL;
    CHECK(rd && redisReaderFeed(rd, out, sz) == REDIS_OK &&
          redisReaderGetReply(rd, &r) == REDIS_OK && r);
    redisReply *a = r;
    CHECK(a->type == REDIS_REPLY_ARRAY && a->elements == (size_t)argc);
    for (int i = 0; i < argc; i++)
        CHECK(a->element[i]->type == REDIS_REPLY_STRING && a->element[i]->len == lens[i] &&
              memcmp(a->element[i]->str, argv[i], lens[i]) == 0);
    freeReplyObject(r);
    redisReaderFree(rd);
    free(out);
}

/* First byte even: reply bytes from Redis. Odd: command arguments to write. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        write_command((const char *)data + 1, size - 1);
    else
        read_replies((const char *)data + 1, size - 1);
    return 0;
}
