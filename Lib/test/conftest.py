"""pytest set-up shared by every test file (runs on 2.7 and 3.x).

The tests import the installed _tls_bootstrap (tox installs it from the
sdist), never the source tree: Lib/ is not put on sys.path.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tlsb_support  # noqa: E402  (found through the line above)

# Files in Python 3 syntax, not collected on 2.7.
collect_ignore = []
if sys.version_info[0] == 2:
    collect_ignore.append("test_real_clients_asyncio.py")


def pytest_configure(config):
    # fd 2 is not captured yet here (pytest's own faulthandler plugin
    # copies it at the same point)
    tlsb_support.keep_real_stderr()
    tlsb_support.guard_fork_under_asan()
