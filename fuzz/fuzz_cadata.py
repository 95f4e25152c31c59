#!/usr/bin/env python3
"""Fuzz target: SSLContext.load_verify_locations(cadata=) as str and as bytes.

Run through tools/fuzz (instrumented core, sanitizers); the per-input
function is fuzz_inputs.one_cadata.
"""
import sys

import atheris

with atheris.instrument_imports():
    import fuzz_inputs


if __name__ == "__main__":
    atheris.Setup(sys.argv, fuzz_inputs.one_cadata)
    atheris.Fuzz()
