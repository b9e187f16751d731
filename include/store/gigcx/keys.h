/* Redis key patterns (docs/redis-keys.md lists every key and who writes it). */
#ifndef GIGCX_KEYS_H
#define GIGCX_KEYS_H

#include <stddef.h>

/* Every key of gigcx. Formats for the gx_redis_cmd family, to be joined with the command's
 * other words ("HGETALL " GX_KEY_EXPERT). Lua scripts build some of them too (claim.lua,
 * transition.lua, rate.lua and lib.lua name the brand's and users' keys from a task's
 * fields); docs/redis-keys.md says who writes and reads each. */
#define GX_KEY_TASK "gx:{t:%s}:task"   /* hash: a task (docs/redis-keys.md lists its fields) */
#define GX_KEY_CHAT "gx:{t:%s}:chat"   /* stream: a task's chat, one entry per message */
#define GX_KEY_NOTES "gx:{t:%s}:notes" /* stream: a task's internal notes (staff whispers) */
#define GX_KEY_QUEUE                                                                               \
    "gx:{b:%s}:q" /* zset: a brand's waiting tasks by (9 - priority) * 1e13 + created ms */
#define GX_KEY_ESC                                                                                 \
    "gx:{b:%s}:esc" /* zset: a brand's escalated tasks with no staff assignee, same score */
#define GX_KEY_BRAND_QUEUE "gx:{b:%s}:%s" /* either of the two above: brand, "q" or "esc" */
#define GX_KEY_ALL                                                                                 \
    "gx:{b:%s}:all" /* zset: every task of a brand by creation (the REST listing)                  \
                     */
#define GX_KEY_DECL                                                                                \
    "gx:{b:%s}:decl:%s" /* set: the experts who declined a brand's task in its waves */
#define GX_KEY_RANK                                                                                \
    "gx:{b:%s}:rk:%d:%s:%s" /* zset: eligible experts with a free slot by wave score (brand, tier, \
                               topic, language) */
#define GX_KEY_RANK_WATCH                                                                          \
    "gx:{b:%s}:rkw:%d:%s:%s" /* zset: the waiting tasks watching that ranking, for waves that give \
                                way */
#define GX_KEY_RANK_OWNER                                                                          \
    "gx:{b:%s}:rkown" /* hash: expert -> the session number that last ranked them */
#define GX_KEY_ONLINE                                                                              \
    "gx:{b:%s}:on" /* zset: the brand's experts who said available (busy or not) -> when (ms) */
#define GX_KEY_SKILLS                                                                              \
    "gx:{b:%s}:skills" /* set: every skill (topic) an expert of the brand was ever put with */
#define GX_KEY_LANGS                                                                               \
    "gx:{b:%s}:langs" /* set: every language an expert of the brand was ever put with */
#define GX_KEY_BRAND "gx:brand:%s"         /* hash: a brand's settings and keys (untagged) */
#define GX_KEY_BRANDS "gx:brands"          /* set: every brand id */
#define GX_KEY_EXPERT "gx:expert:%s"       /* hash: an expert's profile and reputation figures */
#define GX_KEY_EXPERTS "gx:experts"        /* set: every expert id */
#define GX_KEY_APIKEY "gx:apikey:%s"       /* string: SHA-256 of a brand API key -> the brand */
#define GX_KEY_WIDGETKEY "gx:widgetkey:%s" /* string: a widget key -> the brand */
#define GX_KEY_NODESTATS "gx:nodestats"    /* hash: node id -> its figures as JSON, every second */
#define GX_KEY_AUDIT                                                                               \
    "gx:audit:%s" /* list: a brand's audit entries ("-": the admin's), newest first */
#define GX_KEY_PRES                                                                                \
    "gx:pres:%s" /* hash: an expert's or staff member's presence (status, capacity, node) */
#define GX_KEY_PRESENCE "gx:presence" /* zset: uid -> last heartbeat (ms), swept for the absent */
#define GX_KEY_USER_TASKS                                                                          \
    "gx:u:%s:tasks" /* set: a customer's open tasks, an expert's or staff member's held ones */
#define GX_KEY_USER_CANNED                                                                         \
    "gx:u:%s:canned" /* hash: id -> a user's personal canned response {title, text} as JSON */
#define GX_KEY_USER_DECLINED                                                                       \
    "gx:u:%s:declined" /* hash: task -> its expires_at, what an expert declined */
#define GX_KEY_USER_TAKEN                                                                          \
    "gx:u:%s:taken" /* list: chats taken back from a user, JSON, newest first (lib.lua note_taken) \
                     */
#define GX_TAKEN_MAX 20 /* what note_taken keeps of it (LTRIM), and what one welcome reads */
#define GX_KEY_USER_WORK                                                                           \
    "gx:u:%s:work" /* zset: task -> when the user claimed it (ms), newest 1000, 35 days (lib.lua   \
                      note_work) */
#define GX_KEY_EXPIRY "gx:expiry" /* zset: waiting task -> expires_at (ms) */
#define GX_KEY_WAVES "gx:waves"   /* zset: task -> when its next offer wave is due (ms) */
#define GX_KEY_SESS "gx:sess:%s"  /* string: a user's last session number (INCR at hello) */
#define GX_KEY_REVOKED_BRAND                                                                       \
    "gx:revoked:b:%s" /* string: unix seconds every token of a brand is revoked up to */
#define GX_KEY_REVOKED                                                                             \
    "gx:revoked:%s"                     /* string: unix seconds a user's tokens are revoked up to  \
                                         */
#define GX_KEY_PROBE "gx:node:%s:probe" /* string: a node's last write probe (ms), PX 60 s */
#define GX_KEY_BUDGET "gx:bud:%s:%lld"  /* string: uses of a budget (name, window number) */
#define GX_KEY_USER_RATE                                                                           \
    "gx:rl:%s:%lld" /* string: frames a busy user sent in one second, every process together */

/* "gx:{t:<task>}:<kind>", the key of one of a task's records (cut short to cap). */
void gx_keys_task(char *out, size_t cap, const char *task, const char *kind);

/* The webhook outbox. Its keys share one hash tag, so each hook script stays on one Cluster
 * slot. */
#define GX_HOOK_DUE "gx:{wh}:due"   /* zset: event id -> when its next attempt is due (ms) */
#define GX_HOOK_EVENT "gx:{wh}:ev:" /* + id: hash {brand, type, task, body, created, attempts} */
#define GX_HOOK_LOG "gx:{wh}:log:"  /* + brand: list of attempts (JSON), newest first */

#endif
