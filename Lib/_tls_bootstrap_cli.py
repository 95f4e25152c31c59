"""The command line of `python -m _tls_bootstrap`.

Without options: the report (what this interpreter's ssl lacks and what
_tls_bootstrap provides, both OpenSSL versions) and the self-test.
--json prints the same as one JSON object, for scripts and support
tickets; --self-test runs the self-test alone, --report the report alone.
Exit status: 0, or 1 when the self-test failed.  Runs on 2.7 and 3.x.
"""
from __future__ import print_function

import argparse
import errno
import json
import platform
import sys

import _tls_bootstrap


def parser():
    command = argparse.ArgumentParser(
        prog="python -m _tls_bootstrap",
        description="Report what this interpreter's ssl module lacks and what "
                    "_tls_bootstrap provides, with the OpenSSL it was built "
                    "against and runs with, then run a self-test (a TLS "
                    "handshake in memory with a certificate made on the spot, "
                    "using the openssl command).")
    command.add_argument("--json", action="store_true",
                         help="print the results as one JSON object")
    only = command.add_mutually_exclusive_group()
    only.add_argument("--self-test", action="store_true",
                      help="run the self-test only")
    only.add_argument("--report", action="store_true",
                      help="print the report only, without the self-test")
    command.add_argument("--version", action="version",
                         version="_tls_bootstrap %s" % _tls_bootstrap.__version__)
    return command


def as_json(with_report, with_self_test):
    """The results as a dict ready for json.dumps."""
    import ssl
    result = {"version": _tls_bootstrap.__version__,
              "python": sys.version.split()[0],
              "implementation": platform.python_implementation(),
              "platform": platform.platform()}
    if with_report:
        result.update({
            "openssl_built_against": _tls_bootstrap.OPENSSL_BUILD_VERSION,
            "openssl_running_with": _tls_bootstrap.OPENSSL_VERSION,
            "host_ssl_openssl": ssl.OPENSSL_VERSION,
            "exceptions_are_the_hosts": _tls_bootstrap.SSLError is ssl.SSLError,
            "graft_active": _tls_bootstrap.is_patched(),
            "features": _tls_bootstrap._feature_rows(),
        })
    if with_self_test:
        result["self_test"] = _tls_bootstrap.self_test_result()
    return result


def run(options, out):
    with_report = not options.self_test
    with_self_test = not options.report
    if options.json:
        result = as_json(with_report, with_self_test)
        out.write(json.dumps(result, indent=2, sort_keys=True,
                             separators=(",", ": ")) + "\n")
        return 1 if result.get("self_test", {}).get("status") == "failed" else 0
    status = 0
    if with_report:
        status = _tls_bootstrap.report(out)
        if with_self_test:
            out.write("\n")
    if with_self_test:
        status = status or _tls_bootstrap.self_test(out)
    return status


def main(argv=None):
    options = parser().parse_args(argv)
    try:
        status = run(options, sys.stdout)
        sys.stdout.flush()
    except IOError as exc:      # 2.7's IOError is 3.x's OSError too
        if exc.errno != errno.EPIPE:
            raise
        # The reader went away (`| head`): not an error of ours.  Point
        # stdout at nothing so the interpreter's final flush is quiet.
        import os
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
