#!/usr/bin/env python3
"""Run each interpreter's own TLS test suites with _tls_bootstrap grafted
onto ssl, and compare with the committed baselines of the unpatched runs.

    tools/host_suites.py                      compare (what CI runs)
    tools/host_suites.py -i py27 -s test_ssl  one interpreter, one suite
    tools/host_suites.py --record-baseline    rewrite Lib/test/host_baselines
    tools/host_suites.py --parse LOG          outcomes parsed from a saved log

The rule (issue 4): patched, no test fails that passes unpatched.  Exit
status 1 when a test does (a regression), 2 when the comparison could not be
made (a missing interpreter in CI, a missing baseline), else 0.

Rules of this file:
- Runs on any Python 3.8+; the suites run in the interpreters under test,
  one process per suite, through that interpreter's own regrtest (2.7:
  test.regrtest, 3.x: test.libregrtest), never through unittest directly
  (which would lift regrtest's resource gates).
- The patched process calls _tls_bootstrap.monkeypatch_ssl() before
  regrtest imports anything; the unpatched one is the same interpreter and
  the same command without that call.
- Outcomes are parsed from regrtest's verbose output: the progress lines
  ("test_x (module.Class) ... ok") give what ran and was skipped, the
  failure reports ("ERROR: test_x (module.Class)") are authoritative for
  what failed.  A crash, a timeout or a missing unittest summary fails the
  whole suite, as the pseudo-test "<suite> [crash]" / "<suite> [timeout]".
- Only processes this tool starts are ever signalled (their own process
  group).
"""
import argparse
import concurrent.futures
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BASELINE_DIR = os.path.join(ROOT, "Lib", "test", "host_baselines")
IN_CI = bool(os.environ.get("CI"))

# tox env name -> interpreter version, in matrix order.
INTERPRETERS = (
    ("py27", "2.7"), ("py36", "3.6"), ("py37", "3.7"), ("py38", "3.8"),
    ("py39", "3.9"), ("py310", "3.10"), ("py311", "3.11"), ("py312", "3.12"),
    ("py313", "3.13"),
)

# 2.7's imaplib runs its local TLS tests only under -u network (its
# test_main gates them); the patterns keep out the tests that go to a
# remote server (../shared/HOST-SUITES.md).
SUITES_27 = (
    ("test_ssl", ()),
    ("test_httplib", ()),
    ("test_urllib2_localnet", ()),
    ("test_poplib", ()),
    ("test_smtplib", ()),
    ("test_ftplib", ()),
    ("test_imaplib", ("-u", "network", "-m", "*ThreadedNetworked*",
                      "-m", "*TestImaplib*")),
)
# test_asyncio.test_ssl exists from 3.11 on; the probe drops absent ones.
SUITES_3 = (
    ("test_ssl", ()),
    ("test_asyncio.test_ssl", ()),
    ("test_asyncio.test_sslproto", ()),
    ("test_urllib2_localnet", ()),
    ("test_ftplib", ()),
    ("test_poplib", ()),
    ("test_imaplib", ()),
    ("test_smtplib", ()),
    ("test_httplib", ()),
)

# Seconds.  A suite's timeout is 4 times its unpatched duration (in its
# baseline), at least MIN_TIMEOUT and at most MAX_TIMEOUT: every suite but
# 2.7's test_ftplib ends within 50 s unpatched here; 2.7's test_ftplib takes
# about 300 s (its TLS tests time out one by one on ragged EOF, cause B)
# and about 20 s patched.
MIN_TIMEOUT = 120
MAX_TIMEOUT = 300
RECORD_TIMEOUT = 900
# Wall-clock budget of a whole comparison: jobs not started by then are
# reported as not run (a failure), so CI always ends with a report.
DEFAULT_BUDGET = 840

# Interpreters whose unpatched results vary between runs (HOST-SUITES.md);
# their baselines are the union of several runs.
FLAKY_RUNS = {"2.7": 3, "3.6": 5, "3.7": 5}

# The environment points these at the system bundle; the suites bring
# their own certificates, and the results must not depend on the machine.
CLEARED_ENV = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
               "CURL_CA_BUNDLE", "PIP_CERT")

BASELINE_WHY = """\
# Why a committed baseline and not an unpatched run in every CI run: the
# unpatched suites are slow where they are broken (2.7's test_ftplib alone
# takes about 300 s of timeouts) and flaky on 2.7/3.6/3.7, so a fair
# baseline is the union of several runs: about 25 minutes, over the CI
# budget for the whole comparison (15 of 90 minutes).  The unpatched
# result depends only on the interpreter, its OpenSSL and the test files,
# all fixed in this image; the tool warns when the interpreter or OpenSSL
# version differs from the one recorded here.  Re-record with
# `tools/host_suites.py --record-baseline` when the image changes."""

# ---------------------------------------------------------------------------
# The launcher: runs in the interpreter under test (2.7 and 3.6+).
# argv: mode ("patched"/"unpatched"), watchdog seconds, regrtest args...
# ---------------------------------------------------------------------------
LAUNCHER = r'''
import os, sys, threading, time, traceback
mode, limit, args = sys.argv[1], float(sys.argv[2]), sys.argv[3:]

def watchdog():
    time.sleep(limit)
    out = sys.__stderr__
    out.write("\nhost_suites: TIMEOUT after %d s; stacks of all threads:\n" % limit)
    for ident, frame in sys._current_frames().items():
        out.write("-- thread %s\n%s" % (ident, "".join(traceback.format_stack(frame))))
    out.flush()
    os._exit(124)

guard = threading.Thread(target=watchdog, name="host_suites-watchdog")
guard.daemon = True
guard.start()
if mode == "patched":
    import _tls_bootstrap
    _tls_bootstrap.monkeypatch_ssl()
    import ssl
    if ssl.SSLContext is not _tls_bootstrap.SSLContext:
        sys.exit("host_suites: monkeypatch_ssl() did not take")
    sys.stdout.write("host_suites: patched with _tls_bootstrap %s from %s\n"
                     % (_tls_bootstrap.__version__, _tls_bootstrap.__file__))
else:
    sys.stdout.write("host_suites: unpatched\n")
sys.stdout.flush()
sys.argv[1:] = args
if sys.version_info[0] == 2:
    from test import regrtest
    regrtest.main()
else:
    from test.libregrtest.main import main
    main()
'''

PROBE = r'''
import json, os, ssl, sys
import test
found = {}
try:
    import _tls_bootstrap
    found["tlsb"] = "%s %s" % (_tls_bootstrap.__version__, _tls_bootstrap.__file__)
except Exception as exc:
    found["tlsb"] = None
    found["tlsb_error"] = "%s: %s" % (type(exc).__name__, exc)
base = os.path.dirname(test.__file__)
found["modules"] = [name for name in sys.argv[1:]
                    if os.path.exists(os.path.join(base, *name.split(".")) + ".py")]
found["version"] = "%d.%d.%d" % sys.version_info[:3]
found["openssl"] = ssl.OPENSSL_VERSION
print(json.dumps(found))
'''

# ---------------------------------------------------------------------------
# Parsing regrtest's verbose output (2.7, 3.6-3.13)
# ---------------------------------------------------------------------------
# "test_x (test.test_ssl.Cls) ..." ; 3.11+ "test_x (test.test_ssl.Cls.test_x) ..."
START_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*) \((?P<where>[A-Za-z_][\w.]*)\)", re.M)
OUTCOME_RE = re.compile(
    r"(?:^|\s)(?P<outcome>ok|FAIL|ERROR|skipped\b.*|expected failure|"
    r"unexpected success)[ \t]*$", re.M)
SEPARATOR_RE = re.compile(r"^(?:={70}|-{70})$", re.M)
REPORT_RE = re.compile(
    r"^(?P<kind>FAIL|ERROR|UNEXPECTED SUCCESS): (?P<name>\S+) "
    r"\((?P<where>[A-Za-z_][\w.]*)\)", re.M)
RAN_RE = re.compile(r"^Ran (\d+) tests? in ", re.M)
TIMEOUT_MARK = "host_suites: TIMEOUT after"
NO_OUTCOME = "no outcome printed (the suite stopped in this test)"


def test_id(name, where):
    """module.Class.method, whatever the Python version printed."""
    if where.endswith("." + name):
        return where
    return where + "." + name


def _outcome_word(text):
    word = text.split()[0] if text.split() else ""
    return {"ok": "ok", "FAIL": "FAIL", "ERROR": "ERROR", "skipped": "skipped",
            "expected": "ok", "unexpected": "FAIL"}.get(word)


def parse_output(text):
    """{test id: (outcome, key line)} and the number of "Ran N tests" seen.

    outcome is ok, FAIL, ERROR or skipped; key line is the last line of the
    failure's traceback (the exception), or a skip's reason.
    """
    outcomes = {}
    report_start = text.find("\n" + "=" * 70 + "\n")
    progress = text if report_start < 0 else text[:report_start]
    starts = list(START_RE.finditer(progress))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(progress)
        segment = progress[match.end():end]
        dots = segment.find(" ... ")
        if dots < 0 and not match.group(0).endswith("..."):
            if index + 1 < len(starts):
                continue    # a line that only looked like a test's name
        found = OUTCOME_RE.search(segment, max(dots, 0))
        tid = test_id(match.group("name"), match.group("where"))
        if found is None:
            outcomes.setdefault(tid, ("ERROR", NO_OUTCOME))
            continue
        word = _outcome_word(found.group("outcome"))
        detail = found.group("outcome").strip() if word == "skipped" else ""
        if outcomes.get(tid, ("ok",))[0] in ("FAIL", "ERROR"):
            continue    # a failing subtest already decided
        outcomes[tid] = (word, detail)
    # The failure reports are authoritative: "FAIL: test (where)", an
    # optional docstring line, dashes, the traceback, then the next
    # separator.
    for match in REPORT_RE.finditer(text):
        dashes = SEPARATOR_RE.search(text, match.end())
        body_start = dashes.end() if dashes is not None else match.end()
        next_sep = SEPARATOR_RE.search(text, body_start)
        body = text[body_start:next_sep.start() if next_sep else len(text)]
        kind = "FAIL" if match.group("kind") != "ERROR" else "ERROR"
        outcomes[test_id(match.group("name"), match.group("where"))] = (
            kind, _exception_line(body))
    return outcomes, len(RAN_RE.findall(text))


EXCEPTION_LINE_RE = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Failure|Warning|Exit|"
    r"Interrupt|timeout|error|Timeout)(?::|$)")


def _exception_line(body):
    """The exception line of a traceback (the last one, if chained)."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    for line in reversed(lines):
        if EXCEPTION_LINE_RE.match(line):
            return line
    return lines[-1] if lines else ""


def _tail_key_line(text):
    """A crashed suite's most telling line: its last exception line."""
    for line in reversed(text.splitlines()):
        stripped = line.strip()
        if re.match(r"^[\w.]*(Error|Exception|Exit|Interrupt|Fault|Abort)\b.*", stripped) \
                or stripped.startswith(("Fatal Python error", TIMEOUT_MARK)):
            return stripped
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def judge(suite, text, returncode, timed_out):
    """The suite's status and {test id: (outcome, key line)}."""
    outcomes, ran = parse_output(text)
    if timed_out or returncode == 124 or TIMEOUT_MARK in text:
        status = "timeout"
    elif returncode not in (0, 1, 2) or ran == 0:
        # 2.7 regrtest exits 1 on failures, 3.x exits 2; anything else, or
        # no unittest summary at all, is a crash (import error, signal...)
        status = "crash"
    else:
        status = "failed" if any(o[0] in ("FAIL", "ERROR") for o in outcomes.values()) else "ok"
        if returncode != 0 and status == "ok":
            status = "crash"    # regrtest saw a failure we could not parse
    if status in ("timeout", "crash"):
        detail = _tail_key_line(text)
        if status == "crash":
            detail = "exit status %s: %s" % (returncode, detail)
        unfinished = [tid for tid, (o, line) in outcomes.items()
                      if line == NO_OUTCOME]
        if unfinished:
            detail = "in %s: %s" % (unfinished[-1], detail)
        outcomes["%s [%s]" % (suite, status)] = ("ERROR", detail)
    return status, outcomes


def failing(outcomes):
    return set(tid for tid, (outcome, _) in outcomes.items() if outcome in ("FAIL", "ERROR"))


# ---------------------------------------------------------------------------
# Running one suite
# ---------------------------------------------------------------------------
def child_env():
    env = dict(os.environ)
    for name in CLEARED_ENV:
        env.pop(name, None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # unittest writes to stdout, regrtest partly to stderr: unbuffered, the
    # log keeps their order (2.7 otherwise splits report headers).
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def stop_process_group(process):
    """Stop a hung suite and whatever it started: SIGABRT to the suite first
    (3.x regrtest's faulthandler then prints every thread's stack), then
    SIGKILL to its process group, sent while the leader is not yet reaped,
    so that the group id cannot belong to anyone else.  Returns its status."""
    try:
        os.kill(process.pid, signal.SIGABRT)
        deadline = time.time() + 5
        while time.time() < deadline:
            exited = os.waitid(os.P_PID, process.pid,
                               os.WEXITED | os.WNOHANG | os.WNOWAIT)
            if exited is not None:
                break
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return process.wait()


def run_suite(python, suite, extra, mode, timeout, log_path):
    """Run one suite in one process; returns a result dict."""
    args = ["-v"] + list(extra) + [suite]
    command = [python, "-c", LAUNCHER, mode, str(timeout)] + args
    workdir = tempfile.mkdtemp(prefix="host_suites-")
    started = time.time()
    timed_out = False
    with open(log_path, "wb") as log:
        log.write(("$ %s -c <launcher> %s %d %s\n" % (
            python, mode, timeout, " ".join(args))).encode())
        log.flush()
        process = subprocess.Popen(command, cwd=workdir, env=child_env(),
                                   stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            # the launcher's watchdog stops it at `timeout`; this is for a
            # process so stuck that the watchdog thread cannot run
            returncode = process.wait(timeout + 30)
        except subprocess.TimeoutExpired:
            timed_out = True
            returncode = stop_process_group(process)
            log.write(("\n%s %d s (killed by host_suites)\n" % (
                TIMEOUT_MARK, timeout + 30)).encode())
    shutil.rmtree(workdir, ignore_errors=True)
    with open(log_path, "rb") as log:
        text = log.read().decode("utf-8", "replace")
    status, outcomes = judge(suite, text, returncode, timed_out)
    return {"suite": suite, "mode": mode, "status": status,
            "returncode": returncode, "seconds": round(time.time() - started, 1),
            "outcomes": outcomes, "log": log_path}


# ---------------------------------------------------------------------------
# Baselines: Lib/test/host_baselines/<major.minor>/<suite>.txt
# ---------------------------------------------------------------------------
def baseline_path(version, suite):
    return os.path.join(BASELINE_DIR, version, suite + ".txt")


def read_baseline(version, suite):
    """{"fail": set, "skip": set, "meta": {key: value}} or None."""
    path = baseline_path(version, suite)
    if not os.path.exists(path):
        return None
    result = {"fail": set(), "skip": set(), "meta": {}}
    with open(path) as source:
        for line in source:
            line = line.rstrip("\n")
            meta = re.match(r"^# (\w[\w-]*): (.*)$", line)
            if meta:
                result["meta"][meta.group(1)] = meta.group(2)
            if not line or line.startswith("#"):
                continue
            kind, tid = line.split()[:2]
            result[kind].add(tid)
    return result


def write_baseline(info, suite, runs, command):
    """The union of the runs' failures; skips seen in every run."""
    version = info["short"]
    fails = {}
    for run in runs:
        for tid in failing(run["outcomes"]):
            fails[tid] = fails.get(tid, 0) + 1
    skips = None
    for run in runs:
        skipped = set(tid for tid, (o, _) in run["outcomes"].items() if o == "skipped")
        skips = skipped if skips is None else skips & skipped
    counts = []
    for run in runs:
        o = [outcome for outcome, _ in run["outcomes"].values()]
        counts.append("%d run/%d failed/%d skipped, %s, %.0f s" % (
            len(o), o.count("FAIL") + o.count("ERROR"), o.count("skipped"),
            run["status"], run["seconds"]))
    path = baseline_path(version, suite)
    if not os.path.isdir(os.path.dirname(path)):
        os.makedirs(os.path.dirname(path))
    lines = [
        "# Host suite baseline: %s on CPython %s, UNPATCHED (no _tls_bootstrap)." % (
            suite, info["version"]),
        "# Made by tools/host_suites.py --record-baseline on %s, %d run(s); a test is"
        % (datetime.date.today().isoformat(), len(runs)),
        "# \"fail\" if it failed or errored in any run (flaky ones show k/n), \"skip\" if",
        "# skipped in every run; tests not listed passed in every run.",
        "# command: %s" % command,
        "# env: %s cleared" % ", ".join(CLEARED_ENV),
    ]
    for number, line in enumerate(counts, 1):
        lines.append("# run %d: %s" % (number, line))
    lines += BASELINE_WHY.splitlines()
    lines += [
        "# python: %s" % info["version"],
        "# openssl: %s" % info["openssl"],
        "# duration: %.0f" % max(run["seconds"] for run in runs),
    ]
    for tid in sorted(fails):
        note = "" if fails[tid] == len(runs) else "  (%d/%d runs)" % (fails[tid], len(runs))
        lines.append("fail %s%s" % (tid, note))
    for tid in sorted(skips or ()):
        if tid not in fails:
            lines.append("skip %s" % tid)
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return path


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------
def compare(run, baseline):
    """Regressions, fixed, still failing, newly skipped (lists of dicts)."""
    outcomes = run["outcomes"]
    fails_now = failing(outcomes)
    fails_before = baseline["fail"]
    key = lambda tid: {"id": tid, "outcome": outcomes[tid][0], "line": outcomes[tid][1]}
    regressions = []
    for tid in sorted(fails_now - fails_before):
        entry = key(tid)
        if tid in baseline["skip"]:
            entry["note"] = "skipped unpatched"
        regressions.append(entry)
    fixed = sorted(tid for tid in fails_before
                   if tid in outcomes and outcomes[tid][0] == "ok")
    skipped_now = sorted(tid for tid in fails_before
                         if tid in outcomes and outcomes[tid][0] == "skipped")
    gone = sorted(tid for tid in fails_before
                  if tid not in outcomes and not tid.endswith("]"))
    still = sorted(fails_now & fails_before)
    newly_skipped = sorted(
        tid for tid, (o, _) in outcomes.items()
        if o == "skipped" and tid not in baseline["skip"] and tid not in fails_before)
    return {"regressions": regressions, "fixed": fixed, "still_failing": still,
            "failing_unpatched_skipped": skipped_now,
            "failing_unpatched_not_run": gone, "newly_skipped": newly_skipped}


# ---------------------------------------------------------------------------
# Interpreters and jobs
# ---------------------------------------------------------------------------
def probe(env_name, python):
    names = [name for name, _ in SUITES_27 + SUITES_3]
    try:
        out = subprocess.check_output([python, "-c", PROBE] + sorted(set(names)),
                                      env=child_env(), stderr=subprocess.STDOUT,
                                      timeout=60, cwd=tempfile.gettempdir())
    except (OSError, subprocess.SubprocessError) as exc:
        return None, "%s: %s" % (type(exc).__name__, getattr(exc, "output", b"") or exc)
    info = json.loads(out.decode().strip().splitlines()[-1])
    info["env"] = env_name
    info["python"] = python
    return info, None


def interpreter_paths(args):
    given = dict(item.split("=", 1) for item in args.python)
    chosen = [name for name, _ in INTERPRETERS
              if not args.interpreters or name in args.interpreters]
    for name in given:
        if name not in dict(INTERPRETERS):
            raise SystemExit("unknown interpreter %r (one of %s)" % (
                name, ", ".join(n for n, _ in INTERPRETERS)))
    return [(name, os.path.abspath(
        given.get(name) or os.path.join(args.tox_dir, name, "bin", "python")))
        for name in chosen]


def suites_for(info, wanted):
    short = info["short"]
    table = SUITES_27 if short == "2.7" else SUITES_3
    return [(suite, extra) for suite, extra in table
            if suite in info["modules"] and (not wanted or suite in wanted)]


def suite_timeout(short, suite):
    return int(min(MAX_TIMEOUT, max(MIN_TIMEOUT, 4 * expected_seconds(short, suite))))


def expected_seconds(short, suite):
    baseline = read_baseline(short, suite)
    try:
        return float(baseline["meta"]["duration"])
    except (TypeError, KeyError, ValueError):
        return 30.0


def log_name(out_dir, env, suite, mode, number=None):
    suffix = "" if number is None else ".%d" % number
    return os.path.join(out_dir, "logs", "%s-%s.%s%s.log" % (env, suite, mode, suffix))


class Scheduler(object):
    """Runs (interpreter, suite) jobs on N workers, longest first, within a
    wall-clock budget; prints one line per finished job."""

    def __init__(self, jobs, budget):
        self.jobs = jobs
        self.deadline = time.time() + budget if budget else None
        self.lock = threading.Lock()

    def run(self, tasks):
        """tasks: list of (estimate, key, callable) -> {key: result}."""
        results = {}
        tasks = sorted(tasks, key=lambda task: -task[0])

        def work(task):
            estimate, key, call = task
            if self.deadline is not None and time.time() > self.deadline:
                result = {"status": "not run", "outcomes": {},
                          "seconds": 0, "returncode": None, "log": None}
            else:
                result = call()
            with self.lock:
                print("  %-7s %-28s %-9s %-8s %6.1f s" % (
                    key[0], key[1], key[2], result["status"], result["seconds"]))
                sys.stdout.flush()
            return key, result

        with concurrent.futures.ThreadPoolExecutor(self.jobs) as pool:
            for key, result in pool.map(work, tasks):
                results[key] = result
        return results


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def print_report(report):
    print()
    total = 0
    for env, entry in report["interpreters"].items():
        if entry.get("missing"):
            print("%s: MISSING (%s)" % (env, entry["missing"]))
            continue
        print("%s (CPython %s, %s)" % (env, entry["version"], entry["openssl"]))
        for warning in entry.get("warnings", ()):
            print("  warning: %s" % warning)
        for suite, s in entry["suites"].items():
            print("  %-28s %-8s %4d regressions, %3d fixed, %3d still failing%s" % (
                suite, s["status"], len(s.get("regressions", ())), len(s.get("fixed", ())),
                len(s.get("still_failing", ())),
                ", %d newly skipped" % len(s["newly_skipped"]) if s.get("newly_skipped") else ""))
            for reg in s.get("regressions", ()):
                total += 1
                note = " [%s]" % reg["note"] if reg.get("note") else ""
                print("      REGRESSION %s %s%s" % (reg["outcome"], reg["id"], note))
                if reg["line"]:
                    print("          %s" % reg["line"][:200])
            for tid in s.get("fixed", ()):
                print("      fixed      %s" % tid)
            for tid in s.get("failing_unpatched_skipped", ()):
                print("      skipped    %s (failed unpatched): %s" % (
                    tid, s["skip_reasons"].get(tid, "")))
            for tid in s.get("newly_skipped", ()):
                print("      newly skipped %s: %s" % (tid, s["skip_reasons"].get(tid, "")))
            if s.get("log"):
                print("      log: %s" % os.path.relpath(s["log"]))
    print()
    print("%d regression(s); summary: %s" % (total, report["json"]))
    return total


def do_compare(args, infos):
    scheduler = Scheduler(args.jobs, args.budget)
    tasks = []
    for info in infos:
        for suite, extra in suites_for(info, args.suites):
            timeout = args.timeout or suite_timeout(info["short"], suite)
            path = log_name(args.out, info["env"], suite, "patched")
            tasks.append((expected_seconds(info["short"], suite),
                          (info["env"], suite, "patched"),
                          (lambda i=info, s=suite, e=extra, t=timeout, p=path:
                           run_suite(i["python"], s, e, "patched", t, p))))
    print("running %d suites patched, %d jobs" % (len(tasks), args.jobs))
    results = scheduler.run(tasks)
    return results


def do_record(args, infos):
    scheduler = Scheduler(args.jobs, None)
    tasks = []
    for info in infos:
        for suite, extra in suites_for(info, args.suites):
            runs = args.runs or FLAKY_RUNS.get(info["short"], 1)
            timeout = args.timeout or RECORD_TIMEOUT
            for number in range(1, runs + 1):
                path = log_name(args.out, info["env"], suite, "unpatched", number)
                tasks.append((expected_seconds(info["short"], suite),
                              (info["env"], suite, "unpatched#%d" % number),
                              (lambda i=info, s=suite, e=extra, t=timeout, p=path:
                               run_suite(i["python"], s, e, "unpatched", t, p))))
    print("recording baselines: %d unpatched runs, %d jobs" % (len(tasks), args.jobs))
    results = scheduler.run(tasks)
    for info in infos:
        for suite, extra in suites_for(info, args.suites):
            runs = [result for (env, s, _), result in sorted(results.items())
                    if env == info["env"] and s == suite]
            command = "%s -v %s%s (one process, no -j)" % (
                "test.regrtest" if info["short"] == "2.7" else "test.libregrtest",
                " ".join(extra) + " " if extra else "", suite)
            path = write_baseline(info, suite, runs, command)
            print("wrote %s" % os.path.relpath(path))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-i", "--interpreters", type=lambda s: s.split(","), default=[],
                        help="tox env names, comma-separated (default: all nine)")
    parser.add_argument("-s", "--suites", type=lambda s: s.split(","), default=[],
                        help="suite names, comma-separated (default: all)")
    parser.add_argument("--python", action="append", default=[], metavar="ENV=PATH",
                        help="the interpreter for ENV (default .tox/ENV/bin/python)")
    parser.add_argument("--tox-dir", default=os.path.join(ROOT, ".tox"))
    parser.add_argument("--out", default=None,
                        help="logs and summary.json (default TOX_DIR/host-suites)")
    parser.add_argument("--json", default=None, help="summary path (default OUT/summary.json)")
    parser.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("TLSB_JOBS", 2)))
    parser.add_argument("--timeout", type=int, default=0, help="per suite, seconds")
    parser.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                        help="seconds for the whole comparison (0: none)")
    parser.add_argument("--record-baseline", action="store_true",
                        help="run unpatched and rewrite Lib/test/host_baselines")
    parser.add_argument("--runs", type=int, default=0,
                        help="runs per baseline (default 1; 2.7: 3, 3.6/3.7: 5)")
    parser.add_argument("--parse", metavar="LOG", help="print the outcomes parsed from LOG")
    args = parser.parse_args(argv)

    if args.parse:
        with open(args.parse, "rb") as log:
            text = log.read().decode("utf-8", "replace")
        outcomes, ran = parse_output(text)
        for tid in sorted(outcomes):
            print("%-8s %s  %s" % (outcomes[tid][0], tid, outcomes[tid][1]))
        print("%d tests parsed, %d 'Ran' lines" % (len(outcomes), ran))
        return 0

    args.out = args.out or os.path.join(args.tox_dir, "host-suites")
    if not os.path.isdir(os.path.join(args.out, "logs")):
        os.makedirs(os.path.join(args.out, "logs"))
    args.json = args.json or os.path.join(args.out, "summary.json")

    report = {"mode": "record" if args.record_baseline else "compare",
              "started": datetime.datetime.now().isoformat(timespec="seconds"),
              "ci": IN_CI, "interpreters": {}, "json": args.json}
    infos = []
    setup_failed = False
    for env, python in interpreter_paths(args):
        short = dict(INTERPRETERS)[env]
        info, error = (None, "no %s" % python)
        if os.path.exists(python):
            info, error = probe(env, python)
        if info is not None and not info["version"].startswith(short + "."):
            info, error = None, "%s is CPython %s, not %s" % (python, info["version"], short)
        if info is not None and info["tlsb"] is None and not args.record_baseline:
            info, error = None, "%s cannot import _tls_bootstrap (%s)" % (
                python, info.get("tlsb_error"))
        if info is None:
            report["interpreters"][env] = {"missing": error}
            print("%s: %s%s" % (env, error, "" if IN_CI else " (skipped)"))
            setup_failed = setup_failed or IN_CI
            continue
        info["short"] = short
        infos.append(info)

    if args.record_baseline:
        return do_record(args, infos)

    started = time.time()
    results = do_compare(args, infos)
    for info in infos:
        entry = {"version": info["version"], "openssl": info["openssl"],
                 "python": info["python"], "tlsb": info["tlsb"], "suites": {},
                 "warnings": []}
        for suite, _ in suites_for(info, args.suites):
            run = results[(info["env"], suite, "patched")]
            baseline = read_baseline(info["short"], suite)
            s = {"status": run["status"], "seconds": run["seconds"], "log": run["log"],
                 "returncode": run["returncode"]}
            if baseline is None:
                s["status"] = "no baseline"
                setup_failed = True
            else:
                for what, value in (("python", info["version"]), ("openssl", info["openssl"])):
                    recorded = baseline["meta"].get(what)
                    if recorded != value:
                        warning = "%s baseline was made with %s %s, this is %s" % (
                            suite, what, recorded, value)
                        entry["warnings"].append(warning)
                if run["status"] == "not run":
                    run["outcomes"]["%s [not run]" % suite] = (
                        "ERROR", "not started within the %d s budget" % args.budget)
                s.update(compare(run, baseline))
            s["skip_reasons"] = dict((tid, line) for tid, (o, line) in run["outcomes"].items()
                                     if o == "skipped")
            counts = {}
            for outcome, _ in run["outcomes"].values():
                counts[outcome] = counts.get(outcome, 0) + 1
            s["counts"] = counts
            entry["suites"][suite] = s
        report["interpreters"][info["env"]] = entry
    report["seconds"] = round(time.time() - started, 1)
    with open(args.json, "w") as out:
        json.dump(report, out, indent=1, sort_keys=True)
    regressions = print_report(report)
    print("host suites: %.0f s" % report["seconds"])
    if regressions:
        return 1
    return 2 if setup_failed else 0


if __name__ == "__main__":
    sys.exit(main())
