"""Unpack the newest tls-bootstrap sdist in DISTDIR into DEST (emptied
first), without its top-level directory: tox env `sdist` runs the suite
from there, so a file MANIFEST.in leaves out fails or skips the tests.

Usage: python tools/unpack_sdist.py DISTDIR DEST
"""
import glob
import os
import shutil
import sys
import tarfile


def main(distdir, dest):
    archives = (glob.glob(os.path.join(distdir, "tls-bootstrap-*.tar.gz")) +
                glob.glob(os.path.join(distdir, "tls_bootstrap-*.tar.gz")))
    if not archives:
        sys.exit("no tls-bootstrap sdist in %s" % distdir)
    archive = max(archives, key=os.path.getmtime)
    shutil.rmtree(dest, ignore_errors=True)
    staging = dest + ".unpack"
    shutil.rmtree(staging, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(staging)
    top, = os.listdir(staging)
    os.rename(os.path.join(staging, top), dest)
    os.rmdir(staging)
    print("%s -> %s" % (archive, dest))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
