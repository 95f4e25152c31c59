#!/usr/bin/env python3
"""Fuzz target: DER bytes -> the getpeercert() dict the core builds (certdecode.c),
and crypto.load_certificate(FILETYPE_ASN1) on the same bytes.

Run through tools/fuzz (instrumented core, sanitizers); the per-input
function is fuzz_inputs.one_certdecode.
"""
import sys

import atheris

with atheris.instrument_imports():
    import fuzz_inputs


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_inputs.one_certdecode)
    atheris.Fuzz()
