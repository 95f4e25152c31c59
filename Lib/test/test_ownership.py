"""Who owns what OpenSSL points at (issue 14): Python objects that OpenSSL
keeps pointers to (callback arguments, ex_data, BIOs, the session context)
stay alive as long as OpenSSL may use them, and nothing is kept longer.

The dropped-context scenarios would be a use-after-free if the core got
this wrong: after the original context is freed, a fresh context with its
own sni_callback usually reuses its memory, so the wrong callback runs
(plain build) or ASan reports the read.  On 3.13 the same scenarios with
the original context still alive run against the host ssl as the oracle;
ours must do exactly that even when the caller dropped the context.
"""
import gc
import sys

import pytest

import _tls_bootstrap as tlsb
import tlsb_support
from tlsb_support import MemoryPair, client_context, server_context

IMPLS = tlsb_support.implementations()


@pytest.fixture(params=IMPLS, ids=tlsb_support.impl_id)
def impl(request):
    return request.param


def recording_context(impl, label, calls, switch_to=None):
    """A server context whose sni_callback records (label, name) and,
    given switch_to, moves the connection to that context."""
    ctx = server_context(impl)

    def callback(sslobj, servername, context):
        calls.append((label, servername))
        if switch_to is not None:
            sslobj.context = switch_to
    ctx.sni_callback = callback
    return ctx


def reuse_freed_contexts(impl, calls):
    """New contexts with their own recording callback, made where a freed
    context's memory is likely to be reused."""
    gc.collect()
    return [recording_context(impl, "reused", calls) for _ in range(20)]


def run_switched_before_handshake(impl, drop):
    calls = []
    original = recording_context(impl, "original", calls)
    other = server_context(impl)           # no sni_callback of its own
    pair = MemoryPair(impl, original, client_context(impl))
    pair.server.context = other
    keep = None
    if drop:
        del original
        keep = reuse_freed_contexts(impl, calls)
    else:
        keep = original
    pair.handshake()
    del keep
    return calls, pair.server.context is other


def test_switched_before_handshake_falls_back_to_original_callback(impl):
    # OpenSSL runs the session context's (the original's) servername
    # callback when the current context has none: 3.13 does.
    calls, still_other = run_switched_before_handshake(impl, drop=False)
    assert calls == [("original", "localhost")]
    assert still_other


def test_switched_before_handshake_original_dropped():
    # Issue 14 item 1 (a): the original context dropped after the switch
    # is kept alive by the connection, so its callback runs as above and
    # no other object's does.
    calls, still_other = run_switched_before_handshake(tlsb, drop=True)
    assert calls == [("original", "localhost")]
    assert still_other


def hrr_contexts(impl, calls):
    """A listening context whose callback switches to another; both accept
    only P-256, so a client's default x25519 key share gets a
    HelloRetryRequest and the server sees two ClientHellos."""
    other = server_context(impl)
    other.set_ecdh_curve("prime256v1")
    listening = recording_context(impl, "listening", calls, switch_to=other)
    listening.set_ecdh_curve("prime256v1")
    return listening, other


def run_hello_retry(impl, drop):
    calls = []
    listening, other = hrr_contexts(impl, calls)
    client = client_context(impl)
    pair = MemoryPair(impl, listening, client)
    with pytest.raises(impl.SSLWantReadError):
        pair.client.do_handshake()          # ClientHello 1 (x25519 share)
    pair.pump()
    with pytest.raises(impl.SSLWantReadError):
        pair.server.do_handshake()          # callback, HelloRetryRequest
    assert calls == [("listening", "localhost")]
    assert pair.server.context is other
    keep = None
    if drop:
        # A configuration reload between the two ClientHellos.
        del listening
        keep = reuse_freed_contexts(impl, calls)
    else:
        keep = listening
    pair.pump()
    pair.handshake()                        # ClientHello 2 and the rest
    assert pair.send(pair.client, pair.server, b"ping") == b"ping"
    del keep
    return calls


def test_hello_retry_runs_listening_callback_twice(impl):
    # 3.13: the second ClientHello runs the session context's callback
    # again (the switched-to context has none).
    assert run_hello_retry(impl, drop=False) == [("listening", "localhost")] * 2


def test_hello_retry_listening_context_dropped_between_hellos():
    # Issue 14 item 1 (b).
    assert run_hello_retry(tlsb, drop=True) == [("listening", "localhost")] * 2


def test_switched_connection_keeps_no_context_after_it_is_freed():
    # The connection's hold on its original context ends with it.
    import weakref
    calls = []
    original = recording_context(tlsb, "original", calls)
    ref = weakref.ref(original)
    pair = MemoryPair(tlsb, original, client_context(tlsb))
    pair.server.context = server_context(tlsb)
    del original
    gc.collect()
    assert ref() is not None
    del pair
    gc.collect()
    assert ref() is None


# ---------------------------------------------------------------------------
# BIOs: what the SSL holds of a MemoryBIO is released with it
# ---------------------------------------------------------------------------
def malloc_growth(step, iterations=3000, warmup=300):
    """Bytes malloc has in use after `iterations` calls of step, beyond
    what it had after `warmup` calls."""
    import soak_meter
    for _ in range(warmup):
        step()
    before = soak_meter.read_counters({})["malloc"]
    for _ in range(iterations):
        step()
    return soak_meter.read_counters({})["malloc"] - before


def test_one_memory_bio_both_ways_does_not_leak():
    # Issue 14 item 7: wrap_bio(b, b) took two references to the BIO for
    # OpenSSL, which owns one when both directions are the same BIO; the
    # BIO and its ClientHello (~1 KiB) leaked per connection.
    import soak_meter
    if tlsb_support.heap_is_instrumented():
        pytest.skip("ASan/valgrind own the heap: malloc counters mean nothing")
    tlsb_support.need(soak_meter.malloc_in_use() is not None,
                      "needs glibc's mallinfo2")
    ctx = client_context(tlsb)

    def step():
        bio = tlsb.MemoryBIO()
        obj = ctx.wrap_bio(bio, bio, server_hostname="localhost")
        bio.write(b"x" * 1024)
        with pytest.raises(tlsb.SSLError):     # its own ClientHello back
            obj.do_handshake()
    growth = malloc_growth(step)
    assert growth < 256 << 10, "%d bytes per connection" % (growth // 3000)


# ---------------------------------------------------------------------------
# Copies: an object whose state lives in OpenSSL cannot be copied
# ---------------------------------------------------------------------------
def test_copy_and_pickle_refused(impl):
    # Issue 14 item 8: 2.7's object.__reduce_ex__ made default objects
    # (copy.copy(ctx) was a context with none of ctx's settings); 3.x
    # refuses, and so do we everywhere.
    import copy
    import pickle
    pair = MemoryPair(impl, server_context(impl), client_context(impl))
    objects = [pair.client.context, impl.MemoryBIO()]
    # 3.13's SSLObject is plain Python around _ssl's object: copy.copy
    # shares that, pickle protocols 0 and 1 pass.  Ours is the C object.
    if impl is tlsb:
        objects.append(pair.client)
    for obj in objects:
        for action in [copy.copy, copy.deepcopy] + [
                lambda o, p=p: pickle.dumps(o, p)
                for p in range(pickle.HIGHEST_PROTOCOL + 1)]:
            with pytest.raises(TypeError):
                action(obj)


# ---------------------------------------------------------------------------
# Callbacks after a context switch: whose runs
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("original,switched", [(True, True), (True, False),
                                               (False, True)])
def test_msg_callback_after_switch_is_the_new_contexts(impl, original, switched):
    # OpenSSL copies the message callback into the connection when it is
    # made; 3.13 sets it from the new context on a switch, so the new
    # context's _msg_callback alone reports (none if it has none).
    calls = []
    first, second = server_context(impl), server_context(impl)
    if original:
        first._msg_callback = lambda *args: calls.append("original")
    if switched:
        second._msg_callback = lambda *args: calls.append("switched")
    pair = MemoryPair(impl, first, client_context(impl))
    pair.server.context = second
    pair.handshake()
    assert sorted(set(calls)) == (["switched"] if switched else [])


def test_refused_sni_callback_leaves_none(impl):
    # OpenSSL's servername callback is unset when a non-callable is
    # refused; the context must not go on reporting (and holding) the old
    # callable that will never run.  3.13: None afterwards.
    calls = []
    ctx = recording_context(impl, "old", calls)
    with pytest.raises(TypeError):
        ctx.sni_callback = 42
    assert ctx.sni_callback is None
    MemoryPair(impl, ctx, client_context(impl)).handshake()
    assert calls == []
