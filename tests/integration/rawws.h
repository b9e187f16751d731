/* A blocking WebSocket client on a plain socket, for tests that must control the TCP
 * connection itself: write a request and reset the connection (SO_LINGER 0) at once, as a
 * client that vanishes mid-request does. Every read is bounded in time. */
#ifndef GIGCX_TEST_RAWWS_H
#define GIGCX_TEST_RAWWS_H

#include <jansson.h>

/* Connects to 127.0.0.1:port and upgrades to gigcx.v1; the socket, or -1. */
int rawws_open(int port);
/* Sends one masked text frame holding the JSON built like json_pack; 0 or -1. */
int rawws_send(int fd, const char *fmt, ...);
/* The next text frame whose "type" is type (others are skipped), or NULL after timeout_ms
 * or when the connection ends. New reference. */
json_t *rawws_expect(int fd, const char *type, int timeout_ms);
/* Sends one frame of opcode with len bytes of payload (under 126), masked. 0 or -1. */
int rawws_send_frame(int fd, int opcode, const void *payload, size_t len);
/* The code of the close frame the server sends next (other frames skipped): 0 for a close
 * with no code, -1 when the connection ends or timeout_ms passes without one. */
int rawws_close_code(int fd, int timeout_ms);
/* Closes the socket; with reset, by RST and without a close frame. */
void rawws_close(int fd, int reset);

#endif
