"""The measuring half of the soak tests (soak.py holds the soaks): run a
step many times, warm up for the first tenth (caches, free lists and
OpenSSL's lazily loaded tables fill there), then sample counters at
intervals and fail if any grew by more than its limit since the end of
the warm-up.

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
Under ASan or valgrind (TLSB_HEAP_INSTRUMENTED, set by tools/sanitize)
rss and malloc are left out: their allocators keep freed blocks.

The limits are fixed slack, not rates: 16 bytes leaked per iteration over
the 90 000 measured iterations of a full run is 1.4 MB of payload (2.9 MB
of malloc chunks), well past the 512 KiB malloc limit; at a tenth of the
counts a leak needs ~60 bytes an iteration to pass it.  A counter fails
only when it also grew in both halves of the measured run (see judge()):
a one-off step seen once in a reduced run on 3.6 (+720 KB between two
samples, flat before and after, not reproducible) is not a leak.  The
samples themselves stay in memory (~15 blocks each, well within limits).

Runs on Python 2.7 and 3.x.
"""
import ctypes
import ctypes.util
import gc
import os
import sys
import time

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
    counters = {"gc_objects": len(gc.get_objects())}
    if not os.environ.get("TLSB_HEAP_INSTRUMENTED"):
        counters["rss"] = rss_bytes()
        counters["malloc"] = malloc_in_use()
    if hasattr(sys, "getallocatedblocks") and sys.getallocatedblocks():
        # (always 0 without pymalloc: PYTHONMALLOC=malloc under ASan)
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
