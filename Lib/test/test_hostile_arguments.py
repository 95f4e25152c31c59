"""Every public callable and attribute of _tls_bootstrap, called with
hostile arguments in each state of its object: the only outcomes allowed
are success or the exceptions the stdlib raises for the same misuse, never
SystemError, a crash or a hang.

The API listing comes from the modules themselves (dir() of _tls_bootstrap,
its classes, crypto, rand and their types), so new API is swept without
editing this file; test_every_public_name_is_swept_or_excluded fails when a
public name has neither a state to be swept in nor an entry in EXCLUDED.
On 3.13 every case also runs against the host's ssl where it has the same
callable or attribute, and the exception types must agree (the accepted
differences are KNOWN_DIFFERENCES, each with its reason).

Rules of this file: objects are made fresh for each (callable, state);
a per-case watchdog (faulthandler, or SIGALRM on 2.7) kills a hung run;
sockets carry a short timeout so blocking calls end; sizes are refused or
handled without touching more than a few hundred MB.
"""
import gc
import os
import socket
import sys
import threading
import time
import warnings

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_support import MemoryPair, certfile, client_context, server_context

crypto = tlsb.crypto
PY2 = sys.version_info[0] == 2
ORACLE = sys.version_info[:2] >= (3, 13)
# seconds for one (callable, state): a hang, not slowness (valgrind: 20 min)
CASE_TIMEOUT = 30 * tlsb_support.slowdown()
SOCKET_TIMEOUT = 0.05      # blocking socket calls on the sweep's sockets


# ---------------------------------------------------------------------------
# Hostile values
# ---------------------------------------------------------------------------
class _Marker(object):
    pass


VALUES = [
    None, True, 0, 1, -1, 1.5, float("nan"),
    2 ** 31, 2 ** 63, 2 ** 64, sys.maxsize, -sys.maxsize - 1,
    2 ** 24,                                   # a big but bounded size
    "", "localhost", "a\x00b", u"\udcff", u"caf\xe9", "x" * 5000,
    b"", b"a\x00b", b"\xff" * 3, b"x" * 2 ** 20,
    bytearray(b"abc"), memoryview(b"abc"), memoryview(bytearray(16)),
    [], [b"h2"], (1, 2), {}, _Marker(), object, len,
]


def value_id(value):
    """A stable label: case names are keys, and reprs with addresses in
    them would differ between the two implementations' runs."""
    text = repr(value)
    if " at 0x" in text:
        text = "<%s>" % type(value).__name__
    elif len(text) > 24:
        text = text[:20] + "..." + str(len(text))
    for index, known in enumerate(VALUES):
        if known is value:
            return "%s#%d" % (text, index)
    return text


# Plausible leading arguments, so that the hostile value also reaches the
# second and third parameters.  Everything else gets GENERIC_PREFIXES.
def _prefixes(impl):
    cert, key = certfile("localhost-chain.pem"), certfile("localhost.key")
    return {
        "load_cert_chain": [(cert,), (cert, key)],
        "load_cert_chain_data": [(open(cert, "rb").read(),)],
        "load_verify_locations": [(None,), (None, None)],
        "wrap_bio": [(impl.MemoryBIO(), impl.MemoryBIO()),
                     (impl.MemoryBIO(), impl.MemoryBIO(), False)],
        "export_keying_material": [("EXPERIMENTAL-hostile",),
                                   ("EXPERIMENTAL-hostile", 16)],
        "get_channel_binding": [],
        "getpeercert": [],
        "recv_into": [(bytearray(8),), (bytearray(8), 4)],
        "recvfrom_into": [(bytearray(8),), (bytearray(8), 4)],
        "read": [(4,)],
        "send": [(b"x",)],
        "sendall": [(b"x",)],
        "sendto": [(b"x",), (b"x", 0)],
        "sign": [(crypto.PKey(),), (crypto.PKey(), b"data")],
        "verify": [(crypto.X509(), b"sig"), (crypto.X509(), b"sig", b"data")],
        "generate_key": [(crypto.TYPE_RSA,), (crypto.TYPE_EC,)],
        "dump_privatekey": [(crypto.FILETYPE_PEM, crypto.PKey())],
        "load_privatekey": [(crypto.FILETYPE_PEM, b"x")],
        "load_pkcs12": [(b"x",)],
        "X509Extension": [(b"basicConstraints", True),
                          (b"subjectKeyIdentifier", False, b"hash")],
        "X509StoreContext": [(crypto.X509Store(),)],
    }


GENERIC_PREFIXES = [("localhost",), (1,)]


# ---------------------------------------------------------------------------
# Objects in their states.  Each factory takes the implementation (ours, or
# the host's ssl as oracle) and returns a fresh object; resources are
# registered in `keep` and released after the case.
# ---------------------------------------------------------------------------
def _pair(impl, handshake=True):
    pair = MemoryPair(impl, server_context(impl), client_context(impl))
    if handshake:
        pair.handshake()
        pair.settle()
    return pair


def _unwrapped(impl, keep):
    pair = _pair(impl)
    for _ in range(4):
        for end in (pair.client, pair.server):
            try:
                end.unwrap()
            except (impl.SSLWantReadError, impl.SSLError):
                pass
        pair.pump()
    return pair.client


class SocketPair(object):
    """A connected loopback SSLSocket pair; the server end is handshaken in
    a thread, then held open without reading."""

    def __init__(self, impl):
        plain_client, plain_server = tlsb_support.socketpair()
        server_ctx = server_context(impl)
        result = {}
        plain_client.settimeout(10)
        plain_server.settimeout(10)

        def serve():
            try:
                result["server"] = server_ctx.wrap_socket(plain_server, server_side=True)
            except Exception as exc:       # shown by the assertion below
                result["error"] = exc
        thread = threading.Thread(target=serve)
        thread.daemon = True
        thread.start()
        self.client = client_context(impl).wrap_socket(plain_client,
                                                       server_hostname="localhost")
        thread.join(10)
        assert "server" in result, result
        self.server = result["server"]
        self.client.settimeout(SOCKET_TIMEOUT)

    def close(self):
        self.client.close()
        self.server.close()


def _socket_unconnected(impl, keep):
    sock = client_context(impl).wrap_socket(socket.socket(), server_hostname="localhost")
    sock.settimeout(SOCKET_TIMEOUT)
    keep.append(sock)
    return sock


def _socket_connected(impl, keep):
    pair = SocketPair(impl)
    keep.append(pair)
    return pair.client


def _socket_closed(impl, keep):
    pair = SocketPair(impl)
    keep.append(pair)
    pair.client.close()
    return pair.client


def _session(impl, keep):
    pair = _pair(impl)
    return pair.client.session


def _certificate(impl, keep):
    # SSLObject.get_verified_chain() gives DER; the objects are underneath
    return _pair(impl).client._sslobj.get_verified_chain()[0]


def _bio_with_data(impl, keep):
    bio = impl.MemoryBIO()
    bio.write(b"0123456789")
    return bio


def _bio_eof(impl, keep):
    bio = impl.MemoryBIO()
    bio.write(b"tail")
    bio.write_eof()
    return bio


def _pem(name):
    with open(certfile(name), "rb") as f:
        return f.read()


def _x509_loaded(impl, keep):
    return crypto.load_certificate(crypto.FILETYPE_PEM, _pem("localhost.pem"))


def _pkey_loaded(impl, keep):
    return crypto.load_privatekey(crypto.FILETYPE_PEM, _pem("localhost.key"))


def _name_loaded(impl, keep):
    return _x509_loaded(impl, keep).get_subject()


def _req_signed(impl, keep):
    req = crypto.X509Req()
    req.get_subject().CN = "hostile"
    key = _pkey_loaded(impl, keep)
    req.set_pubkey(key)
    req.sign(key, "sha256")
    return req


def _store_loaded(impl, keep):
    store = crypto.X509Store()
    for name in ("ca.pem", "intermediate.pem"):
        store.add_cert(crypto.load_certificate(crypto.FILETYPE_PEM, _pem(name)))
    return store


def _store_context(impl, keep):
    return crypto.X509StoreContext(_store_loaded(impl, keep), _x509_loaded(impl, keep))


def _pkcs12_loaded(impl, keep):
    p12 = crypto.PKCS12()
    p12.set_certificate(_x509_loaded(impl, keep))
    p12.set_privatekey(_pkey_loaded(impl, keep))
    return p12


def _crl_loaded(impl, keep):
    return crypto.load_crl(crypto.FILETYPE_PEM, _pem("intermediate.crl"))


def _revoked_set(impl, keep):
    revoked = crypto.Revoked()
    revoked.set_serial(b"3ab")
    revoked.set_rev_date(b"20250101000000Z")
    revoked.set_reason(b"superseded")
    return revoked


def _pkcs7_loaded(impl, keep):
    import subprocess
    pem = subprocess.check_output(
        ["openssl", "crl2pkcs7", "-nocrl", "-certfile", certfile("ca.pem")])
    return crypto.load_pkcs7_data(crypto.FILETYPE_PEM, pem)


def _spki_signed(impl, keep):
    spki = crypto.NetscapeSPKI()
    key = _pkey_loaded(impl, keep)
    spki.set_pubkey(key)
    spki.sign(key, "sha256")
    return spki


def _extension(impl, keep):
    return crypto.X509Extension(b"basicConstraints", True, b"CA:FALSE")


# owner name -> (how to get the class from an implementation, {state: factory})
OWNERS = {
    "SSLContext": (lambda impl: impl.SSLContext, {
        "client": lambda impl, keep: client_context(impl),
        "server": lambda impl, keep: server_context(impl),
    }),
    "SSLObject": (lambda impl: impl.SSLObject, {
        "fresh": lambda impl, keep: _pair(impl, handshake=False).client,
        "handshaken": lambda impl, keep: _pair(impl).client,
        "server-handshaken": lambda impl, keep: _pair(impl).server,
        "unwrapped": _unwrapped,
    }),
    "SSLSocket": (lambda impl: impl.SSLSocket, {
        "unconnected": _socket_unconnected,
        "connected": _socket_connected,
        "closed": _socket_closed,
    }),
    "MemoryBIO": (lambda impl: impl.MemoryBIO, {
        "empty": lambda impl, keep: impl.MemoryBIO(),
        "data": _bio_with_data,
        "eof": _bio_eof,
    }),
    "SSLSession": (lambda impl: impl.SSLSession, {"resumable": _session}),
    "Certificate": (lambda impl: getattr(impl, "Certificate", None) or
                    type(_certificate(impl, [])), {"leaf": _certificate}),
    "crypto.X509": (lambda impl: crypto.X509, {
        "fresh": lambda impl, keep: crypto.X509(), "loaded": _x509_loaded}),
    "crypto.PKey": (lambda impl: crypto.PKey, {
        "fresh": lambda impl, keep: crypto.PKey(), "loaded": _pkey_loaded}),
    "crypto.X509Name": (lambda impl: crypto.X509Name, {
        "fresh": lambda impl, keep: crypto.X509().get_subject(), "loaded": _name_loaded}),
    "crypto.X509Req": (lambda impl: crypto.X509Req, {
        "fresh": lambda impl, keep: crypto.X509Req(), "signed": _req_signed}),
    "crypto.X509Extension": (lambda impl: crypto.X509Extension, {"made": _extension}),
    "crypto.X509Store": (lambda impl: crypto.X509Store, {
        "fresh": lambda impl, keep: crypto.X509Store(), "loaded": _store_loaded}),
    "crypto.X509StoreContext": (lambda impl: crypto.X509StoreContext,
                                {"made": _store_context}),
    "crypto.PKCS12": (lambda impl: crypto.PKCS12, {
        "fresh": lambda impl, keep: crypto.PKCS12(), "loaded": _pkcs12_loaded}),
    "crypto.CRL": (lambda impl: crypto.CRL, {
        "fresh": lambda impl, keep: crypto.CRL(), "loaded": _crl_loaded}),
    "crypto.Revoked": (lambda impl: crypto.Revoked, {
        "fresh": lambda impl, keep: crypto.Revoked(), "set": _revoked_set}),
    "crypto.PKCS7": (lambda impl: crypto.PKCS7, {"loaded": _pkcs7_loaded}),
    "crypto.NetscapeSPKI": (lambda impl: crypto.NetscapeSPKI, {
        "fresh": lambda impl, keep: crypto.NetscapeSPKI(), "signed": _spki_signed}),
}

# Attributes X509Name answers through __getattr__/__setattr__ (not in dir()).
DYNAMIC_ATTRIBUTES = {"crypto.X509Name": ["CN", "countryName", "emailAddress", "noSuchField"]}


# ---------------------------------------------------------------------------
# What is swept, from the modules' own listings
# ---------------------------------------------------------------------------
OUR_MODULES = ("_tls_bootstrap", "_tls_bootstrap_core", "_tls_bootstrap.crypto",
               "_tls_bootstrap.rand", "_tls_bootstrap_core.crypto",
               "_tls_bootstrap_core.rand")

# Public names deliberately not swept, with the reason.  Names excluded by
# rule (not listed here): modules imported by _tls_bootstrap, constants
# (ints, strings, tuples), exception classes and objects that are the host
# ssl's own (Purpose, DefaultVerifyPaths, the enums on 3.x), and SSLSocket
# methods inherited unchanged from socket.socket.
EXCLUDED = {
    # The command line: argparse answers bad arguments with SystemExit;
    # test_crypto_cli and the CLI tests cover it.
    ("_tls_bootstrap", "main"): "command line (SystemExit on bad argv)",
    # Constants holders, no behaviour.
    ("_tls_bootstrap.crypto", "X509StoreFlags"): "constants holder",
}

# Swept with arguments only: called without arguments they succeed and
# change the host's ssl module (test_graft covers that), or sys.modules'
# OpenSSL entries (test_pyopenssl_inject covers that).
ARGS_ONLY = {"monkeypatch_ssl", "restore_ssl", "inject_pyopenssl", "extract_pyopenssl"}

# Functions that take duck-typed objects (files, sockets, streams): the
# stdlib raises AttributeError for an argument without the method.
DUCK_TYPED = {"wrap_socket", "sendfile", "report", "self_test", "get_server_certificate",
              "wrap_bio", "makefile"}


def _is_ours(obj):
    return getattr(obj, "__module__", None) in OUR_MODULES


def _excluded_by_rule(obj):
    if isinstance(obj, type(os)):
        return True
    if isinstance(obj, (int, float, str, bytes, tuple, list, dict, type(u""))):
        return True
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return True
    return not _is_ours(obj)


def module_functions():
    """(module name, name, callable) for each public callable of
    _tls_bootstrap, crypto and rand, plus the classes made by calling."""
    found = []
    for modname, module in (("_tls_bootstrap", tlsb), ("_tls_bootstrap.crypto", crypto),
                            ("_tls_bootstrap.rand", tlsb.rand)):
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if name in ("crypto", "rand") and modname == "_tls_bootstrap":
                continue                           # swept as modules of their own
            if (modname, name) in EXCLUDED or _excluded_by_rule(obj) or not callable(obj):
                continue
            found.append((modname, name, obj))
    return found


def public_members(owner):
    """Public names of the owner's class (and instances' dynamic attributes),
    without SSLSocket's unchanged socket.socket methods."""
    cls = OWNERS[owner][0](tlsb)
    names = []
    for name in sorted(dir(cls)):
        if name.startswith("_") or (owner, name) in EXCLUDED:
            continue
        if owner == "SSLSocket" and getattr(cls, name, None) is getattr(
                socket.socket, name, object()):
            continue
        names.append(name)
    return names + DYNAMIC_ATTRIBUTES.get(owner, [])


def public_listing():
    """Every public (owner, name) the modules list, before exclusions."""
    listing = set()
    for modname, module in (("_tls_bootstrap", tlsb), ("_tls_bootstrap.crypto", crypto),
                            ("_tls_bootstrap.rand", tlsb.rand)):
        for name in dir(module):
            if name.startswith("_") or name in ("crypto", "rand"):
                continue
            obj = getattr(module, name)
            if _excluded_by_rule(obj):
                continue
            listing.add((modname, name))
            if (modname, name) in EXCLUDED:
                continue
            # an enum's members are constants (its constructor is swept)
            if (isinstance(obj, type) and obj.__module__ in OUR_MODULES and
                    not hasattr(obj, "__members__")):
                qual = obj.__name__ if modname == "_tls_bootstrap" else "crypto." + obj.__name__
                for member in dir(obj):
                    if not member.startswith("_"):
                        listing.add((qual, member))
    return listing


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------
ALLOWED = (TypeError, ValueError, OverflowError, EnvironmentError, NotImplementedError)


class Watchdog(object):
    """Fails a hung run: after CASE_TIMEOUT a timer thread names the case,
    dumps every thread's stack and exits with tlsb_support.WATCHDOG_EXIT,
    all on the real stderr (a message in pytest's capture would vanish
    with the process); faulthandler (or SIGALRM on 2.7) does the same
    later for a hang that holds the GIL."""
    current = None

    def __init__(self, case):
        self.case = case

    def __enter__(self):
        Watchdog.current = self.case
        self.timer = threading.Timer(CASE_TIMEOUT, self._expire)
        self.timer.daemon = True
        self.timer.start()
        try:
            import faulthandler
        except ImportError:
            import signal
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(2 * CASE_TIMEOUT)
            self.cancel = lambda: signal.alarm(0)
        else:
            faulthandler.dump_traceback_later(2 * CASE_TIMEOUT, exit=True,
                                              file=tlsb_support.real_stderr())
            self.cancel = faulthandler.cancel_dump_traceback_later
        return self

    def _expire(self):
        tlsb_support.die_hung(Watchdog.current, CASE_TIMEOUT)

    def __exit__(self, *exc):
        self.timer.cancel()
        self.cancel()


def _outcome(action):
    try:
        result = action()
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        return exc
    if isinstance(result, socket.socket):
        result.close()
    return None


# Values that are honest work, not misuse, for these callables: 2**24
# PBKDF rounds for PKCS12.export take minutes (pyOpenSSL does them too).
SLOW_VALUES = {"export": (2 ** 24,)}


def _calls(name, prefixes):
    """(label, args, kwargs) for one callable."""
    for label, args, kwargs in _all_calls(name, prefixes):
        if not any(type(a) is int and a in SLOW_VALUES.get(name, ()) for a in args):
            yield label, args, kwargs


def _all_calls(name, prefixes):
    yield "()", (), {}
    for value in VALUES:
        yield "(%s)" % value_id(value), (value,), {}
    for value in VALUES[:16]:
        yield "(%s, %s)" % (value_id(value), value_id(value)), (value, value), {}
    yield "(7 args)", (0,) * 7, {}
    yield "(no_such_keyword=1)", (), {"no_such_keyword": 1}
    for prefix in prefixes.get(name, GENERIC_PREFIXES):
        for value in VALUES:
            label = "(%s, %s)" % (", ".join(value_id(p) for p in prefix), value_id(value))
            yield label, tuple(prefix) + (value,), {}


# The oracle itself crashes here: CPython 3.8-3.13's keylog_filename setter
# passes the NULL of a deletion to PyUnicode_FSConverter (segfault).  Ours
# treats `del` as None (key logging off).
STDLIB_CRASHES_ON_DELETE = {"keylog_filename"}


class Sweep(object):
    """Runs every case against one implementation and records outcomes:
    {case: exception class or None}."""

    def __init__(self, impl):
        self.impl = impl
        self.outcomes = {}
        self.prefixes = _prefixes(impl)
        self.swept = set()
        self.durations = {}

    def call(self, key, target, name):
        if name in ARGS_ONLY:
            calls = [c for c in _calls(name, self.prefixes) if c[1] or c[2]]
        else:
            calls = _calls(name, self.prefixes)
        for label, args, kwargs in calls:
            self.outcomes[key + label] = _outcome(lambda: target(*args, **kwargs))

    def attribute(self, key, obj, name):
        self.outcomes[key + " get"] = _outcome(lambda: getattr(obj, name))
        for value in VALUES:
            self.outcomes[key + " = %s" % value_id(value)] = _outcome(
                lambda: setattr(obj, name, value))
        if self.impl is tlsb or name not in STDLIB_CRASHES_ON_DELETE:
            self.outcomes[key + " del"] = _outcome(lambda: delattr(obj, name))

    def run_functions(self):
        for modname, name, obj in module_functions():
            target = obj if self.impl is tlsb else self._oracle_function(modname, name)
            if target is None:
                continue
            self.swept.add((modname, name))
            started = time.time()
            with Watchdog("%s.%s" % (modname, name)):
                self.call("%s.%s" % (modname, name), target, name)
            self.durations["%s.%s" % (modname, name)] = time.time() - started

    def _oracle_function(self, modname, name):
        if modname != "_tls_bootstrap":
            return None
        return getattr(self.impl, name, None)

    def run_members(self):
        for owner, (get_class, states) in sorted(OWNERS.items()):
            if self.impl is not tlsb and owner.startswith("crypto."):
                continue
            names = public_members(owner)
            cls = get_class(self.impl)
            for state, factory in sorted(states.items()):
                for name in names:
                    if self.impl is not tlsb and not hasattr(cls, name):
                        continue
                    self.swept.add((owner, name))
                    started = time.time()
                    with Watchdog("%s[%s].%s" % (owner, state, name)):
                        self._member_case(owner, state, factory, name, cls)
                    self.durations["%s[%s].%s" % (owner, state, name)] = time.time() - started

    def _member_case(self, owner, state, factory, name, cls):
        keep = []
        try:
            obj = factory(self.impl, keep)
            key = "%s[%s].%s" % (owner, state, name)
            member = getattr(cls, name, None)
            if callable(member) and not isinstance(member, property):
                self.call(key, getattr(obj, name), name)
            else:
                self.attribute(key, obj, name)
        finally:
            for resource in keep:
                resource.close()


class _Discard(object):
    def write(self, text):
        pass

    def flush(self):
        pass


def run_sweep(impl):
    stdout = sys.stdout
    sys.stdout = _Discard()                # report() and self_test() print
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sweep = Sweep(impl)
            sweep.run_functions()
            sweep.run_members()
            gc.collect()
    finally:
        sys.stdout = stdout
    return sweep


def owner_of(case):
    return case.split("[", 1)[0].split("(", 1)[0]


def name_of(case):
    head = case.split("(", 1)[0].split(" ", 1)[0]
    return head.rsplit(".", 1)[-1]


# Exceptions outside ALLOWED that the 3.13 stdlib raises for the same case
# (its pure-Python helpers and closed sockets): test_same_exception_types_
# as_stdlib_313 checks on 3.13 that it really does.
AS_STDLIB = {
    "_tls_bootstrap.PEM_cert_to_DER_cert": (AttributeError,),   # .startswith
    "_tls_bootstrap.cert_time_to_seconds": (AttributeError,     # .title
                                            KeyError, TypeError),  # {}[:3]
    "SSLSocket[closed].getpeercert": (AttributeError,),   # _sslobj is None
}

# pyOpenSSL's own answers, for crypto: IndexError for a missing extension,
# X509StoreContextError (not a crypto.Error) for a failed verification.
AS_PYOPENSSL = {
    "get_extension": (IndexError,),
    "verify_certificate": (crypto.X509StoreContextError,),
    "get_verified_chain": (crypto.X509StoreContextError,),
}


def _no_cryptography():
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return True
    return False


def _allowed(case, exc):
    if isinstance(exc, SystemError):
        return False
    if isinstance(exc, ALLOWED):
        return True
    for prefix, types in AS_STDLIB.items():
        if case.startswith(prefix) and isinstance(exc, types):
            return True
    if case.startswith("crypto.") or case.startswith("_tls_bootstrap.crypto."):
        if isinstance(exc, (crypto.Error,) + AS_PYOPENSSL.get(name_of(case), ())):
            return True
    if isinstance(exc, ImportError) and name_of(case) in (
            "to_cryptography", "from_cryptography", "to_cryptography_key",
            "from_cryptography_key"):
        # the documented answer where cryptography is not installed (the
        # refleak leg's debug interpreters)
        return _no_cryptography()
    if isinstance(exc, AttributeError):
        # read-only or undeletable attributes, a field X509Name does not
        # have, arguments without the method a duck-typed parameter needs
        return (" = " in case or case.endswith(" del") or ".noSuchField" in case or
                name_of(case) in DUCK_TYPED)
    return False


def sweep_in_scratch_directory(impl):
    """Runs the sweep from an empty directory: hostile names become key log
    files and rand.write_file outputs there, removed afterwards."""
    import shutil
    import tempfile
    here = os.getcwd()
    scratch = tempfile.mkdtemp(prefix="hos-sweep-")
    os.chdir(scratch)
    try:
        return run_sweep(impl)
    finally:
        os.chdir(here)
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(scope="module")
def ours():
    return sweep_in_scratch_directory(tlsb)


@pytest.fixture(scope="module")
def stdlib():
    if not ORACLE:
        pytest.skip("the host's ssl is the oracle on 3.13 only")
    import ssl
    return sweep_in_scratch_directory(ssl)


def _describe(exc):
    return "ok" if exc is None else type(exc).__name__


def test_only_stdlib_exceptions_never_systemerror(ours):
    bad = ["%s -> %s: %s" % (case, type(exc).__name__, str(exc)[:120])
           for case, exc in sorted(ours.outcomes.items())
           if exc is not None and not _allowed(case, exc)]
    assert not bad, "\n".join(bad)


def test_sweep_is_large(ours):
    # per-interpreter figure for the report; a sweep that found nothing to
    # call would pass every other test
    print("hostile cases: %d" % len(ours.outcomes))
    slowest = sorted(ours.durations.items(), key=lambda item: -item[1])[:8]
    print("slowest: " + ", ".join("%s %.2fs" % item for item in slowest))
    assert len(ours.outcomes) > 20000


def test_memory_stays_bounded(ours):
    if tlsb_support.heap_is_instrumented():
        pytest.skip("ASan's/valgrind's allocator keeps freed blocks")
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux
    assert peak < 600 * 1024, peak


def test_every_public_name_is_swept_or_excluded(ours):
    missing = set()
    for owner, name in public_listing():
        if (owner, name) in EXCLUDED or (owner, name) in ours.swept:
            continue
        missing.add((owner, name))
    socket_inherited = set(
        ("SSLSocket", n) for n in dir(tlsb.SSLSocket)
        if getattr(tlsb.SSLSocket, n, None) is getattr(socket.socket, n, object()))
    missing -= socket_inherited
    assert not missing, sorted(missing)


def test_new_api_is_listed_without_editing_this_file():
    # what makes the guard above fail for API nobody added a state for
    def brand_new(argument):
        return argument
    brand_new.__module__ = "_tls_bootstrap"
    tlsb.brand_new = brand_new
    try:
        assert ("_tls_bootstrap", "brand_new") in public_listing()
        assert "brand_new" in [name for _, name, _ in module_functions()]
    finally:
        del tlsb.brand_new


def test_exclusions_are_real_names():
    listing = public_listing() | set(
        (m, n) for m, mod in (("_tls_bootstrap", tlsb),) for n in dir(mod))
    stale = [key for key in EXCLUDED if key not in listing and not (
        key[0] == "_tls_bootstrap.crypto" and hasattr(crypto, key[1]))]
    assert not stale, stale


# Where our answer differs from 3.13's on purpose.  "where" is the case
# head ("Owner[state].name", "[*]" for any state); "kind" call, set, del;
# "values": substrings of the case's arguments (None: all); "ours"/"theirs":
# the exception names (None for success).
def _difference(where, kind, reason, values=None, ours=(), theirs=()):
    return {"where": where, "kind": kind, "reason": reason, "values": values,
            "ours": ours, "theirs": theirs}


KNOWN_DIFFERENCES = [
    _difference("SSLContext[*].check_hostname", "del",
                "3.13 calls its setter with NULL (TypeError 'function takes at "
                "least one argument'); AttributeError is Python's answer for an "
                "undeletable attribute, as our other attributes give"),
    _difference("SSLContext[*].num_tickets", "del", "as check_hostname"),
    _difference("SSLContext[*].sni_callback", "del",
                "del clears the callback as None does; 3.13 takes the NULL for a "
                "non-callable (TypeError)"),
    _difference("SSLContext[*].verify_flags", "set",
                "3.13 parses with 'k', which silently wraps negative numbers and "
                "numbers of 2**64 and more into some mask; we refuse them",
                values=("-1", "-9223372036854775808", "18446744073709551616"),
                ours=("OverflowError",), theirs=(None,)),
    _difference("SSLContext[*].load_cert_chain", "call",
                "a str password over 1024 bytes is refused when given; 3.13 only "
                "refuses it if the key turns out to be encrypted",
                values=("'xxxxxxxxxx",), ours=("ValueError",), theirs=(None,)),
    _difference("SSLContext[*].set_alpn_protocols", "call",
                "bytes names are accepted (2.7's native strings; pyOpenSSL takes "
                "bytes); 3.13 takes str only",
                values=("b'h2'",), ours=(None,), theirs=("TypeError",)),
    _difference("SSLContext[*].set_npn_protocols", "call", "as ALPN",
                values=("b'h2'",), ours=("NotImplementedError",), theirs=("TypeError",)),
    _difference("SSLContext[*].set_ecdh_curve", "call",
                "a curve name is ASCII: UnicodeEncodeError (a ValueError); 3.13 "
                "encodes with surrogateescape, then finds no such curve",
                values=("\\udcff",), ours=("UnicodeEncodeError",), theirs=("ValueError",)),
    _difference("SSLContext[*].set_npn_protocols", "call",
                "a valid list: NotImplementedError (no NPN on OpenSSL 1.1.1+ "
                "builds); 3.13 trips over its own missing _set_npn_protocols",
                ours=("NotImplementedError",), theirs=("AttributeError",)),
    _difference("SSLObject[*].read", "call",
                "read(sys.maxsize) returns what has arrived, sized by it; 3.13 "
                "allocates len bytes first ('byte string is too large')",
                values=("9223372036854775807",), theirs=("OverflowError",)),
    _difference("SSLSocket[unconnected].context", "set",
                "3.13 assigns _sslobj.context while _sslobj is None "
                "(AttributeError); we check the type and keep the context",
                ours=("TypeError", None), theirs=("AttributeError",)),
    _difference("SSLSocket[closed].context", "set", "as unconnected",
                ours=("TypeError", None), theirs=("AttributeError",)),
    _difference("SSLSocket[unconnected].get_verified_chain", "call",
                "3.13 calls a method of _sslobj while it is None "
                "(AttributeError); we answer with no chain",
                ours=(None,), theirs=("AttributeError",)),
    _difference("SSLSocket[closed].get_verified_chain", "call", "as unconnected",
                ours=(None,), theirs=("AttributeError",)),
    _difference("SSLSocket[unconnected].get_unverified_chain", "call", "as above",
                ours=(None,), theirs=("AttributeError",)),
    _difference("SSLSocket[closed].get_unverified_chain", "call", "as above",
                ours=(None,), theirs=("AttributeError",)),
    _difference("SSLSocket[unconnected].recvfrom_into", "call",
                "3.13 hands nbytes=None on to socket.recvfrom_into (TypeError); "
                "we hand 0 and get the socket's own OSError",
                ours=("OSError",), theirs=("TypeError",)),
    _difference("SSLSocket[closed].recvfrom_into", "call", "as unconnected",
                ours=("OSError",), theirs=("TypeError",)),
    _difference("SSLSocket[connected].*", "call",
                "after a timed-out partial write, writing other data is OpenSSL's "
                "BAD_LENGTH misuse: 3.13 waits for writability before SSL_write and "
                "so reports the timeout while the buffer stays full; we try "
                "SSL_write first (the fast path) and report the misuse at once",
                ours=("SSLError",), theirs=("TimeoutError",)),
]


def _case_parts(case):
    """(head, kind, arguments) of a case string."""
    for marker, kind in ((" = ", "set"), (" del", "del"), (" get", "get")):
        if marker in case:
            head, _, rest = case.partition(marker)
            return head, kind, rest
    head, _, rest = case.partition("(")
    return head, "call", rest


def _where_matches(where, head):
    if "[*]" not in where:
        owner, _, name = where.rpartition(".")
        return where == head or (name == "*" and head.startswith(owner + "."))
    owner, _, name = where.partition("[*]")
    if not head.startswith(owner + "["):
        return False
    head_name = head[head.index("]") + 1:]
    return name == head_name


def known_difference(case, mine, theirs):
    head, kind, args = _case_parts(case)
    for entry in KNOWN_DIFFERENCES:
        if entry["kind"] != kind or not _where_matches(entry["where"], head):
            continue
        if entry["values"] is not None and not any(v in args for v in entry["values"]):
            continue
        if entry["ours"] and _name_or_none(mine) not in entry["ours"]:
            continue
        if entry["theirs"] and _name_or_none(theirs) not in entry["theirs"]:
            continue
        return entry
    return None


def _name_or_none(exc):
    return None if exc is None else type(exc).__name__


def test_same_exception_types_as_stdlib_313(ours, stdlib):
    differences, used = [], set()
    compared = 0
    for case, theirs in sorted(stdlib.outcomes.items()):
        if case not in ours.outcomes:
            continue
        compared += 1
        mine = ours.outcomes[case]
        if type(mine) is type(theirs):
            continue
        entry = known_difference(case, mine, theirs)
        if entry is not None:
            used.add(id(entry))
            continue
        differences.append("%s: ours %s, 3.13 %s (%s)" % (
            case, _describe(mine), _describe(theirs), str(theirs)[:80]))
    print("compared with 3.13: %d cases" % compared)
    assert compared > 10000
    assert not differences, "%d differences\n" % len(differences) + "\n".join(differences)
    stale = [e["where"] for e in KNOWN_DIFFERENCES if id(e) not in used]
    assert not stale, "known differences that no longer occur: %s" % stale
