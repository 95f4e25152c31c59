#!/usr/bin/env python3
"""Fuzz target: a server-side SSLObject (certificate from Lib/test/certdata, client
certificates optional, ALPN, SNI) fed arbitrary bytes as its incoming
MemoryBIO stream.

Run through tools/fuzz (instrumented core, sanitizers); the per-input
function is fuzz_inputs.one_server_stream.
"""
import sys

import atheris

with atheris.instrument_imports():
    import fuzz_inputs


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_inputs.one_server_stream)
    atheris.Fuzz()
