// SPDX-License-Identifier: MIT
/*
 * svc: tiny service used by bench.py to benchmark daemon/supervision tools.
 *
 *   svc ready FIFO          install a SIGTERM handler (exit 0), then write the
 *                           ready record "<pid>\n" to FIFO in ONE write(2)
 *                           (its first byte is "the ready byte"), then send
 *                           READY=1 to $NOTIFY_SOCKET if set, then sleep
 *                           until SIGTERM.
 *   svc ignore-term FIFO    like ready, but SIGTERM is ignored (SIG_IGN).
 *   svc spew N [FIFO]       (optionally write the ready record to FIFO first,)
 *                           write N lines of exactly 100 bytes (99 chars +
 *                           '\n') to stdout as fast as possible (64 KiB
 *                           write(2) chunks), then sleep until SIGTERM.
 *   svc spewl N [FIFO]      like spew, but one write(2) per line (chatty,
 *                           unbuffered service).
 *   svc respawn-loop FIFO   EXTRA baseline: a minimal C supervisor. Forks and
 *                           execs "svc ready FIFO", waits, and re-forks at once
 *                           when the child dies (no throttle). On SIGTERM it
 *                           forwards SIGTERM to the child, reaps it, exits 0.
 *
 * Build: gcc -O2 -Wall -o svc svc.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static void die(const char *what) { perror(what); _exit(111); }

static void sleep_forever(void) { for (;;) pause(); }

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("svc: write");
        }
        p += w;
        n -= (size_t)w;
    }
}

/* sd_notify READY=1 when started with $NOTIFY_SOCKET (a path, or '@' for the abstract namespace). */
static void notify_ready(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || !*path || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) return;
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path));
    if (sa.sun_path[0] == '@') sa.sun_path[0] = '\0';
    int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
    (void)sendto(s, "READY=1", 7, 0, (struct sockaddr *)&sa, len);
    close(s);
}

static void ready(const char *fifo)
{
    char rec[32];
    int fd = open(fifo, O_WRONLY | O_CLOEXEC);
    if (fd < 0) die("svc: open fifo");
    int n = snprintf(rec, sizeof rec, "%ld\n", (long)getpid());
    write_all(fd, rec, (size_t)n); /* one write(2): <= PIPE_BUF, atomic */
    close(fd);
    notify_ready(); /* after the ready record, so a tool waiting for READY=1 can never return first */
}

static void term_handler(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) < 0) die("svc: sigaction");
}

static void spew(long n, int per_line, const char *fifo)
{
    enum { LINE = 100, BUF = 65536 };
    static char buf[BUF];
    size_t used = 0;
    term_handler();
    if (fifo) ready(fifo);
    for (long i = 0; i < n; i++) {
        char line[LINE];
        int k = snprintf(line, sizeof line, "%010ld ", i);
        memset(line + k, 'x', (size_t)(LINE - 1 - k));
        line[LINE - 1] = '\n';
        if (per_line) {
            write_all(1, line, LINE);
            continue;
        }
        if (used + LINE > BUF) {
            write_all(1, buf, used);
            used = 0;
        }
        memcpy(buf + used, line, LINE);
        used += LINE;
    }
    if (used) write_all(1, buf, used);
    sleep_forever();
}

static volatile sig_atomic_t got_term;
static void on_term_flag(int sig) { (void)sig; got_term = 1; }

static void respawn_loop(const char *self, const char *fifo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term_flag;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: waitpid gets EINTR */
    for (;;) {
        pid_t c = fork();
        if (c < 0) die("svc: fork");
        if (c == 0) {
            signal(SIGTERM, SIG_DFL);
            execl(self, self, "ready", fifo, (char *)NULL);
            die("svc: exec");
        }
        for (;;) {
            if (got_term) {
                kill(c, SIGTERM);
                while (waitpid(c, NULL, 0) < 0 && errno == EINTR) {}
                _exit(0);
            }
            pid_t w = waitpid(c, NULL, 0);
            if (w == c) break;
            if (w < 0 && errno != EINTR) die("svc: waitpid");
        }
    }
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "ready") == 0) {
        term_handler();
        ready(argv[2]);
        sleep_forever();
    } else if (argc >= 3 && strcmp(argv[1], "ignore-term") == 0) {
        signal(SIGTERM, SIG_IGN);
        ready(argv[2]);
        sleep_forever();
    } else if (argc >= 3 && strcmp(argv[1], "spew") == 0) {
        spew(atol(argv[2]), 0, argc >= 4 ? argv[3] : NULL);
    } else if (argc >= 3 && strcmp(argv[1], "spewl") == 0) {
        spew(atol(argv[2]), 1, argc >= 4 ? argv[3] : NULL);
    } else if (argc >= 3 && strcmp(argv[1], "respawn-loop") == 0) {
        char self[4096];
        ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
        if (k < 0) die("svc: readlink");
        self[k] = 0;
        respawn_loop(self, argv[2]);
    }
    fprintf(stderr,
            "usage: svc ready FIFO | ignore-term FIFO | spew N [FIFO] |"
            " spewl N [FIFO] | respawn-loop FIFO\n");
    return 100;
}
