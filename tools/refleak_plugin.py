"""pytest plugin behind tools/refleaks: leaks measured per test module.

Each module's tests run WARMUPS + RUNS times in this one process (a debug
interpreter); after every run, with the garbage collected and the
interpreter's caches emptied, sys.gettotalrefcount() and (3.x)
sys.getallocatedblocks() are read.  A module leaks when each of the RUNS
measured runs grew a total by at least one: a module that leaks one
reference per run shows +1 every time, while caches that fill on first
use settle during warm-up and noise goes both ways.

Only the first run is reported as usual (failures, skips); the repeats
report nothing but a failure, which is an error of its own (a test that
cannot run twice cannot be measured).  Runs on pytest 4.6 (2.7) and 8.

Rules of this file: nothing here keeps a Python object per run (the
figures go to preallocated arrays), so the measurement does not show up
in what it measures.
"""
import array
import gc
import linecache
import os
import re
import sys
import time
import types

import pytest
from _pytest.runner import runtestprotocol

# One warm-up is enough here: every module settled by its second run
# (2.7 debug: test_hostile_arguments +78 then 0, test_interop_openssl +185
# then 0), and a canary keeping one reference per run shows +1 each time.
WARMUPS = int(os.environ.get("TLSB_REFLEAK_WARMUPS", "1"))
RUNS = int(os.environ.get("TLSB_REFLEAK_RUNS", "2"))

# Modules left out, each with why it cannot be measured in-process.
UNMEASURED = {
    "test_soak.py": "a leak test of its own (RSS over thousands of "
                    "iterations); repeating it only multiplies minutes",
    "test_patches_e2e.py": "its clients are child interpreters in fresh "
                           "venvs: their references are not ours to count",
    "test_build_variants.py": "compiles the module in child processes, "
                              "minutes a run, none of it in this process",
    "test_watchdog.py": "runs pytest in a child process",
}

# 2.7's own subinterpreters keep references (2.7.18 debug, per interpreter
# created and ended: "pass" 2, "import decimal, json, base64, socket,
# warnings" 16, "import _tls_bootstrap" 14-16, our core alone with its
# per-interpreter state 2).  That the state is freed is asserted in the
# module itself (test_subinterpreter_state_is_freed_when_it_ends).
if sys.version_info[0] == 2:
    UNMEASURED["test_subinterpreters.py"] = (
        "2.7 keeps about 16 references per subinterpreter that imports "
        "stdlib modules, ours or not")

# Single tests left out, and why.
UNMEASURED_TESTS = {
    "test_hostile_arguments.py::test_memory_stays_bounded":
        "bounds a release build's peak RSS; a debug build's objects are "
        "larger (2.2 GB peak on 2.7)",
    "test_hostile_arguments.py::test_same_exception_types_as_stdlib_313":
        "sweeps the host's own ssl as the oracle: its references are not "
        "ours, and it doubles the module's time",
    # pyOpenSSL 21's passphrase callbacks keep 4 references a call (cffi;
    # 0 blocks); ours, looped alone on 3.13 debug, keep none.
    "test_crypto_legacy_algorithms.py::test_blowfish_encrypted_key_round_trip":
        "asks real pyOpenSSL to load a key with a passphrase: +4 references "
        "a call in pyOpenSSL/cffi, not ours",
    "test_crypto_legacy_algorithms.py::test_we_read_blowfish_keys_pyopenssl_wrote":
        "asks real pyOpenSSL to write a key with a passphrase: +4 references "
        "a call in pyOpenSSL/cffi, not ours",
    "test_crypto_bad_input.py::test_create_and_destroy_in_a_loop_does_not_grow":
        "a leak test of its own (RSS over 4500 loops of calls the module's "
        "other tests make once)",
}


def _module_of(item):
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    kept, left_out = [], []
    for item in items:
        name = os.path.basename(_module_of(item))
        test = name + "::" + item.nodeid.split("::", 1)[-1]
        (left_out if name in UNMEASURED or test in UNMEASURED_TESTS else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


_module_dict = types.ModuleType.__dict__["__dict__"].__get__


def _settle():
    """Waits for the threads tests started (a server thread that still
    holds its connection would count as a leak), empties what fills on
    first use without being a leak, then collects: what is left is owned
    by something."""
    import threading
    deadline = time.time() + 10
    for thread in threading.enumerate():
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.time()))
    sys._clear_type_cache()
    re.purge()
    linecache.clearcache()
    try:
        import copyreg
    except ImportError:
        import copy_reg as copyreg
    copyreg.clear_extension_cache()
    # urlparse keeps up to 20 recent URLs: each test server's new port
    # is a new entry
    try:
        from urllib.parse import clear_cache
    except ImportError:
        from urlparse import clear_cache
    clear_cache()
    # A warning shown under the "default" action stays in its module's
    # __warningregistry__ until the filters change, which this loop never
    # does (pytest's per-test warning capture is not around these runs).
    # ResourceWarning texts name the socket's fd and ports: each socket a
    # test leaves to the garbage collector added an entry (+2 references,
    # +2 blocks on 3.13 debug, with the host's ssl as with ours).
    for module in list(sys.modules.values()):
        # type(), not isinstance(): cffi's lib objects claim to be modules
        # through __class__, and each read of their __dict__ builds one of
        # all their symbols (+1295 references a run with cryptography's)
        if issubclass(type(module), types.ModuleType):
            registry = _module_dict(module).get("__warningregistry__")
            if isinstance(registry, dict):
                registry.clear()
    for _ in range(3):
        gc.collect()


_census = [None]


def _types_census(label):
    """TLSB_REFLEAK_TYPES=1: which types gained objects since the last
    census (sys.getobjects, debug builds with Py_TRACE_REFS: 2.7's)."""
    getobjects = getattr(sys, "getobjects", None)
    if not os.environ.get("TLSB_REFLEAK_TYPES") or getobjects is None:
        return
    counts = {}
    for obj in getobjects(0):
        name = type(obj).__name__
        counts[name] = counts.get(name, 0) + 1
    previous, _census[0] = _census[0], counts
    if previous is not None:
        grown = sorted((n - previous.get(name, 0), name) for name, n in counts.items()
                       if n != previous.get(name, 0))
        sys.stderr.write("%s: %s\n" % (label, grown[-8:] + grown[:3]))


def _trace(label):
    """TLSB_REFLEAK_TRACE=1 (3.x): where the blocks that stayed since the
    last run were allocated (tracemalloc, 12 frames)."""
    if not os.environ.get("TLSB_REFLEAK_TRACE"):
        return
    import tracemalloc
    if not tracemalloc.is_tracing():
        tracemalloc.start(12)
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__), tracemalloc.Filter(False, __file__)])
    previous, _census[0] = _census[0], snapshot
    if previous is not None:
        for stat in snapshot.compare_to(previous, "traceback")[:4]:
            if stat.count_diff > 0:
                sys.stderr.write("%s: +%d blocks at\n  %s\n" % (
                    label, stat.count_diff, "\n  ".join(stat.traceback.format())))


def _totals(figures, index):
    _settle()
    figures[2 * index] = sys.gettotalrefcount()
    blocks = getattr(sys, "getallocatedblocks", None)
    figures[2 * index + 1] = blocks() if blocks else 0
    _types_census("after run %d" % index)
    _trace("after run %d" % index)


def _run_once(items, log):
    """One pass over a module's tests; the failing nodeids of a silent pass."""
    failures = []
    for index, item in enumerate(items):
        nextitem = items[index + 1] if index + 1 < len(items) else None
        if log:
            item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        reports = runtestprotocol(item, log=log, nextitem=nextitem)
        if log:
            item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        item._report_sections = []    # captured output, appended per run
        if not log:
            for report in reports:
                if report.failed:
                    failures.append("%s (%s)" % (item.nodeid, report.when))
    return failures


class _Result(object):
    def __init__(self, module, tests, seconds, refs, blocks, failures):
        self.module = module
        self.tests = tests
        self.seconds = seconds
        self.refs = refs
        self.blocks = blocks
        self.failures = failures

    def leaks(self):
        measured = (self.refs[WARMUPS:], self.blocks[WARMUPS:])
        return [kind for kind, deltas in zip(("references", "blocks"), measured)
                if deltas and min(deltas) >= 1]

    def line(self):
        return "%-34s %3d tests %6.1fs/run  refs %s  blocks %s%s" % (
            os.path.basename(self.module), self.tests, self.seconds, self.refs,
            self.blocks if hasattr(sys, "getallocatedblocks") else "n/a (2.7)",
            ("  LEAKS " + ", ".join(self.leaks())) if self.leaks() else "")


def measure(module, items):
    total = WARMUPS + RUNS
    figures = array.array("l", [0] * (2 * (total + 1)))
    failures = []
    started = time.time()
    _totals(figures, 0)
    for run in range(total):
        failures.extend(_run_once(items, log=(run == 0)))
        if run == 0:
            seconds = time.time() - started
        _totals(figures, run + 1)
    refs = [figures[2 * i + 2] - figures[2 * i] for i in range(total)]
    blocks = [figures[2 * i + 3] - figures[2 * i + 1] for i in range(total)]
    return _Result(module, len(items), seconds, refs, blocks, sorted(set(failures)))


_results = []


@pytest.hookimpl(tryfirst=True)     # instead of pytest's own loop
def pytest_runtestloop(session):
    if session.testsfailed and not session.config.option.continue_on_collection_errors:
        raise session.Interrupted("%d errors during collection" % session.testsfailed)
    if session.config.option.collectonly:
        return True
    modules = []
    for item in session.items:
        if not modules or modules[-1][0] != _module_of(item):
            modules.append((_module_of(item), []))
        modules[-1][1].append(item)
    reporter = session.config.pluginmanager.getplugin("terminalreporter")
    for module, items in modules:
        _results.append(measure(module, items))
        if reporter is not None:     # as it goes: a log cut short keeps it
            reporter.write("\n")
            reporter.write_line("refleaks: " + _results[-1].line())
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
    return True


def pytest_terminal_summary(terminalreporter):
    if not _results:
        return
    write = terminalreporter.write_line
    terminalreporter.section("reference leaks: %d warm-up + %d measured runs per module, "
                             "deltas per run" % (WARMUPS, RUNS))
    for result in _results:
        write(result.line())
    for name, why in sorted(UNMEASURED.items()) + sorted(UNMEASURED_TESTS.items()):
        write("%s not measured: %s" % (name, why))
    leaking = [r for r in _results if r.leaks()]
    repeating = [r for r in _results if r.failures]
    for result in repeating:
        write("%s fails when repeated: %s" % (result.module, ", ".join(result.failures)))
    write("modules leaking: %d of %d; failing when repeated: %d"
          % (len(leaking), len(_results), len(repeating)))


def pytest_sessionfinish(session, exitstatus):
    if any(r.leaks() or r.failures for r in _results) and exitstatus == 0:
        session.exitstatus = 1
