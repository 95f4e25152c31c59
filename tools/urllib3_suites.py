# Copyright the _tls_bootstrap authors. Licensed under the Apache License 2.0.
"""urllib3's own test suite, unmodified, with the graft and without it: no
test that passes without the graft may fail with it.

    python tools/urllib3_suites.py [--sources DIR] [-- PYTEST ARGS]

Runs in an interpreter that has urllib3, the test dependencies of that
urllib3 release and _tls_bootstrap installed (tox -e py27-urllib3: 1.26.20,
the last release for 2.7; tox -e py313-urllib3: a current 2.x).  The suite
comes from urllib3's sdist for the installed version, fetched with `pip
download` into DIR (default .tox/urllib3-src/, kept between runs).

Two pytest processes run the whole test/ directory side by side:

  plain   urllib3 on the host's ssl: the baseline, from the same run
  graft   monkeypatch_ssl() first (a pytest plugin loaded before urllib3's
          conftest imports urllib3)

A test that passed plain and not grafted is run again, both ways, up to
RETRIES times: several of urllib3's tests race threads against each other
or against the clock (and the machine is shared), so only a test that
keeps failing grafted while it passes plain is a regression.  Tests that
fail plain (the Internet, addresses only a real network routes) prove
nothing either way and are counted, not compared.

The contrib suite through our pyOpenSSL API (inject_pyopenssl()) is
tools/urllib3_pyopenssl_suite.py's, run by the same 2.7 leg.

Exits 1 on a regression, 2 when the suite could not run.  Runs on 2.7 and
3.x.
"""
from __future__ import print_function

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# The outcome-recording pytest plugin (tools/tlsb_outcomes.py), copied
# beside the other plugins.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "tlsb_outcomes.py")) as _plugin:
    OUTCOMES_PLUGIN = _plugin.read()
RETRIES = 2
TIMEOUT = 1200          # seconds for one whole run
PER_TEST_TIMEOUT = 60   # pytest-timeout, so a hung test ends as a failure
EXIT_GRACE = 20         # seconds a process may take to exit after pytest ended

# Pytest plugins put on PYTHONPATH: -p loads them before any conftest.
PLUGINS = {
    "tlsb_graft.py": "import _tls_bootstrap\n_tls_bootstrap.monkeypatch_ssl()\n",
    "tlsb_outcomes.py": OUTCOMES_PLUGIN,
}


def log(message):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def urllib3_sources(directory):
    """The unpacked sdist of the installed urllib3 (test/, dummyserver/)."""
    import urllib3
    version = urllib3.__version__
    root = os.path.join(directory, "urllib3-%s" % version)
    if os.path.isdir(os.path.join(root, "test")):
        return root
    if not os.path.isdir(directory):
        os.makedirs(directory)
    archive = os.path.join(directory, "urllib3-%s.tar.gz" % version)
    if not os.path.exists(archive):
        command = ["-m", "pip", "download", "-q", "--no-deps", "--no-binary",
                   ":all:", "-d", directory, "urllib3==%s" % version]
        # 2.7's last pip (20.3) fails on some index set-ups: python3's then.
        with open(os.devnull, "w") as quiet:
            failed = subprocess.call([sys.executable] + command, stdout=quiet,
                                     stderr=quiet) != 0
        if failed:
            subprocess.check_call(["python3"] + command)
    with tarfile.open(archive) as tar:
        tar.extractall(directory)
    return root


def clean_environment(plugins):
    env = dict(os.environ, PYTHONPATH=plugins, PYTHONDONTWRITEBYTECODE="1")
    # The suite's servers use their own CAs: no host trust store applies.
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
                 "SSL_CERT_DIR", "PIP_CERT"):
        env.pop(name, None)
    return env


class Run(object):
    """One pytest process over the suite; outcomes() once it ended."""

    def __init__(self, sources, plugins, mode, targets, extra):
        handle, self.path = tempfile.mkstemp(prefix="tlsb-urllib3-%s-" % mode,
                                             suffix=".json")
        os.close(handle)
        os.unlink(self.path)
        self.log_path = self.path[:-5] + ".log"
        env = clean_environment(plugins)
        env["TLSB_OUTCOMES"] = self.path
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                   "-p", "tlsb_outcomes", "-q", "-rfE", "--tb=short",
                   "--timeout=%d" % PER_TEST_TIMEOUT]
        if mode == "graft":
            command += ["-p", "tlsb_graft"]
        self.mode = mode
        self.started = time.time()
        self.output = open(self.log_path, "w")
        self.process = subprocess.Popen(command + list(targets) + list(extra),
                                        cwd=sources, env=env,
                                        stdout=self.output,
                                        stderr=subprocess.STDOUT)

    def outcomes(self):
        deadline = self.started + TIMEOUT
        finished_at = None
        while self.process.poll() is None and time.time() < deadline:
            # Some of the suite's servers leave non-daemon threads behind
            # (seen without the graft too): once pytest has written its
            # outcomes, a process that does not exit is stuck in shutdown.
            if finished_at is None and os.path.exists(self.path):
                finished_at = time.time()
            if finished_at is not None and time.time() > finished_at + EXIT_GRACE:
                log("%s run: pytest finished but the process did not exit "
                    "in %d s (threads left behind); killed" % (self.mode, EXIT_GRACE))
                break
            time.sleep(0.5)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
            if finished_at is None:
                log("%s run: killed after %d s" % (self.mode, TIMEOUT))
        self.output.close()
        self.seconds = time.time() - self.started
        try:
            with open(self.path) as f:
                return json.load(f)
        except (IOError, ValueError):
            return None
        finally:
            if os.path.exists(self.path):
                os.unlink(self.path)

    def tail(self, size=6000):
        with open(self.log_path) as f:
            return f.read()[-size:]

    def discard(self):
        if os.path.exists(self.log_path):
            os.unlink(self.log_path)


def counts(outcomes):
    values = list(outcomes.values())
    return tuple(values.count(kind) for kind in ("passed", "failed", "skipped"))


def run_pair(sources, plugins, modes, targets, extra):
    """Runs the modes side by side; {mode: outcomes}, or None for a mode
    that produced none (its log is printed)."""
    runs = [Run(sources, plugins, mode, targets, extra) for mode in modes]
    results = {}
    for run in runs:
        outcomes = run.outcomes()
        if outcomes is None or not outcomes:
            log("%s run produced no outcomes (status %s):\n%s"
                % (run.mode, run.process.returncode, run.tail()))
            outcomes = None
        else:
            passed, failed, skipped = counts(outcomes)
            log("  %-7s %5d passed %4d failed %4d skipped  (%.0f s)"
                % (run.mode, passed, failed, skipped, run.seconds))
        results[run.mode] = (outcomes, run)
    return results


def confirmed_regressions(sources, plugins, suspects, extra):
    """The suspects that keep failing grafted while passing plain."""
    remaining = sorted(suspects)
    for attempt in range(RETRIES):
        if not remaining:
            break
        log("  re-running %d test(s) that passed only plain (attempt %d of %d)"
            % (len(remaining), attempt + 1, RETRIES))
        results = run_pair(sources, plugins, ("plain", "graft"), remaining, extra)
        plain, graft = results["plain"][0] or {}, results["graft"][0] or {}
        still = []
        for test in remaining:
            if graft.get(test) == "passed":
                log("    passed grafted on re-run (a race in the test): %s" % test)
            elif plain.get(test) != "passed":
                log("    failed plain on re-run too (not ours): %s" % test)
            else:
                still.append(test)
        for _, run in results.values():
            if still:
                log(run.tail(4000))
            run.discard()
        remaining = still
    return remaining


def main(argv):
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    directory = os.path.join(os.path.dirname(HERE), ".tox", "urllib3-src")
    if argv[:1] == ["--sources"]:
        directory = os.path.abspath(argv[1])
    import urllib3
    sources = urllib3_sources(directory)
    plugins = tempfile.mkdtemp(prefix="tlsb-urllib3-plugins-")
    try:
        for name, text in PLUGINS.items():
            with open(os.path.join(plugins, name), "w") as f:
                f.write(text)
        log("urllib3 %s's suite (%s), Python %s"
            % (urllib3.__version__, sources, sys.version.split()[0]))
        results = run_pair(sources, plugins, ("plain", "graft"), ["test"], extra)
        plain, graft = results["plain"][0], results["graft"][0]
        for _, run in results.values():
            run.discard()
        if plain is None or graft is None:
            return 2
        if counts(plain)[0] == 0:
            log("no test passed plain: the suite could not run here")
            return 2
        suspects = [test for test, outcome in plain.items()
                    if outcome == "passed" and graft.get(test) != "passed"]
        gained = [test for test, outcome in graft.items()
                  if outcome == "passed" and plain.get(test) != "passed"]
        log("  %d test(s) pass only grafted" % len(gained))
        regressions = confirmed_regressions(sources, plugins, suspects, extra)
        for test in regressions:
            log("REGRESSION %s passes without the graft, fails with it" % test)
        return 1 if regressions else 0
    finally:
        shutil.rmtree(plugins, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
