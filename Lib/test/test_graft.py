"""monkeypatch_ssl() / restore_ssl() / is_patched(): what the graft
replaces and adds, that it is idempotent, counted and thread-safe, and
that the undo puts back the very same objects."""
import subprocess
import sys
import threading

import pytest

import _tls_bootstrap as tlsb
import tlsb_support


@pytest.fixture
def host_ssl():
    import ssl
    assert not tlsb.is_patched()
    before = dict(vars(ssl))
    yield ssl
    while tlsb.is_patched():
        tlsb.restore_ssl()
    after = dict(vars(ssl))
    assert set(after) == set(before)
    assert [name for name in before if after[name] is not before[name]] == []


def test_replaced_names_are_ours_and_exceptions_stay(host_ssl):
    originals = dict((name, getattr(host_ssl, name)) for name in
                     ("SSLError", "SSLZeroReturnError", "SSLWantReadError",
                      "SSLEOFError", "CertificateError"))
    report = tlsb.monkeypatch_ssl()
    assert tlsb.is_patched()
    for name in ("SSLContext", "SSLSocket", "SSLObject", "MemoryBIO", "SSLSession",
                 "create_default_context", "_create_unverified_context",
                 "_create_default_https_context", "get_server_certificate"):
        assert getattr(host_ssl, name) is getattr(tlsb, name), name
    if "wrap_socket" in report["replaced"]:
        assert host_ssl.wrap_socket is tlsb.wrap_socket
    for name, original in originals.items():
        assert getattr(host_ssl, name) is original
    assert host_ssl.SSLError is tlsb.SSLError


def test_missing_names_are_added(host_ssl):
    had = set(vars(host_ssl))
    report = tlsb.monkeypatch_ssl()
    for name in ("TLSVersion", "SSLCertVerificationError", "PROTOCOL_TLS_CLIENT",
                 "OP_NO_TICKET", "VERIFY_X509_PARTIAL_CHAIN", "HAS_TLSv1_3",
                 "MemoryBIO", "SSLObject", "Options", "VerifyMode"):
        assert hasattr(host_ssl, name), name
        if name not in had:
            assert name in report["added"]
    assert not set(report["added"]) & had


def test_graft_is_idempotent(host_ssl):
    first = tlsb.monkeypatch_ssl()
    context_class = host_ssl.SSLContext
    second = tlsb.monkeypatch_ssl()
    assert first == second
    assert host_ssl.SSLContext is context_class is tlsb.SSLContext


def test_each_graft_needs_its_own_restore_and_the_last_undoes(host_ssl):
    original = host_ssl.SSLContext
    tlsb.monkeypatch_ssl()          # library A
    tlsb.monkeypatch_ssl()          # library B
    assert tlsb.restore_ssl() is None           # B is done; A still relies on it
    assert tlsb.is_patched() and host_ssl.SSLContext is tlsb.SSLContext
    report = tlsb.restore_ssl()                 # A is done
    assert "SSLContext" in report["replaced"]
    assert not tlsb.is_patched() and host_ssl.SSLContext is original
    assert tlsb.restore_ssl() is None           # nothing left: no underflow
    tlsb.monkeypatch_ssl()
    assert tlsb.is_patched()
    tlsb.restore_ssl()
    assert not tlsb.is_patched()


def test_graft_from_many_threads_at_once(host_ssl):
    barrier = threading.Event()
    reports = []

    def worker():
        barrier.wait(5)
        reports.append(tlsb.monkeypatch_ssl())
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    barrier.set()
    for thread in threads:
        thread.join(10)
    assert len(reports) == 8 and all(r == reports[0] for r in reports)
    for _ in range(7):
        tlsb.restore_ssl()
    assert tlsb.is_patched()
    tlsb.restore_ssl()
    assert not tlsb.is_patched()


def test_users_choice_of_unverified_https_context_is_kept(host_ssl):
    original = host_ssl._create_default_https_context
    host_ssl._create_default_https_context = host_ssl._create_unverified_context
    try:
        tlsb.monkeypatch_ssl()
        assert host_ssl._create_default_https_context is tlsb._create_unverified_context
        tlsb.restore_ssl()
        assert host_ssl._create_default_https_context is host_ssl._create_unverified_context
    finally:
        host_ssl._create_default_https_context = original


def test_users_own_https_context_factory_is_left_alone(host_ssl):
    original = host_ssl._create_default_https_context

    def mine():
        return original()
    host_ssl._create_default_https_context = mine
    try:
        report = tlsb.monkeypatch_ssl()
        assert host_ssl._create_default_https_context is mine
        assert "_create_default_https_context" not in report["replaced"]
        tlsb.restore_ssl()
    finally:
        host_ssl._create_default_https_context = original


def test_grafted_default_context_has_the_hosts_verify_flags(host_ssl):
    strict = tlsb.VERIFY_X509_STRICT | tlsb.VERIFY_X509_PARTIAL_CHAIN
    assert tlsb.create_default_context().verify_flags & strict == strict
    tlsb.monkeypatch_ssl()
    flags = host_ssl.create_default_context().verify_flags
    assert bool(flags & strict) == (sys.version_info >= (3, 13))
    tlsb.restore_ssl()
    assert tlsb.create_default_context().verify_flags & strict == strict


def test_patched_ssl_makes_our_contexts(host_ssl):
    tlsb.monkeypatch_ssl()
    ctx = host_ssl.create_default_context()
    assert isinstance(ctx, tlsb.SSLContext)
    assert isinstance(host_ssl._create_default_https_context(), tlsb.SSLContext)
    assert isinstance(host_ssl._create_stdlib_context(), tlsb.SSLContext)
    assert ctx.verify_mode == host_ssl.CERT_REQUIRED
    assert host_ssl.SSLContext(host_ssl.PROTOCOL_TLS_CLIENT).check_hostname


def test_enums_are_the_hosts_where_it_has_them(host_ssl):
    for name in ("Options", "VerifyMode", "VerifyFlags", "TLSVersion",
                 "AlertDescription", "SSLErrorNumber", "_SSLMethod"):
        if hasattr(host_ssl, name):
            assert getattr(tlsb, name) is getattr(host_ssl, name)
    assert tlsb.Purpose is host_ssl.Purpose


def test_urllib3_bindings_follow_the_graft(host_ssl):
    tlsb_support.require_module("urllib3")
    import urllib3.util.ssl_ as ssl_
    host_context = ssl_.SSLContext
    assert host_context is host_ssl.SSLContext
    report = tlsb.monkeypatch_ssl()
    assert ssl_.SSLContext is tlsb.SSLContext
    assert "urllib3.util.ssl_.SSLContext" in report["rebound"]
    assert isinstance(ssl_.create_urllib3_context(), tlsb.SSLContext)
    tlsb.restore_ssl()
    assert ssl_.SSLContext is host_context


def test_importing_alone_changes_nothing_even_before_ssl():
    code = ("import sys; import _tls_bootstrap, ssl; "
            "assert ssl.SSLContext is not _tls_bootstrap.SSLContext; "
            "assert not _tls_bootstrap.is_patched(); "
            "_tls_bootstrap.monkeypatch_ssl(); "
            "assert ssl.SSLContext is _tls_bootstrap.SSLContext; print('ok')")
    assert subprocess.check_output([sys.executable, "-c", code]).strip() == b"ok"
