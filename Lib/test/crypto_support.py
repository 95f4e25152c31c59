"""Helpers for the test_crypto_* files: a CA and leaf made by the openssl
command line (the independent judge), running openssl on files we made,
and a small CA built with _tls_bootstrap.crypto.  Runs on 2.7 and 3.x.
"""
import os
import subprocess

from _tls_bootstrap import crypto

import crypto_portable_script as script
from tlsb_support import openssl_cli

# Variables that point openssl (and anything else) at a trust store.
TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
                   "CURL_CA_BUNDLE", "PIP_CERT")


def clean_env():
    env = dict(os.environ)
    for name in TRUST_VARIABLES:
        env.pop(name, None)
    return env


def openssl(*args, **kwargs):
    """Run the openssl command; returns (exit status, output as text)."""
    command = [openssl_cli()] + [str(a) for a in args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT,
                               stdin=subprocess.PIPE, env=clean_env(),
                               cwd=kwargs.get("cwd"))
    out, _ = process.communicate(kwargs.get("input", b""))
    return process.returncode, out.decode("utf-8", "replace")


def openssl_ok(*args, **kwargs):
    status, out = openssl(*args, **kwargs)
    assert status == 0, "openssl %s failed:\n%s" % (" ".join(map(str, args)), out)
    return out


def write(directory, name, data):
    path = os.path.join(str(directory), name)
    with open(path, "wb") as stream:
        stream.write(data)
    return path


def read(path):
    with open(path, "rb") as stream:
        return stream.read()


def cli_pki(directory):
    """A CA, a leaf it signed (with SAN), their keys, a CSR, an encrypted
    key and a PKCS#12 bundle, all made by the openssl command line."""
    d = str(directory)
    p = lambda name: os.path.join(d, name)  # noqa: E731
    openssl_ok("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"),
               "-out", p("ca.pem"), "-subj", "/C=US/O=CLI CA/CN=CLI Root", "-days", "30",
               "-addext", "basicConstraints=critical,CA:TRUE",
               "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl_ok("req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("leaf.key"),
               "-out", p("leaf.csr"), "-subj", "/CN=cli.example/emailAddress=a@example.com")
    write(d, "leaf.ext", b"subjectAltName=DNS:cli.example,IP:127.0.0.1\n"
                         b"basicConstraints=critical,CA:FALSE\n")
    openssl_ok("x509", "-req", "-in", p("leaf.csr"), "-CA", p("ca.pem"),
               "-CAkey", p("ca.key"), "-set_serial", "4660", "-days", "20",
               "-extfile", p("leaf.ext"), "-out", p("leaf.pem"))
    openssl_ok("x509", "-in", p("leaf.pem"), "-outform", "DER", "-out", p("leaf.der"))
    openssl_ok("pkey", "-in", p("leaf.key"), "-aes256", "-passout", "pass:clipass",
               "-out", p("leaf_enc.key"))
    openssl_ok("pkcs12", "-export", "-in", p("leaf.pem"), "-inkey", p("leaf.key"),
               "-certfile", p("ca.pem"), "-name", "cli friendly",
               "-passout", "pass:p12pass", "-out", p("leaf.p12"))
    return p


def our_pki(hostname_names=b"DNS:localhost, IP:127.0.0.1"):
    """(ca, ca_key, leaf, leaf_key) made with _tls_bootstrap.crypto."""
    ca_key = script.make_key(crypto)
    ca = script.make_ca(crypto, ca_key, cn="Our Test Root")
    key = script.make_key(crypto)
    _, leaf = script.make_leaf(crypto, ca, ca_key, key, names=hostname_names)
    return ca, ca_key, leaf, key


def pem(obj):
    """PEM bytes of a crypto object."""
    if isinstance(obj, crypto.X509):
        return crypto.dump_certificate(crypto.FILETYPE_PEM, obj)
    if isinstance(obj, crypto.X509Req):
        return crypto.dump_certificate_request(crypto.FILETYPE_PEM, obj)
    return crypto.dump_privatekey(crypto.FILETYPE_PEM, obj)
