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

import pytest
from _pytest.runner import runtestprotocol

WARMUPS = int(os.environ.get("TLSB_REFLEAK_WARMUPS", "2"))
RUNS = int(os.environ.get("TLSB_REFLEAK_RUNS", "3"))

# Modules left out, each with why it cannot be measured in-process.
UNMEASURED = {
    "test_soak.py": "a leak test of its own (RSS over thousands of "
                    "iterations); repeating it only multiplies minutes",
    "test_patches_e2e.py": "its clients are child interpreters in fresh "
                           "venvs: their references are not ours to count",
    "test_build.py": "builds and imports the module in child processes",
    "test_build_variants.py": "builds the module in child processes",
    "test_crypto_cli.py": "runs the module's command line in child processes",
    "test_watchdog.py": "runs pytest in a child process",
}


def _module_of(item):
    return item.nodeid.split("::", 1)[0]


def pytest_collection_modifyitems(session, config, items):
    kept, left_out = [], []
    for item in items:
        name = os.path.basename(_module_of(item))
        (left_out if name in UNMEASURED else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def _settle():
    """Empties what fills on first use without being a leak, then
    collects: what is left is owned by something."""
    sys._clear_type_cache()
    re.purge()
    linecache.clearcache()
    try:
        import copyreg
    except ImportError:
        import copy_reg as copyreg
    copyreg.clear_extension_cache()
    for _ in range(3):
        gc.collect()


def _totals(figures, index):
    _settle()
    figures[2 * index] = sys.gettotalrefcount()
    blocks = getattr(sys, "getallocatedblocks", None)
    figures[2 * index + 1] = blocks() if blocks else 0


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
            os.path.basename(self.module), self.tests, self.seconds,
            self.refs, self.blocks,
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
    for module, items in modules:
        _results.append(measure(module, items))
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
    for name, why in sorted(UNMEASURED.items()):
        write("%-34s not measured: %s" % (name, why))
    leaking = [r for r in _results if r.leaks()]
    repeating = [r for r in _results if r.failures]
    for result in repeating:
        write("%s fails when repeated: %s" % (result.module, ", ".join(result.failures)))
    write("modules leaking: %d of %d; failing when repeated: %d"
          % (len(leaking), len(_results), len(repeating)))


def pytest_sessionfinish(session, exitstatus):
    if any(r.leaks() or r.failures for r in _results) and exitstatus == 0:
        session.exitstatus = 1
