#!/usr/bin/env bash
# Regenerates Lib/test/certdata/verify: the certificates of the
# verification table (Lib/test/test_verification_table.py).  README.md
# in that directory says what each file is.
#
# Rules of this script:
# - openssl command line only (3.0 or newer), with its own configuration.
# - Fixed dates and serials, as make_certs.sh: valid 2020..2120, expired
#   2010..2011, not yet valid 2099..2100.
# - Leaves share one key (leaf.key, P-256; rsa1024.key for the weak-key
#   case): only the certificates differ between cases.  The CA keys are
#   thrown away, so a change means a full run (commit all files together).
# - The checks at the end make sure each file means what its name says,
#   independently of Python.
#
# Usage: Lib/test/certdata/make_verify_certs.sh
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p verify
cd verify

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OPENSSL_CONF="$work/openssl.cnf"
unset SSL_CERT_FILE SSL_CERT_DIR

VALID="-startdate 20200101000000Z -enddate 21200101000000Z"
EXPIRED="-startdate 20100101000000Z -enddate 20110101000000Z"
NOT_YET_VALID="-startdate 20990101000000Z -enddate 21000101000000Z"
ORG="/C=XY/O=_tls_bootstrap verify"

cat > "$OPENSSL_CONF" <<CONF
[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
[ req_dn ]

[ ca ]
default_ca = tlsb_ca
[ tlsb_ca ]
database = $work/index.txt
serial = $work/serial
new_certs_dir = $work
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = optional

# ---- CAs ----
[ root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ inter ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ inter_nc ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
nameConstraints = critical, permitted;DNS:permitted.example, excluded;DNS:bad.permitted.example, permitted;IP:127.0.0.0/255.0.0.0

# Break one of the rules VERIFY_X509_STRICT enforces (OpenSSL 3.0+).
[ inter_noku ]
basicConstraints = critical, CA:TRUE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ inter_bc_noncritical ]
basicConstraints = CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# ---- leaves: SAN and EKU from the environment ----
[ leaf ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = \$ENV::EKU
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::SAN

[ leaf_nosan ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# (openssl ca adds an authorityKeyIdentifier unless told "none")
[ leaf_noakid ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = none
subjectAltName = DNS:localhost
CONF
export SAN="DNS:localhost" EKU="serverAuth, clientAuth"

quiet() {
    if ! "$@" >"$work/log" 2>&1; then
        cat "$work/log" >&2
        echo "failed: $*" >&2
        return 1
    fi
}

# issue OUT KEY ISSUER SERIAL "VALIDITY" EXTENSIONS CN [MD]
#   ISSUER: "self" or a CA as "CERT KEY" (two paths, one word each).
issue() {
    local out=$1 key=$2 issuer=$3 serial=$4 validity=$5 ext=$6 cn=$7 md=${8:-sha256}
    local signer
    quiet openssl req -new -key "$key" -utf8 -subj "$ORG/CN=$cn" -out "$work/req.csr"
    if [ "$issuer" = self ]; then
        signer=(-selfsign -keyfile "$key")
    else
        # shellcheck disable=SC2206  # "CERT KEY"
        local pair=($issuer)
        signer=(-cert "${pair[0]}" -keyfile "${pair[1]}")
    fi
    : > "$work/index.txt"
    echo "$serial" > "$work/serial"
    # shellcheck disable=SC2086  # $validity is two options
    quiet openssl ca -batch -notext -preserveDN -utf8 -md "$md" "${signer[@]}" \
        -extensions "$ext" $validity -in "$work/req.csr" -out "$out"
}

rm -f ./*.pem ./*.key

rsa() { quiet openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1"; }
ec() { quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

rsa "$work/root.key" 2048
rsa "$work/inter.key" 2048
ec "$work/other.key"
ec leaf.key
rsa rsa1024.key 1024

ROOT="root.pem $work/root.key"
INTER="inter.pem $work/inter.key"

# ---- CAs ------------------------------------------------------------------
issue root.pem "$work/root.key" self 01 "$VALID" root "Verify Root CA"
# The same root key and name, self-signed with SHA-1 (a trust anchor's own
# signature is not checked).
issue root-sha1.pem "$work/root.key" self 02 "$VALID" root "Verify Root CA" sha1
issue other-root.pem "$work/other.key" self 03 "$VALID" root "Verify Other Root CA"
issue inter.pem "$work/inter.key" "$ROOT" 10 "$VALID" inter "Verify Intermediate CA"
# The same intermediate (name and key) signed badly or out of date.
issue inter-sha1.pem "$work/inter.key" "$ROOT" 11 "$VALID" inter "Verify Intermediate CA" sha1
issue inter-md5.pem "$work/inter.key" "$ROOT" 12 "$VALID" inter "Verify Intermediate CA" md5
issue inter-expired.pem "$work/inter.key" "$ROOT" 13 "$EXPIRED" inter "Verify Intermediate CA"
# Intermediates of their own name (each signs its own leaves).
issue inter-nc.pem "$work/inter.key" "$ROOT" 14 "$VALID" inter_nc "Verify Constrained CA"
issue inter-noku.pem "$work/inter.key" "$ROOT" 15 "$VALID" inter_noku "Verify No-keyUsage CA"
issue inter-bcnc.pem "$work/inter.key" "$ROOT" 16 "$VALID" inter_bc_noncritical \
    "Verify Non-critical-BC CA"

# ---- leaves under the root ------------------------------------------------
L=leaf.key
issue valid.pem $L "$ROOT" 1000 "$VALID" leaf localhost
issue expired.pem $L "$ROOT" 1001 "$EXPIRED" leaf localhost
issue notyetvalid.pem $L "$ROOT" 1002 "$NOT_YET_VALID" leaf localhost
SAN="DNS:localhost, IP:127.0.0.1, IP:::1, IP:2001:db8::7" issue ip.pem $L "$ROOT" 1003 "$VALID" leaf localhost
issue ipcn.pem $L "$ROOT" 1004 "$VALID" leaf_nosan 192.0.2.7
issue nosan.pem $L "$ROOT" 1005 "$VALID" leaf_nosan localhost
EKU=clientAuth issue eku-client.pem $L "$ROOT" 1006 "$VALID" leaf localhost
EKU=serverAuth issue eku-server.pem $L "$ROOT" 1007 "$VALID" leaf localhost
EKU="serverAuth, clientAuth" issue eku-both.pem $L "$ROOT" 1008 "$VALID" leaf localhost
issue sha1.pem $L "$ROOT" 1009 "$VALID" leaf localhost sha1
issue md5.pem $L "$ROOT" 100A "$VALID" leaf localhost md5
issue rsa1024.pem rsa1024.key "$ROOT" 100B "$VALID" leaf localhost
issue noakid.pem $L "$ROOT" 100C "$VALID" leaf_noakid localhost
# Wildcards and IDNA
SAN="DNS:*.a.example" issue wild.pem $L "$ROOT" 2000 "$VALID" leaf wild
SAN="DNS:x.*.example" issue wild-middle.pem $L "$ROOT" 2001 "$VALID" leaf wild-middle
SAN="DNS:f*.a.example" issue wild-partial.pem $L "$ROOT" 2002 "$VALID" leaf wild-partial
SAN="DNS:*.example" issue wild-tld.pem $L "$ROOT" 2003 "$VALID" leaf wild-tld
issue wild-cn.pem $L "$ROOT" 2004 "$VALID" leaf_nosan "*.cn.example"
# bücher.example; straße.example by IDNA 2008 (IDNA 2003 maps it to strasse)
SAN="DNS:xn--bcher-kva.example, DNS:xn--strae-oqa.example" \
    issue idn.pem $L "$ROOT" 2005 "$VALID" leaf idn
SAN="DNS:*.xn--bcher-kva.example" issue wild-idn.pem $L "$ROOT" 2006 "$VALID" leaf wild-idn

# ---- leaves under intermediates -------------------------------------------
issue chain-leaf.pem $L "$INTER" 3000 "$VALID" leaf localhost
SAN="DNS:www.permitted.example" issue nc-inside.pem $L "inter-nc.pem $work/inter.key" 3001 "$VALID" leaf www.permitted.example
SAN="DNS:www.other.example" issue nc-outside.pem $L "inter-nc.pem $work/inter.key" 3002 "$VALID" leaf www.other.example
SAN="DNS:x.bad.permitted.example" issue nc-excluded.pem $L "inter-nc.pem $work/inter.key" 3003 "$VALID" leaf x.bad.permitted.example
SAN="IP:192.0.2.1" issue nc-ip-outside.pem $L "inter-nc.pem $work/inter.key" 3004 "$VALID" leaf nc-ip-outside
issue nc-cn-outside.pem $L "inter-nc.pem $work/inter.key" 3005 "$VALID" leaf_nosan www.other.example
issue noku-leaf.pem $L "inter-noku.pem $work/inter.key" 3006 "$VALID" leaf localhost
issue bcnc-leaf.pem $L "inter-bcnc.pem $work/inter.key" 3007 "$VALID" leaf localhost

# ---- outside the trusted hierarchy ----------------------------------------
issue untrusted.pem $L "other-root.pem $work/other.key" 4000 "$VALID" leaf localhost
SAN="DNS:localhost" issue selfsigned.pem $L self 4001 "$VALID" leaf localhost

# ---- what servers send ------------------------------------------------------
cat chain-leaf.pem inter.pem > chain-full.pem
cat chain-leaf.pem inter-sha1.pem > chain-inter-sha1.pem
cat chain-leaf.pem inter-md5.pem > chain-inter-md5.pem
cat chain-leaf.pem inter-expired.pem > chain-inter-expired.pem
for leaf in nc-inside nc-outside nc-excluded nc-ip-outside nc-cn-outside; do
    cat $leaf.pem inter-nc.pem > $leaf-chain.pem
done
cat noku-leaf.pem inter-noku.pem > noku-chain.pem
cat bcnc-leaf.pem inter-bcnc.pem > bcnc-chain.pem
cat untrusted.pem other-root.pem > untrusted-with-root.pem
cat root.pem inter.pem > root-and-inter.pem

# ---- checks -------------------------------------------------------------------
fail() { echo "make_verify_certs.sh: $*" >&2; exit 1; }
# check EXPECTED_ERROR_NUMBER|ok  openssl-verify-arguments...
check() {
    local want=$1 out got
    shift
    out=$(openssl verify -x509_strict "$@" 2>&1) && got=ok \
        || got=$(printf '%s\n' "$out" | sed -n 's/^error \([0-9]*\) at.*/\1/p' | head -1)
    [ "$got" = "$want" ] || fail "openssl verify $*: want $want, got ${got:-?}: $out"
}
for leaf in valid ip ipcn nosan eku-both wild wild-middle wild-partial wild-tld \
        wild-cn idn wild-idn; do
    check ok -CAfile root.pem -purpose sslserver $leaf.pem
done
check ok -CAfile root-sha1.pem -purpose sslserver valid.pem
check ok -CAfile root.pem -untrusted inter.pem chain-leaf.pem
check ok -CAfile root.pem -untrusted inter-nc.pem nc-inside.pem
check 10 -CAfile root.pem expired.pem
check 9 -CAfile root.pem notyetvalid.pem
check 26 -CAfile root.pem -purpose sslserver eku-client.pem
check 26 -CAfile root.pem -purpose sslclient eku-server.pem
check 68 -CAfile root.pem -auth_level 2 sha1.pem
check 68 -CAfile root.pem -auth_level 2 md5.pem
check 68 -CAfile root.pem -auth_level 2 -untrusted inter-sha1.pem chain-leaf.pem
check 66 -CAfile root.pem -auth_level 2 rsa1024.pem
check 10 -CAfile root.pem -untrusted inter-expired.pem chain-leaf.pem
check 20 -CAfile root.pem chain-leaf.pem
check 47 -CAfile root.pem -untrusted inter-nc.pem nc-outside.pem
check 48 -CAfile root.pem -untrusted inter-nc.pem nc-excluded.pem
check 47 -CAfile root.pem -untrusted inter-nc.pem nc-ip-outside.pem
check 20 -CAfile root.pem untrusted.pem
check 18 -CAfile root.pem selfsigned.pem
check ok -CAfile other-root.pem untrusted.pem
openssl verify -CAfile root.pem noakid.pem >/dev/null 2>&1 || fail "noakid.pem does not verify"
openssl verify -CAfile root.pem -untrusted inter-noku.pem noku-leaf.pem >/dev/null 2>&1 \
    || fail "noku-leaf.pem does not verify without -x509_strict"
openssl verify -CAfile root.pem -untrusted inter-bcnc.pem bcnc-leaf.pem >/dev/null 2>&1 \
    || fail "bcnc-leaf.pem does not verify without -x509_strict"
openssl verify -x509_strict -CAfile root.pem noakid.pem >/dev/null 2>&1 \
    && fail "noakid.pem passes -x509_strict"
openssl verify -x509_strict -CAfile root.pem -untrusted inter-noku.pem noku-leaf.pem >/dev/null 2>&1 \
    && fail "noku-leaf.pem passes -x509_strict"
openssl verify -x509_strict -CAfile root.pem -untrusted inter-bcnc.pem bcnc-leaf.pem >/dev/null 2>&1 \
    && fail "bcnc-leaf.pem passes -x509_strict"
echo "certdata/verify regenerated"
