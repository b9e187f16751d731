/* Chat: send, typing, history, and turning stored stream entries into chat.message. */
#ifndef GIGCX_CHAT_H
#define GIGCX_CHAT_H

#include <jansson.h>
#include <hiredis/hiredis.h>
#include "gigcx/session.h"
#include "gigcx/sid.h"

#define GX_CATCHUP_BATCH 500

/* A stream entry ([id, [field, value, ...]]) of task as a chat.message object (new
 * reference), with its id in *id. NULL when the entry is malformed. */
json_t *gx_chat_entry_json(const char *task, const redisReply *entry, gx_sid *id);

/* Builds {"type":"chat.history"...}-style arrays: every entry of an XRANGE/XREVRANGE reply,
 * oldest first (reverse = the reply is newest first). New reference. */
json_t *gx_chat_entries(const char *task, const redisReply *r, bool reverse);

void gx_chat_on_send(gx_session *s, json_t *msg, const char *ref);
void gx_chat_on_typing(gx_session *s, json_t *msg, const char *ref);
void gx_chat_on_history(gx_session *s, json_t *msg, const char *ref);

#endif
