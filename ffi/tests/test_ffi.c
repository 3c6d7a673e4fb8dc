/*
 * test_ffi.c: every function of librfc6455's C ABI, with its error paths:
 * NULL handles and pointers, text that is not UTF-8, close codes that may
 * not be sent (1005, 999), commands after the close, buffers too small,
 * structs whose size is too small, lends committed twice or never.
 *
 * A client and a server are driven against each other in memory. Built and
 * run three ways by the Makefile: plain (make test), under ASan + UBSan
 * (make test-asan) and under valgrind (make test-valgrind). Exits 1 if any
 * check failed.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc6455.h"

static int failures, checks;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        checks++;                                                                    \
        if (!(cond)) {                                                               \
            failures++;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

/* Checks that `call` returns `want`, printing the status and message if not. */
#define EXPECT(want, call)                                                                  \
    do {                                                                                    \
        checks++;                                                                           \
        rfc6455_status got_ = (call);                                                       \
        if (got_ != (want)) {                                                               \
            char msg_[256];                                                                 \
            rfc6455_last_error_message(msg_, sizeof msg_, NULL);                            \
            failures++;                                                                     \
            fprintf(stderr, "%s:%d: %s returned %s, wanted %s (last error: %s)\n", __FILE__, \
                    __LINE__, #call, rfc6455_status_name(got_), rfc6455_status_name(want),  \
                    msg_);                                                                  \
        }                                                                                   \
    } while (0)

#define OK(call) EXPECT(RFC6455_STATUS_OK, call)

/* The message of the last error contains `part`. */
static int last_error_has(const char *part) {
    char msg[512];
    rfc6455_last_error_message(msg, sizeof msg, NULL);
    return strstr(msg, part) != NULL;
}

/* Moves everything `from` has to write into `to`, through transmit_copy with
 * a small buffer (so chunks are split) or poll_transmit. */
static void pump(rfc6455_conn *from, rfc6455_conn *to, int copy) {
    if (copy) {
        uint8_t buf[7];
        size_t n;
        while (rfc6455_transmit_copy(from, buf, sizeof buf, &n) == RFC6455_STATUS_OK) {
            OK(rfc6455_handle_input(to, buf, n));
        }
    } else {
        const uint8_t *p;
        size_t n;
        while (rfc6455_poll_transmit(from, &p, &n) == RFC6455_STATUS_OK) {
            /* Through the lend: read "into" the connection's buffer. */
            /* The lent buffer may be shorter than asked (it ends where a
             * large frame does): read again for the rest. */
            while (n > 0) {
                uint8_t *dst;
                size_t cap;
                OK(rfc6455_input_buffer(to, n, &dst, &cap));
                CHECK(cap > 0 && cap <= n);
                if (cap == 0) break;
                memcpy(dst, p, cap);
                OK(rfc6455_commit_input(to, cap));
                p += cap;
                n -= cap;
            }
        }
    }
}

/* Takes the next event; checks its kind. */
static rfc6455_event next(rfc6455_conn *c, rfc6455_event_kind want) {
    rfc6455_event ev = RFC6455_EVENT_INIT;
    rfc6455_status s = rfc6455_poll_event(c, &ev);
    CHECK(s == (want == RFC6455_EVENT_KIND_NONE ? RFC6455_STATUS_EMPTY : RFC6455_STATUS_OK));
    if (ev.kind != want) fprintf(stderr, "  event kind %d, wanted %d\n", ev.kind, want);
    CHECK(ev.kind == want);
    CHECK(ev.data != NULL && ev.extra != NULL);
    return ev;
}

static int data_is(const rfc6455_event *ev, const char *s) {
    return ev->len == strlen(s) && memcmp(ev->data, s, ev->len) == 0;
}

static int slice_is(const char *p, size_t n, const char *s) {
    return p && n == strlen(s) && memcmp(p, s, n) == 0;
}

static void test_version_and_names(void) {
    CHECK(strcmp(rfc6455_version(), "0.1.0") == 0);
    CHECK(rfc6455_abi_version() == RFC6455_ABI_VERSION);
    CHECK(strcmp(rfc6455_status_name(RFC6455_STATUS_CLOSED), "RFC6455_STATUS_CLOSED") == 0);
    CHECK(strcmp(rfc6455_status_name(-4), "RFC6455_STATUS_UNKNOWN") == 0);
    CHECK(strcmp(rfc6455_status_name(RFC6455_STATUS_REFUSED), "RFC6455_STATUS_REFUSED") == 0);
}

static void test_last_error_message(void) {
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_free(NULL) == RFC6455_STATUS_OK
                                            ? rfc6455_handle_eof(NULL)
                                            : RFC6455_STATUS_OK);
    size_t len = 0;
    char small[8];
    EXPECT(RFC6455_STATUS_BUFFER_TOO_SMALL, rfc6455_last_error_message(small, sizeof small, &len));
    CHECK(len > sizeof small && strlen(small) == sizeof small - 1);
    EXPECT(RFC6455_STATUS_BUFFER_TOO_SMALL, rfc6455_last_error_message(NULL, 0, &len));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_last_error_message(NULL, 10, NULL));
    char big[256];
    OK(rfc6455_last_error_message(big, sizeof big, NULL));
    CHECK(strcmp(big, "rfc6455_handle_eof: conn is NULL") == 0);
}

static void test_config(void) {
    rfc6455_config cfg;
    OK(rfc6455_config_default(&cfg));
    CHECK(cfg.size == sizeof cfg);
    CHECK(cfg.max_message_size == 16u << 20 && cfg.max_headers == 64);
    CHECK(cfg.auto_pong == 1 && cfg.streaming == 0);
    CHECK(cfg.handshake_timeout_ms == 10000 && cfg.message_timeout_ms == 0);
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_config_init(NULL, sizeof cfg));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_config_init(&cfg, 4));

    rfc6455_conn *c = NULL;
    /* A struct from a "newer header", larger than ours: accepted. */
    struct { rfc6455_config cfg; uint64_t future[4]; } bigger;
    memset(&bigger, 0xff, sizeof bigger);
    OK(rfc6455_config_init(&bigger.cfg, sizeof bigger));
    CHECK(bigger.future[0] == UINT64_MAX); /* only our fields were written */
    OK(rfc6455_server_new(&bigger.cfg, &c));
    OK(rfc6455_free(c));

    cfg.size = 8;
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_server_new(&cfg, &c));
    CHECK(last_error_has("config->size"));
    rfc6455_config_default(&cfg);
    cfg.max_frame_size = cfg.max_message_size + 1;
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_server_new(&cfg, &c));
    CHECK(last_error_has("max_frame_size > max_message_size"));
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, &cfg, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_server_new(NULL, NULL));
    OK(rfc6455_server_new(NULL, &c)); /* NULL config: the defaults */
    OK(rfc6455_free(c));

    /* Compression: the core's defaults, and its checks. */
    rfc6455_config_default(&cfg);
    CHECK(cfg.deflate == 1 && cfg.deflate_level == 6 && cfg.deflate_threshold == 1024);
    CHECK(cfg.deflate_server_max_window_bits == 15 && cfg.deflate_client_max_window_bits == 15);
    CHECK(cfg.deflate_server_no_context_takeover == 0 && cfg.deflate_client_no_context_takeover == 0);
    cfg.deflate_client_max_window_bits = 16;
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_server_new(&cfg, &c));
    CHECK(last_error_has("client_max_window_bits"));
    cfg.deflate_client_max_window_bits = 7;
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_client_new("ws://h/", NULL, 0, NULL, 0, &cfg, &c));
    rfc6455_config_default(&cfg);
    cfg.deflate_level = 10;
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_server_new(&cfg, &c));
    CHECK(last_error_has("level"));
    /* Disabled, bad values are refused all the same... */
    cfg.deflate = 0;
    EXPECT(RFC6455_STATUS_INVALID_CONFIG, rfc6455_server_new(&cfg, &c));
    rfc6455_config_default(&cfg);
    /* ...and a struct from a header without the compression fields (its
     * size ends at message_timeout_ms) is accepted, compression off. */
    cfg.size = offsetof(rfc6455_config, deflate);
    OK(rfc6455_server_new(&cfg, &c));
    OK(rfc6455_free(c));
    cfg.size = offsetof(rfc6455_config, deflate) - 1;
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_server_new(&cfg, &c));
}

/* Everything `c` has to write, appended to buf (at most cap bytes). */
static size_t drain(rfc6455_conn *c, uint8_t *buf, size_t cap) {
    size_t total = 0;
    const uint8_t *p;
    size_t n;
    while (rfc6455_poll_transmit(c, &p, &n) == RFC6455_STATUS_OK) {
        CHECK(total + n <= cap);
        if (total + n > cap) break;
        memcpy(buf + total, p, n);
        total += n;
    }
    return total;
}

/* A client offering `ccfg`, a server with `scfg` accepting with `flags`;
 * checks both sides agree on `want` ("" for no extension). */
static void deflate_pair(rfc6455_conn **client, rfc6455_conn **server, const rfc6455_config *ccfg,
                         const rfc6455_config *scfg, uint32_t flags, const char *want) {
    OK(rfc6455_client_new("ws://h/", NULL, 0, NULL, 0, ccfg, client));
    OK(rfc6455_server_new(scfg, server));
    pump(*client, *server, 0);
    next(*server, RFC6455_EVENT_KIND_REQUEST);
    OK(rfc6455_accept(*server, NULL, NULL, 0, flags));
    rfc6455_event ev = next(*server, RFC6455_EVENT_KIND_OPEN);
    CHECK(slice_is((const char *)ev.extra, ev.extra_len, want) || (!*want && ev.extra_len == 0));
    pump(*server, *client, 0);
    ev = next(*client, RFC6455_EVENT_KIND_OPEN);
    CHECK(slice_is((const char *)ev.extra, ev.extra_len, want) || (!*want && ev.extra_len == 0));
    const char *s;
    size_t n;
    EXPECT(*want ? RFC6455_STATUS_OK : RFC6455_STATUS_EMPTY, rfc6455_extensions(*server, &s, &n));
}

/* An event's payload lies in the connection's own buffer until the next
 * call, and may be passed to that call: even to one that moves or frees
 * that buffer (input, close). */
static void test_payload_passed_back(void) {
    rfc6455_conn *server;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, NULL, &server));
    /* A binary message whose payload is itself a masked frame ("inner"),
     * then 5000 more bytes in the same read, so that handing the payload
     * back in makes the buffer move what follows it. */
    uint8_t inner[6 + 5] = {0x81, 0x85, 0, 0, 0, 0, 'i', 'n', 'n', 'e', 'r'};
    static uint8_t wire[2 + 4 + sizeof inner + 2 + 4 + 126 + 6 + 5000];
    size_t n = 0;
    wire[n++] = 0x82;
    wire[n++] = 0x80 | sizeof inner;
    n += 4; /* key 0 */
    memcpy(wire + n, inner, sizeof inner);
    n += sizeof inner;
    wire[n++] = 0x82;
    wire[n++] = 0x80 | 126;
    wire[n++] = 5000 >> 8;
    wire[n++] = 5000 & 0xff;
    n += 4;
    memset(wire + n, 7, 5000);
    n += 5000;
    OK(rfc6455_handle_input(server, wire, n));
    rfc6455_event ev = next(server, RFC6455_EVENT_KIND_BINARY);
    CHECK(ev.len == sizeof inner && memcmp(ev.data, inner, sizeof inner) == 0);
    OK(rfc6455_handle_input(server, ev.data, ev.len));
    ev = next(server, RFC6455_EVENT_KIND_BINARY);
    CHECK(ev.len == 5000 && ev.data[0] == 7 && ev.data[4999] == 7);
    ev = next(server, RFC6455_EVENT_KIND_TEXT);
    CHECK(data_is(&ev, "inner"));
    /* A text payload as the close reason. */
    OK(rfc6455_close(server, 1000, (const char *)ev.data, ev.len));
    ev = next(server, RFC6455_EVENT_KIND_NONE);
    const uint8_t *out;
    size_t len;
    OK(rfc6455_poll_transmit(server, &out, &len));
    CHECK(len == 2 + 2 + 5 && out[0] == 0x88 && memcmp(out + 4, "inner", 5) == 0);
    OK(rfc6455_free(server));
}

static void test_compression(void) {
    rfc6455_conn *client, *server;
    static uint8_t wire[1 << 16];
    char text[4000];
    for (size_t i = 0; i < sizeof text; i++) text[i] = "abcdefgh "[i % 9];

    /* Negotiated by default; a compressible message shrinks on the wire,
     * with RSV1 on its frame, and arrives whole. */
    deflate_pair(&client, &server, NULL, NULL, 0, "permessage-deflate");
    OK(rfc6455_send_text(client, text, sizeof text));
    size_t n = drain(client, wire, sizeof wire);
    CHECK(n > 2 && n < 200);
    CHECK(wire[0] == 0xC1); /* FIN, RSV1, text */
    OK(rfc6455_handle_input(server, wire, n));
    rfc6455_event ev = next(server, RFC6455_EVENT_KIND_TEXT);
    CHECK(ev.len == sizeof text && memcmp(ev.data, text, sizeof text) == 0);
    /* The same message uncompressed: no RSV1, the payload as it is. */
    OK(rfc6455_send_uncompressed(client, RFC6455_MESSAGE_KIND_BINARY, (const uint8_t *)text, sizeof text));
    n = drain(client, wire, sizeof wire);
    CHECK(n == sizeof text + 8 && wire[0] == 0x82);
    OK(rfc6455_handle_input(server, wire, n));
    ev = next(server, RFC6455_EVENT_KIND_BINARY);
    CHECK(ev.len == sizeof text && memcmp(ev.data, text, sizeof text) == 0);
    /* Below the threshold (1024 bytes), messages go out uncompressed. */
    OK(rfc6455_send_text(server, "short", 5));
    n = drain(server, wire, sizeof wire);
    CHECK(n == 7 && wire[0] == 0x81);
    OK(rfc6455_handle_input(client, wire, n));
    ev = next(client, RFC6455_EVENT_KIND_TEXT);
    CHECK(data_is(&ev, "short"));
    /* Its errors. */
    EXPECT(RFC6455_STATUS_INVALID_UTF8,
           rfc6455_send_uncompressed(client, RFC6455_MESSAGE_KIND_TEXT, (const uint8_t *)"\xff", 1));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_send_uncompressed(client, 2, (const uint8_t *)"x", 1));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_send_uncompressed(client, 1, NULL, 1));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_send_uncompressed(NULL, 1, (const uint8_t *)"x", 1));
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));

    /* The server refuses compression for this connection; unknown flags. */
    OK(rfc6455_client_new("ws://h/", NULL, 0, NULL, 0, NULL, &client));
    OK(rfc6455_server_new(NULL, &server));
    pump(client, server, 0);
    next(server, RFC6455_EVENT_KIND_REQUEST);
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_accept(server, NULL, NULL, 0, 4));
    CHECK(last_error_has("flags"));
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));
    deflate_pair(&client, &server, NULL, NULL, RFC6455_ACCEPT_NO_COMPRESSION, "");
    OK(rfc6455_send_text(client, text, sizeof text));
    n = drain(client, wire, sizeof wire);
    CHECK(n == sizeof text + 8 && wire[0] == 0x81);
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));

    /* A client with compression off offers nothing. */
    rfc6455_config off, small;
    rfc6455_config_default(&off);
    off.deflate = 0;
    deflate_pair(&client, &server, &off, NULL, 0, "");
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));

    /* The low-memory settings reach the wire: the server's answer names
     * what it will use, and messages still round-trip both ways. */
    rfc6455_config_default(&small);
    small.deflate_client_max_window_bits = 9;
    small.deflate_server_max_window_bits = 9;
    small.deflate_client_no_context_takeover = 1;
    small.deflate_server_no_context_takeover = 1;
    small.deflate_threshold = 0;
    deflate_pair(&client, &server, &small, &small, 0,
                 "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                 "server_max_window_bits=9; client_max_window_bits=9");
    for (int round = 0; round < 2; round++) {
        rfc6455_conn *from = round ? server : client, *to = round ? client : server;
        OK(rfc6455_send_text(from, text, sizeof text));
        n = drain(from, wire, sizeof wire);
        CHECK(n < sizeof text / 4 && (wire[0] & 0x40));
        OK(rfc6455_handle_input(to, wire, n));
        ev = next(to, RFC6455_EVENT_KIND_TEXT);
        CHECK(ev.len == sizeof text && memcmp(ev.data, text, sizeof text) == 0);
    }
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));
}

static void test_constructor_errors(void) {
    rfc6455_conn *c = NULL;
    const char *protos[] = {"chat", "bad protocol"};
    rfc6455_header bad_name[] = {{"Bad Name", "v"}};
    rfc6455_header reserved[] = {{"Sec-WebSocket-Key", "x"}};
    rfc6455_header null_value[] = {{"X-A", NULL}};
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_client_new(NULL, NULL, 0, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_client_new("ws://h/", NULL, 0, NULL, 0, NULL, NULL));
    EXPECT(RFC6455_STATUS_INVALID_URL, rfc6455_client_new("http://h/", NULL, 0, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_INVALID_UTF8, rfc6455_client_new("ws://h/\xff", NULL, 0, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_client_new("ws://h/", NULL, 2, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_INVALID_PROTOCOL, rfc6455_client_new("ws://h/", protos, 2, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_INVALID_HEADER, rfc6455_client_new("ws://h/", NULL, 0, bad_name, 1, NULL, &c));
    EXPECT(RFC6455_STATUS_RESERVED_HEADER, rfc6455_client_new("ws://h/", NULL, 0, reserved, 1, NULL, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_client_new("ws://h/", NULL, 0, null_value, 1, NULL, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_client_new("ws://h/", NULL, 0, NULL, 1, NULL, &c));
    /* Counts and lengths too large to be arrays are refused before any read. */
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_client_new("ws://h/", protos, SIZE_MAX, NULL, 0, NULL, &c));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_client_new("ws://h/", NULL, 0, bad_name, SIZE_MAX, NULL, &c));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_open_new(7, NULL, NULL, &c));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_open_new(RFC6455_CONN_ROLE_CLIENT, NULL, NULL, NULL));
    EXPECT(RFC6455_STATUS_INVALID_UTF8, rfc6455_open_new(RFC6455_CONN_ROLE_CLIENT, "\xc3", NULL, &c));
    OK(rfc6455_free(NULL));
}

/* Every function that takes a handle refuses NULL. */
static void test_null_handle(void) {
    const int N = RFC6455_STATUS_NULL_POINTER;
    uint8_t *buf;
    const uint8_t *cbuf;
    const char *str;
    size_t n;
    uint64_t t;
    bool b;
    rfc6455_conn_state st;
    rfc6455_conn_role role;
    rfc6455_event ev = RFC6455_EVENT_INIT;
    uint8_t out[8] = {0};
    EXPECT(N, rfc6455_handle_input(NULL, out, 1));
    EXPECT(N, rfc6455_input_buffer(NULL, 8, &buf, &n));
    EXPECT(N, rfc6455_commit_input(NULL, 0));
    EXPECT(N, rfc6455_handle_eof(NULL));
    EXPECT(N, rfc6455_handle_timeout(NULL, 0));
    EXPECT(N, rfc6455_poll_timeout(NULL, &t));
    EXPECT(N, rfc6455_poll_event(NULL, &ev));
    EXPECT(N, rfc6455_poll_transmit(NULL, &cbuf, &n));
    EXPECT(N, rfc6455_transmit_copy(NULL, out, sizeof out, &n));
    EXPECT(N, rfc6455_should_close_transport(NULL, &b));
    EXPECT(N, rfc6455_buffered_amount(NULL, &n));
    EXPECT(N, rfc6455_shrink_to_fit(NULL));
    EXPECT(N, rfc6455_accept(NULL, NULL, NULL, 0, 0));
    EXPECT(N, rfc6455_reject(NULL, 403, NULL, 0, NULL, 0));
    EXPECT(N, rfc6455_send_text(NULL, "a", 1));
    EXPECT(N, rfc6455_send_binary(NULL, out, 1));
    EXPECT(N, rfc6455_send_fragment(NULL, RFC6455_MESSAGE_KIND_TEXT, out, 0, true));
    EXPECT(N, rfc6455_ping(NULL, NULL, 0));
    EXPECT(N, rfc6455_pong(NULL, NULL, 0));
    EXPECT(N, rfc6455_close(NULL, 1000, NULL, 0));
    EXPECT(N, rfc6455_abort(NULL));
    EXPECT(N, rfc6455_state(NULL, &st));
    EXPECT(N, rfc6455_role(NULL, &role));
    EXPECT(N, rfc6455_protocol(NULL, &str, &n));
    EXPECT(N, rfc6455_extensions(NULL, &str, &n));
    EXPECT(N, rfc6455_request_method(NULL, &str, &n));
    EXPECT(N, rfc6455_request_path(NULL, &str, &n));
    EXPECT(N, rfc6455_request_header(NULL, "host", &cbuf, &n));
    EXPECT(N, rfc6455_request_header_at(NULL, 0, &str, &n, &cbuf, &n));
    EXPECT(N, rfc6455_request_protocol_at(NULL, 0, &str, &n));
}

/* Every out-parameter refuses NULL. */
static void test_null_out_params(void) {
    const int N = RFC6455_STATUS_NULL_POINTER;
    rfc6455_conn *c;
    uint8_t *buf;
    const char *str;
    size_t n;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, NULL, &c));
    EXPECT(N, rfc6455_handle_input(c, NULL, 3));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_handle_input(c, (const uint8_t *)"x", SIZE_MAX));
    OK(rfc6455_handle_input(c, NULL, 0));
    EXPECT(N, rfc6455_input_buffer(c, 8, NULL, &n));
    EXPECT(N, rfc6455_input_buffer(c, 8, &buf, NULL));
    EXPECT(N, rfc6455_poll_timeout(c, NULL));
    EXPECT(N, rfc6455_poll_event(c, NULL));
    EXPECT(N, rfc6455_poll_transmit(c, NULL, &n));
    EXPECT(N, rfc6455_transmit_copy(c, NULL, 0, NULL));
    EXPECT(N, rfc6455_should_close_transport(c, NULL));
    EXPECT(N, rfc6455_buffered_amount(c, NULL));
    EXPECT(N, rfc6455_state(c, NULL));
    EXPECT(N, rfc6455_role(c, NULL));
    EXPECT(N, rfc6455_protocol(c, NULL, &n));
    EXPECT(N, rfc6455_extensions(c, &str, NULL));
    EXPECT(N, rfc6455_send_text(c, NULL, 2));
    EXPECT(N, rfc6455_send_binary(c, NULL, 2));
    EXPECT(N, rfc6455_send_fragment(c, RFC6455_MESSAGE_KIND_BINARY, NULL, 2, true));
    EXPECT(N, rfc6455_ping(c, NULL, 2));
    EXPECT(N, rfc6455_pong(c, NULL, 2));
    EXPECT(N, rfc6455_close(c, 1000, NULL, 2));
    EXPECT(N, rfc6455_reject(c, 403, NULL, 1, NULL, 0));
    EXPECT(N, rfc6455_accept(c, NULL, NULL, 2, 0));
    EXPECT(N, rfc6455_request_header(c, NULL, NULL, NULL));
    OK(rfc6455_free(c));
}

/* A client and a server through the opening handshake, with subprotocols. */
static void handshake(rfc6455_conn **client, rfc6455_conn **server, const rfc6455_config *cfg) {
    const char *protos[] = {"chat", "superchat"};
    rfc6455_header hdrs[] = {{"Origin", "http://example.com"}, {"X-Token", "abc"}};
    OK(rfc6455_client_new("ws://example.com:9001/path?q=1", protos, 2, hdrs, 2, cfg, client));
    OK(rfc6455_server_new(cfg, server));
    rfc6455_conn_state st;
    OK(rfc6455_state(*client, &st));
    CHECK(st == RFC6455_CONN_STATE_CONNECTING);
    pump(*client, *server, 1);

    const char *s;
    const uint8_t *v;
    size_t n, vn;
    /* Before the request arrives, there is none to read. */
    rfc6455_event ev = next(*server, RFC6455_EVENT_KIND_REQUEST);
    CHECK(ev.flags & RFC6455_FLAG_WEBSOCKET);
    CHECK(ev.len > 4 && memcmp(ev.data, "GET ", 4) == 0);
    OK(rfc6455_request_method(*server, &s, &n));
    CHECK(slice_is(s, n, "GET"));
    OK(rfc6455_request_path(*server, &s, &n));
    CHECK(slice_is(s, n, "/path?q=1"));
    OK(rfc6455_request_header(*server, "x-token", &v, &vn));
    CHECK(slice_is((const char *)v, vn, "abc"));
    OK(rfc6455_request_header(*server, "origin", &v, &vn));
    CHECK(slice_is((const char *)v, vn, "http://example.com"));
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_request_header(*server, "x-absent", &v, &vn));
    CHECK(vn == 0 && v != NULL);
    OK(rfc6455_request_header_at(*server, 0, &s, &n, &v, &vn));
    CHECK(slice_is(s, n, "Host") && slice_is((const char *)v, vn, "example.com:9001"));
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_request_header_at(*server, 1000, &s, &n, &v, &vn));
    OK(rfc6455_request_protocol_at(*server, 1, &s, &n));
    CHECK(slice_is(s, n, "superchat"));
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_request_protocol_at(*server, 2, &s, &n));

    /* The client has no request; a protocol not offered is refused. */
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_request_path(*client, &s, &n));
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_accept(*client, NULL, NULL, 0, 0));
    EXPECT(RFC6455_STATUS_INVALID_PROTOCOL, rfc6455_accept(*server, "other", NULL, 0, 0));
    rfc6455_header reserved[] = {{"Sec-WebSocket-Accept", "x"}};
    EXPECT(RFC6455_STATUS_RESERVED_HEADER, rfc6455_accept(*server, NULL, reserved, 1, 0));
    rfc6455_header extra[] = {{"X-Served-By", "test"}};
    OK(rfc6455_accept(*server, "chat", extra, 1, 0));
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_accept(*server, "chat", NULL, 0, 0));
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_request_path(*server, &s, &n));
    ev = next(*server, RFC6455_EVENT_KIND_OPEN);
    CHECK(data_is(&ev, "chat"));
    pump(*server, *client, 0);
    ev = next(*client, RFC6455_EVENT_KIND_OPEN);
    /* The defaults offer and accept permessage-deflate (RFC 7692). */
    int deflate = cfg == NULL || cfg->deflate;
    CHECK(data_is(&ev, "chat"));
    CHECK(deflate ? slice_is((const char *)ev.extra, ev.extra_len, "permessage-deflate")
                  : ev.extra_len == 0);
    OK(rfc6455_protocol(*client, &s, &n));
    CHECK(slice_is(s, n, "chat"));
    if (deflate) {
        OK(rfc6455_extensions(*client, &s, &n));
        CHECK(slice_is(s, n, "permessage-deflate"));
    } else {
        EXPECT(RFC6455_STATUS_EMPTY, rfc6455_extensions(*client, &s, &n));
        CHECK(n == 0);
    }
    OK(rfc6455_state(*client, &st));
    CHECK(st == RFC6455_CONN_STATE_OPEN);
    rfc6455_conn_role role;
    OK(rfc6455_role(*client, &role));
    CHECK(role == RFC6455_CONN_ROLE_CLIENT);
    OK(rfc6455_role(*server, &role));
    CHECK(role == RFC6455_CONN_ROLE_SERVER);
}

static void test_messages_and_close(void) {
    rfc6455_conn *client, *server;
    handshake(&client, &server, NULL);

    /* Text, binary, fragments (a code point split), ping, pong. */
    OK(rfc6455_send_text(client, "h\xc3\xa9llo", 6));
    uint8_t bin[300];
    for (size_t i = 0; i < sizeof bin; i++) bin[i] = (uint8_t)i;
    OK(rfc6455_send_binary(client, bin, sizeof bin));
    OK(rfc6455_send_binary(client, NULL, 0));
    OK(rfc6455_send_fragment(client, RFC6455_MESSAGE_KIND_TEXT, (const uint8_t *)"\xe2\x82", 2, false));
    EXPECT(RFC6455_STATUS_MESSAGE_IN_PROGRESS, rfc6455_send_text(client, "x", 1));
    EXPECT(RFC6455_STATUS_FRAGMENT_KIND,
           rfc6455_send_fragment(client, RFC6455_MESSAGE_KIND_BINARY, bin, 1, true));
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_send_fragment(client, 9, bin, 1, true));
    OK(rfc6455_ping(client, (const uint8_t *)"between", 7));
    OK(rfc6455_send_fragment(client, RFC6455_MESSAGE_KIND_TEXT, (const uint8_t *)"\xac!", 2, true));
    OK(rfc6455_pong(client, (const uint8_t *)"hb", 2));
    size_t amount = 0;
    OK(rfc6455_buffered_amount(client, &amount));
    CHECK(amount > 300);
    pump(client, server, 1);
    OK(rfc6455_buffered_amount(client, &amount));
    CHECK(amount == 0);

    rfc6455_event ev = next(server, RFC6455_EVENT_KIND_TEXT);
    CHECK(data_is(&ev, "h\xc3\xa9llo"));
    CHECK(ev.flags == (RFC6455_FLAG_TEXT | RFC6455_FLAG_FIRST | RFC6455_FLAG_LAST));
    ev = next(server, RFC6455_EVENT_KIND_BINARY);
    CHECK(ev.len == sizeof bin && memcmp(ev.data, bin, sizeof bin) == 0);
    CHECK(ev.flags & RFC6455_FLAG_BINARY);
    ev = next(server, RFC6455_EVENT_KIND_BINARY);
    CHECK(ev.len == 0);
    ev = next(server, RFC6455_EVENT_KIND_PING);
    CHECK(data_is(&ev, "between"));
    ev = next(server, RFC6455_EVENT_KIND_TEXT);
    CHECK(data_is(&ev, "\xe2\x82\xac!"));
    ev = next(server, RFC6455_EVENT_KIND_PONG);
    CHECK(data_is(&ev, "hb"));
    next(server, RFC6455_EVENT_KIND_NONE);
    pump(server, client, 0); /* the automatic pong */
    ev = next(client, RFC6455_EVENT_KIND_PONG);
    CHECK(data_is(&ev, "between"));

    /* Refused commands: bad UTF-8, bad close codes, long payloads. */
    EXPECT(RFC6455_STATUS_INVALID_UTF8, rfc6455_send_text(client, "\xff\xfe", 2));
    EXPECT(RFC6455_STATUS_INVALID_UTF8, rfc6455_send_text(client, "\xc3", 1));
    EXPECT(RFC6455_STATUS_INVALID_UTF8,
           rfc6455_send_fragment(client, RFC6455_MESSAGE_KIND_TEXT, (const uint8_t *)"\xc3", 1, true));
    uint8_t big[126] = {0};
    EXPECT(RFC6455_STATUS_CONTROL_TOO_LONG, rfc6455_ping(client, big, sizeof big));
    EXPECT(RFC6455_STATUS_CONTROL_TOO_LONG, rfc6455_pong(client, big, sizeof big));
    EXPECT(RFC6455_STATUS_INVALID_CLOSE_CODE, rfc6455_close(client, 1005, NULL, 0));
    EXPECT(RFC6455_STATUS_INVALID_CLOSE_CODE, rfc6455_close(client, 999, NULL, 0));
    EXPECT(RFC6455_STATUS_INVALID_CLOSE_CODE, rfc6455_close(client, 1006, "x", 1));
    CHECK(last_error_has("1006"));
    char reason[124];
    memset(reason, 'r', sizeof reason);
    EXPECT(RFC6455_STATUS_REASON_TOO_LONG, rfc6455_close(client, 1000, reason, sizeof reason));
    EXPECT(RFC6455_STATUS_INVALID_UTF8, rfc6455_close(client, 1000, "\xff", 1));
    uint8_t scratch[1];
    size_t n;
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_transmit_copy(client, scratch, sizeof scratch, &n));
    CHECK(n == 0); /* nothing refused reached the output */

    /* The close: client starts, server answers, both report it. */
    OK(rfc6455_close(client, 4000, "done", 4));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_send_text(client, "late", 4));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_close(client, 1000, NULL, 0));
    rfc6455_conn_state st;
    OK(rfc6455_state(client, &st));
    CHECK(st == RFC6455_CONN_STATE_CLOSING);
    pump(client, server, 0);
    ev = next(server, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 4000 && data_is(&ev, "done"));
    CHECK((ev.flags & RFC6455_FLAG_CLEAN) && ev.initiator == RFC6455_INITIATOR_REMOTE);
    bool done = false;
    OK(rfc6455_should_close_transport(server, &done));
    CHECK(!done); /* its close frame is still to be written */
    pump(server, client, 1);
    OK(rfc6455_should_close_transport(server, &done));
    CHECK(done);
    ev = next(client, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 4000 && (ev.flags & RFC6455_FLAG_CLEAN));
    CHECK(ev.initiator == RFC6455_INITIATOR_LOCAL);
    /* The client waits for the server's TCP close. */
    OK(rfc6455_should_close_transport(client, &done));
    CHECK(!done);
    OK(rfc6455_handle_eof(client));
    OK(rfc6455_should_close_transport(client, &done));
    CHECK(done);

    /* Use after close: commands say CLOSED; input is ignored. */
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_send_text(server, "x", 1));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_send_binary(server, bin, 1));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_ping(server, NULL, 0));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_close(server, 1000, NULL, 0));
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_send_fragment(server, RFC6455_MESSAGE_KIND_TEXT, bin, 0, true));
    OK(rfc6455_handle_input(server, bin, 10));
    next(server, RFC6455_EVENT_KIND_NONE);
    uint64_t t = 0;
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_poll_timeout(server, &t));
    CHECK(t == RFC6455_NO_DEADLINE);
    OK(rfc6455_shrink_to_fit(server));
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));
}

static void test_lending(void) {
    rfc6455_conn *c;
    uint8_t *buf;
    size_t n;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, "chat", NULL, &c));
    const char *p;
    OK(rfc6455_protocol(c, &p, &n));
    CHECK(slice_is(p, n, "chat"));
    EXPECT(RFC6455_STATUS_NOT_LENT, rfc6455_commit_input(c, 0)); /* never lent */
    OK(rfc6455_input_buffer(c, 16, &buf, &n));
    CHECK(n == 16 && buf != NULL);
    EXPECT(RFC6455_STATUS_NOT_LENT, rfc6455_commit_input(c, 17)); /* more than lent */
    EXPECT(RFC6455_STATUS_NOT_LENT, rfc6455_commit_input(c, 1));  /* the lend ended */
    /* A masked "hi" in two pieces through two lends. */
    const uint8_t frame[] = {0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1, 'i' ^ 2};
    OK(rfc6455_input_buffer(c, 5, &buf, &n));
    memcpy(buf, frame, 5);
    OK(rfc6455_commit_input(c, 5));
    EXPECT(RFC6455_STATUS_NOT_LENT, rfc6455_commit_input(c, 0)); /* double commit */
    OK(rfc6455_input_buffer(c, 64, &buf, &n));
    memcpy(buf, frame + 5, 3);
    OK(rfc6455_commit_input(c, 3));
    rfc6455_event ev = next(c, RFC6455_EVENT_KIND_TEXT);
    CHECK(data_is(&ev, "hi"));
    /* A lend interrupted by another call hands nothing in. */
    OK(rfc6455_input_buffer(c, 64, &buf, &n));
    memcpy(buf, frame, sizeof frame);
    OK(rfc6455_send_text(c, "x", 1));
    EXPECT(RFC6455_STATUS_NOT_LENT, rfc6455_commit_input(c, sizeof frame));
    next(c, RFC6455_EVENT_KIND_NONE);
    /* Huge requests are capped at 1 MiB. */
    OK(rfc6455_input_buffer(c, SIZE_MAX, &buf, &n));
    CHECK(n == 1u << 20);
    /* A lend never committed is freed with the handle. */
    OK(rfc6455_free(c));
}

static void test_output_buffers(void) {
    rfc6455_conn *c;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, NULL, &c));
    OK(rfc6455_send_text(c, "abcdef", 6));
    size_t n = 99, amount;
    uint8_t one[1], rest[16];
    EXPECT(RFC6455_STATUS_BUFFER_TOO_SMALL, rfc6455_transmit_copy(c, one, 0, &n));
    CHECK(n == 0);
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_transmit_copy(c, NULL, 4, &n));
    OK(rfc6455_transmit_copy(c, one, 1, &n));
    CHECK(n == 1 && one[0] == 0x81);
    OK(rfc6455_buffered_amount(c, &amount));
    CHECK(amount == 7);
    /* What did not fit comes first, through either call. */
    const uint8_t *p;
    OK(rfc6455_poll_transmit(c, &p, &n));
    CHECK(n == 7 && p[0] == 6 && memcmp(p + 1, "abcdef", 6) == 0);
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_poll_transmit(c, &p, &n));
    CHECK(n == 0 && p != NULL);
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_transmit_copy(c, rest, sizeof rest, &n));
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_transmit_copy(c, NULL, 0, &n));

    /* An event struct too small is refused; a larger one is fine. */
    rfc6455_event small = RFC6455_EVENT_INIT;
    small.size = 8;
    EXPECT(RFC6455_STATUS_INVALID_ARGUMENT, rfc6455_poll_event(c, &small));
    struct { rfc6455_event ev; uint64_t future; } bigger;
    bigger.ev.size = sizeof bigger;
    bigger.future = 42;
    EXPECT(RFC6455_STATUS_EMPTY, rfc6455_poll_event(c, &bigger.ev));
    CHECK(bigger.ev.size == sizeof bigger && bigger.future == 42);

    /* abort drops output and ends the connection. */
    OK(rfc6455_send_binary(c, rest, sizeof rest));
    OK(rfc6455_abort(c));
    OK(rfc6455_buffered_amount(c, &amount));
    CHECK(amount == 0);
    bool done;
    OK(rfc6455_should_close_transport(c, &done));
    CHECK(done);
    rfc6455_event ev = next(c, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 1006 && !(ev.flags & RFC6455_FLAG_CLEAN));
    CHECK(ev.initiator == RFC6455_INITIATOR_LOCAL);
    OK(rfc6455_free(c));
}

static void test_reject(void) {
    rfc6455_conn *client, *server;
    OK(rfc6455_client_new("ws://h/", NULL, 0, NULL, 0, NULL, &client));
    OK(rfc6455_server_new(NULL, &server));
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_reject(server, 403, NULL, 0, NULL, 0)); /* no request yet */
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_send_text(client, "early", 5));
    EXPECT(RFC6455_STATUS_INVALID_STATE, rfc6455_close(client, 1000, NULL, 0));
    pump(client, server, 0);
    next(server, RFC6455_EVENT_KIND_REQUEST);
    EXPECT(RFC6455_STATUS_INVALID_STATUS, rfc6455_reject(server, 101, NULL, 0, NULL, 0));
    EXPECT(RFC6455_STATUS_INVALID_STATUS, rfc6455_reject(server, 600, NULL, 0, NULL, 0));
    rfc6455_header bad[] = {{"X-A", "line\r\nbreak"}};
    EXPECT(RFC6455_STATUS_INVALID_HEADER, rfc6455_reject(server, 403, bad, 1, NULL, 0));
    EXPECT(RFC6455_STATUS_NULL_POINTER, rfc6455_reject(server, 403, NULL, 0, NULL, 4));
    rfc6455_header hdrs[] = {{"Retry-After", "30"}};
    OK(rfc6455_reject(server, 403, hdrs, 1, (const uint8_t *)"go away", 7));
    rfc6455_event ev = next(server, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.initiator == RFC6455_INITIATOR_LOCAL && ev.close_code == 1006);
    pump(server, client, 1);
    ev = next(client, RFC6455_EVENT_KIND_REJECTED);
    CHECK(ev.http_status == 403);
    CHECK(ev.extra_len == 7 && memcmp(ev.extra, "go away", 7) == 0);
    CHECK(ev.len > 12 && memcmp(ev.data, "HTTP/1.1 403", 12) == 0);
    ev = next(client, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 1006 && ev.initiator == RFC6455_INITIATOR_REMOTE);
    EXPECT(RFC6455_STATUS_CLOSED, rfc6455_send_text(client, "x", 1));
    OK(rfc6455_free(client));
    OK(rfc6455_free(server));
}

static void test_timers(void) {
    rfc6455_config cfg;
    rfc6455_config_default(&cfg);
    cfg.handshake_timeout_ms = 1000;
    rfc6455_conn *server;
    OK(rfc6455_server_new(&cfg, &server));
    uint64_t t = 1;
    OK(rfc6455_poll_timeout(server, &t));
    CHECK(t == 0); /* before the first instant: hand in the time */
    OK(rfc6455_handle_timeout(server, 5000000000ull));
    OK(rfc6455_poll_timeout(server, &t));
    CHECK(t == 6000000000ull);
    OK(rfc6455_handle_input(server, (const uint8_t *)"GET / HTTP/1.1\r\n", 16));
    OK(rfc6455_handle_timeout(server, 6000000000ull));
    rfc6455_event ev = next(server, RFC6455_EVENT_KIND_ERROR);
    CHECK(ev.error == RFC6455_PEER_ERROR_HANDSHAKE && ev.http_status == 408);
    CHECK(ev.len > 0);
    next(server, RFC6455_EVENT_KIND_CLOSE);
    const uint8_t *p;
    size_t n;
    OK(rfc6455_poll_transmit(server, &p, &n));
    CHECK(n > 12 && memcmp(p, "HTTP/1.1 408", 12) == 0);
    OK(rfc6455_free(server));

    /* Keepalive: an open connection pings after ping_interval. */
    cfg.ping_interval_ms = 500;
    cfg.pong_timeout_ms = 500;
    rfc6455_conn *c;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, &cfg, &c));
    OK(rfc6455_handle_timeout(c, 0));
    OK(rfc6455_poll_timeout(c, &t));
    CHECK(t == 500000000ull);
    OK(rfc6455_handle_timeout(c, t));
    OK(rfc6455_poll_transmit(c, &p, &n));
    CHECK(n == 2 && p[0] == 0x89); /* a ping */
    OK(rfc6455_handle_timeout(c, 2000000000ull));
    ev = next(c, RFC6455_EVENT_KIND_ERROR);
    CHECK(ev.error == RFC6455_PEER_ERROR_UNRESPONSIVE && ev.close_code == 1006);
    next(c, RFC6455_EVENT_KIND_CLOSE);
    OK(rfc6455_free(c));
}

static void test_peer_errors_and_streaming(void) {
    rfc6455_conn *c;
    /* An unmasked frame to a server: 1002. */
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_SERVER, NULL, NULL, &c));
    OK(rfc6455_handle_input(c, (const uint8_t *)"\x81\x02hi", 4));
    rfc6455_event ev = next(c, RFC6455_EVENT_KIND_ERROR);
    CHECK(ev.error == RFC6455_PEER_ERROR_PROTOCOL && ev.close_code == 1002);
    ev = next(c, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 1002 && ev.initiator == RFC6455_INITIATOR_LIBRARY);
    OK(rfc6455_free(c));
    /* Text that is not UTF-8, from a server to a client: 1007. */
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_CLIENT, NULL, NULL, &c));
    OK(rfc6455_handle_input(c, (const uint8_t *)"\x81\x02\xff\xfe", 4));
    ev = next(c, RFC6455_EVENT_KIND_ERROR);
    CHECK(ev.close_code == 1007);
    OK(rfc6455_free(c));
    /* Streaming: pieces with their flags. */
    rfc6455_config cfg;
    rfc6455_config_default(&cfg);
    cfg.streaming = 1;
    OK(rfc6455_open_new(RFC6455_CONN_ROLE_CLIENT, NULL, &cfg, &c));
    OK(rfc6455_handle_input(c, (const uint8_t *)"\x02\x02" "ab" "\x80\x01" "c", 7));
    ev = next(c, RFC6455_EVENT_KIND_FRAGMENT);
    CHECK(data_is(&ev, "ab") && ev.flags == (RFC6455_FLAG_BINARY | RFC6455_FLAG_FIRST));
    ev = next(c, RFC6455_EVENT_KIND_FRAGMENT);
    CHECK(data_is(&ev, "c") && ev.flags == (RFC6455_FLAG_BINARY | RFC6455_FLAG_LAST));
    /* The client masks: a 2-byte payload makes an 8-byte frame. */
    OK(rfc6455_send_binary(c, (const uint8_t *)"xy", 2));
    size_t amount;
    OK(rfc6455_buffered_amount(c, &amount));
    CHECK(amount == 8);
    OK(rfc6455_handle_eof(c));
    ev = next(c, RFC6455_EVENT_KIND_CLOSE);
    CHECK(ev.close_code == 1006);
    OK(rfc6455_free(c));
}

int main(void) {
    test_version_and_names();
    test_last_error_message();
    test_config();
    test_constructor_errors();
    test_null_handle();
    test_null_out_params();
    test_messages_and_close();
    test_lending();
    test_output_buffers();
    test_reject();
    test_timers();
    test_peer_errors_and_streaming();
    test_compression();
    test_payload_passed_back();
    printf("test_ffi: %d checks, %d failed\n", checks, failures);
    return failures ? 1 : 0;
}
