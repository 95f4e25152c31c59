"""`python -m _tls_bootstrap`: its options, the report's columns, the
self-test line, and --json for scripts."""
import json
import subprocess
import sys

import pytest

import _tls_bootstrap


def run(*args):
    child = subprocess.Popen([sys.executable, "-m", "_tls_bootstrap"] + list(args),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = child.communicate()
    return child.returncode, out.decode("utf-8"), err.decode("utf-8")


def test_help_describes_the_options_and_runs_nothing():
    status, out, _ = run("--help")
    assert status == 0
    assert out.startswith("usage: python -m _tls_bootstrap")
    for option in ("--json", "--self-test", "--report"):
        assert option in out
    assert "OpenSSL built against" not in out and "self-test:" not in out


def test_unknown_option_is_a_usage_error():
    status, out, err = run("--no-such-option")
    assert status == 2 and "usage:" in err and not out


def test_default_run_has_column_headings_and_a_readable_self_test_line():
    status, out, _ = run()
    assert status == 0
    heading = [line for line in out.splitlines() if line.strip().startswith("feature")]
    assert heading and heading[0].split() == [
        "feature", "host", "ssl", "_tls_bootstrap", "added", "in", "what"]
    memorybio = [line for line in out.splitlines() if "MemoryBIO / SSLObject" in line]
    assert memorybio and " 3.5 " in memorybio[0]
    last = out.rstrip().splitlines()[-1]
    assert last.startswith("self-test: OK: TLSv1.3 handshake in memory, cipher TLS_")
    assert last.endswith("peer verified as CN=selftest.invalid")


def test_self_test_alone():
    status, out, _ = run("--self-test")
    assert status == 0
    assert out.count("\n") == 1 and out.startswith("self-test: OK: ")


def test_report_alone():
    status, out, _ = run("--report")
    assert status == 0
    assert "OpenSSL running with" in out and "self-test" not in out


def test_json_holds_report_and_self_test():
    status, out, _ = run("--json")
    assert status == 0
    result = json.loads(out)
    assert result["version"] == _tls_bootstrap.__version__
    assert result["openssl_built_against"] == _tls_bootstrap.OPENSSL_BUILD_VERSION
    assert result["openssl_running_with"] == _tls_bootstrap.OPENSSL_VERSION
    assert result["graft_active"] is False
    by_name = dict((row["name"], row) for row in result["features"])
    row = by_name["MemoryBIO / SSLObject / wrap_bio"]
    assert row["ours"] == "yes" and row["added_in"] == "3.5"
    assert row["host"] is (sys.version_info[0] > 2)
    assert result["self_test"]["status"] == "ok"
    assert result["self_test"]["peer"] == "CN=selftest.invalid"
    assert result["self_test"]["protocol"] == "TLSv1.3"


def test_json_self_test_alone():
    status, out, _ = run("--json", "--self-test")
    result = json.loads(out)
    assert status == 0 and "features" not in result
    assert result["self_test"]["status"] == "ok"


def test_self_test_and_report_exclude_each_other():
    status, _, err = run("--self-test", "--report")
    assert status == 2 and "not allowed with" in err


def test_closed_stdout_reader_is_not_a_traceback():
    child = subprocess.Popen([sys.executable, "-m", "_tls_bootstrap"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child.stdout.read(10)
    child.stdout.close()
    err = child.stderr.read().decode("utf-8")
    child.wait()
    child.stderr.close()
    assert "Traceback" not in err, err
