"""The soak tests (soak.py) at 1/200 of their counts, so the
machinery keeps working on every interpreter, and proof that the detector
trips on deliberate leaks of each kind it watches.

TLSB_SOAK=full runs the full counts (minutes: tools/soak does that for
all nine interpreters and prints the figures); TLSB_SOAK=0.1 any fraction.
"""
import ctypes
import ctypes.util
import os
import sys

import pytest

import soak
import soak_meter as meter
import tlsb_support
from tlsb_support import need

SCALE = {"": 0.005, "full": 1.0}.get(os.environ.get("TLSB_SOAK", ""), None)
if SCALE is None:
    SCALE = float(os.environ["TLSB_SOAK"])


def figures(result):
    return "\n".join([meter.HEADER, meter.format_row(result)])


@pytest.mark.parametrize("name", [name for name, _ in soak.SOAKS])
def test_soak_stays_flat(name):
    make = dict(soak.SOAKS)[name]
    count = soak.counts_for(SCALE)[name]
    result = meter.run(name, make, count)
    assert result["ok"], figures(result)
    assert result["iterations"] == count
    # The work was done, not skipped.
    if name == "handshakes":
        counts = result["counts"]
        assert counts["tls12"] + counts["tls13"] == count
        assert counts["sni"] == count
        assert counts["resumed"] == count // 4
        assert counts["rsa"] > 0 and counts["tls12"] > 0 and counts["tls13"] > 0
    elif name == "sslobject_data":
        assert result["bytes_moved"] >= 2 * count * soak.CHUNK
    elif name == "error_paths":
        assert len(result["counts"]) == 22
        assert sum(result["counts"].values()) == count


@pytest.mark.skipif(sys.version_info < (3, 4), reason="tracemalloc is 3.4+")
@pytest.mark.parametrize("name", ["error_paths", "certs_crypto"])
def test_soak_stays_flat_under_tracemalloc(name):
    # Every Python allocation traced: slower, so a smaller count.
    import tracemalloc
    tracemalloc.start()
    try:
        result = meter.run(name, dict(soak.SOAKS)[name], soak.counts_for(SCALE / 2)[name])
    finally:
        tracemalloc.stop()
    assert "tracemalloc" in result["growth"] and result["tracemalloc_peak"] > 0
    assert result["ok"], figures(result)


@pytest.mark.skipif(sys.version_info < (3, 13), reason="the 3.13 stdlib is the oracle")
def test_error_paths_expect_what_the_stdlib_raises():
    # The same cases against the host's ssl (the crypto ones stay ours).
    soak.IMPL_NAME = "ssl"
    try:
        errors = soak.soak_error_paths()
        try:
            for i in range(2 * 22):
                errors.step(i)
        finally:
            errors.finish()
    finally:
        soak.IMPL_NAME = "_tls_bootstrap"


# ---- the detector can fail ---------------------------------------------------

def leaking(step, watched=None, finish=None):
    return lambda: meter.Soak(step, watched=watched, finish=finish)


def test_detector_quiet_when_nothing_is_kept():
    def step(i):
        [bytearray(1000), {"i": i}, str(i) * 100]
    result = meter.run("quiet", leaking(step), 20000)
    assert result["ok"], result["failures"]


def test_detector_trips_on_python_objects_kept():
    kept = []

    def step(i):
        kept.append([i])
    result = meter.run("objects", leaking(step), 5000)
    assert not result["ok"]
    tripped = " ".join(result["failures"])
    assert "gc_objects" in tripped
    if hasattr(sys, "getallocatedblocks") and sys.getallocatedblocks():
        assert "blocks" in tripped


def libc():
    if tlsb_support.heap_is_instrumented():
        pytest.skip("malloc belongs to ASan/valgrind here")
    need(meter.LIBC is not None and meter.malloc_in_use() is not None,
         "needs glibc's mallinfo2")
    lib = meter.LIBC
    lib.malloc.restype = ctypes.c_void_p
    lib.malloc.argtypes = [ctypes.c_size_t]
    lib.free.argtypes = [ctypes.c_void_p]
    return lib


def c_leak(size, iterations, touch=False):
    """A soak whose step mallocs `size` bytes and never frees them (until
    the end): what a missing free in our C code would do."""
    lib = libc()
    pointers = (ctypes.c_void_p * iterations)()

    def step(i):
        pointers[i] = lib.malloc(size)
        if touch:
            ctypes.memset(pointers[i], 1, size)

    def finish():
        for pointer in pointers:
            lib.free(pointer)
    return leaking(step, finish=finish)


def test_detector_trips_on_16_bytes_a_step_over_the_full_count():
    # The yardstick: 16 bytes per iteration at 100 000 iterations.
    result = meter.run("malloc16", c_leak(16, 100000), 100000)
    assert not result["ok"]
    assert "malloc grew" in " ".join(result["failures"])
    assert result["growth"]["malloc"] >= 16 * 90000


def test_detector_sees_openssl_objects_never_freed():
    # OpenSSL allocates through the same malloc: an X509 (or SSL_SESSION,
    # EVP_PKEY...) our C code forgot to free shows in the malloc counter.
    libc()
    name = ctypes.util.find_library("crypto")
    need(name is not None, "needs libcrypto for ctypes")
    crypto = ctypes.CDLL(name)
    crypto.X509_new.restype = ctypes.c_void_p
    crypto.X509_free.argtypes = [ctypes.c_void_p]
    made = (ctypes.c_void_p * 10000)()     # allocated before the warm-up

    def step(i):
        made[i] = crypto.X509_new()

    def finish():
        for x509 in made:
            crypto.X509_free(x509)
    result = meter.run("x509", leaking(step, finish=finish), 10000)
    assert "malloc grew" in " ".join(result["failures"])


def test_detector_trips_on_resident_memory():
    # 32 MiB: more than the freed but still resident heap earlier tests
    # may have left, which a leak would fill first without new pages.
    result = meter.run("rss", c_leak(65536, 512, touch=True), 512)
    tripped = " ".join(result["failures"])
    assert "rss grew" in tripped and "malloc grew" in tripped


def test_detector_trips_on_a_reference_leaked_per_call():
    incref = ctypes.pythonapi.Py_IncRef
    decref = ctypes.pythonapi.Py_DecRef
    incref.argtypes = decref.argtypes = [ctypes.py_object]
    callback = lambda: None  # noqa: E731
    leaked = []

    def step(i):
        incref(callback)
        leaked.append(callback)
        leaked.pop()
        if sys.version_info < (3, 12):
            for _ in range(10):
                incref(None)

    def finish():
        for _ in range(1000):
            decref(callback)
            if sys.version_info < (3, 12):
                for _ in range(10):
                    decref(None)
    result = meter.run("refs", leaking(step, {"callback": callback}, finish), 1000)
    tripped = " ".join(result["failures"])
    assert "refs:callback grew by 900" in tripped
    if sys.version_info < (3, 12):
        assert "none_refs" in tripped
