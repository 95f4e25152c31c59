"""Soak tests: leaks show up as growth that repetition makes measurable.

Each soak repeats one kind of work many times: (a) full TLS handshakes,
(b) 1 GiB each way through SSLObject, (c) certificate decodes and crypto
round trips, (d) every error path; soak_meter.py runs them and judges
whether anything grew after the warm-up (its docstring says what is
counted and the limits).  The normal suite runs them at 1/200 of these
counts (test_soak.py); tools/soak runs them on every interpreter.

Runs on Python 2.7 and 3.x:

    python Lib/test/soak.py [--scale F] [--tracemalloc] [--json FILE] [SOAK ...]
"""
from __future__ import print_function

import binascii
import json
import os
import sys

from soak_meter import HEADER, Soak, format_row, run

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


def cert_path(name):
    return os.path.join(CERTDATA, name)


def read_file(name):
    with open(cert_path(name), "rb") as stream:
        return stream.read()


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
