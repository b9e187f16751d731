/* Offline messages: a task a customer left through the widget's offline form (nobody online,
 * or the brand closed). The customer is not connected, so when the expert resolves it the
 * brand is sent their replies (task.offline_reply) and e-mails them. */
#ifndef GIGCX_OFFLINE_H
#define GIGCX_OFFLINE_H

#include "gigcx/server.h"

/* task of brand was resolved: when it is an offline message, records task.offline_reply
 * with the customer's name and e-mail and the texts of every message not the customer's. */
void gx_offline_resolved(gx_server *srv, const char *brand, const char *task);

#endif
