"""Run tox and say what it is doing: each env's start and end with its
test counts, a line every few minutes while envs run, and a summary table.
Envs skipped for a missing interpreter are named loudly (tox's parallel
mode reports them as succeeded; only .tox/ENV/log says otherwise).

Usage: python tools/tox_report.py TOX [TOX ARGUMENTS...]
Exits with tox's status.  Python 3.6+ (tools/test-all runs it with the
Python that runs tox).
"""
import glob
import os
import re
import subprocess
import sys
import threading
import time

HEARTBEAT = int(os.environ.get("TLSB_REPORT_EVERY", "120"))    # seconds
TOX_WORK = ".tox"
COUNT_RE = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)")
# pytest's last line, with its "=" border or (-q) without.
PYTEST_END_RE = re.compile(
    r"^(?:=+ )?(\d+ (?:passed|failed|skipped|errors?|deselected|xfailed|xpassed|warnings?)\b.*)"
    r" in [\d.]+ ?s(?:econds)?(?: \([\d:]+\))?(?: =+)?$")
# tox 3's parallel progress lines: "✔ OK py27 in 3 minutes 2.1 seconds"
# ("[ OK ] py27 in ..." where stdout cannot encode the tick).
DONE_RE = re.compile(r"^(?:\S+ |\[ ?)(OK|FAIL|SKIP)(?: ?\])? (\S+) in ")
MISSING_RE = re.compile(r"InterpreterNotFound: (\S+)")


def say(text):
    sys.stdout.write("[test-all %s] %s\n" % (time.strftime("%H:%M:%S"), text))
    sys.stdout.flush()


def minutes(seconds):
    return "%dm%02ds" % divmod(int(seconds), 60)


def requested_envs(tox, args):
    """The envs this tox run will run: -e's list, or tox.ini's envlist."""
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "-e" and index + 1 < len(args):
            return [env for env in args[index + 1].split(",") if env]
        if arg.startswith("-e") and len(arg) > 2:
            return [env for env in arg[2:].split(",") if env]
    listing = subprocess.run([tox, "-l"], stdout=subprocess.PIPE,
                             universal_newlines=True)
    return [line.strip() for line in listing.stdout.splitlines() if line.strip()]


def env_log(env, since):
    """The log of this run's parallel child for env (its whole output)."""
    logs = [path for path in glob.glob(os.path.join(TOX_WORK, env, "log", "*.log"))
            if os.path.getmtime(path) >= since]
    for path in sorted(logs, key=os.path.getmtime):
        with open(path, errors="replace") as log:
            if log.readline().startswith("action: %s, msg: parallel %s" % (env, env)):
                return path
    return None


def outcome_of(path):
    """(counts, missing interpreter or None) from an env's log."""
    counts = {}
    missing = None
    with open(path, errors="replace") as log:
        for line in log:
            line = line.strip()
            match = PYTEST_END_RE.match(line)
            if match:
                for number, kind in COUNT_RE.findall(match.group(1)):
                    kind = "error" if kind.startswith("error") else kind
                    counts[kind] = counts.get(kind, 0) + int(number)
            match = MISSING_RE.search(line)
            if match:
                missing = match.group(1)
    return counts, missing


class Run(object):
    def __init__(self, envs):
        self.envs = envs
        self.since = time.time() - 1
        self.started = {}
        self.ended = {}         # env -> (tox's verdict, seconds)
        self.lock = threading.Lock()

    def watch_starts(self):
        with self.lock:
            for env in self.envs:
                if env not in self.started and env_log(env, self.since):
                    self.started[env] = time.time()
                    say("START %s" % env)

    def tox_line(self, line):
        match = DONE_RE.match(line)
        if not match:
            return
        verdict, env = match.groups()
        with self.lock:
            start = self.started.setdefault(env, self.since)
            self.ended[env] = (verdict, time.time() - start)
        say("END   %s: %s" % (env, self.describe(env)))

    def describe(self, env):
        verdict, seconds = self.ended.get(env, ("NOT RUN", 0))
        path = env_log(env, self.since)
        counts, missing = outcome_of(path) if path else ({}, None)
        if missing:
            return "SKIPPED (no interpreter %s)" % missing
        return "%s in %s, %d passed, %d failed, %d errors, %d skipped" % (
            verdict, minutes(seconds), counts.get("passed", 0),
            counts.get("failed", 0), counts.get("error", 0),
            counts.get("skipped", 0))

    def heartbeat(self):
        with self.lock:
            running = [env for env in self.envs
                       if env in self.started and env not in self.ended]
            if not running and self.ended:
                return
            say("running %s; %d of %d envs done" % (
                ", ".join("%s (%s)" % (env, minutes(time.time() - self.started[env]))
                          for env in running) or "nothing yet",
                len(self.ended), len(self.envs)))

    def summary(self):
        rows = []
        skipped = []
        for env in self.envs:
            verdict, seconds = self.ended.get(env, ("NOT RUN", 0))
            path = env_log(env, self.since)
            counts, missing = outcome_of(path) if path else ({}, None)
            if missing:
                verdict = "SKIPPED"
                skipped.append("%s (%s)" % (env, missing))
            rows.append((env, verdict, minutes(seconds)) + tuple(
                str(counts.get(kind, 0)) for kind in ("passed", "failed", "error", "skipped")))
        header = ("env", "result", "time", "passed", "failed", "errors", "skipped")
        widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
        sys.stdout.write("\n")
        say("summary (counts are pytest's; an env without pytest shows 0)")
        for row in [header] + rows:
            sys.stdout.write("  " + "  ".join(cell.ljust(width) for cell, width
                                              in zip(row, widths)) + "\n")
        if skipped:
            banner = "!" * 72
            sys.stdout.write("\n%s\n!! SKIPPED, interpreter missing: %s\n"
                             "!! These envs did NOT run; the result above does not "
                             "cover them.\n%s\n" % (banner, ", ".join(skipped), banner))
        sys.stdout.flush()


def main(argv):
    tox, args = argv[0], argv[1:]
    run = Run(requested_envs(tox, args))
    say("tox will run: %s" % ", ".join(run.envs))
    child = subprocess.Popen([tox] + args, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True)

    def pump():
        for line in child.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            run.tox_line(line.strip())

    reader = threading.Thread(target=pump)
    reader.daemon = True
    reader.start()
    last_beat = time.time()
    while child.poll() is None:
        time.sleep(2)
        run.watch_starts()
        if time.time() - last_beat >= HEARTBEAT:
            run.heartbeat()
            last_beat = time.time()
    reader.join()
    run.summary()
    return child.returncode


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
