# Copyright the _tls_bootstrap authors. Licensed under the Apache License 2.0.
"""A pytest plugin for the tools that run other projects' suites
(pyopenssl_suite.py, urllib3_suites.py, urllib3_pyopenssl_suite.py): each
test's outcome, a failure in any phase failing it, written as JSON to
$TLSB_OUTCOMES when the session ends.  The same on pytest 4.6 (2.7) and 8.
The tools copy this file into the plugin directory they put on PYTHONPATH
and load it with -p tlsb_outcomes."""
import json
import os

_outcomes = {}


def pytest_runtest_logreport(report):
    old = _outcomes.get(report.nodeid)
    if report.failed:
        _outcomes[report.nodeid] = "failed"
    elif report.skipped and old is None:
        _outcomes[report.nodeid] = "skipped"
    elif report.when == "call" and old is None:
        _outcomes[report.nodeid] = "passed"


def pytest_collectreport(report):
    if report.failed:
        _outcomes[report.nodeid or "<collection>"] = "failed"


def pytest_sessionfinish(session):
    with open(os.environ["TLSB_OUTCOMES"], "w") as f:
        json.dump(_outcomes, f, indent=0, sort_keys=True)
