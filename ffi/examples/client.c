/*
 * client.c: a WebSocket client over librfc6455.
 *
 *     build/client ws://HOST:PORT/PATH
 *         connects, sends each line of stdin as a text message, prints every
 *         message that arrives on stdout, and closes (1000) at the end of
 *         stdin, waiting for the server's close. Exits 0 after a clean close.
 *
 *     build/client --autobahn ws://127.0.0.1:9002
 *         runs the Autobahn TestSuite fuzzing server's cases by echoing every
 *         message, as examples/autobahn_client.rs does: /getCaseCount, then
 *         /runCase?case=N&agent=rfc6455 for each case, then
 *         /updateReports?agent=rfc6455.
 *
 * One connection at a time over a blocking socket; poll(2) waits for input
 * (and stdin) no longer than the connection's next deadline.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rfc6455.h"

#define AGENT "rfc6455"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void report(const char *what, rfc6455_status s) {
    char msg[256];
    rfc6455_last_error_message(msg, sizeof msg, NULL);
    fprintf(stderr, "client: %s: %s (%s)\n", what, rfc6455_status_name(s), msg);
}

/* Connects a TCP socket to the URL's host and port (ws:// only). */
static int connect_url(const char *url) {
    char host[256], port[8] = "80";
    if (strncasecmp(url, "ws://", 5) != 0) {
        fprintf(stderr, "client: only ws:// URLs: %s\n", url);
        return -1;
    }
    const char *auth = url + 5;
    size_t n = strcspn(auth, "/?");
    if (n == 0 || n >= sizeof host) return -1;
    memcpy(host, auth, n);
    host[n] = 0;
    char *colon = strrchr(host, ':');
    if (colon && !strchr(colon, ']')) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    if (host[0] == '[') { /* [::1] */
        memmove(host, host + 1, strlen(host));
        char *end = strchr(host, ']');
        if (end) *end = 0;
    }
    struct addrinfo hints = {0}, *res, *ai;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
    int fd = -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
        if (fd >= 0) close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    return fd;
}

static int write_all(int fd, const uint8_t *p, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* What a session does with each event, and with the lines of stdin. */
struct session {
    rfc6455_conn *conn;
    int (*on_event)(struct session *, const rfc6455_event *);
    int read_stdin; /* interactive mode: stdin lines become messages */
    int stdin_done;
    char line[64 * 1024]; /* stdin bytes not yet sent (a partial line) */
    size_t line_len;
    int case_count;
    int clean; /* the CLOSE event said clean */
};

static void send_line(struct session *s, const char *p, size_t n) {
    if (n > 0 && p[n - 1] == '\r') n--;
    rfc6455_status st = rfc6455_send_text(s->conn, p, n);
    if (st != RFC6455_STATUS_OK) report("rfc6455_send_text", st);
}

/* Reads stdin once; sends every complete line; at EOF, the rest, then closes. */
static void read_stdin(struct session *s) {
    ssize_t n = read(0, s->line + s->line_len, sizeof s->line - s->line_len);
    if (n < 0 && errno == EINTR) return;
    if (n <= 0) {
        if (s->line_len > 0) send_line(s, s->line, s->line_len);
        s->line_len = 0;
        s->stdin_done = 1;
        rfc6455_status st = rfc6455_close(s->conn, 1000, "bye", 3);
        if (st != RFC6455_STATUS_OK && st != RFC6455_STATUS_CLOSED) report("rfc6455_close", st);
        return;
    }
    s->line_len += (size_t)n;
    size_t start = 0;
    for (size_t i = 0; i < s->line_len; i++) {
        if (s->line[i] == '\n') {
            send_line(s, s->line + start, i - start);
            start = i + 1;
        }
    }
    if (start == 0 && s->line_len == sizeof s->line) { /* a line longer than the buffer */
        send_line(s, s->line, s->line_len);
        start = s->line_len;
    }
    memmove(s->line, s->line + start, s->line_len - start);
    s->line_len -= start;
}

/* Runs one connection to its end. Returns 0 if it ran, -1 on a failure. */
static int run(const char *url, struct session *s) {
    rfc6455_config cfg;
    rfc6455_config_default(&cfg);
    cfg.max_message_size = 64u << 20;
    cfg.max_frame_size = 64u << 20;
    cfg.max_fragments = 1u << 20;
    cfg.max_pending_output = 256u << 20;
    cfg.close_timeout_ms = 2000; /* after a clean close, wait 2 s for the TCP close */
    int fd = connect_url(url);
    if (fd < 0) {
        fprintf(stderr, "client: cannot connect to %s\n", url);
        return -1;
    }
    rfc6455_status st = rfc6455_client_new(url, NULL, 0, NULL, 0, &cfg, &s->conn);
    if (st != RFC6455_STATUS_OK) {
        report("rfc6455_client_new", st);
        close(fd);
        return -1;
    }
    rfc6455_handle_timeout(s->conn, now_ns());
    int result = 0;
    rfc6455_event ev = RFC6455_EVENT_INIT;
    for (;;) {
        const uint8_t *out;
        size_t len;
        while ((st = rfc6455_poll_transmit(s->conn, &out, &len)) == RFC6455_STATUS_OK) {
            if (write_all(fd, out, len) != 0) {
                rfc6455_abort(s->conn);
                break;
            }
        }
        bool done = false;
        rfc6455_should_close_transport(s->conn, &done);
        if (done) break;
        /* Wait for the socket (and stdin), not past the next deadline. */
        uint64_t deadline, now = now_ns();
        int timeout_ms = -1;
        if (rfc6455_poll_timeout(s->conn, &deadline) == RFC6455_STATUS_OK)
            timeout_ms = deadline <= now ? 0 /* rounded up, at most a minute */
                         : deadline - now >= 60000000000ull ? 60000
                         : (int)((deadline - now + 999999) / 1000000);
        rfc6455_conn_state state;
        rfc6455_state(s->conn, &state);
        int want_stdin = s->read_stdin && !s->stdin_done && state == RFC6455_CONN_STATE_OPEN;
        struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
        if (poll(fds, want_stdin ? 2 : 1, timeout_ms) < 0 && errno != EINTR) {
            result = -1;
            break;
        }
        rfc6455_handle_timeout(s->conn, now_ns());
        if (fds[0].revents) {
            uint8_t *buf;
            rfc6455_input_buffer(s->conn, 64 * 1024, &buf, &len);
            ssize_t r = read(fd, buf, len);
            rfc6455_commit_input(s->conn, r > 0 ? (size_t)r : 0);
            if (r == 0 || (r < 0 && errno != EINTR)) rfc6455_handle_eof(s->conn);
        }
        if (want_stdin && fds[1].revents) read_stdin(s);
        while ((st = rfc6455_poll_event(s->conn, &ev)) == RFC6455_STATUS_OK) {
            if (ev.kind == RFC6455_EVENT_KIND_CLOSE) s->clean = (ev.flags & RFC6455_FLAG_CLEAN) != 0;
            if (s->on_event(s, &ev) != 0) result = -1;
        }
    }
    rfc6455_free(s->conn);
    s->conn = NULL;
    close(fd);
    return result;
}

/* Interactive: print what arrives. */
static int print_event(struct session *s, const rfc6455_event *ev) {
    (void)s;
    switch (ev->kind) {
    case RFC6455_EVENT_KIND_OPEN:
        fprintf(stderr, "open\n");
        break;
    case RFC6455_EVENT_KIND_TEXT:
        printf("%.*s\n", (int)ev->len, (const char *)ev->data);
        fflush(stdout);
        break;
    case RFC6455_EVENT_KIND_BINARY:
        printf("[%zu bytes of binary]\n", ev->len);
        fflush(stdout);
        break;
    case RFC6455_EVENT_KIND_REJECTED:
        fprintf(stderr, "rejected: HTTP %u\n", ev->http_status);
        break;
    case RFC6455_EVENT_KIND_ERROR:
        fprintf(stderr, "error: %.*s\n", (int)ev->len, (const char *)ev->data);
        break;
    case RFC6455_EVENT_KIND_CLOSE:
        fprintf(stderr, "closed: %u %.*s (%s)\n", ev->close_code, (int)ev->len,
                (const char *)ev->data, (ev->flags & RFC6455_FLAG_CLEAN) ? "clean" : "not clean");
        break;
    default:
        break;
    }
    return 0;
}

/* Autobahn: echo every message. */
static int echo_event(struct session *s, const rfc6455_event *ev) {
    rfc6455_status st = RFC6455_STATUS_OK;
    if (ev->kind == RFC6455_EVENT_KIND_TEXT)
        st = rfc6455_send_text(s->conn, (const char *)ev->data, ev->len);
    else if (ev->kind == RFC6455_EVENT_KIND_BINARY)
        st = rfc6455_send_binary(s->conn, ev->data, ev->len);
    /* CLOSED: the server's close frame came behind the message. */
    if (st != RFC6455_STATUS_OK && st != RFC6455_STATUS_CLOSED) report("echo", st);
    return 0;
}

static int count_event(struct session *s, const rfc6455_event *ev) {
    if (ev->kind == RFC6455_EVENT_KIND_TEXT) {
        char text[32];
        size_t n = ev->len < sizeof text - 1 ? ev->len : sizeof text - 1;
        memcpy(text, ev->data, n);
        text[n] = 0;
        s->case_count = atoi(text);
    }
    return 0;
}

static int ignore_event(struct session *s, const rfc6455_event *ev) {
    (void)s;
    (void)ev;
    return 0;
}

static int autobahn(const char *base) {
    static struct session s; /* 64 KiB: not on the stack */
    char url[1024];
    snprintf(url, sizeof url, "%s/getCaseCount", base);
    s = (struct session){.on_event = count_event};
    if (run(url, &s) != 0) return 1;
    fprintf(stderr, "%d cases\n", s.case_count);
    int count = s.case_count;
    for (int i = 1; i <= count; i++) {
        snprintf(url, sizeof url, "%s/runCase?case=%d&agent=" AGENT, base, i);
        s = (struct session){.on_event = echo_event};
        if (run(url, &s) != 0) fprintf(stderr, "case %d: failed\n", i);
    }
    snprintf(url, sizeof url, "%s/updateReports?agent=" AGENT, base);
    s = (struct session){.on_event = ignore_event};
    if (run(url, &s) != 0) return 1;
    fprintf(stderr, "reports updated\n");
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    if (argc == 3 && strcmp(argv[1], "--autobahn") == 0) return autobahn(argv[2]);
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: %s ws://HOST:PORT/PATH\n       %s --autobahn ws://HOST:PORT\n",
                argv[0], argv[0]);
        return 2;
    }
    static struct session s = {.on_event = print_event, .read_stdin = 1};
    int r = run(argv[1], &s);
    return r == 0 && s.clean ? 0 : 1;
}
