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


def heap_is_instrumented():
    """True under ASan or valgrind (tools/sanitize says which): malloc is
    theirs, freed blocks wait in a quarantine, and RSS or malloc figures
    say nothing about leaks."""
    return bool(os.environ.get("TLSB_HEAP_INSTRUMENTED"))


_permanent_c_threads = []


def wait_for_thread_teardown(limit=5.0):
    """Waits (at most `limit` seconds) until the process runs no thread
    that Python has already let go of; a fork() should come after it.

    join() returns when a thread's Python part is done; its C part still
    tears down after that (libc, and ASan emptying the thread's allocator
    cache under the allocator's lock).  GCC 12's libasan takes no lock
    around fork(), so a child forked at that moment inherits the lock held
    and hangs in its first malloc() of that size: seen in CI in a
    test_fork.py child (SSL_new) and in a 2.7 subprocess child before its
    exec().  glibc's malloc has no such hole."""
    # imported here: the green tests monkey-patch them first
    import threading
    import time
    tasks = "/proc/self/task"
    if _permanent_c_threads or not os.path.isdir(tasks):
        return
    deadline = time.time() + limit
    while len(os.listdir(tasks)) > threading.active_count():
        if time.time() > deadline:
            # a thread of C code's own (a faulthandler watchdog): it stays
            _permanent_c_threads.append(True)
            return
        time.sleep(0.005)


def guard_fork_under_asan():
    """Under ASan, os.fork() (2.7's subprocess forks with it and runs
    Python before exec()) waits for thread teardown first (above)."""
    if os.environ.get("TLSB_HEAP_INSTRUMENTED") != "asan" or not hasattr(os, "fork"):
        return
    fork = os.fork

    def fork_after_thread_teardown():
        wait_for_thread_teardown()
        return fork()
    os.fork = fork_after_thread_teardown


def slowdown():
    """How many times longer than a plain run this run's code takes: the
    budgets that tell a hang from slowness are multiplied by it.  Under
    valgrind (tools/sanitize) the hostile sweep's slowest case, 0.7 s plain,
    took over 30 s; ASan costs about 3x."""
    kind = os.environ.get("TLSB_HEAP_INSTRUMENTED", "")
    return {"valgrind": 40, "asan": 4}.get(kind, 1)


# The exit status of a test watchdog that gives up on a hung run: not one
# of pytest's own (0-5; 3 is "internal error"), so a log says which it was.
WATCHDOG_EXIT = 124

_real_stderr = []


def keep_real_stderr():
    """Called from conftest's pytest_configure, before any test captures
    fd 2: keeps a copy of the real stderr for messages written just before
    os._exit(), which would otherwise end in pytest's capture file and
    vanish with the process."""
    if not _real_stderr:
        _real_stderr.append(os.fdopen(os.dup(2), "w"))


def real_stderr():
    """The stderr pytest was started with (sys.__stderr__ outside pytest)."""
    return _real_stderr[0] if _real_stderr else sys.__stderr__


def die_hung(what, seconds):
    """For a watchdog thread: names what hung on the real stderr, dumps
    every thread's stack there and ends the process with WATCHDOG_EXIT."""
    import traceback
    out = real_stderr()
    try:
        out.write("\nwatchdog: no result from %s after %ss; every thread's stack:\n"
                  % (what, seconds))
        import threading
        me = threading.current_thread().ident
        for ident, frame in sorted(sys._current_frames().items()):
            if ident == me:
                continue
            out.write("Thread %#x:\n%s\n" % (ident, "".join(traceback.format_stack(frame))))
        out.write("watchdog: exiting with status %d\n" % WATCHDOG_EXIT)
        out.flush()
    finally:
        os._exit(WATCHDOG_EXIT)


def need(condition, reason):
    """Skip when a required tool or interpreter is missing; in CI that
    would hide a gap, so there it fails instead."""
    if condition:
        return
    if IN_CI:
        pytest.fail("required in CI: " + reason)
    pytest.skip(reason)


def require_module(name):
    """Import `name`; tox installs it, so in CI its absence is a failure."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        need(False, "needs the %s module" % name)


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


# ---------------------------------------------------------------------------
# Implementations under test: _tls_bootstrap always, and the host's own ssl
# on 3.13 as the oracle (older hosts differ from 3.13 on purpose or by bug).
# ---------------------------------------------------------------------------
def implementations():
    import ssl
    import _tls_bootstrap
    impls = [_tls_bootstrap]
    if sys.version_info[:2] >= (3, 13):
        impls.append(ssl)
    return impls


def impl_id(module):
    return "tlsb" if module.__name__ == "_tls_bootstrap" else "stdlib"


def _apply(ctx, settings):
    # check_hostname goes first: CERT_NONE is refused while it is on, and
    # 2.7's keyword dicts have no order.
    if "check_hostname" in settings:
        ctx.check_hostname = settings.pop("check_hostname")
    for name, value in settings.items():
        setattr(ctx, name, value)
    return ctx


def server_context(impl, certfile="localhost-chain.pem", keyfile="localhost.key",
                   **settings):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certfile_path(certfile), certfile_path(keyfile))
    return _apply(ctx, settings)


def client_context(impl, cafile="ca.pem", **settings):
    ctx = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    if cafile:
        ctx.load_verify_locations(certfile_path(cafile))
    return _apply(ctx, settings)


def certfile_path(name):
    return name if os.path.isabs(name) else certfile(name)


def client_auth_contexts(impl):
    """(server, client): the server requires a certificate from our root,
    the client presents client.pem."""
    server = server_context(impl, verify_mode=impl.CERT_REQUIRED)
    server.load_verify_locations(certfile("ca.pem"))
    client = client_context(impl)
    client.load_cert_chain(certfile("client.pem"), certfile("client.key"))
    return server, client


class MemoryPair(object):
    """A client and a server SSLObject joined by memory BIOs."""

    def __init__(self, impl, server_ctx, client_ctx, server_hostname="localhost",
                 session=None):
        self.c_in, self.c_out = impl.MemoryBIO(), impl.MemoryBIO()
        self.s_in, self.s_out = impl.MemoryBIO(), impl.MemoryBIO()
        self.client = client_ctx.wrap_bio(self.c_in, self.c_out,
                                          server_hostname=server_hostname,
                                          session=session)
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)
        self.impl = impl

    def pump(self):
        """Move pending bytes both ways; True if anything moved."""
        moved = False
        data = self.c_out.read()
        if data:
            self.s_in.write(data)
            moved = True
        data = self.s_out.read()
        if data:
            self.c_in.write(data)
            moved = True
        return moved

    def handshake(self, rounds=10):
        """Run both handshakes to completion; exceptions other than
        SSLWantReadError propagate (from whichever side raised first)."""
        done = {"client": False, "server": False}
        for _ in range(rounds):
            for name, end in (("client", self.client), ("server", self.server)):
                if done[name]:
                    continue
                try:
                    end.do_handshake()
                    done[name] = True
                except self.impl.SSLWantReadError:
                    pass
            moved = self.pump()
            if done["client"] and done["server"] and not moved:
                return
        if not (done["client"] and done["server"]):
            raise AssertionError("handshake did not finish: %r" % done)

    def send(self, sender, receiver, data):
        sender.write(data)
        self.pump()
        received = b""
        while len(received) < len(data):
            received += receiver.read(len(data) - len(received))
        return received

    def settle(self, rounds=5):
        """Let post-handshake messages (TLS 1.3 tickets) arrive."""
        for _ in range(rounds):
            for end in (self.client, self.server):
                try:
                    end.read(1)
                except self.impl.SSLWantReadError:
                    pass
            if not self.pump():
                break


class catch_unraisable(object):
    """Collects what reaches sys.unraisablehook (3.8+); yields None on
    hosts without the hook (there the report goes to stderr)."""

    def __enter__(self):
        if not hasattr(sys, "unraisablehook"):
            return None
        self.caught = []
        self.saved = sys.unraisablehook
        sys.unraisablehook = lambda unraisable: self.caught.append(unraisable.exc_value)
        return self.caught

    def __exit__(self, *exc):
        if hasattr(self, "saved"):
            sys.unraisablehook = self.saved


def socketpair():
    """A connected pair of socket.socket objects (2.7's socket.socketpair()
    returns bare _socket.socket objects, which wrap_socket cannot take)."""
    import socket
    first, second = socket.socketpair()
    if PY2:
        first, second = socket.socket(_sock=first), socket.socket(_sock=second)
    return first, second
