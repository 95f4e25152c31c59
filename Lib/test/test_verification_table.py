# -*- coding: utf-8 -*-
"""Certificate verification case by case, as CPython 3.13 decides it
(issue 9): one table of rows, each a server certificate (chain), client
settings and the outcome 3.13's stdlib gives with OpenSSL 3.0.

Rules of this file:
- Certificates are Lib/test/certdata/verify (make_verify_certs.sh).
- The client is create_default_context(cafile=...) plus the row's changes;
  the server is create_default_context(Purpose.CLIENT_AUTH), at security
  level 0 where it only serves (to load the weak certificates the client
  judges), at the default level where it verifies a client certificate.
- Expected outcomes were recorded with CPython 3.13's own ssl
  (`python3.13 Lib/test/test_verification_table.py` prints them).  On 3.13
  every row also runs through the stdlib, which must agree: a different
  OpenSSL under the stdlib shows up here.
- OpenSSL 1.1.1 decides some rows differently (it has fewer strict checks
  and other messages): those rows carry their 1.1.1 outcome explicitly.
"""
import io
import os
import sys

import pytest

import tlsb_support
from tlsb_support import MemoryPair

VERIFY_DIR = os.path.join(tlsb_support.CERTDATA, "verify")


def path(name):
    return os.path.join(VERIFY_DIR, name)


# ---- outcomes ------------------------------------------------------------

OK = ("ok",)


def verify(code, message, side="client"):
    """The handshake on `side` fails with SSLCertVerificationError."""
    return ("verify", side, code, message)


def ssl_error(reason, side="server"):
    """The handshake on `side` fails with another SSLError."""
    return ("ssl_error", side, reason)


def raises(type_name, message):
    """wrap_bio() itself raises (bad server_hostname)."""
    return ("raises", type_name, message)


def codec_error(type_name, message):
    """The host's idna codec refuses server_hostname.  3.13's codec raises
    UnicodeEncodeError with a position; older ones a plain UnicodeError
    with their own wording, which is theirs, not ours to check."""
    if sys.version_info[:2] >= (3, 13) or type_name != "UnicodeEncodeError":
        return ("raises", type_name, message)
    return ("raises", "UnicodeError", None)


# ---- rows ----------------------------------------------------------------

class Row(object):
    """One case.  cert: what the server sends (leaf first), key leaf.key
    unless given.  Client settings (all optional):
      host           server_hostname (default "localhost"; None for none)
      cafile         trust anchors (default root.pem; a list means cadata
                     holding those files)
      check_hostname, verify_mode, hostname_checks_common_name, _host_flags
      flags_off      names of VerifyFlags cleared after the defaults
      ciphers        set_ciphers() (its @SECLEVEL)
      client_cert    a certificate the client presents (key leaf.key)
    server_auth: the server asks for a client certificate (CERT_REQUIRED,
    root.pem trusted).  openssl111: the outcome under OpenSSL 1.1.1 where
    it differs; py2: on 2.7, where its native str (b"..." here) is text
    and goes through the idna codec as 3.x str does."""

    def __init__(self, id, cert, expect, key="leaf.key", server_auth=False,
                 openssl111=None, py2=None, **client):
        self.id = id
        self.cert = cert
        self.key = key
        self.expect = expect
        self.server_auth = server_auth
        self.openssl111 = openssl111
        self.py2 = py2
        self.client = client

    def expected(self, impl):
        if tlsb_support.PY2 and self.py2 is not None:
            return self.py2
        if impl.OPENSSL_VERSION_INFO[:2] < (3, 0) and self.openssl111 is not None:
            return self.openssl111
        return self.expect


R = Row


def S(id, client_cert, expect, **client):
    """A server-side row: the server verifies `client_cert`."""
    return Row(id, "valid.pem", expect, server_auth=True, client_cert=client_cert, **client)


def mismatch(host):
    return verify(62, "Hostname mismatch, certificate is not valid for '%s'." % host)


def ip_mismatch(host):
    return verify(64, "IP address mismatch, certificate is not valid for '%s'." % host)


EXPIRED = verify(10, "certificate has expired")
NO_ISSUER = verify(20, "unable to get local issuer certificate")
BAD_PURPOSE = verify(26, "unsuitable certificate purpose")
WEAK_DIGEST = verify(68, "CA signature digest algorithm too weak")
NOT_PERMITTED = verify(47, "permitted subtree violation")
LEADING_DOT = "server_hostname cannot be an empty string or start with a leading dot."
EMPTY_LABEL_AT_0 = "'idna' codec can't encode character '\\x2e' in position 0: label empty"
LAX = {"flags_off": ["VERIFY_X509_STRICT"]}
NO_PARTIAL_CHAIN = {"flags_off": ["VERIFY_X509_PARTIAL_CHAIN"]}
BUECHER = u"b\u00fccher.example"

ROWS = [
    # -- the basics
    R("valid", "valid.pem", OK),
    R("valid-text-host", "valid.pem", OK, host=u"localhost"),  # unicode on 2.7
    R("valid-uppercase-host", "valid.pem", OK, host="LOCALHOST"),
    R("valid-trailing-dot", "valid.pem", mismatch("localhost."), host="localhost."),
    R("wrong-host", "valid.pem", mismatch("wrong.example"), host="wrong.example"),
    R("wrong-host-unchecked", "valid.pem", OK, host="wrong.example", check_hostname=False),
    # wrap_bio() (unlike wrap_socket) takes check_hostname without a name
    R("no-host-checked", "valid.pem", OK, host=None),
    R("no-host-unchecked", "valid.pem", OK, host=None, check_hostname=False),
    R("expired", "expired.pem", EXPIRED),
    R("expired-cert-none", "expired.pem", OK, check_hostname=False, verify_mode="CERT_NONE"),
    R("not-yet-valid", "notyetvalid.pem", verify(9, "certificate is not yet valid")),
    R("untrusted-root", "untrusted.pem", NO_ISSUER),
    R("untrusted-root-sent", "untrusted-with-root.pem",
      verify(19, "self-signed certificate in certificate chain"),
      openssl111=verify(19, "self signed certificate in certificate chain")),
    R("untrusted-root-trusted", "untrusted.pem", OK, cafile="other-root.pem"),
    R("no-ca-at-all", "valid.pem", NO_ISSUER, cafile=None),
    R("self-signed", "selfsigned.pem", verify(18, "self-signed certificate"),
      openssl111=verify(18, "self signed certificate")),
    R("self-signed-as-cafile", "selfsigned.pem", OK, cafile="selfsigned.pem"),
    R("self-signed-as-cafile-no-partial", "selfsigned.pem", OK, cafile="selfsigned.pem",
      **NO_PARTIAL_CHAIN),
    # -- IP addresses: matched against IP SANs only, never DNS SANs or the CN
    R("ipv4", "ip.pem", OK, host="127.0.0.1"),
    R("ipv6", "ip.pem", OK, host="::1"),
    R("ipv6-long-form", "ip.pem", OK, host="0:0:0:0:0:0:0:1"),
    R("ipv6-uppercase", "ip.pem", OK, host="2001:DB8::7"),
    R("ipv4-not-in-san", "ip.pem", ip_mismatch("127.0.0.2"), host="127.0.0.2"),
    R("ipv4-mapped-ipv6", "ip.pem", ip_mismatch("::ffff:127.0.0.1"), host="::ffff:127.0.0.1"),
    R("ipv6-bracketed-is-a-name", "ip.pem", mismatch("[::1]"), host="[::1]"),
    R("ip-against-dns-only-san", "valid.pem", ip_mismatch("127.0.0.1"), host="127.0.0.1"),
    R("ip-in-cn-only", "ipcn.pem", ip_mismatch("192.0.2.7"), host="192.0.2.7"),
    # -- the subject's common name, checked only without subjectAltName
    R("cn-only", "nosan.pem", OK),
    R("cn-only-cn-checks-off", "nosan.pem", mismatch("localhost"),
      hostname_checks_common_name=False),
    # -- extended key usage
    R("eku-clientauth-as-server", "eku-client.pem", BAD_PURPOSE,
      openssl111=verify(26, "unsupported certificate purpose")),
    R("eku-both-as-server", "eku-both.pem", OK),
    # -- weak signatures and keys at the default security level (2)
    R("sha1-leaf", "sha1.pem", WEAK_DIGEST),
    R("md5-leaf", "md5.pem", WEAK_DIGEST),
    R("sha1-leaf-seclevel0", "sha1.pem", OK, ciphers="DEFAULT:@SECLEVEL=0"),
    R("sha1-intermediate", "chain-inter-sha1.pem", WEAK_DIGEST),
    R("md5-intermediate", "chain-inter-md5.pem", WEAK_DIGEST),
    R("sha1-self-signed-root", "valid.pem", OK, cafile="root-sha1.pem"),
    R("rsa1024-leaf", "rsa1024.pem", verify(66, "EE certificate key too weak"), key="rsa1024.key"),
    R("rsa1024-leaf-seclevel1", "rsa1024.pem", OK, key="rsa1024.key",
      ciphers="DEFAULT:@SECLEVEL=1"),
    # -- VERIFY_X509_STRICT (3.13's create_default_context sets it); OpenSSL
    #    1.1.1 has none of these checks
    R("strict-leaf-without-akid", "noakid.pem", verify(85, "Missing Authority Key Identifier"),
      openssl111=OK),
    R("lax-leaf-without-akid", "noakid.pem", OK, **LAX),
    R("strict-ca-without-keyusage", "noku-chain.pem",
      verify(92, "CA cert does not include key usage extension"), openssl111=OK),
    R("lax-ca-without-keyusage", "noku-chain.pem", OK, **LAX),
    R("strict-ca-basicconstraints-not-critical", "bcnc-chain.pem",
      verify(89, "Basic Constraints of CA cert not marked critical"), openssl111=OK),
    R("lax-ca-basicconstraints-not-critical", "bcnc-chain.pem", OK, **LAX),
    # -- name constraints on the intermediate
    R("nc-permitted", "nc-inside-chain.pem", OK, host="www.permitted.example"),
    R("nc-outside-permitted", "nc-outside-chain.pem", NOT_PERMITTED, host="www.other.example"),
    R("nc-excluded", "nc-excluded-chain.pem", verify(48, "excluded subtree violation"),
      host="x.bad.permitted.example"),
    R("nc-ip-outside-permitted", "nc-ip-outside-chain.pem", NOT_PERMITTED, host="192.0.2.1"),
    # a CN that looks like a host name is held to the DNS constraints
    R("nc-cn-outside-permitted", "nc-cn-outside-chain.pem", NOT_PERMITTED,
      host="www.other.example"),
    # ... unless the CN is never a host name (then only the name check fails)
    R("nc-cn-outside-permitted-cn-checks-off", "nc-cn-outside-chain.pem",
      mismatch("www.other.example"),
      host="www.other.example", hostname_checks_common_name=False),
    # -- intermediates: missing, sent, trusted
    R("intermediate-missing", "chain-leaf.pem", NO_ISSUER),
    R("intermediate-sent", "chain-full.pem", OK),
    R("intermediate-in-cafile", "chain-leaf.pem", OK, cafile="root-and-inter.pem"),
    R("intermediate-in-cadata", "chain-leaf.pem", OK, cafile=["root.pem", "inter.pem"]),
    R("intermediate-as-anchor", "chain-leaf.pem", OK, cafile="inter.pem"),
    R("intermediate-as-anchor-no-partial", "chain-leaf.pem",
      verify(2, "unable to get issuer certificate"), cafile="inter.pem", **NO_PARTIAL_CHAIN),
    R("intermediate-sent-and-anchor", "chain-full.pem", OK, cafile="inter.pem"),
    R("intermediate-expired", "chain-inter-expired.pem", EXPIRED),
    # -- wildcards (HOSTFLAG_NO_PARTIAL_WILDCARDS is on by default)
    R("wildcard-vs-base", "wild.pem", mismatch("a.example"), host="a.example"),
    R("wildcard-one-label", "wild.pem", OK, host="b.a.example"),
    R("wildcard-uppercase", "wild.pem", OK, host="B.A.EXAMPLE"),
    R("wildcard-two-labels", "wild.pem", mismatch("c.b.a.example"), host="c.b.a.example"),
    R("wildcard-empty-label", "wild.pem", codec_error("UnicodeEncodeError", EMPTY_LABEL_AT_0),
      host=".a.example"),
    R("wildcard-middle-label", "wild-middle.pem", mismatch("x.y.example"), host="x.y.example"),
    R("wildcard-partial", "wild-partial.pem", mismatch("foo.a.example"), host="foo.a.example"),
    R("wildcard-partial-allowed", "wild-partial.pem", OK, host="foo.a.example", _host_flags=0),
    R("wildcard-partial-allowed-no-match", "wild-partial.pem", mismatch("bar.a.example"),
      host="bar.a.example", _host_flags=0),
    R("wildcard-one-label-domain", "wild-tld.pem", mismatch("a.example"), host="a.example"),
    R("wildcard-in-cn", "wild-cn.pem", OK, host="b.cn.example"),
    R("wildcard-in-cn-cn-checks-off", "wild-cn.pem", mismatch("b.cn.example"),
      host="b.cn.example", hostname_checks_common_name=False),
    R("wildcard-over-a-label", "wild.pem", OK, host="xn--bcher-kva.a.example"),
    R("wildcard-over-u-label", "wild.pem", OK, host=u"b\u00fccher.a.example"),
    # -- IDNA (the idna codec is IDNA 2003: "straße" becomes "strasse")
    R("idna-u-label", "idn.pem", OK, host=BUECHER),
    R("idna-u-label-uppercase", "idn.pem", OK, host=u"B\u00dcCHER.example"),
    R("idna-a-label", "idn.pem", OK, host="xn--bcher-kva.example"),
    R("idna-a-label-bytes", "idn.pem", OK, host=b"xn--bcher-kva.example"),
    R("idna-utf8-bytes", "idn.pem", codec_error(
        "UnicodeDecodeError",
        "'ascii' codec can't decode byte 0xc3 in position 1: ordinal not in range(128)"),
      host=BUECHER.encode("utf-8")),
    R("idna-2003-maps-sharp-s", "idn.pem", mismatch("strasse.example"),
      host=u"stra\u00dfe.example"),
    R("idna-2008-a-label", "idn.pem", OK, host="xn--strae-oqa.example"),
    R("idna-wildcard-u-label", "wild-idn.pem", OK, host=u"www." + BUECHER),
    R("idna-wildcard-a-label", "wild-idn.pem", OK, host="www.xn--bcher-kva.example"),
    R("idna-wildcard-vs-base", "wild-idn.pem", mismatch("xn--bcher-kva.example"), host=BUECHER),
    # -- server_hostname the encoder or wrap_bio() refuses
    R("host-empty-label", "valid.pem", codec_error(
        "UnicodeEncodeError",
        "'idna' codec can't encode character '\\x2e' in position 2: label empty"),
      host="a..example"),
    R("host-label-too-long", "valid.pem", codec_error(
        "UnicodeEncodeError",
        "'idna' codec can't encode characters in position 0-63: label too long"),
      host="x" * 64 + ".example"),
    R("host-leading-dot", "valid.pem", codec_error("UnicodeEncodeError", EMPTY_LABEL_AT_0),
      host=".example"),
    R("host-leading-dot-bytes", "valid.pem", raises("ValueError", LEADING_DOT), host=b".example",
      py2=codec_error("UnicodeError", None)),
    R("host-empty", "valid.pem", raises("ValueError", LEADING_DOT), host=""),
    R("host-nul", "valid.pem", raises(
        "TypeError", "argument must be encoded string without null bytes, not str"),
      host="local\x00host"),
    # -- server side: the client's certificate
    S("client-cert-clientauth", "eku-client.pem", OK),
    S("client-cert-serverauth-only", "eku-server.pem",
      verify(26, "unsuitable certificate purpose", "server"),
      openssl111=verify(26, "unsupported certificate purpose", "server")),
    S("client-cert-both-ekus", "eku-both.pem", OK),
    S("client-cert-expired", "expired.pem", verify(10, "certificate has expired", "server")),
    S("client-cert-untrusted", "untrusted.pem",
      verify(20, "unable to get local issuer certificate", "server")),
    S("client-cert-intermediate-missing", "chain-leaf.pem",
      verify(20, "unable to get local issuer certificate", "server")),
    S("client-cert-intermediate-sent", "chain-full.pem", OK),
    # (the client lowers its own level only to load the certificate)
    S("client-cert-sha1", "sha1.pem",
      verify(68, "CA signature digest algorithm too weak", "server"),
      ciphers="DEFAULT:@SECLEVEL=0"),
    S("client-cert-none", None, ssl_error("PEER_DID_NOT_RETURN_A_CERTIFICATE")),
]


# ---- running a row -------------------------------------------------------

def server_context(impl, row):
    ctx = impl.create_default_context(impl.Purpose.CLIENT_AUTH)
    if row.server_auth:
        ctx.verify_mode = impl.CERT_REQUIRED
        ctx.load_verify_locations(path("root.pem"))
    else:
        # Only to load the weak certificates; it judges none.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    ctx.load_cert_chain(path(row.cert), path(row.key))
    return ctx


def client_context(impl, row):
    settings = dict(row.client)
    settings.pop("host", None)
    cafile = settings.pop("cafile", "root.pem")
    if isinstance(cafile, list):
        # text: PEM (bytes would be DER, 2.7's native str included)
        cadata = u"".join(io.open(path(name), encoding="ascii").read() for name in cafile)
        ctx = impl.create_default_context(cadata=cadata)
    else:
        ctx = impl.create_default_context(cafile=cafile and path(cafile))
    if "ciphers" in settings:
        ctx.set_ciphers(settings.pop("ciphers"))
    client_cert = settings.pop("client_cert", None)
    if client_cert:
        ctx.load_cert_chain(path(client_cert), path("leaf.key"))
    # check_hostname first: CERT_NONE is refused while it is on.
    if "check_hostname" in settings:
        ctx.check_hostname = settings.pop("check_hostname")
    if "verify_mode" in settings:
        ctx.verify_mode = getattr(impl, settings.pop("verify_mode"))
    for name in settings.pop("flags_off", ()):
        ctx.verify_flags &= ~getattr(impl, name)
    for name, value in settings.items():
        setattr(ctx, name, value)
    return ctx


def outcome(impl, row):
    """What happens to `row` with `impl` (_tls_bootstrap or ssl)."""
    server, client = server_context(impl, row), client_context(impl, row)
    try:
        pair = MemoryPair(impl, server, client,
                          server_hostname=row.client.get("host", "localhost"))
    except UnicodeError as exc:
        if sys.version_info[:2] < (3, 13) and type(exc) is UnicodeError:
            return ("raises", "UnicodeError", None)
        return raises(type(exc).__name__, str(exc))
    except (ValueError, TypeError) as exc:
        return raises(type(exc).__name__, str(exc))
    done = {"client": False, "server": False}
    for _ in range(10):
        for side, end in (("client", pair.client), ("server", pair.server)):
            if done[side]:
                continue
            try:
                end.do_handshake()
                done[side] = True
            except impl.SSLWantReadError:
                pass
            except impl.SSLCertVerificationError as exc:
                assert exc.reason == "CERTIFICATE_VERIFY_FAILED" and exc.library == "SSL"
                return verify(exc.verify_code, exc.verify_message, side)
            except impl.SSLError as exc:
                return ssl_error(exc.reason, side)
        moved = pair.pump()
        if done["client"] and done["server"] and not moved:
            return OK
    raise AssertionError("handshake did not finish: %r" % done)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_row(row):
    import _tls_bootstrap
    got = outcome(_tls_bootstrap, row)
    assert got == row.expected(_tls_bootstrap)
    if sys.version_info[:2] >= (3, 13):
        import ssl
        assert outcome(ssl, row) == row.expected(ssl), "the stdlib (oracle) disagrees"


@pytest.mark.parametrize("host, sent", [
    (BUECHER, "xn--bcher-kva.example"),
    (u"B\u00dcCHER.example", "xn--bcher-kva.example"),
    (u"stra\u00dfe.example", "strasse.example"),
    (b"xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("LOCALHOST", "LOCALHOST"),
    ("::1", "::1"),
])
def test_server_hostname_is_the_a_label_text(host, sent):
    # What the rows above verified against, as SSLObject.server_hostname.
    for impl in tlsb_support.implementations():
        ctx = impl.create_default_context(cafile=path("root.pem"))
        obj = ctx.wrap_bio(impl.MemoryBIO(), impl.MemoryBIO(), server_hostname=host)
        assert obj.server_hostname == sent
        assert type(obj.server_hostname) is str


def test_rows_are_distinct():
    assert len(set(row.id for row in ROWS)) == len(ROWS)


def test_table_covers_both_outcomes_on_both_sides():
    # A table that only ever accepts (or only rejects) proves nothing.
    kinds = set((row.expect[0], row.expect[1] if row.expect[0] == "verify" else None)
                for row in ROWS)
    assert {("ok", None), ("verify", "client"), ("verify", "server"),
            ("raises", None)} <= kinds


def _as_source(result):
    """An outcome written the way the table writes it."""
    if result is None:   # a new row, not recorded yet
        return "None"
    kind = result[0]
    if kind == "ok":
        return "OK"
    if kind == "verify":
        side, code, message = result[1:]
        for helper in (mismatch, ip_mismatch):
            prefix = helper("")[3][:-2]
            if code == helper("")[2] and message.startswith(prefix):
                return "%s(%r)" % (helper.__name__, message[len(prefix):-2])
        side = "" if side == "client" else ", %r" % side
        return "verify(%d, %r%s)" % (code, message, side)
    if kind == "raises":
        helper = "codec_error" if result[1].startswith("Unicode") else "raises"
        return "%s(%r, %r)" % (helper, result[1], result[2])
    return "ssl_error(%r%s)" % (result[2], "" if result[1] == "server" else ", %r" % result[1])


if __name__ == "__main__":
    # Recorder: the stdlib's outcome for every row, as the table writes it
    # (run with CPython 3.13: python3.13 Lib/test/test_verification_table.py).
    import ssl
    print("# " + ssl.OPENSSL_VERSION)
    for row in ROWS:
        result = outcome(ssl, row)
        note = "" if result == row.expected(ssl) else "\t# the table says " + _as_source(
            row.expected(ssl))
        print("%s\t%s%s" % (row.id, _as_source(result), note))
