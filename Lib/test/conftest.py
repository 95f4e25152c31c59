"""pytest set-up shared by every test file (runs on 2.7 and 3.x).

The tests import the installed _tls_bootstrap (tox installs it from the
sdist), never the source tree: Lib/ is not put on sys.path.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
