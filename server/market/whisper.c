/* chat.whisper (supervise.h): a staff member's internal note on a live chat of its brand.
 * Stored in the task's notes stream (never its chat, so no customer history or transcript
 * page holds it), then published as the bus's "N" for the expert and the watching staff. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gigcx/error.h"
#include "gigcx/keys.h"
#include "gigcx/privacy.h"
#include "gigcx/request.h"
#include "gigcx/scripts.h"
#include "gigcx/sid.h"
#include "gigcx/supervise.h"
#include "gigcx/util.h"

/* The frame everyone concerned gets, and the bus message that carries it. */
static void publish(gx_req *q, const char *id, const char *text)
{
    gx_sid sid = {0, 0};
    gx_sid_parse(id, &sid);
    gx_session *s = q->s;
    json_t *w = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:I, s:b}", "type", "chat.whisper",
                          "task", q->task, "id", id, "from", "role", "staff", "name", s->who.name,
                          "text", text, "ts", (json_int_t)sid.ms, "internal", 1);
    char *body = w ? json_dumps(w, JSON_COMPACT) : NULL;
    json_decref(w);
    const char *f[] = {q->task, id};
    /* stored already: a lost publish only delays it to the next watch */
    if (body)
        gx_bus_publish(s->srv->redis, GX_CH_TASK, 'N', f, 2, body);
    free(body);
}

/* A whisper in flight: the request and its text, which the frame needs after storing. */
typedef struct {
    gx_req *q;
    char *text;
} gx_whisper;

static void whisper_free(gx_whisper *w)
{
    gx_request_free(w->q);
    free(w->text);
    free(w);
}

static void on_stored(redisReply *r, void *priv)
{
    gx_whisper *w = priv;
    gx_req *q = w->q;
    int rc = gx_reply_status(r);
    if (rc) {
        gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                         rc == GX_ENOTFOUND    ? "no such task"
                         : rc == GX_EFORBIDDEN ? "not a task of your brand"
                         : rc == GX_ECONFLICT  ? "the chat is not live"
                                               : "storage unavailable; try again");
        whisper_free(w);
        return;
    }
    const char *id = gx_reply_str(r, GX_WHISPER_ID);
    json_t *ack = json_pack("{s:s, s:s, s:s}", "type", "chat.whispered", "task", q->task, "id", id);
    gx_session_send_json(q->s, ack, gx_request_ref(q));
    json_decref(ack);
    publish(q, id, w->text);
    whisper_free(w);
}

void gx_whisper_on_request(gx_session *s, json_t *msg, const char *ref)
{
    bool ok;
    const char *task = gx_request_field_id(s, msg, "task", ref);
    const char *text =
        task ? gx_request_field_str(s, msg, "text", 1, GX_WHISPER_MAX, false, ref, &ok) : NULL;
    if (!text)
        return;
    gx_whisper *w = calloc(1, sizeof(*w));
    if (w && !(w->text = strdup(text))) {
        free(w);
        w = NULL;
    }
    if (!w) {
        gx_session_error(s, GX_EINTERNAL, ref, "out of memory");
        return;
    }
    if (!(w->q = gx_request_new(s, ref, task))) {
        free(w->text);
        free(w);
        return;
    }
    char key[96], notes[96], keep[16];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(notes, sizeof(notes), task, "notes");
    snprintf(keep, sizeof(keep), "%d", GX_NOTES_KEEP);
    const char *argv[] = {key, notes, s->who.brand, s->who.uid, s->who.name, text, keep};
    int rc =
        gx_redis_script_durable(s->srv->redis, GX_SCRIPT_WHISPER, on_stored, w, 2, 7, argv, NULL);
    if (rc) {
        gx_session_error(s, rc, ref, "storage unavailable; try again");
        whisper_free(w);
    }
}

static void on_notes(redisReply *r, void *priv)
{
    gx_req *q = priv;
    int rc = gx_reply_status(r);
    if (rc) {
        gx_session_error(q->s, rc, gx_request_ref(q), "%s",
                         rc == GX_ENOTFOUND    ? "no such task"
                         : rc == GX_EFORBIDDEN ? "not your task"
                                               : "storage unavailable; try again");
        gx_request_free(q);
        return;
    }
    json_t *notes = json_array();
    for (size_t i = 1; i < r->elements; i++) {
        json_t *n = gx_supervise_note_json(q->task, r->element[i]);
        if (n && gx_privacy_masked(q->s)) /* staff write notes freely: tier 1 sees them masked */
            gx_privacy_mask(n);
        if (n)
            json_array_append_new(notes, n);
    }
    json_t *out =
        json_pack("{s:s, s:s, s:o}", "type", "chat.notes", "task", q->task, "whispers", notes);
    gx_session_send_json(q->s, out, gx_request_ref(q));
    json_decref(out);
    gx_request_free(q);
}

void gx_whisper_on_notes(gx_session *s, json_t *msg, const char *ref)
{
    const char *task = gx_request_field_id(s, msg, "task", ref);
    gx_req *q = task ? gx_request_new(s, ref, task) : NULL;
    if (!q)
        return;
    char key[96], notes[96];
    gx_keys_task(key, sizeof(key), task, "task");
    gx_keys_task(notes, sizeof(notes), task, "notes");
    const char *argv[] = {key, notes, s->who.uid, gx_jwt_role_name(s->who.role), s->who.brand};
    int rc = gx_redis_script(s->srv->redis, GX_SCRIPT_NOTES, on_notes, q, 2, 5, argv, NULL);
    if (rc)
        gx_request_fail(q, rc);
}
