#!/usr/bin/env python3
"""Fuzz target: crypto.load_certificate/_privatekey/_certificate_request/_publickey
in PEM and DER, load_pkcs12 with and without a passphrase,
SSLContext.load_cert_chain_data; the first byte picks one.

Run through tools/fuzz (instrumented core, sanitizers); the per-input
function is fuzz_inputs.one_loaders.
"""
import sys

import atheris

with atheris.instrument_imports():
    import fuzz_inputs


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_inputs.one_loaders)
    atheris.Fuzz()
