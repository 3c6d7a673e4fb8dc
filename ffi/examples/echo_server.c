/*
 * echo_server.c: a single-threaded poll(2) WebSocket echo server over
 * librfc6455, for many clients at once. It echoes text and binary messages;
 * the library answers pings and close frames, and runs the timers
 * (handshake timeout, keepalive pings, dead-peer detection).
 *
 *     build/echo_server HOST:PORT
 *
 * Its limits allow 64 MiB messages and a million fragments, as the Rust
 * examples/echo_server.rs does, so that the Autobahn TestSuite can run.
 *
 * The loop: poll(2) every socket, waiting no longer than the earliest
 * deadline any connection asked for (rfc6455_poll_timeout); on wake-up hand
 * each connection the time, read what is readable straight into the buffer
 * the connection lends (rfc6455_input_buffer / rfc6455_commit_input), take
 * the events and answer them, then copy output into the client's buffer
 * (rfc6455_transmit_copy) and write it without blocking. When the connection
 * says so, shut down the write half and read until the peer's EOF (at most
 * a second), so that a reset cannot destroy our last frames.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rfc6455.h"

#define OUT_CAP (64 * 1024)
#define READ_CAP (64 * 1024)
#define LINGER_NS 1000000000ull

struct client {
    int fd;
    rfc6455_conn *conn; /* NULL once the connection is over and we linger */
    unsigned char out[OUT_CAP];
    size_t out_off, out_len;
    int write_shut;          /* shutdown(SHUT_WR) done; reading until EOF */
    uint64_t linger_until;   /* when lingering: give up at this instant */
};

static struct client **clients;
static size_t n_clients, cap_clients;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void report(const char *what, rfc6455_status s) {
    char msg[256];
    rfc6455_last_error_message(msg, sizeof msg, NULL);
    fprintf(stderr, "echo_server: %s: %s (%s)\n", what, rfc6455_status_name(s), msg);
}

static int set_nonblocking(int fd) {
    int flags = fcntl(fd, F_GETFL, 0);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int listen_on(const char *hostport) {
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host) return -1;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = 0;
    struct addrinfo hints = {0}, *res;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return -1;
    int fd = socket(res->ai_family, res->ai_socktype, 0);
    int one = 1;
    if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 128) != 0 ||
        set_nonblocking(fd) != 0) {
        if (fd >= 0) close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void add_client(int fd, const rfc6455_config *cfg, uint64_t now) {
    struct client *c = calloc(1, sizeof *c);
    rfc6455_status s;
    if (!c) { close(fd); return; }
    if ((s = rfc6455_server_new(cfg, &c->conn)) != RFC6455_STATUS_OK) {
        report("rfc6455_server_new", s);
        free(c);
        close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    set_nonblocking(fd);
    c->fd = fd;
    rfc6455_handle_timeout(c->conn, now); /* the handshake timer starts now */
    if (n_clients == cap_clients) {
        size_t cap = cap_clients ? cap_clients * 2 : 16;
        struct client **grown = realloc(clients, cap * sizeof *grown);
        if (!grown) { rfc6455_free(c->conn); free(c); close(fd); return; }
        clients = grown;
        cap_clients = cap;
    }
    clients[n_clients++] = c;
}

/* Takes every event; echoes messages and accepts every request. */
static void take_events(struct client *c) {
    rfc6455_event ev = RFC6455_EVENT_INIT;
    rfc6455_status s;
    while ((s = rfc6455_poll_event(c->conn, &ev)) == RFC6455_STATUS_OK) {
        switch (ev.kind) {
        case RFC6455_EVENT_KIND_REQUEST:
            s = rfc6455_accept(c->conn, NULL, NULL, 0, 0);
            break;
        case RFC6455_EVENT_KIND_TEXT:
            s = rfc6455_send_text(c->conn, (const char *)ev.data, ev.len);
            break;
        case RFC6455_EVENT_KIND_BINARY:
            s = rfc6455_send_binary(c->conn, ev.data, ev.len);
            break;
        case RFC6455_EVENT_KIND_ERROR:
            fprintf(stderr, "echo_server: peer error: %.*s\n", (int)ev.len, (const char *)ev.data);
            break;
        default:
            break;
        }
        /* A send refused because the peer's close frame came first is
         * expected: the connection says CLOSED. */
        if (s != RFC6455_STATUS_OK && s != RFC6455_STATUS_CLOSED) report("command", s);
    }
    if (s != RFC6455_STATUS_EMPTY) report("rfc6455_poll_event", s);
}

/* Writes what is waiting without blocking. Returns -1 if the socket failed. */
static int flush(struct client *c) {
    for (;;) {
        if (c->out_off == c->out_len) {
            size_t n = 0;
            rfc6455_status s = rfc6455_transmit_copy(c->conn, c->out, sizeof c->out, &n);
            if (s == RFC6455_STATUS_EMPTY) return 0;
            if (s != RFC6455_STATUS_OK) { report("rfc6455_transmit_copy", s); return -1; }
            c->out_off = 0;
            c->out_len = n;
        }
        ssize_t w = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c->out_off += (size_t)w;
    }
}

static int output_waits(struct client *c) {
    size_t amount = 0;
    if (c->out_off < c->out_len) return 1;
    return c->conn && rfc6455_buffered_amount(c->conn, &amount) == RFC6455_STATUS_OK && amount > 0;
}

/* Drops the client: frees the connection and closes the socket. */
static void drop(size_t i) {
    struct client *c = clients[i];
    rfc6455_free(c->conn);
    close(c->fd);
    free(c);
    clients[i] = clients[--n_clients];
}

/* Serves one client after poll(2). Returns 0 to keep it, -1 to drop it. */
static int serve(struct client *c, short revents, uint64_t now) {
    if (!c->conn) {
        /* Lingering: discard input until EOF or the deadline. */
        char sink[4096];
        ssize_t r;
        while ((r = read(c->fd, sink, sizeof sink)) > 0) {}
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return -1;
        return now >= c->linger_until ? -1 : 0;
    }
    rfc6455_handle_timeout(c->conn, now);
    if (revents & (POLLIN | POLLHUP | POLLERR)) {
        uint8_t *buf;
        size_t len;
        rfc6455_status s = rfc6455_input_buffer(c->conn, READ_CAP, &buf, &len);
        if (s != RFC6455_STATUS_OK) { report("rfc6455_input_buffer", s); return -1; }
        ssize_t r = read(c->fd, buf, len);
        if (r > 0) {
            rfc6455_commit_input(c->conn, (size_t)r);
        } else if (r == 0) {
            rfc6455_commit_input(c->conn, 0);
            rfc6455_handle_eof(c->conn);
        } else {
            rfc6455_commit_input(c->conn, 0);
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) rfc6455_handle_eof(c->conn);
        }
    }
    take_events(c);
    if (flush(c) != 0) return -1;
    bool done = false;
    rfc6455_should_close_transport(c->conn, &done);
    if (done && c->out_off == c->out_len) {
        /* Everything is written: close our half, then wait for the peer's. */
        rfc6455_free(c->conn);
        c->conn = NULL;
        shutdown(c->fd, SHUT_WR);
        c->linger_until = now + LINGER_NS;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s HOST:PORT\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(argv[1]);
    if (lfd < 0) {
        fprintf(stderr, "echo_server: cannot listen on %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    rfc6455_config cfg;
    rfc6455_config_default(&cfg);
    cfg.max_message_size = 64u << 20;
    cfg.max_frame_size = 64u << 20;
    cfg.max_fragments = 1u << 20;
    cfg.max_pending_output = 256u << 20;
    fprintf(stderr, "echo server on ws://%s/ (librfc6455 %s)\n", argv[1], rfc6455_version());

    struct pollfd *fds = NULL;
    size_t cap_fds = 0;
    for (;;) {
        uint64_t now = now_ns(), deadline = RFC6455_NO_DEADLINE;
        if (cap_fds < n_clients + 1) {
            cap_fds = (n_clients + 1) * 2;
            fds = realloc(fds, cap_fds * sizeof *fds);
            if (!fds) return 1;
        }
        fds[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (size_t i = 0; i < n_clients; i++) {
            struct client *c = clients[i];
            uint64_t t = c->linger_until;
            if (c->conn) rfc6455_poll_timeout(c->conn, &t);
            if (t < deadline) deadline = t;
            fds[i + 1] = (struct pollfd){.fd = c->fd, .events = POLLIN};
            if (output_waits(c)) fds[i + 1].events |= POLLOUT;
        }
        int timeout_ms = -1;
        if (deadline != RFC6455_NO_DEADLINE) /* rounded up, at most a minute */
            timeout_ms = deadline <= now ? 0
                         : deadline - now >= 60000000000ull ? 60000
                         : (int)((deadline - now + 999999) / 1000000);
        size_t polled = n_clients;
        if (poll(fds, polled + 1, timeout_ms) < 0 && errno != EINTR) {
            perror("poll");
            return 1;
        }
        now = now_ns();
        /* Serve from the last to the first: drop() moves the last client into
         * the slot it frees, which has then been served already. */
        for (size_t i = polled; i-- > 0;) {
            if (serve(clients[i], fds[i + 1].revents, now) != 0) drop(i);
        }
        if (fds[0].revents & POLLIN) {
            int fd;
            while ((fd = accept(lfd, NULL, NULL)) >= 0) add_client(fd, &cfg, now);
        }
    }
}
