/* Staff supervision of their brand's live chats: the list (live.list), watching one
 * read-only (chat.watch, chat.unwatch), internal notes to its expert (chat.whisper,
 * whisper.c), taking it over (task.takeover, takeover.c) and sending it back to the queue
 * for another expert (task.reassign, reassign.c). Only staff of the task's
 * brand; docs/protocol.md has the frames. */
#ifndef GIGCX_SUPERVISE_H
#define GIGCX_SUPERVISE_H

#include <jansson.h>
#include <stdbool.h>
#include "gigcx/request.h"
#include "gigcx/bus.h"
#include "gigcx/session.h"

#define GX_WATCH_MAX 20       /* chats one staff socket watches at once */
#define GX_LIVE_LIST_SCAN 500 /* the brand's newest tasks live.list looks among */
#define GX_WHISPER_MAX 2000   /* characters of a whisper */
#define GX_NOTES_KEEP 1000    /* whispers kept per task (about) */

void gx_supervise_on_list(gx_session *s, json_t *msg, const char *ref);
void gx_supervise_on_watch(gx_session *s, json_t *msg, const char *ref);
void gx_supervise_on_unwatch(gx_session *s, json_t *msg, const char *ref);
/* s stops watching task (no-op when it does not watch it): the chat ended or left its
 * assignee, so it is no longer live. */
void gx_supervise_stop(gx_session *s, const char *task);
/* A supervision script's verdict on q: when r is a refusal, tells the client why (conflict:
 * the verb's own sentence), frees q and returns true. */
bool gx_supervise_refused(gx_req *q, redisReply *r, const char *conflict);
/* A stored notes stream entry as a chat.whisper frame (new reference), or NULL. */
json_t *gx_supervise_note_json(const char *task, const redisReply *e);
/* The bus's "N" (a whisper): delivered to the task's local holder and watchers only. */
void gx_supervise_on_note_event(gx_server *srv, const gx_bus_msg *m);

/* chat.notes {task}: the whispers so far, for the assignee or staff of the brand. */
void gx_whisper_on_notes(gx_session *s, json_t *msg, const char *ref);
void gx_whisper_on_request(gx_session *s, json_t *msg, const char *ref);
void gx_takeover_on_request(gx_session *s, json_t *msg, const char *ref);
void gx_reassign_on_request(gx_session *s, json_t *msg, const char *ref);

#endif
