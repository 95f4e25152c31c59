"""fork() while other threads are inside TLS: the child starts with the
settings locks free and no thread counted inside a connection's I/O, and
acts only for itself (issue 14, items 2 and 3).  On 3.13 the host's ssl
runs the same tests.

Rules of this file:
- Every child runs under a watchdog (SIGALRM, default action) and the
  parent reaps it with a deadline: a hung child fails the test, it never
  hangs the suite.
- A child only does the work under test and leaves with os._exit(), so
  nothing of pytest runs twice.
"""
import os
import signal
import socket
import sys
import threading
import time
import traceback
import warnings

try:
    import faulthandler
except ImportError:             # 2.7
    faulthandler = None

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_support import MemoryPair, certfile, client_context, server_context

IMPLS = tlsb_support.implementations()
# Under valgrind (which stays with a forked child) or ASan everything is
# 5-50 times slower: fewer children, longer watchdogs.
SLOW = tlsb_support.heap_is_instrumented()
FORKS = 5 if SLOW else 30
CHILD_SECONDS = 120 if SLOW else 10


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


# pid -> the read end of a pipe on which that child writes its traceback,
# so a failure in CI reads as the child's exception, not as "failed".
_child_reports = {}


def fork_child(work):
    """Runs work() in a forked child; returns its pid.  The child exits 0
    if work() returned, 1 if it raised (its traceback goes to reap()), and
    dies of SIGALRM if it is still running after CHILD_SECONDS."""
    # not amid a joined thread's teardown (ASan's fork hole, tlsb_support)
    tlsb_support.wait_for_thread_teardown()
    report_read, report_write = os.pipe()
    with warnings.catch_warnings():
        # 3.12+: "This process is multi-threaded, use of fork() may lead
        # to deadlocks in the child" - which is what is tested here.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid:
        os.close(report_write)
        _child_reports[pid] = report_read
        return pid
    code = 1
    try:
        os.close(report_read)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.alarm(CHILD_SECONDS)
        if faulthandler is not None:
            # A hung child says where each of its threads waits.
            faulthandler.dump_traceback_later(CHILD_SECONDS - 2, file=report_write)
        work()
        code = 0
    except BaseException:
        text = traceback.format_exc()
        sys.stderr.write(text)
        os.write(report_write, text.encode("utf-8", "replace")[-4000:])
    finally:
        os._exit(code)


def _child_traceback(pid):
    """What the child pid wrote before it ended (its traceback, or "")."""
    fd = _child_reports.pop(pid, None)
    if fd is None:
        return ""
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def reap(pid):
    """The child's outcome: "ok", "failed: <its traceback>", "hung: <its
    threads' stacks>" (watchdog; 3.x only has the stacks) or another
    signal's name; a child that outlives its own watchdog is killed."""
    deadline = time.time() + CHILD_SECONDS + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            done, status = os.waitpid(pid, 0)
            return "hung: " + _child_traceback(pid)
        time.sleep(0.01)
    if os.WIFSIGNALED(status):
        return ("hung: " if os.WTERMSIG(status) == signal.SIGALRM else
                "signal %d: " % os.WTERMSIG(status)) + _child_traceback(pid)
    if os.WEXITSTATUS(status) == 0:
        _child_traceback(pid)
        return "ok"
    return "failed: " + _child_traceback(pid)


def test_setters_in_a_child_forked_during_handshakes():
    """Item 2: forked while other threads are inside handshake steps (which
    hold the contexts' settings shared), the child's setters must not wait
    for threads that do not exist in it.  Before the fix about a third of
    the children hung in their first setter.  Also covered: OpenSSL's own
    locks, which fork() waits for (fork.c); 3.13's ssl, without that wait,
    hangs about 1 child in 150 in load_verify_locations() (the X509_STORE
    lock, or BIO_new's ex_data lock, held by a thread at the fork), so it
    is no oracle here."""
    impl = tlsb
    server = server_context(impl)
    client = client_context(impl)
    stop = threading.Event()
    errors = []

    def handshakes():
        try:
            while not stop.is_set():
                pair = MemoryPair(impl, server, client)
                pair.handshake()
                pair.settle()       # the client reads its session tickets
        except Exception as exc:
            errors.append(exc)

    def setters():
        for ctx in (server, client):
            ctx.set_ciphers("ECDHE+AESGCM")
            ctx.load_verify_locations(certfile("ca.pem"))
        server.load_cert_chain(certfile("localhost-chain.pem"), certfile("localhost.key"))
        # And the child can still handshake.
        MemoryPair(impl, server, client).handshake()

    threads = [threading.Thread(target=handshakes) for _ in range(3)]
    for thread in threads:
        thread.daemon = True
        thread.start()
    outcomes = []
    try:
        for _ in range(FORKS):
            time.sleep(0.005)
            outcomes.append(reap(fork_child(setters)))
            if outcomes[-1] != "ok":
                break               # one hang is enough (CHILD_SECONDS each)
    finally:
        stop.set()
        for thread in threads:
            thread.join(30)
    assert not errors, errors
    assert outcomes == ["ok"] * FORKS, (len(outcomes), outcomes[-1])


def test_child_close_leaves_the_parents_blocked_recv_alone(impl):
    """Item 3: a child's close() of an inherited SSLSocket must not shut
    the shared socket down for a recv() that the parent has blocked in
    another thread (nor wait for that thread, which the child lacks): the
    parent's recv() gets the peer's data, not b''."""
    server_ctx, client_ctx = server_context(impl), client_context(impl)
    ours, theirs = tlsb_support.socketpair()
    peer = {}

    def serve():
        peer["tls"] = server_ctx.wrap_socket(theirs, server_side=True)

    server_thread = threading.Thread(target=serve)
    server_thread.start()
    tls = client_ctx.wrap_socket(ours, server_hostname="localhost")
    server_thread.join(10)
    tls.settimeout(20)
    received = []

    def receive():
        try:
            received.append(tls.recv(1024))
        except Exception as exc:
            received.append(exc)

    receiver = threading.Thread(target=receive)
    receiver.daemon = True
    receiver.start()
    time.sleep(0.3)                 # the receiver is blocked now
    started = time.time()
    outcome = reap(fork_child(tls.close))
    child_seconds = time.time() - started
    try:
        peer["tls"].sendall(b"for the parent")
    except Exception as exc:
        pytest.fail("the peer cannot send any more: %r" % (exc,))
    receiver.join(10)
    try:
        assert outcome == "ok"
        assert received == [b"for the parent"]
        # The child waited for no thread.
        assert child_seconds < 2.0, child_seconds
    finally:
        tls.close()
        ours.close()
        peer["tls"].close()
        theirs.close()


def test_child_connection_made_after_fork_still_closes_its_threads(impl):
    """The fork bookkeeping does not forget the child's own threads: a
    connection the child makes, closed under its own blocked recv(), ends
    that recv() as in the parent (ours: OSError EBADF at once)."""
    if impl.__name__ == "ssl":
        pytest.skip("3.13 leaves the blocked recv() blocked (test_faults.py)")

    def child():
        server_ctx, client_ctx = server_context(impl), client_context(impl)
        ours, theirs = tlsb_support.socketpair()
        peer = {}
        server_thread = threading.Thread(
            target=lambda: peer.setdefault("tls", server_ctx.wrap_socket(theirs, server_side=True)))
        server_thread.start()
        tls = client_ctx.wrap_socket(ours, server_hostname="localhost")
        server_thread.join(5)
        result = []

        def receive():
            try:
                result.append(tls.recv(1024))
            except socket.error as exc:
                result.append(exc.errno)
        receiver = threading.Thread(target=receive)
        receiver.start()
        time.sleep(0.2)
        tls.close()
        ours.close()
        receiver.join(5)
        import errno
        assert result == [errno.EBADF], result

    assert reap(fork_child(child)) == "ok"
