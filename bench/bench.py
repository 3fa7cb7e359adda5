#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""bench.py -- daemonkit side by side with baselines and other Unix daemonizing / supervision tools.

Stdlib only (Python >= 3.9 for os.pidfd_open). Run as root on Linux. The project's command is
`sudo ./bench/run.sh` (installs the anchors, builds daemonkit in Release and svc, runs this with the
issue's adapters and scenarios, writes bench/results.md and bench/results.json). By hand:
    gcc -O2 -Wall -o /tmp/svc bench/svc.c
    DAEMONKIT_BIN=build-bench/tools/daemonkit/daemonkit ./bench/bench.py --svc /tmp/svc  # everything
    ./bench/bench.py --only runit,s6,daemonkit --scenarios startstop,respawn --reps 30
    ./bench/bench.py --list                            # adapter keys and their scenarios
    ./bench/bench.py --scenarios up100                 # `up` of 100 services vs supervisord's `start all`
--only takes adapter keys (the first column of --list); an entry that is no key selects every adapter
whose name contains it. Without DAEMONKIT_BIN the newest executable named daemonkit under ./build*
is used; without one the daemonkit adapters are left out.

ADAPTER INTERFACE -- a new tool needs one small class (~20 lines)
------------------------------------------------------------------
    class MyTool(Adapter):
        name = "mytool"                  # unique label in the tables
        key = "mytool"                   # short id for --only
        pkg = None                       # Debian package (for the version), or
        version_cmd = ["mytool", "--version"]  # a command printing the version
        respawns = True                  # restarts a SIGKILLed service? (respawn tests)
        logs = True                      # can capture stdout into svc.logdir? (log test)
        persistent = False               # True if a supervisor stays up after stop
        many = True                      # include in the 100-service footprint test

        def setup(self, svcs):           # optional. Once per scenario, before any start.
            ...                          #   Write configs, start resident supervisors
                                         #   (self.spawn), wait until they accept commands.
        def start(self, svc):            # start; return when the tool's start command returns
            self.run("mytool", "start", "--pidfile", svc.path("pid"),
                     *(["--log-dir", svc.logdir] if svc.logdir else []),
                     "--", *svc.argv)
        def stop(self, svc):             # stop; return when the tool's stop command returns
            self.run("mytool", "stop", "--pidfile", svc.path("pid"))
        def teardown(self):              # optional: stop what setup()/start() left running
            ...                          #   (a pid-targeted SIGKILL sweep of the driver's
                                         #   descendants always follows)
    then add MyTool to ADAPTERS at the bottom.

  Svc (one service instance):   svc.name, svc.argv (full service command line, argv[0]
    absolute), svc.dir (private directory for pidfiles/configs), svc.path(x) = svc.dir/x,
    svc.logdir (None, or a directory where the tool must put the service's stdout;
    the driver counts bytes of files named current, @*, out.log*), svc.state (dict for
    the adapter), svc.pid (filled in by the driver from the ready record).
  Helpers:  self.run(*argv, ok=(0,))  run a command, raise unless rc in ok; the exact
    command is recorded for the report.   self.spawn(*argv) -> Popen of a long-lived
    process (not waited for).   self.mkdir(x) -> private dir.   write_file(path, text,
    exe=False).   wait_for(predicate, timeout).
  Supervisor processes (footprint, wakeups) are found automatically: the topmost ancestor
  of the service pid below the driver and all its descendants but the service's own
  subtree (the driver is a child subreaper, so daemonized processes stay in its tree).
  An adapter that knows its processes otherwise may define declared_pids(svcs) -> set;
  the footprint scenario then reports whether both ways agree (daemonkit reads the
  monitor_pid= and keeper_pid= lines of STATE_DIR/NAME.state).
  A tool that starts many services with one command from one file sets up_file = True and
  defines write_up_file(svcs) -> text, up_all(svcs), check_up(svcs) -> None or why not
  (outside the timer: does the tool itself say all are running?) and down_all(svcs).

WHAT IS MEASURED (all times from time.perf_counter_ns)
  Timed scenarios (startstop, quickstop, log) spread their reps over --rounds rounds in which
  every adapter runs its share (order reversed every other round), each round with its own setup
  and, for startstop, one discarded warm-up cycle: load that changes during a run on a shared
  machine then weighs on every adapter alike.
  startstop  start: t0 = just before adapter.start(); "ready" = the driver's poll() on
             the service's ready FIFO returns; "ret" = adapter.start() returned.
             "ret<ready" counts starts that returned before the ready record was written,
             judged by order, not by timestamps: right after adapter.start() returns, the
             thread that called it checks whether the record is already in (or read from)
             the FIFO. stop (after SETTLE s): "gone" = pidfd of the service pid becomes
             readable (process exited); "ret" = adapter.stop() returned; "ret−gone" = the
             per-rep difference; "all gone" = service and the tool's own processes
             (non-persistent tools) have exited.
  quickstop  same with SETTLE = 0 (stop right after ready).
  respawn    service up >= 1.5 s, SIGKILL it, time until the new instance's ready record.
  rapid      crash loop: SIGKILL right after each ready (shows restart throttles).
  footprint  RSS/PSS/USS (smaps_rollup) of supervisor processes, 1 and 100 services;
             context switches (voluntary + involuntary, all threads) and CPU over 10 s idle.
  termignore stop of a service that ignores SIGTERM: when does the tool's stop return,
             when (if ever, within 12 s) is the service gone.
  log        'svc spew N': N lines x 100 bytes through the tool's log capture; time until
             all N*100 bytes are in the log directory (polled every 5 ms).
  up100      issue 14: 100 services from one file (--up-n), each `svc ready FIFO` in its own
             directory. daemonkit: a daemonkit.toml ([defaults] respawn = "always"; per service
             command and chdir), timed `daemonkit up -f FILE` (returns once all are ready: exec
             readiness, and ready = "notify" for daemonkit-notify); supervisord: the supervisord
             adapter's [program:x] for all of them (autostart=false, autorestart=true, startsecs
             left at its default 1 s; supervisord-0 sets startsecs=0), supervisord started before
             the timer, timed `supervisorctl start all` (returns once all are RUNNING). Also the
             time to the last service's ready record (all FIFOs polled at once). Then the tool's
             status must say all running; after --up-settle s, RSS/PSS/USS of what the tool keeps
             (found as in footprint: daemonkit's 100 monitors + 100 keepers, supervisord itself;
             never the services); then timed `daemonkit down -f` / `supervisorctl stop all`.
             A warm-up cycle per tool, then --up-reps cycles each (fresh setup every cycle) in
             rounds with the order reversed every other round. Written to --up-out
             (bench/results-up.md) with issue 14's targets; --out and --json are left alone when
             up100 is the only scenario. `sudo SCENARIOS=up100 ./bench/run.sh` builds and runs it.
The service program (svc.c) writes its ready record "<pid>\\n" in one write(2), then sends READY=1
to $NOTIFY_SOCKET when that is set.

TARGETS  render() ends the header with the issue's targets for daemonkit, each a ratio of two
figures of this run (medians) with PASS/FAIL; a target whose figures are missing says so.
"""
import argparse
import ctypes
import json
import os
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SVC = os.path.join(HERE, "svc")  # --svc sets it
MYPID = os.getpid()
now = time.perf_counter_ns
MS = 1e6  # ns per ms

# --------------------------------------------------------------------------- utilities


def write_file(path, text, exe=False):
    with open(path, "w") as f:
        f.write(text)
    if exe:
        os.chmod(path, 0o755)


def wait_for(pred, timeout, step=0.005):
    end = time.monotonic() + timeout
    while True:
        try:
            if pred():
                return True
        except OSError:
            pass
        if time.monotonic() > end:
            return False
        time.sleep(step)


def proc_stat(pid):
    """(state, ppid, utime+stime ticks) or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    f = s[s.rindex(")") + 2:].split()
    return f[0], int(f[1]), int(f[11]) + int(f[12])


def proc_comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def children(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def descendants(pid=MYPID):
    out, stack = [], [pid]
    while stack:
        for c in children(stack.pop()):
            out.append(c)
            stack.append(c)
    return out


def ancestors(pid):
    """Ancestors of pid strictly below the driver (the tool's resident processes)."""
    out = []
    st = proc_stat(pid)
    while st and st[1] not in (0, 1, MYPID):
        out.append(st[1])
        st = proc_stat(st[1])
    return out


def resident(svc_pids):
    """Every process the tool keeps for these services: the topmost ancestor of each service below the
    driver and all its descendants, less the services' own subtrees (so a keeper or a logger beside the
    service counts, not only the service's ancestors)."""
    svc_trees = set()
    for s in svc_pids:
        svc_trees.add(s)
        svc_trees.update(descendants(s))
    out = set()
    for s in svc_pids:
        anc = ancestors(s)
        if not anc:
            continue
        top = anc[-1]
        out.add(top)
        out.update(d for d in descendants(top) if d not in svc_trees)
    return sorted(out)


def smaps(pid):
    r = {"Rss": 0, "Pss": 0, "Private_Clean": 0, "Private_Dirty": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in r:
                    r[k] = int(v.split()[0])
    except OSError:
        pass
    return {"rss": r["Rss"], "pss": r["Pss"], "uss": r["Private_Clean"] + r["Private_Dirty"]}


def ctxsw(pid):
    n = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        n += int(line.split()[1])
    except OSError:
        pass
    return n


def pidfd(pid):
    try:
        return os.pidfd_open(pid)
    except ProcessLookupError:
        return None


def wait_fd(fd, timeout_s):
    """Block until fd is readable; return the time (ns) or None on timeout."""
    if fd is None:
        return now()
    p = select.poll()
    p.register(fd, select.POLLIN)
    end = now() + int(timeout_s * 1e9)
    while True:
        left = (end - now()) / MS
        if left <= 0:
            return None
        if p.poll(left):
            return now()


def readable(fd):
    p = select.poll()
    p.register(fd, select.POLLIN)
    return bool(p.poll(0))


TRACKED = {}  # pid -> Popen (children the driver spawned itself; reaped via Popen)


def wait_exit(p, timeout_s):
    """p's exit code, seen the moment p exits (its pidfd). Not Popen.wait(timeout) (what
    subprocess.run(timeout=...) does): that polls with sleeps growing 1, 2, 4, 8 ms, which rounds every
    command's duration up to the next of ~1, 3, 7, 15 ms. p is TRACKED meanwhile, so that reap() in
    another thread reaps it through Popen (keeping its status) rather than stealing it."""
    TRACKED[p.pid] = p
    fd = os.pidfd_open(p.pid)
    try:
        if wait_fd(fd, timeout_s) is None:
            p.kill()
            p.wait()
            raise subprocess.TimeoutExpired(p.args, timeout_s)
        return p.wait()
    finally:
        os.close(fd)
        TRACKED.pop(p.pid, None)


def reap():
    """Reap zombie orphans adopted by the driver (it is a child subreaper)."""
    for pid, p in list(TRACKED.items()):
        if p.poll() is not None:
            TRACKED.pop(pid, None)  # wait_exit() in another thread may have dropped it already
    for c in children(MYPID):
        st = proc_stat(c)
        if c not in TRACKED and st and st[0] == "Z":
            try:
                os.waitpid(c, os.WNOHANG)
            except ChildProcessError:
                pass


def sweep(note=None):
    """SIGKILL every remaining descendant of the driver, by pid. Returns what was left."""
    left = []
    for _ in range(50):
        alive = [p for p in descendants() if (proc_stat(p) or ("Z",))[0] != "Z"]
        if not alive:
            break
        for p in alive:
            left.append(f"{proc_comm(p)}[{p}]")
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
        reap()
    reap()
    return sorted(set(left))


class Fifo:
    """Ready FIFO. The driver holds it O_RDWR so opens never block and no EOF is seen."""

    def __init__(self, path):
        os.mkfifo(path)
        self.path = path
        self.fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)
        self.buf = b""
        self.got = False  # something was read since the last drain
        self.lock = threading.Lock()  # read+got vs seen(): no window where data is taken, not yet noted

    def drain(self):
        with self.lock:
            self.buf = b""
            self.got = False
            try:
                while os.read(self.fd, 65536):
                    pass
            except BlockingIOError:
                pass

    def seen(self):
        """Has a ready record been written since the last drain (read already, or waiting in the FIFO)?"""
        with self.lock:
            if self.got:
                return True
            p = select.poll()
            p.register(self.fd, select.POLLIN)
            return bool(p.poll(0))

    def wait(self, timeout_s):
        """-> (t_ns of the first byte, pid) or (None, None)."""
        t = None
        end = time.monotonic() + timeout_s
        while b"\n" not in self.buf:
            tt = wait_fd(self.fd, max(0.0, end - time.monotonic()))
            if tt is None:
                return None, None
            t = t or tt
            with self.lock:
                try:
                    data = os.read(self.fd, 65536)
                    self.buf += data
                    self.got = self.got or bool(data)
                except BlockingIOError:
                    pass
        line, _, self.buf = self.buf.partition(b"\n")
        return t, int(line)

    def take_record(self):
        """Read what the FIFO holds now (never blocks); -> the pid of a complete ready record, or None."""
        with self.lock:
            try:
                data = os.read(self.fd, 65536)
                self.buf += data
                self.got = self.got or bool(data)
            except BlockingIOError:
                pass
        if b"\n" not in self.buf:
            return None
        line, _, self.buf = self.buf.partition(b"\n")
        return int(line)

    def close(self):
        os.close(self.fd)


class Svc:
    def __init__(self, root, name, mode, n=0):
        self.name = name
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir)
        self.fifo = Fifo(self.path("ready.fifo"))
        if mode in ("spew", "spewl"):
            self.argv = [SVC, mode, str(n), self.fifo.path]
        else:
            self.argv = [SVC, mode, self.fifo.path]
        self.mode = mode
        self.logdir = None
        self.state = {}
        self.pid = None

    def path(self, x):
        return os.path.join(self.dir, x)


class Timed(threading.Thread):
    """Runs fn(*a) in a thread, recording t0 (just before) and t1 (just after); then after(), if given,
    in the same thread (its result in .after_result)."""

    def __init__(self, fn, *a, after=None):
        super().__init__(daemon=True)
        self.fn, self.a, self.t0, self.t1, self.exc = fn, a, None, None, None
        self.after, self.after_result = after, None
        self.start()

    def run(self):
        self.t0 = now()
        try:
            self.fn(*self.a)
        except BaseException as e:  # noqa: BLE001 -- recorded as a finding
            self.exc = e
        self.t1 = now()
        if self.after is not None:
            self.after_result = self.after()

    def done(self, timeout=120):
        self.join(timeout)
        return self


# --------------------------------------------------------------------------- adapters


class CmdError(Exception):
    pass


class Adapter:
    name = "?"
    key = "?"
    pkg = None
    version_cmd = None
    respawns = False
    logs = False
    persistent = False
    many = False
    up_file = False  # brings many services up from one file with one command (up100)
    modes = ("ready", "ignore-term", "spew")
    only = None  # e.g. {"log"}: restrict to these scenarios

    def __init__(self, bench):
        self.bench = bench
        self.op = "setup"
        self.procs = []
        self.tmp = None

    # ---- helpers for subclasses
    def run(self, *argv, ok=(0,), timeout=60, env=None):
        argv = [str(a) for a in argv]
        self.bench.record(self, self.op, argv)
        with open(self.bench.errlog, "a") as err:
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err, env=env)
        rc = wait_exit(p, timeout)
        if rc not in ok:
            raise CmdError(f"{shlex.join(argv)} -> rc {rc}")
        return rc

    def spawn(self, *argv, **kw):
        argv = [str(a) for a in argv]
        self.bench.record(self, self.op, argv)
        err = open(self.bench.errlog, "a")
        kw.setdefault("stdout", err)
        kw.setdefault("stderr", err)
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, **kw)
        err.close()
        TRACKED[p.pid] = p
        self.procs.append(p)
        return p

    def mkdir(self, x):
        d = os.path.join(self.tmp, x)
        os.makedirs(d, exist_ok=True)
        return d

    def version(self):
        if self.pkg:
            r = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}", self.pkg],
                               capture_output=True, text=True)
            return r.stdout.strip()
        if self.version_cmd:
            r = subprocess.run(self.version_cmd, capture_output=True, text=True)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        return "-"

    # ---- interface
    def setup(self, svcs):
        pass

    def declared_pids(self, svcs):
        """The tool's resident processes for svcs as the tool itself records them, or None."""
        return None

    def start(self, svc):
        raise NotImplementedError

    def stop(self, svc):
        raise NotImplementedError

    def start_many(self, svcs):
        for s in svcs:
            self.start(s)

    def stop_many(self, svcs):
        for s in svcs:
            self.stop(s)

    # ---- up100: the tool's one command for all of svcs (after setup(svcs))
    def write_up_file(self, svcs):
        """Write the one file that describes every service in svcs; -> its text (for the report)."""
        raise NotImplementedError

    def up_all(self, svcs):
        """Start every service of the file; return when the tool's command returns."""
        raise NotImplementedError

    def check_up(self, svcs):
        """Outside the timer, after up_all: None if the tool reports every service running, else why not."""
        raise NotImplementedError

    def down_all(self, svcs):
        raise NotImplementedError

    def teardown(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        end = time.monotonic() + 3
        for p in self.procs:
            try:
                p.wait(max(0.01, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass


def kill_pidfile(path, sig=signal.SIGTERM):
    with open(path) as f:
        os.kill(int(f.read().split()[0]), sig)


# ---- baselines


class BaseSubprocess(Adapter):
    name = "baseline: fork+exec (Popen)"
    key = "popen"
    version_cmd = [sys.executable, "--version"]

    def start(self, svc):
        svc.state["p"] = self.spawn(*svc.argv)

    def stop(self, svc):
        os.kill(svc.state["p"].pid, signal.SIGTERM)


class BaseShExec(BaseSubprocess):
    name = "baseline: sh -c 'exec svc'"
    key = "sh-exec"
    version_cmd = None
    pkg = "dash"

    def start(self, svc):
        svc.state["p"] = self.spawn("/bin/sh", "-c", "exec " + shlex.join(svc.argv))


class BaseCRespawn(Adapter):
    name = "baseline: C respawn loop"
    key = "c-respawn"
    version_cmd = None
    respawns = True
    many = True
    modes = ("ready",)

    def version(self):
        return "svc.c respawn-loop (fork+exec+waitpid, no throttle)"

    def start(self, svc):
        svc.state["p"] = self.spawn(SVC, "respawn-loop", svc.fifo.path)

    def stop(self, svc):
        os.kill(svc.state["p"].pid, signal.SIGTERM)


class BaseRedirect(Adapter):
    name = "baseline: svc > file"
    key = "redirect"
    pkg = "dash"
    logs = True
    only = {"log"}

    def start(self, svc):
        out = os.path.join(svc.logdir, "out.log")
        svc.state["p"] = self.spawn("/bin/sh", "-c", f"exec {shlex.join(svc.argv)} > {out}")

    def stop(self, svc):
        os.kill(svc.pid, signal.SIGTERM)


class BaseCat(BaseRedirect):
    name = "baseline: svc | cat > file"
    key = "cat"
    pkg = "coreutils"

    def start(self, svc):
        out = os.path.join(svc.logdir, "out.log")
        svc.state["p"] = self.spawn("/bin/sh", "-c", f"{shlex.join(svc.argv)} | cat > {out}")


# ---- one-shot daemonizers


class StartStopDaemon(Adapter):
    name = "start-stop-daemon (--retry)"
    key = "ssd"
    pkg = "dpkg"
    stop_opts = ("--retry", "TERM/5/KILL/5")

    def start(self, svc):
        self.run("start-stop-daemon", "--start", "--quiet", "--background", "--make-pidfile",
                 "--pidfile", svc.path("pid"), "--exec", svc.argv[0], "--", *svc.argv[1:])

    def stop(self, svc):
        self.run("start-stop-daemon", "--stop", "--quiet", "--pidfile", svc.path("pid"),
                 "--remove-pidfile", *self.stop_opts, ok=(0, 1))


class StartStopDaemonNoWait(StartStopDaemon):
    name = "start-stop-daemon (no --retry)"
    key = "ssd-noretry"
    stop_opts = ()


class Daemonize(Adapter):
    name = "daemonize"
    key = "daemonize"
    pkg = "daemonize"

    def start(self, svc):
        self.run("daemonize", "-p", svc.path("pid"), "-l", svc.path("lock"), "-c", svc.dir,
                 *svc.argv)

    def stop(self, svc):  # daemonize has no stop: kill the pid from its pidfile
        kill_pidfile(svc.path("pid"))


PYDAEMON = """import os, sys, daemon, daemon.pidfile
pf = daemon.pidfile.TimeoutPIDLockFile(sys.argv[1], acquire_timeout=0)
with daemon.DaemonContext(pidfile=pf, working_directory=os.path.dirname(sys.argv[1])):
    os.execv(sys.argv[2], sys.argv[2:])
"""


class PythonDaemon(Adapter):
    name = "python3-daemon (DaemonContext)"
    key = "pydaemon"
    pkg = "python3-daemon"

    def setup(self, svcs):
        self.launcher = os.path.join(self.tmp, "pydaemon_launch.py")
        write_file(self.launcher, PYDAEMON)

    def start(self, svc):
        self.run("/usr/bin/python3", self.launcher, svc.path("pid"), *svc.argv)

    def stop(self, svc):  # library only, no stop: kill from the pidfile, drop the stale file
        kill_pidfile(svc.path("pid"))
        os.unlink(svc.path("pid"))


class Tini(Adapter):
    name = "tini (foreground wrapper)"
    key = "tini"
    pkg = "tini"
    exe = ("tini", "--")

    def start(self, svc):
        svc.state["p"] = self.spawn(*self.exe, *svc.argv)

    def stop(self, svc):
        os.kill(svc.state["p"].pid, signal.SIGTERM)


class DumbInit(Tini):
    name = "dumb-init (foreground wrapper)"
    key = "dumb-init"
    pkg = "dumb-init"
    exe = ("dumb-init", "--")


class Daemon(Adapter):
    name = "daemon"
    key = "daemon"
    pkg = "daemon"
    opts = ()
    logs = True

    def base(self, svc):
        return ["daemon", "--name", svc.name, "--pidfiles", svc.dir]

    def start(self, svc):
        log = ["--output", os.path.join(svc.logdir, "out.log")] if svc.logdir else []
        self.run(*self.base(svc), *self.opts, *log, "--", *svc.argv)

    def stop(self, svc):
        self.run(*self.base(svc), "--stop")


class DaemonRespawn(Daemon):
    name = "daemon --respawn"
    key = "daemon-respawn"
    opts = ("--respawn",)
    respawns = True
    many = True
    logs = False


class DaemonRespawnA100(DaemonRespawn):
    name = "daemon --respawn --attempts=100"
    key = "daemon-respawn-a100"
    opts = ("--respawn", "--attempts=100")
    many = False
    only = {"respawn", "rapid"}


# ---- daemonkit (the product under test); skipped when no binary is found


def daemonkit_bin():
    """$DAEMONKIT_BIN, else the newest executable named daemonkit under the project's build*/ dirs."""
    env = os.environ.get("DAEMONKIT_BIN")
    if env:
        return os.path.abspath(env) if os.access(env, os.X_OK) else None
    best = None
    root = os.path.dirname(HERE)
    for top in sorted(os.listdir(root)):
        if not top.startswith("build") or not os.path.isdir(os.path.join(root, top)):
            continue
        for d, dirs, files in os.walk(os.path.join(root, top)):
            if "daemonkit" in files:
                f = os.path.join(d, "daemonkit")
                if os.path.isfile(f) and os.access(f, os.X_OK):
                    if best is None or os.stat(f).st_mtime > best[0]:
                        best = (os.stat(f).st_mtime, f)
    return best[1] if best else None


def daemonkit_state(state_dir, name):
    """key=value lines of STATE_DIR/NAME.state (what the monitor publishes), or {}."""
    out = {}
    try:
        with open(os.path.join(state_dir, name + ".state")) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    out[k] = v
    except OSError:
        pass
    return out


def daemonkit_pids(state_dir, svcs):
    """monitor_pid and keeper_pid of each service, from its NAME.state."""
    out = set()
    for s in svcs:
        st = daemonkit_state(state_dir, s.name)
        for k in ("monitor_pid", "keeper_pid"):
            if st.get(k, "0").isdigit() and int(st.get(k, "0")) > 0:
                out.add(int(st[k]))
    return out


class Daemonkit(Adapter):
    """Default readiness (exec): start returns once execve succeeded, so returning before the ready
    record is expected. Private state and log dirs per scenario, passed in the environment (the
    documented variables), so no assumption about where options may stand."""
    name = "daemonkit"
    key = "daemonkit"
    opts = ()
    logs = True
    many = True
    up_file = True
    file_keys = {}  # up100: keys of [defaults] beside respawn (e.g. the readiness mode)

    def version(self):
        b = daemonkit_bin()
        if not b:
            return "not built"
        r = subprocess.run([b, "--version"], capture_output=True, text=True)
        return ((r.stdout + r.stderr).strip().splitlines() or ["?"])[0]

    def setup(self, svcs):
        self.exe = daemonkit_bin()
        self.state_dir = self.mkdir("dkstate")
        os.chmod(self.state_dir, 0o700)
        self.env = dict(os.environ, DAEMONKIT_STATE_DIR=self.state_dir,
                        DAEMONKIT_LOG_DIR=self.mkdir("dklogs"))

    def start(self, svc):
        # rotation as the other tools' loggers are set up: 10 MB files, 100 kept
        log = (["--log-file", os.path.join(svc.logdir, "out.log"), "--log-max-size", "10M",
                "--log-keep", "100"] if svc.logdir else [])
        self.run(self.exe, "start", "--name", svc.name, *self.opts, *log, "--", *svc.argv, env=self.env)

    def stop(self, svc):
        self.run(self.exe, "stop", svc.name, env=self.env)

    def declared_pids(self, svcs):
        return daemonkit_pids(self.state_dir, svcs)

    def write_up_file(self, svcs):
        # respawn = "always" as supervisord's autorestart=true; chdir as its directory=
        q = json.dumps  # a JSON string of these ASCII paths is a TOML basic string
        text = "[defaults]\nrespawn = \"always\"\n" + "".join(
            f"{k} = {q(v)}\n" for k, v in self.file_keys.items())
        for s in svcs:
            text += (f"\n[services.{s.name}]\ncommand = [{', '.join(q(a) for a in s.argv)}]\n"
                     f"chdir = {q(s.dir)}\n")
        self.file = os.path.join(self.tmp, "daemonkit.toml")
        write_file(self.file, text)
        return text

    def up_all(self, svcs):
        self.run(self.exe, "up", "-f", self.file, env=self.env)

    def check_up(self, svcs):
        # status -f: the worst LSB code of the file's services, 0 when every one is running
        r = subprocess.run([self.exe, "status", "-f", self.file], env=self.env, capture_output=True,
                           text=True)
        self.bench.record(self, "check", [self.exe, "status", "-f", self.file])
        running = r.stdout.count(": running")
        if r.returncode != 0 or running != len(svcs):
            return f"status -f: exit {r.returncode}, {running} of {len(svcs)} running"
        return None

    def down_all(self, svcs):
        self.run(self.exe, "down", "-f", self.file, env=self.env)


class DaemonkitNotify(Daemonkit):
    """start waits for the service's READY=1 (svc sends it right after its ready record), so a start that
    returns before ready is a defect here; with the default exec readiness it is not."""
    name = "daemonkit --ready notify"
    key = "daemonkit-notify"
    opts = ("--ready", "notify")
    file_keys = {"ready": "notify"}
    logs = False
    many = False


class DaemonkitRespawn(Daemonkit):
    name = "daemonkit --respawn"
    key = "daemonkit-respawn"
    opts = ("--respawn",)
    respawns = True
    logs = False
    up_file = False  # up100's file already has respawn = "always"


class DaemonkitRun(Tini):
    """The same monitor in the foreground, spawned by the driver like tini; stop = TERM to it."""
    name = "daemonkit run (foreground)"
    key = "daemonkit-run"
    pkg = None

    def version(self):
        return Daemonkit.version(self)

    def start(self, svc):
        d = svc.state["dkdir"] = self.mkdir("dkrun-" + svc.name)
        os.chmod(d, 0o700)
        svc.state["p"] = self.spawn(daemonkit_bin(), "run", "--name", svc.name, "--", *svc.argv,
                                    env=dict(os.environ, DAEMONKIT_STATE_DIR=d,
                                             DAEMONKIT_LOG_DIR=self.mkdir("dkrun-logs")))

    def declared_pids(self, svcs):
        out = set()
        for s in svcs:
            out |= daemonkit_pids(s.state["dkdir"], [s])
        return out


# ---- service-directory supervisors


def svdir(scan, svc, logrun=None):
    d = os.path.join(scan, svc.name)
    os.makedirs(d)
    write_file(os.path.join(d, "run"), "#!/bin/sh\nexec " + shlex.join(svc.argv) + "\n", exe=True)
    write_file(os.path.join(d, "down"), "")
    if svc.logdir and logrun:
        os.makedirs(os.path.join(d, "log"))
        write_file(os.path.join(d, "log", "run"), "#!/bin/sh\nexec " + logrun + "\n", exe=True)
    svc.state["dir"] = d
    return d


def logs_ready(svcs):
    return all(os.path.exists(os.path.join(s.logdir, "lock")) for s in svcs if s.logdir)


class Runit(Adapter):
    name = "runit (runsvdir+runsv; sv)"
    key = "runit"
    pkg = "runit"
    respawns = logs = persistent = many = True
    sv = ("sv",)

    def setup(self, svcs):
        scan = self.mkdir("service")
        for s in svcs:
            svdir(scan, s, f"svlogd {shlex.quote(s.logdir)}" if s.logdir else None)
            if s.logdir:
                write_file(os.path.join(s.logdir, "config"), "s10000000\nn100\n")
        self.scan = scan
        self.runsvdir = self.spawn("runsvdir", "-P", scan)
        if not wait_for(lambda: all(os.path.exists(s.state["dir"] + "/supervise/stat")
                                    for s in svcs) and logs_ready(svcs), 60):
            raise CmdError("runsv did not come up")

    def start(self, svc):
        self.run(*self.sv, "up", svc.state["dir"])

    def stop(self, svc):
        self.run(*self.sv, "down", svc.state["dir"])

    def start_many(self, svcs):
        self.run(*self.sv, "up", *[s.state["dir"] for s in svcs])

    def stop_many(self, svcs):
        self.run(*self.sv, "down", *[s.state["dir"] for s in svcs])

    def teardown(self):
        # runsvdir(8): on HUP it sends TERM to each runsv and exits; on TERM it exits alone, leaving them
        if self.runsvdir.poll() is None:
            self.runsvdir.send_signal(signal.SIGHUP)
        try:
            self.runsvdir.wait(5)
        except subprocess.TimeoutExpired:
            pass
        wait_for(lambda: not [p for p in descendants() if (proc_stat(p) or ("Z",))[0] != "Z"], 5)


class RunitWait(Runit):
    name = "runit (sv -w30 -v: waits)"
    key = "runit-wait"
    only = {"startstop", "quickstop", "termignore"}
    sv = ("sv", "-w", "30", "-v")


class S6(Adapter):
    name = "s6 (s6-svscan+s6-supervise; s6-svc)"
    key = "s6"
    pkg = "s6"
    respawns = logs = persistent = many = True
    up, down = ("-u",), ("-d",)

    def setup(self, svcs):
        scan = self.mkdir("scan")
        for s in svcs:
            svdir(scan, s, f"s6-log n100 s10000000 {shlex.quote(s.logdir)}" if s.logdir else None)
        self.spawn("s6-svscan", scan)
        if not wait_for(lambda: all(os.path.exists(s.state["dir"] + "/supervise/status")
                                    for s in svcs) and logs_ready(svcs), 60):
            raise CmdError("s6-supervise did not come up")

    def start(self, svc):
        self.run("s6-svc", *self.up, svc.state["dir"])

    def stop(self, svc):
        self.run("s6-svc", *self.down, svc.state["dir"])


class S6Wait(S6):
    name = "s6 (s6-svc -wu/-wd: waits)"
    key = "s6-wait"
    only = {"startstop", "quickstop", "termignore"}
    up, down = ("-wu", "-u"), ("-wd", "-d")


class Daemontools(Adapter):
    name = "daemontools (svscan+supervise; svc)"
    key = "daemontools"
    pkg = "daemontools"
    respawns = logs = persistent = many = True

    def setup(self, svcs):
        scan = self.mkdir("service")
        for s in svcs:
            svdir(scan, s, f"multilog s10000000 n100 {shlex.quote(s.logdir)}" if s.logdir else None)
        self.svcs = svcs
        self.svscan = self.spawn("svscan", scan)
        if not wait_for(lambda: all(os.path.exists(s.state["dir"] + "/supervise/status")
                                    for s in svcs) and logs_ready(svcs), 60):
            raise CmdError("supervise did not come up")

    def start(self, svc):
        self.run("svc", "-u", svc.state["dir"])

    def stop(self, svc):
        self.run("svc", "-d", svc.state["dir"])

    def teardown(self):
        self.op = "teardown"
        self.svscan.send_signal(signal.SIGTERM)  # else it restarts supervise within 5 s
        self.svscan.wait(5)
        dirs = [s.state["dir"] for s in self.svcs]
        dirs += [d + "/log" for d in dirs if os.path.isdir(d + "/log")]
        self.run("svc", "-dx", *dirs, ok=(0, 111))
        wait_for(lambda: not descendants(), 5)


SUPERVISORD_CONF = """[unix_http_server]
file={tmp}/supervisor.sock
[supervisord]
logfile={tmp}/supervisord.log
pidfile={tmp}/supervisord.pid
childlogdir={tmp}/childlog
user=root
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[supervisorctl]
serverurl=unix://{tmp}/supervisor.sock
"""


class Supervisord(Adapter):
    name = "supervisord (supervisorctl)"
    key = "supervisord"
    pkg = "supervisor"
    respawns = logs = persistent = many = up_file = True
    startsecs = None  # None: supervisord's default (1 s)

    def setup(self, svcs):
        conf = SUPERVISORD_CONF.format(tmp=self.tmp)
        self.mkdir("childlog")
        for s in svcs:
            conf += f"[program:{s.name}]\ncommand={shlex.join(s.argv)}\ndirectory={s.dir}\n"
            conf += "autostart=false\nautorestart=true\n"
            if self.startsecs is not None:
                conf += f"startsecs={self.startsecs}\n"
            if s.logdir:
                conf += (f"stdout_logfile={s.logdir}/out.log\nstdout_logfile_maxbytes=10MB\n"
                         "stdout_logfile_backups=100\n")
        self.conf = os.path.join(self.tmp, "supervisord.conf")
        write_file(self.conf, conf)
        self.spawn("supervisord", "-n", "-c", self.conf)
        if not wait_for(lambda: subprocess.run(
                ["supervisorctl", "-c", self.conf, "pid"], capture_output=True,
                text=True).stdout.strip().isdigit(), 60, 0.05):
            raise CmdError("supervisord did not come up")

    def ctl(self, *a):
        self.run("supervisorctl", "-c", self.conf, *a)

    def start(self, svc):
        self.ctl("start", svc.name)

    def stop(self, svc):
        self.ctl("stop", svc.name)

    def start_many(self, svcs):
        self.ctl("start", "all")

    def stop_many(self, svcs):
        self.ctl("stop", "all")

    # up100: supervisord itself is started by setup(), before the timer, as its daemon is persistent
    def write_up_file(self, svcs):
        with open(self.conf) as f:
            return f.read()

    def up_all(self, svcs):
        # `start all` waits until every program is RUNNING: up startsecs, or at once with startsecs=0
        self.ctl("start", "all")

    def check_up(self, svcs):
        r = subprocess.run(["supervisorctl", "-c", self.conf, "status"], capture_output=True, text=True)
        self.bench.record(self, "check", ["supervisorctl", "-c", self.conf, "status"])
        running = sum(1 for line in r.stdout.splitlines() if " RUNNING " in line)
        if running != len(svcs):
            return f"supervisorctl status: {running} of {len(svcs)} RUNNING (exit {r.returncode})"
        return None

    def down_all(self, svcs):
        self.ctl("stop", "all")


class SupervisordStartsecs0(Supervisord):
    """startsecs=0: a program is RUNNING as soon as it is spawned, so `start all` waits for no second
    of uptime: supervisord's fastest `start all`."""
    name = "supervisord, startsecs=0"
    key = "supervisord-0"
    startsecs = 0
    only = {"up100"}


ADAPTERS = [BaseSubprocess, BaseShExec, BaseCRespawn, BaseRedirect, BaseCat,
            StartStopDaemon, StartStopDaemonNoWait, Daemonize, PythonDaemon, Tini, DumbInit,
            Daemon, DaemonRespawn, DaemonRespawnA100,
            Runit, RunitWait, S6, S6Wait, Daemontools, Supervisord, SupervisordStartsecs0]
DAEMONKIT_ADAPTERS = [Daemonkit, DaemonkitNotify, DaemonkitRespawn, DaemonkitRun]
ALL_ADAPTERS = ADAPTERS + DAEMONKIT_ADAPTERS
if daemonkit_bin():
    ADAPTERS += DAEMONKIT_ADAPTERS

# --------------------------------------------------------------------------- scenarios


def summ(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"n": len(xs), "med": statistics.median(xs), "min": min(xs), "max": max(xs)}


class Bench:
    def __init__(self, args):
        self.args = args
        self.root = tempfile.mkdtemp(prefix="daemonbench-")
        self.errlog = os.path.join(self.root, "tools-stderr.log")
        self.cmds = {}  # adapter name -> {op: [cmd strings]}
        self.res = {}   # scenario -> adapter name -> dict
        self.up_files = {}  # up100: adapter name -> the file it wrote (last cycle)

    def record(self, ad, op, argv):
        s = shlex.join(argv).replace(SVC, "$SVC").replace(self.root, "$T")
        lst = self.cmds.setdefault(ad.name, {}).setdefault(op, [])
        if s not in lst and len(lst) < 3:
            lst.append(s)

    def log(self, *a):
        print(*a, flush=True)

    def scenario(self, cls, scen):
        """Context: fresh temp dir + adapter; teardown + sweep afterwards."""
        ad = cls(self)
        ad.tmp = tempfile.mkdtemp(prefix=f"{scen}-", dir=self.root)
        return ad

    def finish(self, ad, svcs, scen):
        ad.op = "teardown"
        try:
            ad.teardown()
        except Exception as e:  # noqa: BLE001
            self.log(f"   teardown error: {e}")
        left = sweep()
        for s in svcs:
            s.fifo.close()
        shutil.rmtree(ad.tmp, ignore_errors=True)
        if left:
            self.res.setdefault("leftovers", {}).setdefault(ad.name, {})[scen] = left
        return left

    # ---- primitives
    def wait_ready(self, svc, timeout, th=None):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            t, pid = svc.fifo.wait(0.05)  # t = when poll() returned: exact to the slice
            if t is not None:
                return t, pid
            if th is not None and th.exc is not None:
                break
        return None, None

    def do_start(self, ad, svc, timeout=15):
        """-> (t0, t_ret, t_ready, ready_at_return); sets svc.pid. ready_at_return: the ready record had
        been written when start returned (checked by the starting thread right after, not by clocks)."""
        svc.fifo.drain()
        ad.op = "start"
        th = Timed(ad.start, svc, after=svc.fifo.seen)
        t_ready, pid = self.wait_ready(svc, timeout, th)
        th.done()
        if th.exc:
            raise CmdError(f"start: {th.exc}")
        if t_ready is None:
            raise CmdError(f"start: no ready record within {timeout} s")
        svc.pid = pid
        return th.t0, th.t1, t_ready, th.after_result

    def do_stop(self, ad, svc, timeout=15):
        """-> (thread, t_gone, t_all_gone). thread.after_result: the service had exited when stop returned
        (checked by the stopping thread right after, on the pidfd)."""
        tool = [] if ad.persistent else ancestors(svc.pid)
        fds = [pidfd(svc.pid)] + [pidfd(a) for a in tool]
        ad.op = "stop"
        th = Timed(ad.stop, svc, after=lambda: fds[0] is None or readable(fds[0]))
        t_gone = wait_fd(fds[0], timeout)
        reap()  # as init would: a tool that polls kill(pid, 0) must not see our unreaped zombie
        t_all = t_gone
        for fd in fds[1:]:
            t = wait_fd(fd, 5)
            reap()
            t_all = None if (t is None or t_all is None) else max(t_all, t)
        th.done()
        for fd in fds:
            if fd is not None:
                os.close(fd)
        return th, t_gone, t_all

    # ---- a/b: start + stop
    def startstop(self, cls, scen, settle, reps, warm=1):
        """One round: setup, warm + reps start/stop cycles, teardown. -> raw lists (see summarize_startstop)."""
        ad = self.scenario(cls, scen)
        svc = Svc(ad.tmp, "s0", "ready")
        r = {k: [] for k in ("start_ready", "start_ret", "stop_gone", "stop_ret", "stop_allgone",
                             "ret_after_gone")}
        r["ret_before_ready"] = r["ret_before_gone"] = 0
        errs = []
        try:
            ad.setup([svc])
            for i in range(reps + warm):
                try:
                    t0, t1, tr, ready_at_ret = self.do_start(ad, svc)
                except CmdError as e:
                    errs.append(str(e))
                    if svc.pid:
                        try:
                            os.kill(svc.pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
                    if len(errs) > 5:
                        break
                    continue
                time.sleep(settle)
                th, tg, ta = self.do_stop(ad, svc)
                if th.exc or tg is None:
                    errs.append(f"stop: {th.exc or 'service still alive 15 s after stop'}")
                    try:
                        os.kill(svc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                elif i >= warm:
                    r["start_ready"].append((tr - t0) / MS)
                    r["start_ret"].append((t1 - t0) / MS)
                    r["ret_before_ready"] += not ready_at_ret
                    r["stop_gone"].append((tg - th.t0) / MS)
                    r["stop_ret"].append((th.t1 - th.t0) / MS)
                    r["ret_after_gone"].append((th.t1 - tg) / MS)
                    r["ret_before_gone"] += not th.after_result
                    if ta is not None:
                        r["stop_allgone"].append((ta - th.t0) / MS)
                time.sleep(0.2)
                reap()
        except CmdError as e:
            errs.append(str(e))
        finally:
            self.finish(ad, [svc], scen)
        r["errors"] = errs
        return r

    # ---- c: respawn
    def respawn(self, cls, scen, settle, reps, timeout):
        lat, errs, timeouts = [], [], 0
        ad = svc = None

        def fresh():
            a = self.scenario(cls, scen)
            s = Svc(a.tmp, "s0", "ready")
            a.setup([s])
            self.do_start(a, s)
            return a, s
        try:
            ad, svc = fresh()
            for i in range(reps):
                time.sleep(settle)
                svc.fifo.drain()
                t0 = now()
                os.kill(svc.pid, signal.SIGKILL)
                t, pid = svc.fifo.wait(timeout)
                if t is None:
                    timeouts += 1
                    self.finish(ad, [svc], scen + "-recover")
                    self.res.get("leftovers", {}).get(ad.name, {}).pop(scen + "-recover", None)
                    ad, svc = fresh()
                    continue
                lat.append((t - t0) / MS)
                svc.pid = pid
                reap()
            try:
                self.do_stop(ad, svc)
            except Exception as e:  # noqa: BLE001
                errs.append(f"stop: {e}")
        except CmdError as e:
            errs.append(str(e))
        finally:
            if ad:
                self.finish(ad, [svc], scen)
        return {"lat": summ(lat), "all": [round(x, 2) for x in lat], "timeouts": timeouts,
                "timeout_s": timeout, "errors": errs}

    # ---- d/e: footprint + idle wakeups
    def footprint(self, cls, n, window):
        scen = f"fp{n}"
        ad = self.scenario(cls, scen)
        svcs = [Svc(ad.tmp, f"s{i}", "ready") for i in range(n)]
        out = {"errors": []}
        try:
            ad.setup(svcs)
            ad.op = "start"
            th = Timed(ad.start_many, svcs)
            for s in svcs:
                t, s.pid = self.wait_ready(s, 60, th)
                if t is None:
                    raise CmdError(f"{s.name} not ready in 60 s ({th.exc})")
            th.done()
            time.sleep(1.0)
            pids = resident([s.pid for s in svcs])
            declared = ad.declared_pids(svcs)
            if declared is not None:
                out["declared"] = len(declared)
                out["declared_agree"] = declared == set(pids)
                if declared != set(pids):
                    out["errors"].append(f"found by ancestry {len(pids)} procs, tool declares "
                                         f"{len(declared)}: only by ancestry "
                                         f"{sorted(set(pids) - declared)[:5]}, only declared "
                                         f"{sorted(declared - set(pids))[:5]}")
                    pids = sorted(set(pids) | declared)  # count both: each is a process of the tool
            tot = {"rss": 0, "pss": 0, "uss": 0}
            per = {}
            for p in pids:
                m = smaps(p)
                c = per.setdefault(proc_comm(p), {"count": 0, "rss": 0, "pss": 0, "uss": 0})
                c["count"] += 1
                for k in tot:
                    tot[k] += m[k]
                    c[k] += m[k]
            c0 = {p: ctxsw(p) for p in pids}
            u0 = {p: (proc_stat(p) or (0, 0, 0))[2] for p in pids}
            if pids:
                time.sleep(window)
            ctx = sum(ctxsw(p) - c0[p] for p in pids)
            cpu = sum((proc_stat(p) or (0, 0, u0[p]))[2] - u0[p] for p in pids)
            out.update(procs=len(pids), per=per, ctx=ctx, cpu_ms=cpu * 1000 / os.sysconf("SC_CLK_TCK"),
                       window=window, **tot)
            fds = [pidfd(s.pid) for s in svcs]
            ad.op = "stop"
            # in a thread, with the driver reaping meanwhile as init would: a stop that waits for the
            # pid to vanish (start-stop-daemon --retry) must not wait on our unreaped zombie
            th = Timed(ad.stop_many, svcs)
            for fd in fds:
                gone = wait_fd(fd, 15)
                reap()
                if gone is None:
                    out["errors"].append("a service survived stop for 15 s")
                    break
            while th.is_alive():
                th.join(0.05)
                reap()
            if th.exc:
                out["errors"].append(f"stop: {th.exc}")
            for fd in fds:
                if fd is not None:
                    os.close(fd)
        except (CmdError, OSError) as e:
            out["errors"].append(str(e))
        finally:
            self.finish(ad, svcs, scen)
        return out

    # ---- stop of a service that ignores SIGTERM
    def termignore(self, cls, cap):
        ad = self.scenario(cls, "termignore")
        svc = Svc(ad.tmp, "s0", "ignore-term")
        out = {"cap": cap, "errors": []}
        th = None
        try:
            ad.setup([svc])
            self.do_start(ad, svc)
            time.sleep(1.5)
            tool = ancestors(svc.pid)
            fd = pidfd(svc.pid)
            ad.op = "stop"
            th = Timed(ad.stop, svc)
            tg = wait_fd(fd, cap)
            reap()
            if fd is not None:
                os.close(fd)
            th.join(max(0.0, cap - (now() - th.t0) / 1e9) if tg is None else 2 * cap)
            out["gone"] = (tg - th.t0) / MS if tg else None
            out["ret"] = (th.t1 - th.t0) / MS if th.t1 else None
            out["exc"] = str(th.exc) if th.exc else None
            out["tool_alive"] = [proc_comm(p) for p in tool if (proc_stat(p) or ("Z",))[0] != "Z"]
        except CmdError as e:
            out["errors"].append(str(e))
        finally:
            self.finish(ad, [svc], "termignore")
            if th:
                th.join(5)
                if th.t1 and out.get("ret") is None:
                    out["ret_note"] = f"still blocked at {cap} s (ended by the sweep)"
        return out

    # ---- f: log capture throughput
    def logtest(self, cls, nlines, reps, cap):
        """reps runs, each with its own setup. -> raw lists (see summarize_log)."""
        expected = nlines * 100
        tot, rate, first, errs, short = [], [], [], [], []
        for rep in range(reps):
            ad = self.scenario(cls, "log")
            svc = Svc(ad.tmp, "s0", "spew", nlines)
            svc.logdir = ad.mkdir("logs")
            try:
                ad.setup([svc])
                ad.op = "start"
                tstart = now()
                th = Timed(ad.start, svc)
                t_first = t_done = None
                b = 0
                while True:
                    b = dir_bytes(svc.logdir)
                    t = now()
                    if b and t_first is None:
                        t_first = t
                    if b >= expected:
                        t_done = t
                        break
                    if t - tstart > cap * 1e9 or th.exc:
                        break
                    time.sleep(0.005)
                th.done()
                if th.exc:
                    raise CmdError(str(th.exc))
                t0 = th.t0
                if t_done is None:
                    short.append(f"{b}/{expected} bytes after {cap} s")
                    rate.append(b / 1e6 / ((now() - t0) / 1e9))
                else:
                    tot.append((t_done - t0) / 1e9)
                    rate.append(expected / 1e6 / ((t_done - t0) / 1e9))
                    first.append((t_first - t0) / MS)
                t, svc.pid = svc.fifo.wait(1)
                ad.op = "stop"
                if svc.pid:
                    try:
                        self.do_stop(ad, svc)
                    except Exception as e:  # noqa: BLE001
                        errs.append(f"stop: {e}")
            except CmdError as e:
                errs.append(str(e))
            finally:
                self.finish(ad, [svc], "log")
        return {"tot": tot, "rate": rate, "first": first, "short": short, "errors": errs}


    # ---- up100: many services with one command, beside supervisord's `start all`
    def wait_all_ready(self, svcs, timeout, th=None):
        """Poll every ready FIFO at once. -> (t_ns of the last service's first byte, or None when not
        all came within timeout; sets each svc.pid). Each time is when poll() returned: exact to the slice."""
        p = select.poll()
        by_fd = {}
        for s in svcs:
            s.pid = None
            p.register(s.fifo.fd, select.POLLIN)
            by_fd[s.fifo.fd] = s
        last = None
        left = len(svcs)
        end = time.monotonic() + timeout
        while left:
            wait = end - time.monotonic()
            if wait <= 0 or (th is not None and th.exc is not None):
                return None
            ev = p.poll(min(wait, 0.05) * 1000)
            t = now()
            for fd, _ in ev:
                s = by_fd[fd]
                pid = s.fifo.take_record()
                if pid is not None and s.pid is None:
                    s.pid = pid
                    left -= 1
                    last = t
                    p.unregister(fd)
        return last

    def up_cycle(self, cls, n, settle):
        """setup (supervisord starts here, before the timer) -> up_all timed -> every ready record in ->
        the tool's own status says all running -> settle -> footprint of its resident processes ->
        down_all timed -> teardown."""
        ad = self.scenario(cls, "up100")
        svcs = [Svc(ad.tmp, f"s{i}", "ready") for i in range(n)]
        out = {"errors": []}
        try:
            ad.setup(svcs)
            self.up_files[cls.name] = ad.write_up_file(svcs)
            ad.op = "up"
            th = Timed(ad.up_all, svcs)
            t_ready = self.wait_all_ready(svcs, 120, th)
            th.done(120)
            if th.exc:
                raise CmdError(f"up: {th.exc}")
            if t_ready is None:
                got = sum(1 for s in svcs if s.pid)
                raise CmdError(f"up: {got} of {n} ready records within 120 s")
            out["ret"] = (th.t1 - th.t0) / MS
            out["ready"] = (t_ready - th.t0) / MS
            ad.op = "check"
            why = ad.check_up(svcs)
            if why:
                raise CmdError(why)
            time.sleep(settle)
            pids = resident([s.pid for s in svcs])
            declared = ad.declared_pids(svcs)
            if declared is not None:
                out["declared_agree"] = declared == set(pids)
                if declared != set(pids):
                    out["errors"].append(f"found by ancestry {len(pids)} procs, tool declares "
                                         f"{len(declared)}")
                    pids = sorted(set(pids) | declared)
            tot = {"rss": 0, "pss": 0, "uss": 0}
            per = {}
            for pid in pids:
                m = smaps(pid)
                c = per.setdefault(proc_comm(pid), {"count": 0, "rss": 0, "pss": 0, "uss": 0})
                c["count"] += 1
                for k in tot:
                    tot[k] += m[k]
                    c[k] += m[k]
            out.update(procs=len(pids), per=per, **tot)
            fds = [pidfd(s.pid) for s in svcs]
            tool = [pidfd(p) for p in pids] if not ad.persistent else []
            ad.op = "down"
            th = Timed(ad.down_all, svcs)
            for fd in fds:
                if wait_fd(fd, 30) is None:
                    out["errors"].append("a service survived down for 30 s")
                    break
                reap()
            while th.is_alive():
                th.join(0.05)
                reap()
            if th.exc:
                out["errors"].append(f"down: {th.exc}")
            else:
                out["down"] = (th.t1 - th.t0) / MS
            for fd in tool:
                if wait_fd(fd, 5) is None:
                    out["errors"].append("a monitor or keeper outlived down by 5 s")
                    break
                reap()
            for fd in fds + tool:
                if fd is not None:
                    os.close(fd)
        except (CmdError, OSError, subprocess.TimeoutExpired) as e:
            out["errors"].append(str(e))
        finally:
            self.finish(ad, svcs, "up100")
        return out


def merge(a, b):
    """Raw results of two rounds of one adapter: lists concatenated, counts added."""
    if a is None:
        return b
    return {k: a[k] + b[k] for k in a}


def summarize_startstop(r):
    out = {k: summ(v) for k, v in r.items() if isinstance(v, list) and k != "errors"}
    gaps = [g - s for s, g in zip(r["stop_ret"], r["stop_gone"]) if g > s]
    out.update(n=len(r["start_ready"]), ret_before_ready=r["ret_before_ready"],
               ret_before_gone=r["ret_before_gone"], early_gap=summ(gaps), errors=r["errors"])
    return out


def summarize_log(r, nlines):
    return {"total_s": summ(r["tot"]), "mbps": summ(r["rate"]), "first_ms": summ(r["first"]),
            "bytes": nlines * 100, "short": r["short"], "errors": r["errors"]}


def dir_bytes(d):
    tot = 0
    try:
        names = os.listdir(d)
    except OSError:
        return 0
    for n in names:
        if n == "current" or n.startswith("@") or n.startswith("out.log"):
            try:
                tot += os.stat(os.path.join(d, n)).st_size
            except FileNotFoundError:
                pass
    return tot


# --------------------------------------------------------------------------- report

SCENARIOS = ["startstop", "quickstop", "respawn", "rapid", "fp1", "fp100", "termignore", "log", "up100"]
UP_SCENARIOS = ("up100",)  # reported in their own file (--up-out), not in --out


def applicable(cls, scen):
    if cls.only is not None:
        return scen in cls.only and (scen not in ("respawn", "rapid") or cls.respawns)
    if scen in ("respawn", "rapid"):
        return cls.respawns
    if scen == "fp100":
        return cls.many
    if scen == "log":
        return cls.logs
    if scen == "termignore":
        return "ignore-term" in cls.modes
    if scen == "up100":
        return cls.up_file
    return True


def fmt(x):
    if x is None:
        return "–"
    if abs(x) < 1:
        return f"{x:.3f}"
    if abs(x) < 10:
        return f"{x:.2f}"
    if abs(x) < 100:
        return f"{x:.1f}"
    return f"{x:.0f}"


def fs(s):
    return "–" if not s else f"{fmt(s['med'])} [{fmt(s['min'])}–{fmt(s['max'])}]"


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def errs(r):
    e = r.get("errors") or []
    return "" if not e else f"{len(e)} err: {e[0][:80]}"


def adapter_name(key):
    return next((c.name for c in ALL_ADAPTERS if c.key == key), key)


def med(R, scen, key, field):
    v = R.get(scen, {}).get(adapter_name(key), {}).get(field)
    if isinstance(v, dict):
        return v.get("med")
    return v


def targets(R):
    """The issue's targets for daemonkit, each from two figures of this run. -> list of dicts
    {target, value, ref, ratio, limit, ok}; ok is None when a figure is missing."""
    out = []

    def add(target, a, b, limit, cmp, fa=fmt, fb=fmt, ratio=True):
        ok = None
        r = None
        if a is not None and b is not None:
            if ratio:
                r = a / b if b else None
                ok = None if r is None else cmp(r, limit)
            else:
                ok = cmp(a, limit)
        out.append({"target": target, "value": "–" if a is None else fa(a),
                    "ref": "–" if b is None else fb(b), "ratio": r,
                    "limit": limit, "ok": ok, "is_ratio": ratio})

    le = lambda x, y: x <= y  # noqa: E731
    lt = lambda x, y: x < y  # noqa: E731
    ge = lambda x, y: x >= y  # noqa: E731
    ms = lambda x: f"{fmt(x)} ms"  # noqa: E731
    kib = lambda n: (lambda x: f"{x} KiB ({x / n:.0f}/svc)" if n > 1 else f"{x} KiB")  # noqa: E731
    add("`start --ready notify` ret ÷ fork+exec start→ready ≤ 1.5",
        med(R, "startstop", "daemonkit-notify", "start_ret"), med(R, "startstop", "popen", "start_ready"),
        1.5, le, ms, ms)
    n = med(R, "startstop", "daemonkit-notify", "n")
    early = med(R, "startstop", "daemonkit-notify", "ret_before_ready")
    out.append({"target": "`start --ready notify` returned before the service was ready: 0 of N",
                "value": "–" if not n else f"{early} of {n}", "ref": "", "ratio": None, "limit": 0,
                "ok": None if not n else early == 0, "is_ratio": False})
    add("exec-readiness `start` ret ÷ `--ready notify` start ret ≤ 1",
        med(R, "startstop", "daemonkit", "start_ret"), med(R, "startstop", "daemonkit-notify", "start_ret"),
        1.0, le, ms, ms)
    add("`stop` ret − service gone (median per rep) ≤ 0.5 ms",
        med(R, "startstop", "daemonkit", "ret_after_gone"), 0.5, 0.5, le, ms, ms, ratio=False)
    add("`stop`→gone ÷ baseline kill→gone ≤ 1.5",
        med(R, "startstop", "daemonkit", "stop_gone"), med(R, "startstop", "popen", "stop_gone"),
        1.5, le, ms, ms)
    add("`--respawn`: respawn after a 1.5 s run ÷ C fork/exec loop ≤ 1.2",
        med(R, "respawn", "daemonkit-respawn", "lat"), med(R, "respawn", "c-respawn", "lat"), 1.2, le, ms, ms)
    for scen, n in (("fp1", 1), ("fp100", 100)):
        for anchor, cmp, limit, word in (("runit", le, 1.0, "≤"), ("s6", lt, 1.0, "<")):
            add(f"PSS of {n} service{'s' * (n > 1)} (monitor + keeper) ÷ {anchor}'s {word} 1",
                med(R, scen, "daemonkit", "pss"), med(R, scen, anchor, "pss"), limit, cmp, kib(n), kib(n))
    add("`run` PSS ÷ tini's ≤ 1", med(R, "fp1", "daemonkit-run", "pss"), med(R, "fp1", "tini", "pss"),
        1.0, le, kib(1), kib(1))
    add("log capture MB/s ÷ `svc > file` ≥ 0.9", med(R, "log", "daemonkit", "mbps"),
        med(R, "log", "redirect", "mbps"), 0.9, ge, lambda x: f"{fmt(x)} MB/s", lambda x: f"{fmt(x)} MB/s")
    wake = []
    for key in ("daemonkit", "daemonkit-notify", "daemonkit-respawn", "daemonkit-run"):
        for scen in ("fp1", "fp100"):
            c = med(R, scen, key, "ctx")
            if c is not None:
                wake.append((f"{key} {scen}", c))
    out.append({"target": "idle wakeups (context switches in the footprint window) = 0",
                "value": ", ".join(f"{k}: {c}" for k, c in wake) or "–", "ref": "", "ratio": None,
                "limit": 0, "ok": None if not wake else all(c == 0 for _, c in wake), "is_ratio": False})
    return out


def render_targets(T):
    rows = []
    for t in T:
        res = "–" if t["ok"] is None else ("PASS" if t["ok"] else "**FAIL**")
        rows.append([t["target"], t["value"], t["ref"], "" if t["ratio"] is None else f"{t['ratio']:.2f}",
                     res])
    passed = sum(1 for t in T if t["ok"])
    return [f"{passed} of {len(T)} pass. Medians of this run; `–`: a figure is missing "
            "(adapter or scenario not run, or it failed).", "",
            table(["target", "daemonkit", "reference", "ratio", "result"], rows)]


def render(b, versions, env):
    R = b.res
    a = b.args
    md = ["# daemonkit beside baselines and anchors", "",
          f"Generated by `bench/bench.py` ({env['command']}) on {env['date']}.", "",
          table(["", ""], [["machine", env["machine"]], ["kernel", env["kernel"]], ["OS", env["os"]],
                           ["load average", env["load"]],
                           ["daemonkit", env["daemonkit"]]]), "",
          "All latencies in **milliseconds**, shown as `median [min–max]` over the repetitions. "
          "Other jobs may share the machine: compare within this run (ratios), not across runs.",
          "Re-run: `sudo ./bench/run.sh` (see bench/bench.py's docstring for the method and the "
          "adapter interface).",
          "`up` of 100 services from one file beside supervisord's `start all` (issue 14, scenario "
          "`up100`): [results-up.md](results-up.md).", ""]
    if env.get("note"):
        md += [env["note"], ""]
    md += ["## Targets (issue 11)", ""] + render_targets(targets(R))
    md += ["", "## Tool versions", ""]
    md.append(table(["adapter", "version"], [[n, v] for n, v in versions.items()]))
    if "startstop" in R or "quickstop" in R:
        def spread(n):
            k = max(1, min(a.rounds, n))
            return f"{n} reps in {k} rounds of all tools, each round after 1 warm-up start/stop"
        for scen, title in (("startstop", f"Start / stop (stop issued {a.settle} s after ready; "
                                          f"{spread(a.reps)})"),
                            ("quickstop", f"Start / stop with stop issued right after ready "
                                          f"({spread(a.quick_reps)})")):
            if scen not in R:
                continue
            rows = []
            for n, r in R[scen].items():
                k = r.get("n", 0)
                rows.append([n, fs(r.get("start_ready")), fs(r.get("start_ret")),
                             f"{r.get('ret_before_ready', 0)}/{k}", fs(r.get("stop_gone")),
                             fs(r.get("stop_ret")),
                             f"{r.get('ret_before_gone', 0)}/{k}" + (
                                 f" (by {fmt(r['early_gap']['med'])})" if r.get("early_gap") else ""),
                             fs(r.get("ret_after_gone")), fs(r.get("stop_allgone")), errs(r)])
            md += ["", f"## {title}", "",
                   "`start→ready`: start invoked → service's ready byte. `start ret`: start command "
                   "returned. `ret<ready`: reps where start returned before the service had written its "
                   "ready record (judged by order: checked right after start returned). "
                   "`stop→gone`: stop invoked → service process exited (pidfd). `ret<gone`: reps "
                   "where the stop command returned while the service was still alive (judged by order; "
                   "median lead by the clocks). `ret−gone`: stop ret minus stop→gone, per rep. "
                   "`all gone`: service and the tool's own processes exited (non-persistent tools).", "",
                   table(["tool", "start→ready", "start ret", "ret<ready", "stop→gone", "stop ret",
                          "ret<gone", "ret−gone", "all gone", "errors"], rows)]
    if "respawn" in R or "rapid" in R:
        rows = []
        names = list(dict.fromkeys(list(R.get("respawn", {})) + list(R.get("rapid", {}))))
        for n in names:
            r1, r2 = R.get("respawn", {}).get(n, {}), R.get("rapid", {}).get(n, {})
            rows.append([n, fs(r1.get("lat")), f"{r1.get('timeouts', '–')}",
                         fs(r2.get("lat")), f"{r2.get('timeouts', '–')}",
                         " ".join(fmt(x) for x in r2.get("all", [])[:10]), errs(r1) or errs(r2)])
        md += ["", f"## Respawn after SIGKILL", "",
               f"`respawn`: service up ≥ 1.5 s, SIGKILL, → new instance ready ({a.respawn_reps} "
               f"kills in a row under one supervisor). `rapid`: crash loop, SIGKILL right after each "
               f"ready ({a.rapid_reps} kills). A timeout (> {a.respawn_timeout} s without a new "
               "instance) restarts the whole setup and continues.", "",
               table(["tool", "respawn", "timeouts", "rapid (crash loop)", "timeouts",
                      "rapid, in order", "errors"], rows)]
    if "fp1" in R or "fp100" in R:
        rows = []
        names = list(dict.fromkeys(list(R.get("fp1", {})) + list(R.get("fp100", {}))))
        for n in names:
            row = [n]
            for scen in ("fp1", "fp100"):
                r = R.get(scen, {}).get(n)
                if not r or "procs" not in r:
                    row += ["–"] * 6 if not r else [errs(r)] + ["–"] * 5
                    continue
                row += [r["procs"], r["rss"], r["pss"], r["uss"], r["ctx"], fmt(r["cpu_ms"])]
            r1 = R.get("fp1", {}).get(n, {})
            row.append(", ".join(f"{c}×{v['count']} {v['rss'] // max(1, v['count'])}/"
                                 f"{v['pss'] // max(1, v['count'])}"
                                 for c, v in r1.get("per", {}).items()))
            rows.append(row)
        md += ["", "## Supervisor footprint and idle wakeups", "",
               "Processes of the tool that stay resident (the topmost ancestor of the service below the "
               "driver and all its descendants but the service's own subtree), summed. RSS/PSS/USS in KiB from /proc/PID/smaps_rollup (USS = "
               f"Private_Clean+Private_Dirty). `ctx`: voluntary+involuntary context switches of all "
               f"their threads during {a.window} s with the service idle; `cpu`: their CPU ms in that "
               "window. `per process (1 svc)`: comm×count RSS/PSS KiB each.", "",
               table(["tool", "procs 1", "RSS 1", "PSS 1", "USS 1", "ctx 1", "cpu 1",
                      "procs 100", "RSS 100", "PSS 100", "USS 100", "ctx 100", "cpu 100",
                      "per process (1 svc)"], rows)]
        for n in names:
            checks = [(scen, R.get(scen, {}).get(n, {})) for scen in ("fp1", "fp100")]
            checks = [(scen, r) for scen, r in checks if "declared_agree" in r]
            if checks:
                md.append("")
                md.append(f"{n}: the processes found by ancestry " + "; ".join(
                    f"{'are' if r['declared_agree'] else 'are NOT'} the {r['declared']} the tool declares "
                    f"({scen})" for scen, r in checks) + " (monitor_pid= and keeper_pid= in NAME.state).")
    if "termignore" in R:
        rows = []
        for n, r in R["termignore"].items():
            rows.append([n, fmt(r.get("ret")) if r.get("ret") is not None else
                         (r.get("ret_note") or f"> {r['cap']} s"),
                         fmt(r.get("gone")) if r.get("gone") is not None else f"alive at {r['cap']} s",
                         ", ".join(r.get("tool_alive", [])) or "none",
                         (r.get("exc") or "")[:90], errs(r)])
        md += ["", "## Stopping a service that ignores SIGTERM", "",
               "Service `svc ignore-term`; stop issued 1.5 s after ready; watched for up to "
               f"{R['termignore'][next(iter(R['termignore']))]['cap']} s. `tool alive`: the tool's "
               "processes still running when the service was gone or at the cap.", "",
               table(["tool", "stop ret (ms)", "service gone (ms)", "tool procs alive",
                      "stop error", "errors"], rows)]
    if "log" in R:
        rows = []
        for n, r in R["log"].items():
            rows.append([n, fs(r.get("total_s")), fs(r.get("mbps")), fs(r.get("first_ms")),
                         "; ".join(r.get("short", [])) or "all bytes", errs(r)])
        md += ["", "## Log capture throughput", "",
               f"`svc spew {a.lines}` ({a.lines * 100 / 1e6:.0f} MB, 100-byte lines, 64 KiB writes) "
               "through the tool's log capture into files (rotation at 10 MB, 100 files kept, "
               f"no timestamps); {a.log_reps} reps spread over rounds of all tools. `total`: start invoked → all bytes in the "
               "log dir (s). `MB/s`: bytes / total. `first byte`: ms.", "",
               table(["tool", "total (s)", "MB/s", "first byte (ms)", "complete?", "errors"], rows)]
    if R.get("leftovers"):
        md += ["", "## Processes left running after the tool's own stop/teardown", "",
               "(killed by the driver's pid-targeted sweep)", ""]
        for n, d in R["leftovers"].items():
            for scen, left in d.items():
                md.append(f"- {n} / {scen}: {', '.join(left[:8])}")
    md += ["", "## Exact commands", "",
           "`$SVC` = bench/svc, `$T` = the run's private temp dir. Run scripts of runit/s6/"
           "daemontools are `#!/bin/sh` + `exec $SVC ...`; their log/run execs the logger shown "
           "in the setup line.", ""]
    for n, ops in b.cmds.items():
        md.append(f"- **{n}**")
        for op, lst in ops.items():
            for c in lst:
                md.append(f"  - {op}: `{c}`")
    return "\n".join(md) + "\n"


def choose(only):
    """Adapters named by --only (keys, else substrings of names), in ADAPTERS order."""
    if not only:
        return list(ADAPTERS)
    picked = set()
    for x in (x.strip() for x in only.split(",")):
        m = [c for c in ADAPTERS if c.key == x] or [c for c in ADAPTERS if x and x in c.name]
        if not m:
            why = (" (no daemonkit binary: build one or set DAEMONKIT_BIN)"
                   if any(x == c.key or x in c.name for c in DAEMONKIT_ADAPTERS) else "")
            sys.exit(f"bench.py: --only: no adapter {x!r}{why}; see --list")
        picked.update(m)
    return [c for c in ADAPTERS if c in picked]


def first_line(path, prefix):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1].strip()
    except (OSError, IndexError):
        pass
    return "?"


def git(*args):
    r = subprocess.run(["git", "-C", os.path.dirname(HERE), *args], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def daemonkit_env():
    """daemonkit's binary, version, build type and commit, for the header."""
    exe = daemonkit_bin()
    if not exe:
        return "not built: no daemonkit rows"
    version = Daemonkit.version(None)
    build_type = "?"
    d = os.path.dirname(exe)
    for _ in range(4):
        cache = os.path.join(d, "CMakeCache.txt")
        if os.path.exists(cache):
            build_type = first_line(cache, "CMAKE_BUILD_TYPE:") .split("=", 1)[-1] or "?"
            break
        d = os.path.dirname(d)
    commit = os.environ.get("DAEMONKIT_COMMIT")
    if not commit:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench")
        commit = (f"not known for this binary (DAEMONKIT_BIN given); the checkout is at {head}"
                  f"{'-dirty' if dirty else ''}" if os.environ.get("DAEMONKIT_BIN") else
                  f"{head}{'-dirty' if dirty else ''} (the checkout's HEAD; binary found under build*/)")
    return f"{version}, commit {commit}, build type {build_type}, binary {exe}"


def machine_env():
    u = os.uname()
    mem = first_line("/proc/meminfo", "MemTotal:").split()[0]
    mem = f"{int(mem) / 2**20:.1f} GiB" if mem.isdigit() else "?"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": f"{first_line('/proc/cpuinfo', 'model name')}, {os.cpu_count()} CPUs, {mem} RAM",
        "kernel": f"{u.sysname} {u.release} {u.version} {u.machine}",
        "os": f"{first_line('/etc/os-release', 'PRETTY_NAME=').strip(chr(34))}, Python {sys.version.split()[0]}",
        "daemonkit": daemonkit_env(),
        "command": shlex.join(["bench.py"] + sys.argv[1:]).replace(SVC, "$SVC"),
    }


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# Timed scenarios whose repetitions are spread over rounds: every adapter runs a share of its reps in
# each round (order reversed every other round), so a change of load on a shared machine during the
# run weighs on every adapter alike instead of on whichever ran at that moment.
ROUNDED = ("startstop", "quickstop", "log")


def run_rounds(b, a, scen, todo):
    nrep = {"startstop": a.reps, "quickstop": a.quick_reps, "log": a.log_reps}[scen]
    rounds = max(1, min(a.rounds, nrep))
    raw, took = {}, {}
    for k in range(rounds):
        share = nrep // rounds + (1 if k < nrep % rounds else 0)
        for c in (todo if k % 2 == 0 else todo[::-1]):
            t = time.monotonic()
            if scen == "log":
                part = b.logtest(c, a.lines, share, a.log_cap)
            else:
                part = b.startstop(c, scen, a.settle if scen == "startstop" else 0.0, share)
            raw[c.name] = merge(raw.get(c.name), part)
            took[c.name] = took.get(c.name, 0.0) + time.monotonic() - t
        b.log(f"[{scen:10s}] round {k + 1}/{rounds} done")
    for c in todo:
        if scen == "log":
            r = summarize_log(raw[c.name], a.lines)
            line = f"total {fs(r['total_s'])} s, {fs(r['mbps'])} MB/s {'; '.join(r['short'])}"
        else:
            r = summarize_startstop(raw[c.name])
            line = (f"start→ready {fs(r['start_ready'])} ret {fs(r['start_ret'])} | "
                    f"stop→gone {fs(r['stop_gone'])} ret {fs(r['stop_ret'])}")
        b.res.setdefault(scen, {})[c.name] = r
        b.log(f"[{scen:10s}] {c.name:40s} {line} {errs(r)} ({took[c.name]:.0f} s)")


def run_up(b, a, todo):
    """up100: one discarded warm-up cycle of each adapter, then --up-reps cycles each in rounds of all
    adapters (order reversed every other round), each cycle with its own setup."""
    raw = {c.name: [] for c in todo}
    warm_errors = {}
    for c in todo:
        r = b.up_cycle(c, a.up_n, a.up_settle)
        warm_errors[c.name] = [f"warm-up: {e}" for e in r["errors"]]
    b.log("[up100     ] warm-up done")
    for k in range(a.up_reps):
        for c in (todo if k % 2 == 0 else todo[::-1]):
            r = b.up_cycle(c, a.up_n, a.up_settle)
            raw[c.name].append(r)
            b.log(f"[up100     ]   {c.name:40s} ret {fmt(r.get('ret'))} ready {fmt(r.get('ready'))} "
                  f"down {fmt(r.get('down'))} pss {r.get('pss', '–')} {errs(r)}")
        b.log(f"[up100     ] round {k + 1}/{a.up_reps} done")
    for c in todo:
        reps = raw[c.name]
        r = {k: summ([x.get(k) for x in reps]) for k in ("ret", "ready", "down", "procs", "rss", "pss", "uss")}
        r["all_ret"] = [round(x["ret"], 1) for x in reps if "ret" in x]
        r["all_pss"] = [x["pss"] for x in reps if "pss" in x]
        r["per"] = next((x["per"] for x in reversed(reps) if "per" in x), {})
        agree = [x["declared_agree"] for x in reps if "declared_agree" in x]
        if agree:
            r["declared_agree"] = all(agree)
        r["errors"] = warm_errors[c.name] + [e for x in reps for e in x["errors"]]
        b.res.setdefault("up100", {})[c.name] = r
        b.log(f"[up100     ] {c.name:40s} ret {fs(r['ret'])} ready {fs(r['ready'])} down {fs(r['down'])} "
              f"pss {fs(r['pss'])} {errs(r)}")


def up_targets(R):
    """Issue 14's targets for `up` of 100 services, each a ratio of two medians of this run."""
    out = []

    def add(target, key, ref, field, limit, fmt_):
        a, b_ = med(R, "up100", key, field), med(R, "up100", ref, field)
        r = a / b_ if a is not None and b_ else None
        out.append({"target": target, "value": "–" if a is None else fmt_(a),
                    "ref": "–" if b_ is None else fmt_(b_), "ratio": r, "limit": limit,
                    "ok": None if r is None else r <= limit, "is_ratio": True})

    ms = lambda x: f"{fmt(x)} ms"  # noqa: E731
    kib = lambda x: f"{x:.0f} KiB"  # noqa: E731
    add("`up` (ready = exec, the default) ÷ `start all` with startsecs=1 (supervisord's default) ≤ 0.5",
        "daemonkit", "supervisord", "ret", 0.5, ms)
    add("`up` (ready = exec, the default) ÷ `start all` with startsecs=0 ≤ 0.5",
        "daemonkit", "supervisord-0", "ret", 0.5, ms)
    add("`up` with ready = \"notify\" ÷ `start all` with startsecs=0 ≤ 0.5",
        "daemonkit-notify", "supervisord-0", "ret", 0.5, ms)
    add("PSS of every monitor + keeper ÷ supervisord's PSS (startsecs=1) ≤ 1/3",
        "daemonkit", "supervisord", "pss", 1 / 3, kib)
    add("PSS of every monitor + keeper ÷ supervisord's PSS (startsecs=0) ≤ 1/3",
        "daemonkit", "supervisord-0", "pss", 1 / 3, kib)
    return out


def render_up(b, versions, env):
    R = b.res.get("up100", {})
    a = b.args
    names = list(R)
    md = [f"# `daemonkit up` of {a.up_n} services beside supervisord's `start all`", "",
          f"Generated by `bench/bench.py` ({env['command']}) on {env['date']}. The rest of the benchmark: "
          "[results.md](results.md).", "",
          table(["", ""], [["machine", env["machine"]], ["kernel", env["kernel"]], ["OS", env["os"]],
                           ["load average", env["load"]], ["daemonkit", env["daemonkit"]]] +
                [[n, versions.get(n, "?")] for n in names if not n.startswith("daemonkit")]), "",
          f"All times in **milliseconds**, memory in **KiB**, shown as `median [min–max]` over {a.up_reps} "
          "cycles per tool (after one discarded warm-up cycle each), in rounds of all tools with the order "
          "reversed every other round. Other jobs may share the machine: compare within this run (ratios), "
          "not across runs. Re-run: `sudo SCENARIOS=up100 ./bench/run.sh` (or `bench.py --scenarios up100`).",
          ""]
    if env.get("note"):
        md += [env["note"], ""]
    md += ["## Targets (issue 14)", ""] + render_targets(up_targets(b.res))
    rows = []
    for n in names:
        r = R[n]
        per = ", ".join(f"{c}×{v['count']} {v['pss'] // max(1, v['count'])}" for c, v in r["per"].items())
        rows.append([n, fs(r.get("ret")), fs(r.get("ready")), fs(r.get("down")),
                     f"{r['procs']['med']:.0f}" if r.get("procs") else "–", fs(r.get("rss")), fs(r.get("pss")),
                     fs(r.get("uss")), per, " ".join(fmt(x) for x in r.get("all_ret", [])), errs(r)])
    md += ["", "## Results", "",
           f"Each cycle: a fresh directory with {a.up_n} services `svc ready FIFO` (the program every "
           "adapter of the benchmark runs: it writes its ready record, sends READY=1 when $NOTIFY_SOCKET "
           f"is set, sleeps until SIGTERM) s0…s{a.up_n - 1}, each in its own directory; the tool's file "
           "for all of them; supervisord started and answering `supervisorctl pid` **before** the timer "
           "(its daemon is persistent; daemonkit has none). `up ret`: the command invoked → it returned "
           "(`daemonkit up -f daemonkit.toml`, which returns once every service is ready by its readiness "
           "mode; `supervisorctl start all`, which returns once every program is RUNNING). `all ready`: "
           "invoked → the last of the services' own ready records is in its FIFO (the driver polls all "
           "of them). Then, outside the timer, the tool's own status must say all are running "
           f"(`daemonkit status -f`, `supervisorctl status`), and after {a.up_settle} s the resident "
           "processes are measured: everything the tool keeps for the services, found as in the "
           "footprint scenario (the topmost ancestor of each service below the driver and all its "
           "descendants but the services' own subtrees; daemonkit: each service's monitor and keeper, "
           "checked against monitor_pid= and keeper_pid= of its NAME.state; supervisord: supervisord "
           "itself), RSS/PSS/USS summed from /proc/PID/smaps_rollup. The services themselves are never "
           "counted. PSS charges each page shared by k processes 1/k to each, so the sum over the tool's "
           "processes counts a page they share among themselves once (and of a page also mapped by "
           "others, such as libc by the services, only their share); the target is on PSS. Summed RSS counts a shared page once per process that maps "
           "it, which for 200 small processes of one binary mostly repeats the same pages; USS is what "
           "each process alone holds. `down ret`: `daemonkit down -f` / `supervisorctl stop all` invoked → returned, "
           "every service gone. `per process`: comm×count and PSS KiB each (last cycle).", "",
           "supervisord runs the same programs with what the benchmark's supervisord adapter writes "
           "(`autostart=false`, `autorestart=true`, `directory=`; output to its AUTO child logs). "
           "**startsecs**: the adapter leaves supervisord's default, 1 s, so `start all` cannot return "
           "before a program has been up 1 s; the `startsecs=0` row is supervisord at its fastest "
           "(RUNNING as soon as spawned), so the target is judged against both. daemonkit's file mirrors "
           "it: `respawn = \"always\"` for `autorestart=true`, `chdir` for `directory=`, output to its "
           "default log files; `ready` is the default (`exec`: the start returns once the program's "
           "execve succeeded), and `ready = \"notify\"` in the second row (each start waits for the "
           "program's own READY=1).", "",
           table(["tool", "up ret", "all ready", "down ret", "procs", "RSS", "PSS", "USS",
                  "per process", "up ret, each cycle", "errors"], rows)]
    for n in names:
        if "declared_agree" in R[n]:
            md += ["", f"{n}: the processes found by ancestry {'are' if R[n]['declared_agree'] else 'are NOT'} "
                       "the monitors and keepers the services' NAME.state files declare, in every cycle."]
    left = {n: d["up100"] for n, d in b.res.get("leftovers", {}).items() if "up100" in d}
    if left:
        md += ["", "## Processes left running after the tool's own down/teardown", "",
               "(killed by the driver's pid-targeted sweep)", ""]
        md += [f"- {n}: {', '.join(x[:8])}" for n, x in left.items()]
    md += ["", "## Files and commands", "",
           "`$SVC` = bench/svc, `$T` = the run's private temp dir. The first services of each file "
           "(the other services differ only by name and paths):", ""]
    for n in names:
        text = b.up_files.get(n, "").replace(SVC, "$SVC").replace(b.root, "$T")
        cut = text.find("[program:s2]") if "[program:" in text else text.find("[services.s2]")
        md += [f"- **{n}**", "", "  ```", *["  " + x for x in (text[:cut] if cut > 0 else text).rstrip().splitlines()],
               "  ```", ""]
        for op in ("setup", "up", "check", "down"):
            for c in b.cmds.get(n, {}).get(op, [])[:1]:
                md.append(f"  - {op}: `{c}`")
        md.append("")
    return "\n".join(md).rstrip() + "\n"


def main():
    global SVC
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", help="comma-separated adapter keys (see --list) or substrings of names")
    ap.add_argument("--svc", help="the compiled svc.c (default: bench/svc, compiled if missing)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS))
    ap.add_argument("--reps", type=int, default=25)
    ap.add_argument("--rounds", type=int, default=5,
                    help="spread startstop/quickstop/log reps over this many rounds of all adapters")
    ap.add_argument("--quick-reps", type=int, default=10)
    ap.add_argument("--respawn-reps", type=int, default=20)
    ap.add_argument("--rapid-reps", type=int, default=8)
    ap.add_argument("--respawn-timeout", type=float, default=6.0)
    ap.add_argument("--settle", type=float, default=1.2)
    ap.add_argument("--window", type=float, default=10.0)
    ap.add_argument("--lines", type=int, default=1500000)
    ap.add_argument("--log-reps", type=int, default=5)
    ap.add_argument("--log-cap", type=float, default=180.0)
    ap.add_argument("--term-cap", type=float, default=12.0)
    ap.add_argument("--up-n", type=int, default=100, help="up100: services in the file")
    ap.add_argument("--up-reps", type=int, default=5, help="up100: cycles per tool (after a warm-up)")
    ap.add_argument("--up-settle", type=float, default=1.0,
                    help="up100: seconds between all ready and the footprint")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--json", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--up-out", default=os.path.join(HERE, "results-up.md"),
                    help="up100's report (its own file: --out is left alone when only up100 runs)")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    if a.list:
        for c in ADAPTERS:
            print(f"{c.key:20s} {c.name:40s} " + ",".join(s for s in SCENARIOS if applicable(c, s)))
        if not daemonkit_bin():
            print("(no daemonkit binary: build one or set DAEMONKIT_BIN for the daemonkit adapters)")
        return
    if os.geteuid() != 0:
        sys.exit("run as root")
    if a.svc:
        SVC = os.path.abspath(a.svc)
    if not os.path.exists(SVC):
        subprocess.run(["gcc", "-O2", "-Wall", "-o", SVC, os.path.join(HERE, "svc.c")], check=True)
    # child subreaper: daemonized processes stay below the driver (reaped, swept by pid)
    if ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) != 0:
        sys.exit("prctl(PR_SET_CHILD_SUBREAPER) failed")
    sys.setswitchinterval(1e-4)
    b = Bench(a)
    chosen = choose(a.only)
    versions = {c.name: c(b).version() for c in chosen}
    env = machine_env()
    load0 = loadavg()
    scens = a.scenarios.split(",")
    unknown = [x for x in scens if x not in SCENARIOS]
    if unknown:
        sys.exit(f"bench.py: --scenarios: unknown {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    complete = False
    try:
        for scen in SCENARIOS:
            if scen not in scens:
                continue
            todo = [c for c in chosen if applicable(c, scen)]
            if scen == "up100":
                run_up(b, a, todo)
                continue
            if scen in ROUNDED:
                run_rounds(b, a, scen, todo)
                continue
            for c in todo:
                t = time.monotonic()
                if scen in ("respawn", "rapid"):
                    r = b.respawn(c, scen, 1.5 if scen == "respawn" else 0.0,
                                  a.respawn_reps if scen == "respawn" else a.rapid_reps,
                                  a.respawn_timeout)
                    line = f"{fs(r['lat'])} timeouts {r['timeouts']} {r['all'][:10]}"
                elif scen in ("fp1", "fp100"):
                    r = b.footprint(c, 1 if scen == "fp1" else 100, a.window)
                    line = (f"procs {r.get('procs')} rss {r.get('rss')} pss {r.get('pss')} "
                            f"uss {r.get('uss')} ctx {r.get('ctx')} cpu {r.get('cpu_ms')}")
                elif scen == "termignore":
                    r = b.termignore(c, a.term_cap)
                    line = f"ret {r.get('ret')} gone {r.get('gone')} alive {r.get('tool_alive')}"
                b.res.setdefault(scen, {})[c.name] = r
                b.log(f"[{scen:10s}] {c.name:40s} {line} {errs(r)} ({time.monotonic() - t:.0f} s)")
        complete = True
    finally:
        left = sweep()
        if left:
            print("final sweep killed:", left)
        env["load"] = f"{load0} at the start, {loadavg()} at the end (1, 5, 15 min)"
        if not complete:
            env["note"] = "**Incomplete run**: interrupted or failed before every scenario ran."
        md = ""
        if any(x not in UP_SCENARIOS for x in scens):
            md = render(b, versions, env)
            keep = ""
            if os.path.exists(a.out):
                old = open(a.out).read()
                if "\n## Observations" in old:
                    keep = old[old.index("\n## Observations"):]
            with open(a.out, "w") as f:
                f.write(md + keep)
            with open(a.json, "w") as f:
                json.dump({"env": env, "versions": versions, "targets": targets(b.res), "results": b.res,
                           "commands": b.cmds, "args": vars(a)}, f, indent=1, default=str)
        if "up100" in scens:
            up = render_up(b, versions, env)
            with open(a.up_out, "w") as f:
                f.write(up)
            md += ("\n" if md else "") + up
        shutil.rmtree(b.root, ignore_errors=True)
        print(md)


if __name__ == "__main__":
    main()
