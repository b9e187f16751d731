/* The Lua scripts, compiled in from server/scripts/ (one .lua file each) by the build. */
#ifndef GIGCX_SCRIPTS_H
#define GIGCX_SCRIPTS_H

extern const char *const gx_script_src[];   /* indexed by gx_script */
extern const char *const gx_script_names[]; /* file names without .lua */

/* Where each field sits in a script's reply (the script's header comment says the same). A
 * reply that starts with a word ("ok", "dup", an error code) has it at 0 (gx_reply_status). */
enum { GX_REPLY_WORD = 0 };
enum { /* task_create.lua */
       GX_CREATE_MSG_ID = 1,
       GX_CREATE_CREATED,
       GX_CREATE_EXPIRES,
       GX_CREATE_RANK,
       GX_CREATE_FIELDS
};
enum { /* claim.lua: then the last messages, oldest first */
       GX_CLAIM_STATUS = 1,
       GX_CLAIM_BRAND,
       GX_CLAIM_TOPIC,
       GX_CLAIM_LANG,
       GX_CLAIM_CUSTOMER_NAME,
       GX_CLAIM_PAY,
       GX_CLAIM_REASON,
       GX_CLAIM_TIER,
       GX_CLAIM_OFFLINE, /* "1" for an offline message (offline.h), else "" */
       GX_CLAIM_EMAIL,   /* the customer's e-mail, or "" */
       GX_CLAIM_HISTORY
};
enum { /* transition.lua */
       GX_TRANS_STATUS = 1,
       GX_TRANS_BRAND,
       GX_TRANS_PRIORITY,
       GX_TRANS_CREATED,
       GX_TRANS_CUSTOMER,
       GX_TRANS_HOLDER,
       GX_TRANS_EXPIRES,
       GX_TRANS_TOPIC,
       GX_TRANS_LANG,
       GX_TRANS_TIER
};
enum { GX_RATE_EXPERT = 1, GX_RATE_BRAND }; /* rate.lua */
enum { GX_APPEND_ID = 1, GX_APPEND_TS };    /* chat_append.lua */
enum {                                      /* brand_put.lua */
       GX_BRAND_PUT_WORD = 0,               /* "created", "rotated" or "updated" */
       GX_BRAND_PUT_WIDGET_KEY,
       GX_BRAND_PUT_OLD_KEY_HASH,
       GX_BRAND_PUT_SECRET,
       GX_BRAND_PUT_OLD_WIDGET_KEY
};
enum { GX_WAVE_CUT_VERSION = 0, GX_WAVE_CUT_SCORE };     /* wave_cut.lua */
enum { GX_CANNED_LIST_MINE = 1, GX_CANNED_LIST_BRANDS }; /* canned_list.lua */
enum { /* watch.lua: then the notes, oldest first */
       GX_WATCH_STATUS = 1,
       GX_WATCH_TOPIC,
       GX_WATCH_LANG,
       GX_WATCH_CUSTOMER_NAME,
       GX_WATCH_ASSIGNEE_NAME,
       GX_WATCH_ASSIGNEE_ROLE,
       GX_WATCH_NOTES
};
enum { GX_WHISPER_ID = 1 }; /* whisper.lua */
enum {                      /* takeover.lua: then the last messages, oldest first */
       GX_TAKEOVER_BRAND = 1,
       GX_TAKEOVER_TOPIC,
       GX_TAKEOVER_LANG,
       GX_TAKEOVER_CUSTOMER_NAME,
       GX_TAKEOVER_HOLDER,
       GX_TAKEOVER_HISTORY
};
enum { GX_LIVE_LIST_FIELDS = 9 }; /* live_list.lua: per chat, after "ok" */
enum {                            /* work_list.lua: per task, after "ok" */
       GX_WORK_TASK = 0,
       GX_WORK_CLAIMED_AT,
       GX_WORK_BRAND,
       GX_WORK_TOPIC,
       GX_WORK_LANG,
       GX_WORK_CUSTOMER_NAME,
       GX_WORK_STATUS,
       GX_WORK_ASSIGNEE,
       GX_WORK_ASSIGNEE_ROLE,
       GX_WORK_EXPERT, /* the last expert who held it */
       GX_WORK_STAFF,  /* the last staff member who held it */
       GX_WORK_RESOLVED_BY,
       GX_WORK_ESCALATED_BY_NAME, /* "" when the queue time-out sent it to staff */
       GX_WORK_PAY,
       GX_WORK_RATING,
       GX_WORK_RATING_COMMENT,
       GX_WORK_SUMMARY,
       GX_WORK_RESOLVED_AT,
       GX_WORK_ESCALATED_AT,
       GX_WORK_CANCELLED_AT,
       GX_WORK_EXPIRED_AT,
       GX_WORK_RELEASED_AT,
       GX_WORK_TAKEN_OVER_AT,
       GX_WORK_TAKEN_OVER_FROM,
       GX_WORK_FIELDS
};

#endif
