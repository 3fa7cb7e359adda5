#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""steps.py -- where the time of `daemonkit start` and `daemonkit stop` goes, step by step.

Runs N start/stop cycles of one service name (as bench.py's startstop does: NAME.pid, NAME.state and
NAME.json exist from the cycle before) under `perf record -a` of the raw_syscalls and sched
tracepoints, then cuts each cycle into steps at kernel events (forks, execs, exits) and marker system
calls of each process (the CLI, its first child, the monitor, the keeper, the service) and prints the
median of each step in microseconds. Root, Linux with tracefs and perf (Debian: linux-perf).

    sudo bench/steps.py                                  # exec readiness, 10 cycles
    sudo bench/steps.py --cycles 20 --fifo -- --ready notify
    sudo bench/steps.py --dk /path/to/daemonkit --state-root /dev/shm

--fifo runs the cycles under SCHED_FIFO (chrt -f 10) so that other jobs on the machine do not add
their scheduling delays (with PREEMPT_NONE and HZ=250 a woken process can wait a whole 4 ms tick for a
busy CPU). Tracing costs about 1-2 us per system call; a start makes about 500 across its processes,
a stop about 260, so the figures are up to ~10% high. A report, never a test.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EVENTS = ("raw_syscalls:sys_enter,raw_syscalls:sys_exit,sched:sched_process_exit,"
          "sched:sched_process_exec,sched:sched_process_fork")


def syscall_names():
    out = {}
    for path in ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"):
        if os.path.exists(path):
            for line in open(path):
                m = re.match(r"#define __NR_(\w+) (\d+)", line)
                if m:
                    out[int(m.group(2))] = m.group(1)
            break
    return out


def cycles(a):
    """The traced workload: N start/stop cycles (run by perf record as a child of this script)."""
    fifo = os.path.join(a.dir, "ready.fifo")
    fd = os.open(fifo, os.O_RDWR | os.O_NONBLOCK)
    quiet = dict(stdout=subprocess.DEVNULL)
    for _ in range(a.cycles):
        subprocess.run([a.dk, "start", "--name", "s0", *a.opts, "--", a.svc, "ready", fifo], **quiet)
        time.sleep(0.4)
        try:
            os.read(fd, 4096)
        except BlockingIOError:
            pass
        subprocess.run([a.dk, "stop", "s0"], **quiet)
        time.sleep(0.3)


class Trace:
    def __init__(self, lines):
        self.nr = syscall_names()
        rx = re.compile(r"^\s*(.+?)\s+(\d+)\s+([\d.]+):\s+(\S+):\s*(.*)$")
        self.by_pid, self.kids, self.execs, self.exits = {}, {}, {}, {}
        for line in lines:
            m = rx.match(line)
            if not m:
                continue
            _, pid, t, e, d = m.groups()
            pid, t = int(pid), float(t) * 1e6
            self.by_pid.setdefault(pid, []).append((t, e, d))
            if e == "sched:sched_process_fork":
                child = int(re.search(r"child_pid=(\d+)", d).group(1))
                parent = int(re.search(r" pid=(\d+)", d).group(1))
                self.kids.setdefault(parent, []).append((t, child))
            elif e == "sched:sched_process_exec":
                p = int(re.search(r" pid=(\d+)", d).group(1))
                self.execs.setdefault(p, []).append((t, d.split()[0].split("=", 1)[1]))
            elif e == "sched:sched_process_exit":
                self.exits.setdefault(pid, t)

    def call(self, pid, name, after=0.0, leave=False, pred=None, nth=0):
        """Time of the nth entry (or exit, with leave) of system call name by pid after a time."""
        kind = "raw_syscalls:sys_exit" if leave else "raw_syscalls:sys_enter"
        n = 0
        for t, e, d in self.by_pid.get(pid, []):
            if t < after or e != kind or self.nr.get(int(d.split()[1])) != name:
                continue
            if pred and not pred(d):
                continue
            if n == nth:
                return t
            n += 1
        return None

    def durations(self, pid, name, after, before):
        out, entered = [], None
        for t, e, d in self.by_pid.get(pid, []):
            if not after <= t < before or not e.startswith("raw_syscalls"):
                continue
            if self.nr.get(int(d.split()[1])) != name:
                continue
            if e.endswith("sys_enter"):
                entered = t
            elif entered is not None:
                out.append(t - entered)
                entered = None
        return out

    def first_child(self, pid, i=0):
        k = self.kids.get(pid, [])
        return k[i] if len(k) > i else (None, None)


def analyse(tr, dk):
    steps = {}

    def add(key, v):
        if v is not None:
            steps.setdefault(key, []).append(v)

    def between(a, b):
        return None if a is None or b is None else a - b

    runs = sorted((ts[0][0], pid) for pid, ts in tr.execs.items() if ts[0][1] == dk)
    mon = svc = None
    for i, (t_exec, cli) in enumerate(runs):
        if i % 2 == 0:  # start
            fork1, child = tr.first_child(cli)
            _, mon = tr.first_child(child) if child else (None, None)
            (t_keeper, _), (t_svc, svc) = tr.first_child(mon), tr.first_child(mon, 1)
            if not (mon and svc):
                mon = svc = None
                continue
            ld = tr.call(cli, "prlimit64", t_exec)
            work = tr.call(cli, "mkdir", t_exec)
            clone = tr.call(cli, "clone", t_exec)
            mon0 = tr.by_pid[mon][0][0]
            sexec = (tr.execs.get(svc) or [(None,)])[0][0]
            eof = tr.call(mon, "read", t_svc, leave=True, pred=lambda d: d.endswith("= 0"))
            record = tr.call(mon, "write", t_svc, pred=lambda d: ", ee4," in d)  # the 3812-byte ready record
            ready = tr.call(svc, "write", sexec or t_svc)
            notified = tr.call(mon, "recvmsg", t_svc, leave=True)
            sent = tr.call(svc, "sendto", sexec or t_svc)
            cli_exit = tr.exits.get(cli)
            add("start a. exec of the CLI -> ld.so done (4 shared libraries mapped and relocated)", between(ld, t_exec))
            add("start b. ld.so done -> first work syscall (static init, CLI11 build and parse)", between(work, ld))
            add("start c. CLI checks before its fork (state dir, NAME.*, log dir, /dev/null)", between(clone, work))
            add("start d. CLI fork -> monitor's first syscall (fork, reset signals, setsid, fork)", between(mon0, clone))
            add("start e. monitor set-up -> keeper fork (pid record, stdio, pidfile, signalfd, log)", between(t_keeper, mon0))
            add("start f. keeper fork -> service fork (NAME.json, state 'starting', pipes)", between(t_svc, t_keeper))
            add("start g. service fork -> its execve done (child steps, execve)", between(sexec, t_svc))
            add("start h. execve done -> monitor sees it (EOF on the error pipe)", between(eof, sexec))
            if notified:
                add("start n1. service's ready record -> its READY=1 sendto", between(sent, ready))
                add("start n2. READY=1 sent -> monitor's recvmsg returns", between(notified, sent))
                add("start n3. READY=1 received -> ready record to the CLI (state 'running')", between(record, notified))
            else:
                add("start i. exec confirmed -> ready record to the CLI (/proc stat, pidfile, state 'running')",
                    between(record, eof))
            add("start j. ready record -> CLI exit", between(cli_exit, record))
            add("start T1. CLI exec -> CLI exit (start ret)", between(cli_exit, t_exec))
            add("start T2. CLI exec -> service's ready record (start->ready)", between(ready, t_exec))
            add("start T3. service's execve -> its ready record (the service's own start)", between(ready, sexec))
            add("start R. monitor's rename() calls during start, summed",
                sum(tr.durations(mon, "rename", mon0, record or 1e30)))
        elif mon:  # stop
            sig = tr.call(cli, "pidfd_send_signal", t_exec)
            if sig is None:
                continue
            ld = tr.call(cli, "prlimit64", t_exec)
            opened = tr.call(cli, "openat", (ld or t_exec) + 1)
            wake = tr.call(mon, "read", sig, leave=True)
            published = tr.call(mon, "rename", sig, leave=True)
            term = tr.call(mon, "pidfd_send_signal", sig)
            gone = tr.exits.get(svc)
            reaped = tr.call(mon, "wait4", term or sig, leave=True)
            kill_keeper = tr.call(mon, "pidfd_send_signal", sig, nth=1)
            mon_exit = tr.exits.get(mon)
            woke = tr.call(cli, "poll", sig, leave=True)
            cli_exit = tr.exits.get(cli)
            add("stop A1. exec of the CLI -> ld.so done", between(ld, t_exec))
            add("stop A2. ld.so done -> first open in the state dir (static init, CLI11)", between(opened, ld))
            add("stop A3. NAME.pid lock probe, NAME.state, NAME.json -> TERM to the monitor", between(sig, opened))
            add("stop B. TERM sent -> monitor reads it (signalfd)", between(wake, sig))
            add("stop C. monitor publishes 'stopping' (write, rename NAME.state)", between(published, wake))
            add("stop D. monitor walks /proc for the tree -> TERM to the service", between(term, published))
            add("stop E. TERM to the service -> service exits", between(gone, term))
            add("stop F. service exits -> monitor reaps it (SIGCHLD, wait4)", between(reaped, gone))
            add("stop G. reaped -> keeper SIGKILLed (tree walks, flush)", between(kill_keeper, reaped))
            add("stop H. keeper SIGKILLed -> monitor exits (wait keeper, state 'stopped', pidfile)",
                between(mon_exit, kill_keeper))
            add("stop I. monitor exits -> CLI's pidfd poll returns", between(woke, mon_exit))
            add("stop J. CLI wakes -> CLI exits (re-reads NAME.*, prints)", between(cli_exit, woke))
            add("stop S1. CLI exec -> service gone (stop->gone)", between(gone, t_exec))
            add("stop S2. CLI exec -> CLI exit (stop ret)", between(cli_exit, t_exec))
            add("stop S3. service gone -> CLI exit (ret - gone)", between(cli_exit, gone))
            add("stop R. monitor's rename() calls during stop, summed",
                sum(tr.durations(mon, "rename", sig, mon_exit or 1e30)))
            mon = svc = None
    return steps


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dk", default=os.environ.get("DAEMONKIT_BIN") or
                    os.path.join(os.path.dirname(HERE), "build-bench", "tools", "daemonkit", "daemonkit"))
    ap.add_argument("--svc", help="compiled svc.c (default: compiled into the work dir)")
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--fifo", action="store_true", help="run the cycles under chrt -f 10")
    ap.add_argument("--state-root", default=None, help="where the state and log dirs go (default: the work dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (perf data, trace text)")
    ap.add_argument("--cycle-mode", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--dir", help=argparse.SUPPRESS)
    ap.add_argument("opts", nargs="*", help="start options after --, e.g. -- --ready notify")
    a = ap.parse_args()
    a.dk = os.path.abspath(a.dk)
    if a.cycle_mode:
        return cycles(a)
    if os.geteuid() != 0:
        sys.exit("steps.py: run as root (perf record -a)")
    if not os.access(a.dk, os.X_OK):
        sys.exit(f"steps.py: no daemonkit at {a.dk} (build it, or give --dk)")
    work = tempfile.mkdtemp(prefix="dk-steps-")
    try:
        if not a.svc:
            a.svc = os.path.join(work, "svc")
            subprocess.run(["gcc", "-O2", "-Wall", "-o", a.svc, os.path.join(HERE, "svc.c")], check=True)
        root = tempfile.mkdtemp(prefix="dk-steps-", dir=a.state_root) if a.state_root else work
        env = dict(os.environ, DAEMONKIT_STATE_DIR=os.path.join(root, "state"),
                   DAEMONKIT_LOG_DIR=os.path.join(root, "log"))
        for d in ("state", "log"):
            os.makedirs(os.path.join(root, d), mode=0o700)
        os.mkfifo(os.path.join(work, "ready.fifo"))
        data = os.path.join(work, "perf.data")
        loop = [sys.executable, os.path.abspath(__file__), "--cycle-mode", "--dir", work, "--dk", a.dk,
                "--svc", a.svc, "--cycles", str(a.cycles), "--", *a.opts]
        subprocess.run(["perf", "record", "-q", "-a", "-e", EVENTS, "-o", data, "--",
                        *(["chrt", "-f", "10"] if a.fifo else []), *loop], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        text = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,time,event,trace"],
                              capture_output=True, text=True).stdout.splitlines()
        steps = analyse(Trace(text), a.dk)
        print(f"daemonkit {a.dk}, start options {' '.join(a.opts) or '(exec readiness)'}, "
              f"{a.cycles} cycles{', SCHED_FIFO' if a.fifo else ''}, state dir under {root}\n")
        print("| step | n | median µs | min–max µs |\n|---|---|---|---|")
        def order(k):  # start before stop; its steps (a, b, ...) before its totals (T1, R, ...)
            phase, mark = k.split(". ")[0].split()
            return (phase != "start", mark[0].isupper(), mark)
        for k in sorted(steps, key=order):
            v = steps[k]
            print(f"| {k} | {len(v)} | {statistics.median(v):.0f} | {min(v):.0f}–{max(v):.0f} |")
        if root != work:
            shutil.rmtree(root, ignore_errors=True)
    finally:
        if a.keep:
            print(f"\nkept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
