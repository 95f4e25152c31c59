#!/bin/sh
# Add _tls_bootstrap to a CPython 2.7.18 source tree (see
# cpython-2.7.18-setup.patch for what and why, patches/README.md for how to
# build and package).
#
# Usage: apply.sh [--ensurepip-pip-wheel WHEEL] PYTHON_SOURCE_DIR
#
#   Applies cpython-2.7.18-setup.patch to setup.py (once) and copies the
#   current _tls_bootstrap sources from this repository (or its sdist) into
#   the tree.  Run it again after updating _tls_bootstrap to refresh the
#   copies; setup.py is patched only the first time.
#
#   --ensurepip-pip-wheel WHEEL  also replace the pip wheel that ensurepip
#   installs (Lib/ensurepip/_bundled/pip-19.2.3-*.whl) with WHEEL, e.g. pip
#   20.3.4 built with patches/pip-20.3.4, so that ensurepip's pip uses
#   _tls_bootstrap.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

pip_wheel=
if [ "${1:-}" = "--ensurepip-pip-wheel" ]; then
    pip_wheel=$2
    shift 2
fi
if [ $# -ne 1 ]; then
    sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi
src=$1

die() { echo "apply.sh: $*" >&2; exit 1; }

[ -f "$src/setup.py" ] && [ -f "$src/Modules/_ssl.c" ] \
    || die "$src is not a CPython source tree"
grep -q '^#define PY_VERSION[[:space:]]*"2\.7\.' "$src/Include/patchlevel.h" \
    || die "$src is not CPython 2.7 (this patch is for 2.7.18)"
[ -f "$top/Modules/_tls_bootstrap.c" ] && [ -f "$top/Lib/_tls_bootstrap.py" ] \
    || die "no _tls_bootstrap sources in $top"

if grep -q "_tls_bootstrap_core" "$src/setup.py"; then
    echo "setup.py: already patched"
else
    patch -d "$src" -p1 --batch --forward --no-backup-if-mismatch \
        < "$here/cpython-2.7.18-setup.patch"
fi

mkdir -p "$src/Modules/_tls_bootstrap"
rm -f "$src"/Modules/_tls_bootstrap/*.[ch]
cp "$top/Modules/_tls_bootstrap.c" "$src/Modules/"
cp "$top"/Modules/_tls_bootstrap/*.[ch] "$src/Modules/_tls_bootstrap/"
# _tls_bootstrap.py and its companions (the command line, pyOpenSSL's SSL API)
cp "$top"/Lib/_tls_bootstrap*.py "$src/Lib/"
cp "$here/regrtest_tls_bootstrap.py" "$src/Lib/test/test_tls_bootstrap.py"
cp "$top/tools/gen_error_names.py" "$src/Tools/ssl/tls_bootstrap_error_names.py"
echo "copied _tls_bootstrap $(sed -n 's/^__version__ = "\(.*\)"$/\1/p' \
    "$top/Lib/_tls_bootstrap.py") from $top"

if [ -n "$pip_wheel" ]; then
    name=$(basename "$pip_wheel")
    case "$name" in
        pip-*-py2.py3-none-any.whl) ;;
        *) die "$pip_wheel: expected pip-VERSION-py2.py3-none-any.whl" ;;
    esac
    version=${name#pip-}
    version=${version%-py2.py3-none-any.whl}
    bundled="$src/Lib/ensurepip/_bundled"
    rm -f "$bundled"/pip-*.whl
    cp "$pip_wheel" "$bundled/"
    sed -i "s/^_PIP_VERSION = \".*\"$/_PIP_VERSION = \"$version\"/" \
        "$src/Lib/ensurepip/__init__.py"
    grep -q "^_PIP_VERSION = \"$version\"$" "$src/Lib/ensurepip/__init__.py" \
        || die "could not set _PIP_VERSION in Lib/ensurepip/__init__.py"
    echo "ensurepip: bundles $name"
fi
