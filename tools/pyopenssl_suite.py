#!/usr/bin/env python3
# Copyright the _tls_bootstrap authors. Licensed under the Apache License 2.0.
"""Run pyOpenSSL's own tests, unmodified, against _tls_bootstrap's
crypto/rand (issue 16) or SSL (issue 17).

    tools/pyopenssl_suite.py --tox-dir .tox            what CI runs (py27, py313)
    tools/pyopenssl_suite.py --python PY --suite 21.0.0 [-- -k crl]
    tools/pyopenssl_suite.py --kind ssl --tox-dir .tox   tests/test_ssl.py
    tools/pyopenssl_suite.py --kind ssl --python PY [-- -k alpn]

Each suite is pyOpenSSL's sdist (pip download --no-deps --no-binary :all:,
cached), its tests/ run by pytest in the interpreter under test with a
stand-in `OpenSSL` package first on sys.path: `OpenSSL.crypto` and
`OpenSSL.rand` are our modules themselves (sys.modules entries), `OpenSSL._util`
is cryptography's own binding, as in pyOpenSSL.  The suites and where they run:

    pyOpenSSL 21.0.0 on 2.7 (the last release for 2.7, the behaviour to match)
    pyOpenSSL 24.0.0 on 3.13 (the second oracle)

--kind ssl runs 21.0.0's tests/test_ssl.py on 2.7 and 3.13 twice: with the
real pyOpenSSL 21 installed in the env (the oracle), then with
_tls_bootstrap.inject_pyopenssl() done by a pytest plugin before the tests
import OpenSSL.  A test counts against us only if it passes with the real
one; the list's sections are [ssl 21.0.0] and [ssl 21.0.0 pyXY] (one
interpreter).

Exit status: 1 when a test fails that is not listed in
Lib/test/pyopenssl_known_failures.txt, or a listed one passes (the list stays
honest); 2 when the run could not be made (a missing env, no download); 0
otherwise.  Rules of this file: runs on any Python 3.8+; only the processes
it starts are signalled.
"""
import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The outcome-recording pytest plugin (tools/tlsb_outcomes.py), copied
# beside the other plugins.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "tlsb_outcomes.py")) as _plugin:
    OUTCOMES_PLUGIN = _plugin.read()
KNOWN = os.path.join(ROOT, "Lib", "test", "pyopenssl_known_failures.txt")
# tox env -> pyOpenSSL release whose suite it runs.
LEGS = (("py27", "21.0.0"), ("py313", "24.0.0"))
SSL_LEGS = (("py27", "21.0.0"), ("py313", "21.0.0"))
TIMEOUT = 600

STANDIN = {
    "OpenSSL/__init__.py": '''\
"""Stand-in for pyOpenSSL: its crypto and rand are _tls_bootstrap's."""
import sys
import _tls_bootstrap

crypto = _tls_bootstrap.crypto
rand = _tls_bootstrap.rand
sys.modules["OpenSSL.crypto"] = crypto
sys.modules["OpenSSL.rand"] = rand
__version__ = "_tls_bootstrap"
''',
    # pyOpenSSL's _util is cryptography's binding; tests of pyOpenSSL's
    # internals reach into it (and are listed as such).
    "OpenSSL/_util.py": '''\
from cryptography.hazmat.bindings.openssl.binding import Binding

binding = Binding()
ffi = binding.ffi
lib = binding.lib
''',
    # Only for the suite's pytest_report_header.
    "OpenSSL/SSL.py": '''\
import _tls_bootstrap

SSLEAY_VERSION = 0


def SSLeay_version(kind):
    return _tls_bootstrap.OPENSSL_VERSION.encode("ascii")
''',
    "tlsb_outcomes.py": OUTCOMES_PLUGIN,
}

# --kind ssl: our OpenSSL package through inject_pyopenssl(), done when
# pytest loads its plugins, before the suite's conftest and test modules.
INJECT_PLUGIN = '''\
import sys

import _tls_bootstrap

_tls_bootstrap.inject_pyopenssl()
assert sys.modules["OpenSSL.SSL"] is _tls_bootstrap.SSL


def pytest_report_header(config):
    return "OpenSSL package: _tls_bootstrap (inject_pyopenssl())"
'''

# pyOpenSSL 23.3 moved these names behind a DeprecationWarning on access,
# and 24.0.0's test_crypto imports them inside pytest.warns(): the stand-in
# for that suite gives the same module surface (the objects are ours).
DEPRECATED_24 = ("CRL", "PKCS12", "NetscapeSPKI", "Revoked", "X509Extension",
                 "dump_crl", "load_crl")
STANDIN_24_CRYPTO = '''\
import sys
import types
import warnings
import _tls_bootstrap

_ours = _tls_bootstrap.crypto
_hidden = %r
crypto = types.ModuleType("OpenSSL.crypto")
for _k, _v in vars(_ours).items():
    if _k not in _hidden and _k != "__name__":
        setattr(crypto, _k, _v)


def _getattr(name):
    if name in _hidden and hasattr(_ours, name):
        warnings.warn("%%s is deprecated" %% name, DeprecationWarning,
                      stacklevel=2)
        return getattr(_ours, name)
    raise AttributeError(name)


crypto.__getattr__ = _getattr
sys.modules["OpenSSL.crypto"] = crypto
''' % (DEPRECATED_24,)


def log(msg):
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def fetch(release, cache):
    """The tests/ directory of pyOpenSSL `release`, from a cached sdist."""
    tests = os.path.join(cache, "pyOpenSSL-%s" % release, "tests")
    if os.path.isfile(os.path.join(tests, "test_crypto.py")):
        return tests
    os.makedirs(cache, exist_ok=True)
    name = "pyOpenSSL-%s.tar.gz" % release
    if not os.path.exists(os.path.join(cache, name)):
        subprocess.check_call(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
             "--no-binary", ":all:", "-d", cache, "pyOpenSSL==%s" % release])
    with tarfile.open(os.path.join(cache, name)) as tar:
        members = [m for m in tar.getmembers()
                   if "/tests/" in m.name and m.isfile()]
        tar.extractall(cache, members=members)
    return tests


def load_known():
    """{release: {nodeid: reason}} from the list file."""
    known = {}
    release = None
    with open(KNOWN) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                release = line[1:-1]
                known.setdefault(release, {})
                continue
            nodeid, _, reason = line.partition("  ")
            if release is None or not reason.strip():
                raise SystemExit("%s: %r needs a [release] section and a "
                                 "reason" % (KNOWN, line))
            known[release][nodeid.strip()] = reason.strip()
    return known


def run_suite(python, release, cache, extra, kind="crypto", ours=True):
    tests = fetch(release, cache)
    work = tempfile.mkdtemp(prefix="tlsb-pyopenssl-")
    try:
        shutil.copytree(tests, os.path.join(work, "tests"))
        standin = os.path.join(work, "standin")
        if kind == "ssl":
            plugins = {"tlsb_outcomes.py": STANDIN["tlsb_outcomes.py"]}
            if ours:
                plugins["tlsb_inject.py"] = INJECT_PLUGIN
        else:
            plugins = STANDIN
        for rel, text in plugins.items():
            path = os.path.join(standin, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if release.startswith("24.") and rel == "OpenSSL/__init__.py":
                text = text.replace(
                    'sys.modules["OpenSSL.crypto"] = crypto\n',
                    STANDIN_24_CRYPTO)
            with open(path, "w") as f:
                f.write(text)
        outcomes = os.path.join(work, "outcomes.json")
        env = dict(os.environ, PYTHONPATH=standin, TLSB_OUTCOMES=outcomes,
                   PYTHONDONTWRITEBYTECODE="1")
        # Test-only trust stores: none of the host's CA variables apply.
        for var in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):
            env.pop(var, None)
        cmd = [python, "-m", "pytest", "-p", "no:cacheprovider",
               "-p", "tlsb_outcomes", "-q", "-rfE", "--tb=line"]
        if kind == "ssl":
            if ours:
                cmd += ["-p", "tlsb_inject"]
            cmd += ["tests/test_ssl.py"]
        else:
            cmd += ["tests/test_crypto.py", "tests/test_rand.py"]
        cmd += list(extra)
        log("$ (cd %s; %s)" % (work, " ".join(cmd)))
        proc = subprocess.Popen(cmd, cwd=work, env=env)
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            log("TIMEOUT after %d s" % TIMEOUT)
            return None
        if not os.path.exists(outcomes):
            log("pytest ended (status %s) without outcomes" % proc.returncode)
            return None
        with open(outcomes) as f:
            return json.load(f)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _listed_as(nodeid, listed):
    """The list entry matching nodeid (exact, or a pattern with * for
    parametrized ids too long to list), or None."""
    if nodeid in listed:
        return nodeid
    for entry in listed:
        if "*" in entry and fnmatch.fnmatchcase(nodeid, entry):
            return entry
    return None


def compare(release, outcomes, known, partial, oracle=None):
    """oracle: the outcomes with real pyOpenSSL (--kind ssl); what fails
    there is not held against us."""
    if isinstance(release, tuple):
        listed = {}
        for section in release:
            listed.update(known.get(section, {}))
        release = release[0]
    else:
        listed = known.get(release, {})
    if oracle is not None:
        excused = sorted(k for k, v in outcomes.items()
                         if v == "failed" and k in oracle
                         and oracle[k] != "passed")
        for nodeid in excused:
            log("  fails with real pyOpenSSL too: %s" % nodeid)
        outcomes = dict((k, v) for k, v in outcomes.items()
                        if k not in excused)
    failed = sorted(k for k, v in outcomes.items() if v == "failed")
    failing_entries = set(_listed_as(k, listed) for k in failed)
    ran_entries = set(_listed_as(k, listed) for k in outcomes)
    passed = sum(1 for v in outcomes.values() if v == "passed")
    skipped = sum(1 for v in outcomes.values() if v == "skipped")
    bad = False
    log("pyOpenSSL %s suite: %d passed, %d failed (%d listed), %d skipped, "
        "of %d" % (release, passed, len(failed), len(listed), skipped,
                   len(outcomes)))
    for nodeid in failed:
        if _listed_as(nodeid, listed) is None:
            log("  UNEXPECTED FAILURE: %s" % nodeid)
            bad = True
    for entry in sorted(listed):
        if entry in failing_entries:
            continue
        if listed[entry].startswith("flaky"):
            continue    # may pass or fail, like the real library's run
        if entry not in ran_entries and partial:
            continue
        log("  LISTED BUT %s: %s (remove it from %s)"
            % ("PASSES" if entry in ran_entries else "ABSENT", entry,
               os.path.basename(KNOWN)))
        bad = True
    return bad


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tox-dir", help="run the CI legs in these tox envs")
    parser.add_argument("--python", help="one interpreter (with --suite)")
    parser.add_argument("--suite", help="pyOpenSSL release for --python")
    parser.add_argument("--cache", help="where the sdists are kept")
    parser.add_argument("--kind", choices=("crypto", "ssl"), default="crypto",
                        help="test_crypto+test_rand (default) or test_ssl")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    if args.python:
        legs = [(os.path.abspath(args.python), args.suite or "21.0.0")]
    elif args.tox_dir:
        legs = []
        for env, release in (SSL_LEGS if args.kind == "ssl" else LEGS):
            # absolute: pytest runs from a scratch directory
            python = os.path.abspath(os.path.join(args.tox_dir, env, "bin",
                                                  "python"))
            if not os.path.exists(python):
                log("no %s (run tox -e %s first)" % (python, env))
                return 2
            legs.append((python, release))
    else:
        parser.error("--tox-dir or --python")
    cache = args.cache or os.path.join(args.tox_dir or os.path.join(ROOT, ".tox"),
                                       "pyopenssl-sdists")
    known = load_known()
    status = 0
    for python, release in legs:
        start = time.time()
        oracle = None
        sections = release
        if args.kind == "ssl":
            oracle = run_suite(python, release, cache, args.pytest_args,
                               "ssl", ours=False)
            if oracle is None:
                return 2
            log("real pyOpenSSL %s: %d of %d pass" % (
                release, sum(1 for v in oracle.values() if v == "passed"),
                len(oracle)))
            label = subprocess.check_output(
                [python, "-c", "import sys; "
                 "print('py%d%d' % sys.version_info[:2])"]).decode().strip()
            sections = ("ssl " + release, "ssl %s %s" % (release, label))
        outcomes = run_suite(python, release, cache, args.pytest_args,
                             args.kind)
        if outcomes is None:
            return 2
        if compare(sections, outcomes, known, bool(args.pytest_args),
                   oracle):
            status = 1
        log("  (%.0f s)" % (time.time() - start))
    return status


if __name__ == "__main__":
    sys.exit(main())
