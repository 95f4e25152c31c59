"""Helpers shared by the tests: certificate paths, other interpreters,
the openssl command line.  Runs on Python 2.7 and 3.x.
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CERTDATA = os.path.join(HERE, "certdata")

PY2 = sys.version_info[0] == 2
IN_CI = bool(os.environ.get("CI"))


def certfile(name):
    """Path of a file in Lib/test/certdata."""
    path = os.path.join(CERTDATA, name)
    if not os.path.exists(path):
        raise IOError("missing test certificate %s" % path)
    return path


def need(condition, reason):
    """Skip when a required tool or interpreter is missing; in CI that
    would hide a gap, so there it fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail("required in CI: " + reason)
    pytest.skip(reason)


def find_interpreter(version):
    """Path of CPython `version` ("3.13"), from PATH or pyenv, or None."""
    candidates = []
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        candidates.append(os.path.join(directory, "python" + version))
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    versions = os.path.join(pyenv_root, "versions")
    if os.path.isdir(versions):
        for name in sorted(os.listdir(versions), reverse=True):
            if name == version or name.startswith(version + "."):
                candidates.append(os.path.join(versions, name, "bin", "python" + version))
    for path in candidates:
        if os.path.isfile(path) and os.access(path, os.X_OK):
            try:
                out = subprocess.check_output(
                    [path, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
            except (OSError, subprocess.CalledProcessError):
                continue
            if out.decode().strip() == version:
                return path
    return None


def require_interpreter(version):
    path = find_interpreter(version)
    need(path is not None, "needs CPython %s" % version)
    return path


def openssl_cli():
    """Path of the openssl command, skipping (failing in CI) without it."""
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        path = os.path.join(directory, "openssl")
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    need(False, "needs the openssl command")
