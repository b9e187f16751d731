/* A webhook receiver for the integration tests: a blocking HTTP/1.1 server on 127.0.0.1 in a
 * thread of its own, which records every request it reads and answers each as a plan says
 * (200, 500, garbage, a huge header, a hang). It can be taken down (its port closed) and
 * brought back on the same port. Reads are bounded in size and time. */
#ifndef GIGCX_TEST_HOOKRX_H
#define GIGCX_TEST_HOOKRX_H

#include <stdbool.h>
#include <jansson.h>

typedef struct hookrx hookrx;

/* Starts a receiver on a free loopback port; fails the test if it cannot. */
hookrx *hookrx_start(void);
/* Stops the thread, closes everything and frees. */
void hookrx_free(hookrx *rx);
int hookrx_port(const hookrx *rx);

/* Answers for the next requests, one letter each, then 200s again:
 * 'o' 200, 'e' 500, 'g' a line that is not HTTP, 'b' a 200 with a 256 KiB header,
 * 'h' no answer at all (the connection is held open for 5 s). */
void hookrx_plan(hookrx *rx, const char *plan);
/* Closes the listening socket (connections are refused) or opens it again. Waits until the
 * receiver thread did it. */
void hookrx_down(hookrx *rx, bool down);

/* A copy of every request read so far, oldest first: [{id, type, attempt, signature,
 * content_type, user_agent, path, body (text)}]. New reference. */
json_t *hookrx_requests(hookrx *rx);

/* True when sig ("t=..,v1=..") is HMAC-SHA256(secret, "<t>.<body>") and t is within 5 min. */
bool hookrx_signed(const char *secret, const char *sig, const char *body);

#endif
