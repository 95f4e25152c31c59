"""The fuzz corpus and the fuzzers' findings, replayed without atheris.

Every input under fuzz/corpus/<target>/ and fuzz/regressions/<target>/ goes
through the same per-input function the atheris target runs
(fuzz/fuzz_inputs.py): it must be accepted or refused with the exception
the stdlib raises, never crash or raise anything else.  The regression
inputs are the crashes and unexpected exceptions the fuzzers found (the
file name says what each pinned).  Runs on Python 2.7 and 3.x.
"""
import os
import sys

import pytest

import tlsb_support
from tlsb_support import catch_unraisable, certfile

FUZZ = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "fuzz")
sys.path.insert(0, FUZZ)
import fuzz_inputs  # noqa: E402

sys.path.remove(FUZZ)


def _inputs(kind):
    """(target, file name) of every input under fuzz/<kind>/<target>/."""
    found = []
    for target in sorted(fuzz_inputs.TARGETS):
        directory = os.path.join(FUZZ, kind, target)
        if os.path.isdir(directory):
            found.extend((target, name) for name in sorted(os.listdir(directory)))
    return found


def _read(kind, target, name):
    with open(os.path.join(FUZZ, kind, target, name), "rb") as source:
        return source.read()


CORPUS = _inputs("corpus")
REGRESSIONS = _inputs("regressions")


def test_every_target_has_a_corpus():
    assert set(target for target, _ in CORPUS) == set(fuzz_inputs.TARGETS)


@pytest.mark.parametrize("target,name", CORPUS)
def test_corpus_input(target, name):
    fuzz_inputs.TARGETS[target](_read("corpus", target, name))


@pytest.mark.parametrize("target,name", REGRESSIONS)
def test_fuzzer_finding(target, name):
    fuzz_inputs.TARGETS[target](_read("regressions", target, name))


# The per-input functions reach the code under test: valid seeds are
# accepted, garbage is refused (an always-refusing target would fuzz
# nothing but the error path).

@pytest.mark.parametrize("target,seed", [
    ("certdecode", "localhost.der"),
    ("certdecode", "rare-sans.der"),
    ("loaders", "nopass.p12"),
    ("loaders", "pass.p12"),
    ("loaders", "key-enc.pem"),
    ("loaders", "req.der"),
    ("loaders", "chain-split.der"),
    ("cadata", "bundle-str.pem"),
    ("cadata", "two.der"),
])
def test_valid_seed_is_accepted(target, seed):
    assert fuzz_inputs.TARGETS[target](_read("corpus", target, seed))


@pytest.mark.parametrize("target", ["certdecode", "loaders", "cadata"])
def test_garbage_is_refused(target):
    assert not fuzz_inputs.TARGETS[target](b"\x01garbage\x00\xff" * 7)


@pytest.mark.parametrize("seed", ["openssl-tls13.bin", "openssl-tls12.bin",
                                  "ours-tls13.bin", "ours-tls12.bin"])
def test_captured_client_hello_gets_a_server_hello(seed):
    reply = fuzz_inputs.one_server_stream(_read("corpus", "server_stream", seed))
    # A handshake record whose first message is a ServerHello (type 2).
    assert reply[:1] == b"\x16" and bytearray(reply)[5] == 2


def test_garbage_stream_gets_an_alert():
    reply = fuzz_inputs.one_server_stream(b"\x16\x03\x01\x00\x05hello")
    assert reply[:1] == b"\x15"


@pytest.mark.skipif(not hasattr(sys, "unraisablehook"), reason="3.8+: unraisablehook")
def test_server_stream_frees_what_a_callback_reported():
    """An input whose SNI name is refused (reported as unraisable) leaves
    nothing behind: the target kept the hook's report object, which the
    collector does not track, in a cycle with its own frame, and every
    such input kept its exception alive for good."""
    import gc
    data = _read("regressions", "server_stream", "sni-name-not-ascii.bin")

    def alive():
        gc.collect()
        return sum(1 for obj in gc.get_objects() if type(obj) is UnicodeDecodeError)

    fuzz_inputs.one_server_stream(data)
    before = alive()
    for _ in range(20):
        fuzz_inputs.one_server_stream(data)
    assert alive() - before < 5


# ---- findings ------------------------------------------------------------

@pytest.mark.parametrize("impl", tlsb_support.implementations(), ids=tlsb_support.impl_id)
def test_certificate_time_that_does_not_parse_decodes_as_bad_time_value(impl):
    """A CA certificate whose notAfter does not parse: get_ca_certs() gives
    "Bad time value" for it, as CPython; the core raised a stale
    "[X509V3: INVALID_CERTIFICATE]" from the error queue instead."""
    context = impl.SSLContext(impl.PROTOCOL_TLS_CLIENT)
    data = _read("regressions", "cadata", "ca-notafter-bad-time.der")
    context.load_verify_locations(cadata=data[1:])
    # (OpenSSL 1.1.1 also loads the certificate after it; 3.0 stops there)
    cas = context.get_ca_certs()
    [ca] = [ca for ca in cas if ca["notAfter"] == "Bad time value"]
    assert ca["notBefore"] == "Jan  1 00:00:00 2020 GMT"
    assert len(context.get_ca_certs(binary_form=True)) == len(cas)


# ---- findings that are the stdlib's behaviour, pinned ------------------------

@pytest.mark.parametrize("impl", tlsb_support.implementations(), ids=tlsb_support.impl_id)
def test_sni_name_not_ascii_fails_the_handshake(impl):
    """A ClientHello whose server name has bytes >= 0x80: the name is
    refused before the SNI callback runs (UnicodeDecodeError, reported
    as unraisable), the handshake fails with an alert; as CPython.  (2.7,
    which passes the name as a native str, let these bytes through.)"""
    context = impl.SSLContext(impl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile("localhost.pem"), certfile("localhost.key"))
    called = []
    context.sni_callback = lambda sslobj, name, ctx: called.append(name)
    incoming, outgoing = impl.MemoryBIO(), impl.MemoryBIO()
    server = context.wrap_bio(incoming, outgoing, server_side=True)
    incoming.write(_read("regressions", "server_stream", "sni-name-not-ascii.bin"))
    with catch_unraisable() as reported:
        with pytest.raises(impl.SSLError):
            server.do_handshake()
    assert called == []
    assert outgoing.read()[:1] == b"\x15"       # an alert record
    if reported is not None:
        assert [type(e) for e in reported] == [UnicodeDecodeError]
