"""Writes <name>.decoded.json beside every single-certificate PEM file in
this directory: the dict CPython 3.13's own ssl._ssl._test_decode_cert
returns for it (what getpeercert() returns for that certificate).

These files are the oracle test_certdecode.py holds _tls_bootstrap to on
every interpreter.  JSON has no tuples: the test turns lists back into
tuples.  make_certs.sh runs this after making the certificates; run it
alone with CPython 3.13:

    python3.13 Lib/test/certdata/make_golden.py
"""
import io
import json
import os
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def single_certificate_files(directory=HERE):
    """Names of the .pem files holding exactly one PEM block, a
    CERTIFICATE (not keys, chains, bundles or parameters)."""
    names = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".pem"):
            continue
        with io.open(os.path.join(directory, name), encoding="ascii") as f:
            labels = [line.strip() for line in f if line.startswith("-----BEGIN ")]
        if labels == ["-----BEGIN CERTIFICATE-----"]:
            names.append(name)
    return names


def main():
    if sys.version_info[:2] != (3, 13):
        sys.exit("make_golden.py must run on CPython 3.13 (the oracle), not %s"
                 % sys.version.split()[0])
    for name in single_certificate_files():
        decoded = ssl._ssl._test_decode_cert(os.path.join(HERE, name))
        target = os.path.join(HERE, name[:-len(".pem")] + ".decoded.json")
        with io.open(target, "w", encoding="utf-8", newline="\n") as out:
            out.write(json.dumps(decoded, indent=2, sort_keys=True,
                                 ensure_ascii=False))
            out.write("\n")
        print("%s <- %s (%s)" % (os.path.basename(target), name, ssl.OPENSSL_VERSION))


if __name__ == "__main__":
    main()
