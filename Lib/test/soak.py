"""Soak tests: leaks show up as growth that repetition makes measurable.

Each soak repeats one kind of work many times (handshakes, bulk data
through SSLObject, certificate decodes and crypto round trips, error
paths), warms up for its first tenth (caches, free lists and OpenSSL's
lazily loaded tables fill there), then samples counters at intervals and
fails if any grew by more than its limit since the end of the warm-up.

Counters (each where this interpreter and libc have it):
  rss          resident bytes (/proc/self/statm), after malloc_trim(0)
  malloc       bytes in use by malloc (glibc mallinfo2: every arena and
               mmapped chunk); OpenSSL allocates there, so a leaked
               SSL_SESSION or X509 shows here even when RSS hides it
  blocks       sys.getallocatedblocks() (3.x): Python objects and buffers
  gc_objects   len(gc.get_objects())
  totalrefs    sys.gettotalrefcount() (debug builds)
  none_refs    references to None (a leaked Py_None is the classic C slip;
               None is immortal from 3.12 on, so not counted there)
  tracemalloc  traced bytes, when tracemalloc is tracing
  refs:NAME    references to the objects a soak shares between iterations
               (callbacks, contexts, sessions): a reference leaked per
               call grows them by one each time

The limits are fixed slack, not rates: 16 bytes leaked per iteration over
the 90 000 measured iterations of a full run is 1.4 MB of payload (2.9 MB
of malloc chunks), well past the 512 KiB malloc limit.  A counter fails
only when it also grew in both halves of the measured run (see judge()):
a one-off step seen once in a reduced run on 3.6 (+720 KB between two
samples, flat before and after, not reproducible) is not a leak.  Reduced counts
(the normal test suite) catch only gross leaks; they exist to keep this
machinery working on every interpreter.

Runs on Python 2.7 and 3.x:

    python Lib/test/soak.py [--full | --scale F] [--json FILE] [SOAK ...]
"""
from __future__ import print_function

import binascii
import ctypes
import ctypes.util
import gc
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CERTDATA = os.path.join(HERE, "certdata")

# Full counts (issue 9); the normal suite scales them down.
FULL_COUNTS = {
    "handshakes": 100000,
    "sslobject_data": 16384,      # 64 KiB each way per step: 1 GiB each way
    "certs_crypto": 100000,
    "error_paths": 100000,        # 22 cases in turn: ~4 500 of each
}
CHUNK = 65536
WARMUP_FRACTION = 0.1
SAMPLES = 10

# Growth allowed after the warm-up (see the module docstring).
LIMITS = {
    "rss": 1 << 20,
    "malloc": 512 << 10,
    "blocks": 2000,
    "gc_objects": 500,
    "totalrefs": 10000,
    "none_refs": 5000,
    "tracemalloc": 256 << 10,
    "refs": 100,
}


def cert_path(name):
    return os.path.join(CERTDATA, name)


def read_file(name):
    with open(cert_path(name), "rb") as stream:
        return stream.read()


# ---------------------------------------------------------------------------
# Counters
# ---------------------------------------------------------------------------

class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


def _libc():
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


LIBC = _libc()
_mallinfo2 = getattr(LIBC, "mallinfo2", None)
if _mallinfo2 is not None:
    _mallinfo2.restype = _MallInfo2
    _mallinfo2.argtypes = []


_malloc_trim = getattr(LIBC, "malloc_trim", None)
if _malloc_trim is not None:
    _malloc_trim.argtypes = [ctypes.c_size_t]


def malloc_in_use():
    """Bytes malloc has handed out and not had back (glibc 2.33+)."""
    if _mallinfo2 is None:
        return None
    info = _mallinfo2()
    return info.uordblks + info.hblkhd


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes():
    try:
        with open("/proc/self/statm") as stream:
            return int(stream.read().split()[1]) * _PAGE
    except (IOError, OSError):
        return None


def _tracemalloc_current():
    module = sys.modules.get("tracemalloc")
    if module is None or not module.is_tracing():
        return None
    return module.get_traced_memory()[0]


def read_counters(watched):
    """All counters this interpreter has, after a full collection and
    with freed heap memory given back (else a leak can refill resident
    pages that an earlier burst left free, and RSS would not move)."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)
    counters = {
        "rss": rss_bytes(),
        "malloc": malloc_in_use(),
        "gc_objects": len(gc.get_objects()),
    }
    if hasattr(sys, "getallocatedblocks"):
        counters["blocks"] = sys.getallocatedblocks()
    if hasattr(sys, "gettotalrefcount"):
        counters["totalrefs"] = sys.gettotalrefcount()
    if sys.version_info < (3, 12):
        counters["none_refs"] = sys.getrefcount(None)
    traced = _tracemalloc_current()
    if traced is not None:
        counters["tracemalloc"] = traced
    for name, obj in sorted(watched.items()):
        counters["refs:" + name] = sys.getrefcount(obj)
    return dict((k, v) for k, v in counters.items() if v is not None)


def limit_for(counter):
    return LIMITS["refs"] if counter.startswith("refs:") else LIMITS[counter]


# ---------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------

class Soak(object):
    """What a soak function returns: step(i) does iteration i; watched
    names the objects whose reference counts must stay flat; info() adds
    figures to the result (bytes moved, handshakes resumed...)."""

    def __init__(self, step, watched=None, info=None, finish=None):
        self.step = step
        self.watched = watched or {}
        self.info = info or (lambda: {})
        self.finish = finish or (lambda: None)


def run(name, make, iterations, samples=SAMPLES, warmup_fraction=WARMUP_FRACTION):
    """Run one soak; returns a dict of figures with "ok" and "failures"."""
    soak = make()
    warmup = max(1, int(iterations * warmup_fraction))
    points = sorted(set(warmup + (iterations - warmup) * k // samples
                        for k in range(1, samples + 1)))
    start, cpu_start = time.time(), cpu_seconds()
    step = soak.step
    i = 0
    while i < warmup:
        step(i)
        i += 1
    warm_seconds = time.time() - start
    taken = [(i, read_counters(soak.watched))]
    for point in points:
        while i < point:
            step(i)
            i += 1
        taken.append((i, read_counters(soak.watched)))
    seconds, cpu = time.time() - start, cpu_seconds() - cpu_start
    soak.finish()
    result = judge(name, iterations, warmup, taken, soak.info())
    result.update(seconds=round(seconds, 2), warmup_seconds=round(warm_seconds, 2),
                  cpu_seconds=round(cpu, 2))
    if _tracemalloc_current() is not None:
        result["tracemalloc_peak"] = sys.modules["tracemalloc"].get_traced_memory()[1]
    return result


def cpu_seconds():
    """This process's user+system time (wall time on a shared machine
    says more about the neighbours)."""
    times = os.times()
    return times[0] + times[1]


def judge(name, iterations, warmup, taken, info):
    """A counter fails when it grew by more than its limit after the
    warm-up and by more than a quarter of it in each half of the measured
    run: a leak grows steadily, while a one-off step (a table resized
    once, malloc's per-thread cache filling) shows in one half only."""
    baseline, middle, final = taken[0][1], taken[len(taken) // 2][1], taken[-1][1]
    growth = {}
    failures = []
    for counter, value in sorted(baseline.items()):
        if counter not in final or counter not in middle:
            continue
        grew = final[counter] - value
        halves = (middle[counter] - value, final[counter] - middle[counter])
        growth[counter] = grew
        limit = limit_for(counter)
        if grew > limit and min(halves) > limit // 4:
            failures.append("%s grew by %d after warm-up (%+d, %+d by halves; limit %d)"
                            % ((counter, grew) + halves + (limit,)))
    result = {
        "soak": name,
        "iterations": iterations,
        "warmup": warmup,
        "at_warmup": baseline,
        "at_end": final,
        "growth": growth,
        "samples": [[i, c] for i, c in taken],
        "failures": failures,
        "ok": not failures,
        "python": "%d.%d.%d" % sys.version_info[:3],
    }
    result.update(info)
    return result


# ---------------------------------------------------------------------------
# An in-memory client/server pair
# ---------------------------------------------------------------------------

# The module under test; test_soak points it at the host's ssl on 3.13 to
# check that the error paths expect what the stdlib raises.
IMPL_NAME = "_tls_bootstrap"


def tls():
    __import__(IMPL_NAME)
    return sys.modules[IMPL_NAME]


class Pair(object):
    """A client and a server SSLObject joined by memory BIOs."""

    def __init__(self, server_ctx, client_ctx, server_hostname="localhost",
                 session=None):
        t = tls()
        self.want_read = t.SSLWantReadError
        self.c_in, self.c_out = t.MemoryBIO(), t.MemoryBIO()
        self.s_in, self.s_out = t.MemoryBIO(), t.MemoryBIO()
        self.client = client_ctx.wrap_bio(self.c_in, self.c_out,
                                          server_hostname=server_hostname,
                                          session=session)
        self.server = server_ctx.wrap_bio(self.s_in, self.s_out, server_side=True)

    def to_server(self):
        self.s_in.write(self.c_out.read())

    def to_client(self):
        self.c_in.write(self.s_out.read())

    def handshake(self):
        client_done = server_done = False
        for _ in range(8):
            if not client_done:
                try:
                    self.client.do_handshake()
                    client_done = True
                except self.want_read:
                    pass
            self.to_server()
            if not server_done:
                try:
                    self.server.do_handshake()
                    server_done = True
                except self.want_read:
                    pass
            self.to_client()
            if client_done and server_done:
                return
        raise AssertionError("handshake did not finish")

    def exchange(self, request=b"ping", response=b"pong"):
        """A message each way (also delivers TLS 1.3 tickets)."""
        self.client.write(request)
        self.to_server()
        got = self.server.read(len(request))
        self.server.write(response)
        self.to_client()
        back = self.client.read(len(response))
        if got != request or back != response:
            raise AssertionError("data corrupted: %r %r" % (got, back))

    def close(self):
        """close_notify both ways."""
        try:
            self.client.unwrap()
        except self.want_read:
            pass
        self.to_server()
        if self.server.unwrap() is not None:
            raise AssertionError("server unwrap")
        self.to_client()
        if self.client.unwrap() is not None:
            raise AssertionError("client unwrap")


def server_ctx(cert="ecdsa-chain.pem", key="ecdsa.key"):
    t = tls()
    ctx = t.SSLContext(t.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert_path(cert), cert_path(key))
    return ctx


def client_ctx(cafile="ca.pem"):
    t = tls()
    ctx = t.SSLContext(t.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(cert_path(cafile))
    return ctx


# ---------------------------------------------------------------------------
# (a) handshakes
# ---------------------------------------------------------------------------

CONTEXT_LIFETIME = 200     # handshakes per set of contexts: bounds caches


def connection_details(pair, tls13):
    """What applications ask of a connection once it is up."""
    client, server = pair.client, pair.server
    if client.cipher()[1] != ("TLSv1.3" if tls13 else "TLSv1.2"):
        raise AssertionError(client.cipher())
    server.shared_ciphers()
    if not client.get_channel_binding("tls-unique"):
        raise AssertionError("no channel binding")
    session = client.session
    session.id, session.time, session.timeout, session.has_ticket
    server.pending(), client.compression(), client.server_hostname


def soak_handshakes():
    """Full handshakes with verification, SNI and ALPN: ECDSA P-256 and
    (one in eight) RSA servers, TLS 1.2 and 1.3 in turn, one in four
    resuming the session of the one before, half closed with
    close_notify; cipher, channel binding and session details read from
    each.  The contexts are replaced every 200 handshakes (their session
    caches would otherwise fill for 20 000 handshakes, which is growth
    but not a leak), their statistics read before."""
    t = tls()
    counts = {"sni": 0, "resumed": 0, "tls12": 0, "tls13": 0, "rsa": 0}

    def sni(sslobj, name, ctx):
        if name != "localhost":
            raise AssertionError(name)
        counts["sni"] += 1

    alpn = ["h2", "http/1.1"]
    state = {}

    def new_contexts():
        servers = []
        for cert, key in (("ecdsa-chain.pem", "ecdsa.key"),
                          ("localhost-chain.pem", "localhost.key")):
            server = server_ctx(cert, key)
            server.sni_callback = sni
            server.set_alpn_protocols(alpn)
            servers.append(server)
        clients = []
        for version in (t.TLSVersion.TLSv1_2, t.TLSVersion.TLSv1_3):
            client = client_ctx()
            client.maximum_version = version
            client.set_alpn_protocols(alpn)
            clients.append(client)
        state["servers"], state["clients"] = servers, clients

    new_contexts()

    def context_details():
        for ctx in state["servers"] + state["clients"]:
            ctx.session_stats()
            ctx.cert_store_stats()
            ctx.get_ca_certs()
            ctx.get_ciphers()

    def step(i):
        if i % CONTEXT_LIFETIME == 0 and i:
            context_details()
            new_contexts()
        tls13 = (i // 4) % 2
        rsa = (i // 8) % 8 == 7
        session = state.pop("session", None) if i % 4 == 3 else None
        pair = Pair(state["servers"][rsa], state["clients"][tls13], session=session)
        pair.handshake()
        if pair.client.selected_alpn_protocol() != "h2":
            raise AssertionError("alpn")
        if pair.client.version() != ("TLSv1.3" if tls13 else "TLSv1.2"):
            raise AssertionError(pair.client.version())
        pair.exchange()
        connection_details(pair, tls13)
        if session is not None:
            if not pair.client.session_reused:
                raise AssertionError("not resumed at %d" % i)
            counts["resumed"] += 1
        if i % 4 == 2:
            state["session"] = pair.client.session
        if i % 2 == 0:
            pair.close()
        counts["tls13" if tls13 else "tls12"] += 1
        counts["rsa"] += rsa

    return Soak(step, watched={"sni_callback": sni, "alpn_list": alpn},
                info=lambda: {"counts": dict(counts)})


# ---------------------------------------------------------------------------
# (b) bulk data through SSLObject
# ---------------------------------------------------------------------------

PAIR_LIFETIME = 2048       # steps per connection


def soak_sslobject_data():
    """64 KiB each way per step (1 GiB each way over the full count),
    read as bytes or into a buffer, with odd sizes (1 byte, a record plus
    one) every sixteenth step; a new connection every 2048 steps."""
    sctx, cctx = server_ctx(), client_ctx()
    payload = os.urandom(CHUNK)
    odd = (payload[:1], payload[:16385])
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    state = {"moved": 0}

    def new_pair():
        old = state.get("pair")
        if old is not None:
            old.close()
        pair = Pair(sctx, cctx)
        pair.handshake()
        state["pair"] = pair

    new_pair()

    def transfer(sender, forward, receiver, data, into):
        sender.write(data)
        forward()
        got = 0
        pieces = []
        while got < len(data):
            if into:
                n = receiver.read(len(data) - got, view[got:])
            else:
                pieces.append(receiver.read(len(data) - got))
                n = len(pieces[-1])
            if not n:
                raise AssertionError("short read")
            got += n
        received = view[:got] if into else b"".join(pieces)
        if received != data:
            raise AssertionError("data corrupted")
        state["moved"] += got

    def step(i):
        if i % PAIR_LIFETIME == 0 and i:
            new_pair()
        pair = state["pair"]
        into = i % 2 == 1
        transfer(pair.client, pair.to_server, pair.server, payload, into)
        transfer(pair.server, pair.to_client, pair.client, payload, not into)
        if i % 16 == 15:
            for data in odd:
                transfer(pair.client, pair.to_server, pair.server, data, False)
                transfer(pair.server, pair.to_client, pair.client, data, False)

    return Soak(step, watched={"payload": payload, "server_ctx": sctx, "client_ctx": cctx},
                info=lambda: {"bytes_moved": state["moved"]},
                finish=lambda: state.pop("pair").close())


# ---------------------------------------------------------------------------
# (c) certificate decodes and crypto round trips
# ---------------------------------------------------------------------------

def soak_certs_crypto():
    """Per step: the peer certificate as a dict and as DER on both sides,
    the verified chain as Certificate objects (PEM, DER, dict), then one
    crypto round trip in turn: load/dump of X509 (PEM, DER, text), PKey
    (private and public), X509Req (signed, verified); ECDSA sign/verify
    (and a failed verify); an X509Store verification with an
    intermediate; a certificate made and signed; a PKCS#12 export/load."""
    t = tls()
    from _tls_bootstrap import crypto
    server = server_ctx()
    server.verify_mode = t.CERT_REQUIRED
    server.load_verify_locations(cert_path("ca.pem"))
    client = client_ctx()
    client.load_cert_chain(cert_path("client.pem"), cert_path("client.key"))
    pair = Pair(server, client)
    pair.handshake()
    chain_of = t._Connection.get_verified_chain

    pem = read_file("ecdsa.pem")
    der = t.PEM_cert_to_DER_cert(pem.decode("ascii"))
    key_pem = read_file("ecdsa.key")
    ca = crypto.load_certificate(crypto.FILETYPE_PEM, read_file("ca.pem"))
    intermediate = crypto.load_certificate(crypto.FILETYPE_PEM, read_file("intermediate.pem"))
    key = crypto.load_privatekey(crypto.FILETYPE_PEM, key_pem)
    data = b"soak data " * 10

    def decodes():
        peer = pair.client.getpeercert()
        if peer["subject"][-1][0][1] != "localhost":
            raise AssertionError(peer["subject"])
        if pair.client.getpeercert(True) != der:
            raise AssertionError("DER")
        if not pair.server.getpeercert()["subject"]:
            raise AssertionError("client cert")
        chain = chain_of(pair.client)
        if len(chain) != 3:
            raise AssertionError(len(chain))
        for cert in chain:
            cert.public_bytes()
            cert.public_bytes(t._core.ENCODING_DER)
            cert.get_info()

    def x509_round_trip(i):
        cert = crypto.load_certificate(crypto.FILETYPE_PEM, pem)
        if crypto.dump_certificate(crypto.FILETYPE_ASN1, cert) != der:
            raise AssertionError("X509 round trip")
        cert = crypto.load_certificate(crypto.FILETYPE_ASN1, der)
        cert.get_subject().get_components()
        cert.get_issuer().CN
        cert.get_serial_number()
        cert.get_extension(0).get_short_name()
        crypto.dump_certificate(crypto.FILETYPE_TEXT, cert)

    def pkey_round_trip(i):
        loaded = crypto.load_privatekey(
            crypto.FILETYPE_PEM, crypto.dump_privatekey(crypto.FILETYPE_PEM, key))
        if loaded.bits() != 256:
            raise AssertionError("PKey round trip")
        crypto.load_publickey(crypto.FILETYPE_PEM,
                              crypto.dump_publickey(crypto.FILETYPE_PEM, key))

    def sign_verify(i):
        signature = crypto.sign(key, data, "sha256")
        crypto.verify(leaf, signature, data, "sha256")
        try:
            crypto.verify(leaf, signature, data + b"!", "sha256")
        except crypto.Error:
            return
        raise AssertionError("a changed message verified")

    def store_verify(i):
        store = crypto.X509Store()
        store.add_cert(ca)
        context = crypto.X509StoreContext(store, leaf, [intermediate])
        context.verify_certificate()
        if len(context.get_verified_chain()) != 3:
            raise AssertionError("store chain")

    def req_round_trip(i):
        req = crypto.X509Req()
        req.get_subject().CN = "soak"
        req.set_pubkey(key)
        req.sign(key, "sha256")
        req = crypto.load_certificate_request(
            crypto.FILETYPE_PEM, crypto.dump_certificate_request(crypto.FILETYPE_PEM, req))
        if not req.verify(key):
            raise AssertionError("X509Req round trip")

    def new_certificate(i):
        fresh = crypto.X509()
        fresh.get_subject().CN = "fresh"
        fresh.set_issuer(fresh.get_subject())
        fresh.set_serial_number(i + 1)
        fresh.gmtime_adj_notBefore(0)
        fresh.gmtime_adj_notAfter(3600)
        fresh.set_pubkey(key)
        fresh.sign(key, "sha256")
        crypto.dump_certificate(crypto.FILETYPE_PEM, fresh)

    def pkcs12_round_trip(i):
        p12 = crypto.PKCS12()
        p12.set_certificate(leaf)
        p12.set_privatekey(key)
        p12.set_ca_certificates([intermediate])
        p12.set_friendlyname(b"soak")
        loaded = crypto.load_pkcs12(p12.export(b"pw", iter=64, maciter=64), b"pw")
        if loaded.get_friendlyname() != b"soak":
            raise AssertionError("PKCS12 round trip")

    # One round trip per step, in turn (OpenSSL 3.0's key decoders cost
    # ~0.4 ms a call: all of them every step would triple the run).
    round_trips = [x509_round_trip, pkey_round_trip, sign_verify, store_verify,
                   x509_round_trip, req_round_trip, sign_verify, new_certificate,
                   pkcs12_round_trip]
    leaf = crypto.load_certificate(crypto.FILETYPE_PEM, pem)

    def step(i):
        decodes()
        round_trips[i % len(round_trips)](i)

    return Soak(step, watched={"key": key, "ca": ca, "intermediate": intermediate, "leaf": leaf,
                               "client_conn": pair.client, "server_ctx": server})


# ---------------------------------------------------------------------------
# (d) error paths
# ---------------------------------------------------------------------------

class Boom(Exception):
    pass


class _Discard(object):
    """Stands in for sys.stderr where callback errors are reported there
    (before 3.8 there is no sys.unraisablehook)."""

    def write(self, text):
        pass

    def flush(self):
        pass


def soak_error_paths():
    """Every error path in turn, each checked for the exception the stdlib
    raises: verification failures (unknown CA, host name, expired, no
    client certificate), bad passwords, bad PEM/DER, handshakes
    with nothing in common, raising callbacks, SSLObject use after close."""
    t = tls()
    from _tls_bootstrap import crypto
    psk = binascii.unhexlify("c0ffee" * 8)
    enc_key = read_file("localhost-enc.key")
    garbage_pem = (b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n"
                   b"-----END CERTIFICATE-----\n")
    bad_der = b"\x30\x82\x01\x00" + b"\x00" * 16
    counts = {}

    def sni_raises(sslobj, name, ctx):
        raise Boom()

    def psk_raises(hint):
        raise Boom()

    def msg_raises(*args):
        raise Boom()

    def password_raises():
        raise Boom()

    def password_wrong():
        return "wrong"

    good_server = server_ctx()
    wronghost_server = server_ctx("wronghost.pem", "wronghost.key")
    expired_server = server_ctx("expired.pem", "expired.key")
    client_cert_server = server_ctx()
    client_cert_server.verify_mode = t.CERT_REQUIRED
    client_cert_server.load_verify_locations(cert_path("ca.pem"))
    other_ca_client = client_ctx("other-ca.pem")
    client = client_ctx()
    tls12_only = client_ctx()
    tls12_only.maximum_version = t.TLSVersion.TLSv1_2
    tls13_only_server = server_ctx()
    tls13_only_server.minimum_version = t.TLSVersion.TLSv1_3
    cipher_server = server_ctx()
    cipher_server.maximum_version = t.TLSVersion.TLSv1_2
    cipher_server.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    cipher_client = client_ctx()
    cipher_client.maximum_version = t.TLSVersion.TLSv1_2
    cipher_client.set_ciphers("ECDHE-RSA-AES256-GCM-SHA384")
    sni_server = server_ctx()
    sni_server.sni_callback = sni_raises
    msg_client = client_ctx()
    msg_client._msg_callback = msg_raises
    psk_client = t.SSLContext(t.PROTOCOL_TLS_CLIENT)
    psk_client.check_hostname = False
    psk_client.verify_mode = t.CERT_NONE
    psk_client.set_psk_client_callback(psk_raises)
    psk_server = t.SSLContext(t.PROTOCOL_TLS_SERVER)
    psk_server.set_psk_server_callback(lambda identity: psk)

    def failed_handshake(server, client_context, expected, hostname="localhost"):
        pair = Pair(server, client_context, server_hostname=hostname)
        try:
            pair.handshake()
        except expected:
            return
        raise AssertionError("handshake succeeded")

    def expect(expected, function, *args, **kwargs):
        try:
            function(*args, **kwargs)
        except expected:
            return
        raise AssertionError("%s did not raise %s" % (function, expected))

    def fresh():
        return t.SSLContext(t.PROTOCOL_TLS_CLIENT)

    def closed_pair():
        pair = Pair(good_server, client)
        pair.handshake()
        pair.close()
        return pair

    def misuse_after_close():
        pair = closed_pair()
        expect(t.SSLError, pair.client.write, b"x")
        expect(t.SSLError, pair.client.read, 1)
        expect(t.SSLError, pair.server.write, b"x")

    cases = [
        ("unknown_ca", lambda: failed_handshake(
            good_server, other_ca_client, t.SSLCertVerificationError)),
        ("hostname_mismatch", lambda: failed_handshake(
            wronghost_server, client, t.SSLCertVerificationError)),
        ("expired", lambda: failed_handshake(
            expired_server, client, t.SSLCertVerificationError)),
        ("no_client_certificate", lambda: failed_handshake(
            client_cert_server, client, t.SSLError)),
        ("bad_password", lambda: expect(
            t.SSLError, fresh().load_cert_chain, cert_path("localhost.pem"),
            cert_path("localhost-enc.key"), password="wrong")),
        ("bad_password_callback", lambda: expect(
            t.SSLError, fresh().load_cert_chain, cert_path("localhost.pem"),
            cert_path("localhost-enc.key"), password=password_wrong)),
        ("password_callback_raises", lambda: expect(
            Boom, fresh().load_cert_chain, cert_path("localhost.pem"),
            cert_path("localhost-enc.key"), password=password_raises)),
        ("password_wrong_type", lambda: expect(
            TypeError, fresh().load_cert_chain, cert_path("localhost.pem"),
            cert_path("localhost-enc.key"), password=3)),
        ("crypto_bad_passphrase", lambda: expect(
            crypto.Error, crypto.load_privatekey, crypto.FILETYPE_PEM, enc_key, b"wrong")),
        ("cadata_bad_pem", lambda: expect(
            t.SSLError, fresh().load_verify_locations, cadata=garbage_pem.decode("ascii"))),
        ("cadata_bad_der", lambda: expect(
            t.SSLError, fresh().load_verify_locations, cadata=bad_der)),
        ("cert_chain_bad_pem", lambda: expect(
            t.SSLError, fresh().load_cert_chain, cert_path("malformed.pem"))),
        ("cert_chain_key_mismatch", lambda: expect(
            t.SSLError, fresh().load_cert_chain, cert_path("localhost.pem"),
            cert_path("ecdsa.key"))),
        ("crypto_bad_pem_cert", lambda: expect(
            crypto.Error, crypto.load_certificate, crypto.FILETYPE_PEM, garbage_pem)),
        ("crypto_bad_der_cert", lambda: expect(
            crypto.Error, crypto.load_certificate, crypto.FILETYPE_ASN1, bad_der)),
        ("crypto_bad_pem_key", lambda: expect(
            crypto.Error, crypto.load_privatekey, crypto.FILETYPE_PEM, garbage_pem)),
        ("no_shared_version", lambda: failed_handshake(
            tls13_only_server, tls12_only, t.SSLError)),
        ("no_shared_cipher", lambda: failed_handshake(
            cipher_server, cipher_client, t.SSLError)),
        ("sni_callback_raises", lambda: failed_handshake(
            sni_server, client, t.SSLError)),
        ("psk_callback_raises", lambda: failed_handshake(
            psk_server, psk_client, t.SSLError, hostname=None)),
        ("msg_callback_raises", lambda: failed_handshake(
            good_server, msg_client, Boom)),
        ("misuse_after_close", misuse_after_close),
    ]

    def step(i):
        name, case = cases[i % len(cases)]
        case()
        counts[name] = counts.get(name, 0) + 1

    saved = {}
    if hasattr(sys, "unraisablehook"):
        saved["unraisablehook"] = sys.unraisablehook
        sys.unraisablehook = lambda unraisable: None
    else:
        saved["stderr"] = sys.stderr
        sys.stderr = _Discard()

    def finish():
        for name, value in saved.items():
            setattr(sys, name, value)

    watched = {"sni_raises": sni_raises, "psk_raises": psk_raises,
               "msg_raises": msg_raises, "password_raises": password_raises,
               "password_wrong": password_wrong, "good_server": good_server,
               "client": client, "Boom": Boom}
    return Soak(step, watched=watched, info=lambda: {"counts": dict(counts)},
                finish=finish)


SOAKS = [
    ("handshakes", soak_handshakes),
    ("sslobject_data", soak_sslobject_data),
    ("certs_crypto", soak_certs_crypto),
    ("error_paths", soak_error_paths),
]


def counts_for(scale):
    return dict((name, max(20, int(count * scale))) for name, count in FULL_COUNTS.items())


def run_all(scale=1.0, names=None, report=None):
    counts = counts_for(scale)
    results = []
    for name, make in SOAKS:
        if names and name not in names:
            continue
        result = run(name, make, counts[name])
        results.append(result)
        if report is not None:
            report(result)
    return results


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------

def _mib(value):
    return "-" if value is None else "%.1f" % (value / 1048576.0)


def format_row(result):
    start, end, growth = result["at_warmup"], result["at_end"], result["growth"]
    refs = [k for k in growth if k.startswith("refs:")]
    return ("%-7s %-15s %7d %8.1f %7.1f %8s %8s %9s %9s %7s %7s %6s %s" % (
        result["python"], result["soak"], result["iterations"], result["seconds"],
        result["cpu_seconds"],
        _mib(start.get("rss")), _mib(end.get("rss")),
        _mib(start.get("malloc")), _mib(end.get("malloc")),
        growth.get("blocks", "-"), growth.get("gc_objects", "-"),
        max([growth[k] for k in refs] or [0]),
        "ok" if result["ok"] else "LEAK: " + "; ".join(result["failures"])))


HEADER = ("%-7s %-15s %7s %8s %7s %8s %8s %9s %9s %7s %7s %6s %s" % (
    "python", "soak", "iters", "wall_s", "cpu_s", "rss0MiB", "rss1MiB", "mall0MiB", "mall1MiB",
    "+blocks", "+gcobj", "+refs", "verdict"))


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description="Run the soak tests.")
    parser.add_argument("soaks", nargs="*", help="names (default: all)")
    parser.add_argument("--scale", type=float, default=None,
                        help="fraction of the full counts")
    parser.add_argument("--full", action="store_true", help="full counts (the default)")
    parser.add_argument("--json", help="append results as JSON lines to this file")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, HERE)
    if args.tracemalloc:
        import tracemalloc
        tracemalloc.start()
    scale = 1.0 if args.scale is None else args.scale
    print(HEADER)
    sys.stdout.flush()

    def report(result):
        print(format_row(result))
        sys.stdout.flush()
        if args.json:
            with open(args.json, "a") as stream:
                stream.write(json.dumps(result, sort_keys=True) + "\n")
    results = run_all(scale, args.soaks or None, report)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
