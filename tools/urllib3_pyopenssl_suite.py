#!/usr/bin/env python
# Copyright the _tls_bootstrap authors. Licensed under the Apache License 2.0.
"""urllib3 1.26.20's test/contrib/test_pyopenssl.py (its HTTPS suite through
urllib3.contrib.pyopenssl.inject_into_urllib3()), unmodified, with real
pyOpenSSL 21 and then with _tls_bootstrap.inject_pyopenssl() (issue 17).

    python tools/urllib3_pyopenssl_suite.py [--cache DIR] [-- PYTEST_ARGS]

Run it with the interpreter under test (2.7: tox -e py27-urllib3), in
an environment holding urllib3 1.26.20's test requirements, pyOpenSSL 21
and _tls_bootstrap.  The test sources come from urllib3's sdist (pip
download, cached).  Exit status 1 when a test that passes with real
pyOpenSSL fails with ours, 2 when the run could not be made, else 0.
Rules of this file: runs on 2.7 and 3.x; only the processes it starts are
signalled.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

RELEASE = "1.26.20"
TIMEOUT = 900
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The outcome-recording pytest plugin (tools/tlsb_outcomes.py), copied
# beside the other plugins.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "tlsb_outcomes.py")) as _plugin:
    OUTCOMES_PLUGIN = _plugin.read()

PLUGINS = {
    "tlsb_inject.py": '''\
import sys

import _tls_bootstrap

_tls_bootstrap.inject_pyopenssl()
assert sys.modules["OpenSSL.SSL"] is _tls_bootstrap.SSL
''',
    "tlsb_outcomes.py": OUTCOMES_PLUGIN,
}


def log(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def fetch(cache):
    """urllib3's unpacked sdist (its test/ and dummyserver/)."""
    top = os.path.join(cache, "urllib3-%s" % RELEASE)
    if os.path.isfile(os.path.join(top, "test", "contrib", "test_pyopenssl.py")):
        return top
    if not os.path.isdir(cache):
        os.makedirs(cache)
    name = os.path.join(cache, "urllib3-%s.tar.gz" % RELEASE)
    # pip 20 on 2.7 fails to download a release that is installed (as it is
    # here): then the host's python3 downloads it
    for python in (sys.executable, "python3"):
        if os.path.exists(name):
            break
        subprocess.call(
            [python, "-m", "pip", "download", "-q", "--no-deps",
             "--no-binary", ":all:", "-d", cache, "urllib3==%s" % RELEASE])
    with tarfile.open(name) as tar:
        tar.extractall(cache)
    return top


def run(source, ours, extra):
    work = tempfile.mkdtemp(prefix="tlsb-urllib3-")
    try:
        for part in ("test", "dummyserver", "setup.cfg"):
            path = os.path.join(source, part)
            if os.path.isdir(path):
                shutil.copytree(path, os.path.join(work, part))
            else:
                shutil.copy(path, work)
        plugins = os.path.join(work, "plugins")
        os.makedirs(plugins)
        for name, text in PLUGINS.items():
            with open(os.path.join(plugins, name), "w") as f:
                f.write(text)
        outcomes = os.path.join(work, "outcomes.json")
        env = dict(os.environ, PYTHONPATH=plugins, TLSB_OUTCOMES=outcomes,
                   PYTHONDONTWRITEBYTECODE="1")
        # urllib3's tests make their own trust stores
        for var in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):
            env.pop(var, None)
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
               "-p", "tlsb_outcomes", "-q", "--tb=short", "-rfE"]
        if ours:
            cmd += ["-p", "tlsb_inject"]
        cmd += ["test/contrib/test_pyopenssl.py"] + list(extra)
        log("$ (cd %s; %s)" % (work, " ".join(cmd)))
        proc = subprocess.Popen(cmd, cwd=work, env=env)
        timer = threading.Timer(TIMEOUT, proc.kill)
        timer.start()
        try:
            proc.wait()
        finally:
            timer.cancel()
        if not os.path.exists(outcomes):
            log("pytest ended (status %s) without outcomes" % proc.returncode)
            return None
        with open(outcomes) as f:
            return json.load(f)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def counts(outcomes):
    return tuple(sum(1 for v in outcomes.values() if v == kind)
                 for kind in ("passed", "failed", "skipped"))


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    cache = os.path.join(ROOT, ".tox", "urllib3-sdist")
    if args[:1] == ["--cache"] and len(args) == 2:
        cache = args[1]
    elif args:
        sys.stderr.write(__doc__)
        return 2
    start = time.time()
    source = fetch(cache)
    real = run(source, False, extra)
    if real is None:
        return 2
    log("real pyOpenSSL: %d passed, %d failed, %d skipped" % counts(real))
    ours = run(source, True, extra)
    if ours is None:
        return 2
    log("inject_pyopenssl(): %d passed, %d failed, %d skipped" % counts(ours))
    worse = sorted(k for k, v in ours.items()
                   if v != "passed" and real.get(k) == "passed")
    for nodeid in worse:
        log("  PASSES ONLY WITH REAL pyOpenSSL: %s (%s)" % (nodeid, ours[nodeid]))
    log("  (%.0f s)" % (time.time() - start))
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())
