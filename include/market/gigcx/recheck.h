/* A join made from an earlier read, brought up to date. gigcxd joins a session to a task
 * from what a read on the command connection said (hello's HMGET, a claim's or an open's
 * script reply), while the task's events come on the subscriber connection. An event
 * Redis published after that read can reach the node before the read's reply, before the
 * join, and go to no one: a customer would wait for an expert already assigned, an
 * expert would miss the customer's first words. So after such a join the chat is read
 * back from the join's last id (gx_session_catch_up), and the task's status is read once
 * more; a status that moved is told as task.update, and a holder who no longer holds the
 * task lets go of it, as the missed update would have made them. */
#ifndef GIGCX_RECHECK_H
#define GIGCX_RECHECK_H

#include <stdbool.h>
#include "gigcx/session.h"

/* j was just joined by s from a read that said the task's status was status. */
void gx_recheck_join(gx_session *s, gx_join *j, const char *status);

/* A live task.update with status is about to go to s for j: false when it only repeats
 * what a re-read already told (it was published before the re-read, delivered after it).
 * Notes status as told either way. */
bool gx_recheck_fresh(gx_join *j, const char *status);

#endif
