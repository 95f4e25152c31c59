#!/usr/bin/env bash
# Regenerates every certificate, key, CRL and parameter file in this
# directory (Lib/test/certdata), then the golden decoded dicts
# (make_golden.py, run with CPython 3.13).  README.md says what each file
# is for.
#
# Rules of this script:
# - Dates are fixed (`openssl ca -startdate/-enddate`), so the files mean
#   the same thing in 2025 and in 2100: valid 2020-01-01..2120-01-01,
#   expired 2010..2011, not yet valid 2099..2100.
# - Serial numbers are fixed too; keys are new on every run, so a run
#   changes every file (commit them all together).
# - Every certificate passes OpenSSL's strict checks (`verify
#   -x509_strict`, what CPython 3.13's create_default_context asks for),
#   except emptysan.pem and malformed.pem, which break RFC 5280 on purpose
#   (they are there for decoding only).  The checks at the end of this script
#   fail the run otherwise.
# - Needs the openssl command line, 3.0 or newer (-crl_lastupdate).
#
# Usage: Lib/test/certdata/make_certs.sh   (PYTHON313=/path/to/python3.13)
set -euo pipefail
cd "$(dirname "$0")"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Only our configuration: the system's openssl.cnf must not add anything.
export OPENSSL_CONF="$work/openssl.cnf"
unset SSL_CERT_FILE SSL_CERT_DIR

VALID="-startdate 20200101000000Z -enddate 21200101000000Z"
EXPIRED="-startdate 20100101000000Z -enddate 20110101000000Z"
NOT_YET_VALID="-startdate 20990101000000Z -enddate 21000101000000Z"

LOCALHOST_SAN="DNS:localhost, IP:127.0.0.1, IP:::1"
ORG="/C=XY/O=_tls_bootstrap"

# Text as hex digits, for the ASN.1 generator (which cannot write a NUL
# into a string type; a [n] IMPLICIT OCTET STRING has the same encoding).
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

cat > "$OPENSSL_CONF" <<EOF
oid_section = oids

[ oids ]
# Unknown to every OpenSSL: decoders print it as a dotted OID.
tlsbTestAttribute = 1.3.6.1.4.1.55555.1.1

[ req ]
distinguished_name = req_dn
string_mask = utf8only
utf8 = yes
[ req_dn ]

[ ca ]
default_ca = tlsb_ca

[ tlsb_ca ]
# CADB names the issuing CA's own directory (index, serial, CRL number).
database = \$ENV::CADB/index.txt
serial = \$ENV::CADB/serial
crlnumber = \$ENV::CADB/crlnumber
new_certs_dir = \$ENV::CADB
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
crl_extensions = crl_ext

[ policy_any ]
commonName = optional

[ crl_ext ]
authorityKeyIdentifier = keyid:always

# ---- certificate authorities ----
[ ext_root ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ ext_intermediate ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# ---- end entities; SAN, KU, AIA and CRLDP come from the environment ----
[ ext_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, \$ENV::KU
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::SAN

# ext_server with authorityInfoAccess and crlDistributionPoints
[ ext_server_urls ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, \$ENV::KU
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::SAN
authorityInfoAccess = \$ENV::AIA
crlDistributionPoints = \$ENV::CRLDP

[ ext_client ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
subjectAltName = \$ENV::SAN

[ ext_nosan ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# ---- allsans.pem: every subjectAltName kind the config syntax knows ----
[ allsans_names ]
DNS.1 = allsans
DNS.2 = *.allsans.tls-bootstrap.example
otherName.1 = 1.3.6.1.4.1.55555.2.1;UTF8:an otherName of unknown type
otherName.2 = 1.3.6.1.4.1.311.20.2.3;UTF8:user@allsans.tls-bootstrap.example
email.1 = user@allsans.tls-bootstrap.example
URI.1 = https://allsans.tls-bootstrap.example/path?query=1
IP.1 = 127.0.0.1
IP.2 = 192.0.2.250
IP.3 = ::1
IP.4 = 2001:db8:85a3::8a2e:370:7334
IP.5 = fe80::1:0:0:0
dirName.1 = allsans_dirname
RID.1 = 1.3.6.1.4.1.55555.3.1
RID.2 = 1.3.6.1.5.5.7.3.1

[ allsans_dirname ]
C = XY
O = _tls_bootstrap
OU = dirName in a subjectAltName
CN = allsans dirName

# ---- nulbyte.pem: NUL bytes inside SAN strings (CVE-2013-4238) ----
[ nulbyte_names ]
dns = IMPLICIT:2C,FORMAT:HEX,OCTETSTRING:$(hex nul.tls-bootstrap.example)00$(hex evil.example)
email = IMPLICIT:1C,FORMAT:HEX,OCTETSTRING:$(hex nul@tls-bootstrap.example)00$(hex user@evil.example)
uri = IMPLICIT:6C,FORMAT:HEX,OCTETSTRING:$(hex https://nul.tls-bootstrap.example/)00$(hex https://evil.example/)
ip4 = IMPLICIT:7C,FORMAT:HEX,OCTETSTRING:C0000201
ip6 = IMPLICIT:7C,FORMAT:HEX,OCTETSTRING:20010DB8000000000000000000000001

# ---- rare-sans.pem: names the config syntax cannot write, odd AIA/CRLDP ----
[ rare_names ]
dns = IMPLICIT:2C,IA5STRING:rare.tls-bootstrap.example
x400 = IMPLICIT:3C,SEQUENCE:rare_x400
edi = IMPLICIT:5C,SEQUENCE:rare_edi
ip_five_bytes = IMPLICIT:7C,FORMAT:HEX,OCTETSTRING:C000020101
ip_empty = IMPLICIT:7C,OCTETSTRING:
smtp_utf8 = IMPLICIT:0C,SEQUENCE:rare_smtp_utf8
[ rare_smtp_utf8 ]
type = OID:1.3.6.1.5.5.7.8.9
value = EXPLICIT:0C,UTF8String:smtputf8@rare.tls-bootstrap.example
[ rare_x400 ]
standard_attributes = SEQUENCE:rare_x400_attributes
[ rare_x400_attributes ]
country = EXPLICIT:1A,PRINTABLESTRING:XY
[ rare_edi ]
assigner = EXPLICIT:0C,UTF8String:an EDI name assigner
party = EXPLICIT:1C,UTF8String:an EDI party

[ rare_dp_dirname ]
fullname = dirName:allsans_dirname
reasons = keyCompromise, CACompromise
[ rare_dp_uri ]
fullname = URI:http://crl.rare.tls-bootstrap.example/root.crl, URI:ldap://ldap.rare.tls-bootstrap.example/cn=root
CRLissuer = dirName:allsans_dirname
[ rare_dp_relative ]
relativename = rare_dp_rdn
[ rare_dp_rdn ]
CN = relative CRL name

# ---- names.pem: odd names; AIA without OCSP, a CRL point without URI ----
[ names_dp ]
fullname = DNS:crl.names.tls-bootstrap.example

# ---- emptysan.pem: a subjectAltName extension with no names in it ----
[ empty_names ]

# ---- malformed.pem: extensions whose contents do not parse ----
[ ext_malformed ]
basicConstraints = critical, CA:FALSE
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
# subjectAltName, authorityInfoAccess, crlDistributionPoints holding an
# INTEGER instead of a SEQUENCE
2.5.29.17 = DER:02:01:05
1.3.6.1.5.5.7.1.1 = DER:02:01:05
2.5.29.31 = DER:02:01:05

EOF

# Defaults for the variables the configuration refers to (every one must
# have a value when the file is read).
export SAN="$LOCALHOST_SAN" KU="digitalSignature, keyEncipherment" CADB="$work/unused" \
    AIA="caIssuers;URI:http://unused.invalid/" CRLDP="URI:http://unused.invalid/"

# Runs a command quietly; shows its output only if it fails.
quiet() {
    if ! "$@" >"$work/log" 2>&1; then
        cat "$work/log" >&2
        echo "failed: $*" >&2
        return 1
    fi
}

rsa_key() { quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
ec_key() { quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

# new_ca_db NAME: an empty database for the CA whose files are NAME.pem/.key
new_ca_db() {
    mkdir -p "$work/db-$1"
    : > "$work/db-$1/index.txt"
    echo 1000 > "$work/db-$1/crlnumber"
}

# issue OUT KEY ISSUER SERIAL "VALIDITY" EXTENSIONS SUBJECT
#   ISSUER: base name of the signing CA here ("ca" -> ca.pem, ca.key),
#           or "self".  EXTENSIONS: a section above, or "" (X.509 v1).
issue() {
    local out=$1 key=$2 issuer=$3 serial=$4 validity=$5 ext=$6 subject=$7
    local signer extensions=()
    quiet openssl req -new -key "$key" -utf8 -multivalue-rdn -subj "$subject" \
        -out "$work/request.csr"
    if [ "$issuer" = self ]; then
        signer=(-selfsign -keyfile "$key")
        new_ca_db "${out%.pem}"
        export CADB="$work/db-${out%.pem}"
    else
        signer=(-cert "$issuer.pem" -keyfile "$issuer.key")
        export CADB="$work/db-$issuer"
    fi
    [ -n "$ext" ] && extensions=(-extensions "$ext")
    echo "$serial" > "$CADB/serial"
    # shellcheck disable=SC2086  # $validity is two options
    quiet openssl ca -batch -notext -preserveDN -multivalue-rdn -utf8 \
        "${signer[@]}" "${extensions[@]}" $validity \
        -in "$work/request.csr" -out "$out"
}

rm -rf capath
rm -f ./*.pem ./*.key ./*.der ./*.crl ./*.decoded.json

# ---- the trusted hierarchy --------------------------------------------
rsa_key ca.key
issue ca.pem ca.key self 01 "$VALID" ext_root "$ORG/CN=_tls_bootstrap Test Root CA"
new_ca_db ca
quiet openssl x509 -in ca.pem -outform DER -out ca.der

rsa_key intermediate.key
issue intermediate.pem intermediate.key ca 02 "$VALID" ext_intermediate \
    "$ORG/CN=_tls_bootstrap Test Intermediate CA"
new_ca_db intermediate

rsa_key localhost.key
issue localhost.pem localhost.key intermediate 1001 "$VALID" ext_server "$ORG/CN=localhost"
cat localhost.pem intermediate.pem > localhost-chain.pem
cat localhost.key localhost.pem intermediate.pem > localhost-combined.pem
quiet openssl x509 -in localhost.pem -outform DER -out localhost.der
# The same key encrypted: PKCS#8 (modern) and traditional PEM (Proc-Type).
quiet openssl pkey -in localhost.key -aes-256-cbc -passout pass:somepass -out localhost-enc.key
quiet openssl rsa -in localhost.key -aes-256-cbc -traditional -passout pass:somepass \
    -out localhost-enc-traditional.key

ec_key ecdsa.key
KU="digitalSignature" issue ecdsa.pem ecdsa.key intermediate 1002 "$VALID" ext_server "$ORG/CN=localhost"
cat ecdsa.pem intermediate.pem > ecdsa-chain.pem

rsa_key rsa-direct.key
issue rsa-direct.pem rsa-direct.key ca 2001 "$VALID" ext_server "$ORG/CN=localhost"

rsa_key client.key
SAN="email:client@tls-bootstrap.example" \
    issue client.pem client.key ca 2002 "$VALID" ext_client "$ORG/CN=client"

rsa_key expired.key
issue expired.pem expired.key ca 2003 "$EXPIRED" ext_server "$ORG/CN=localhost"

rsa_key notyetvalid.key
issue notyetvalid.pem notyetvalid.key ca 2004 "$NOT_YET_VALID" ext_server "$ORG/CN=localhost"

rsa_key wronghost.key
SAN="DNS:wrong.example" \
    issue wronghost.pem wronghost.key ca 2005 "$VALID" ext_server "$ORG/CN=wrong.example"

rsa_key nosan.key
issue nosan.pem nosan.key ca C0FFEE "$VALID" ext_nosan "$ORG/CN=localhost"

rsa_key allsans.key
SAN="@allsans_names" \
AIA="OCSP;URI:http://ocsp.tls-bootstrap.example/, OCSP;URI:http://ocsp2.tls-bootstrap.example/, caIssuers;URI:http://ca.tls-bootstrap.example/root.der, caIssuers;URI:http://ca2.tls-bootstrap.example/root.der" \
CRLDP="URI:http://crl.tls-bootstrap.example/root.crl, URI:http://crl2.tls-bootstrap.example/root.crl" \
    issue allsans.pem allsans.key ca 7A11CE5A11CE5A11CE5A11CE5A11CE5A11CE5A11 "$VALID" ext_server_urls \
    "$ORG/CN=allsans"

rsa_key idna.key
SAN="DNS:xn--knig-5qa.idn.example, DNS:*.xn--nxasmq6b.idn.example, DNS:plain.idn.example" \
    issue idna.pem idna.key ca 2006 "$VALID" ext_server "$ORG/CN=xn--knig-5qa.idn.example"

rsa_key revoked.key
issue revoked.pem revoked.key ca 2007 "$VALID" ext_server "$ORG/CN=localhost"

# ---- decoding-only certificates (their keys are thrown away) ----------
rsa_key "$work/names.key"
SAN="DNS:names.tls-bootstrap.example" \
AIA="caIssuers;URI:http://ca.names.tls-bootstrap.example/root.der" CRLDP="names_dp" \
    issue names.pem "$work/names.key" ca 0100 "$VALID" ext_server_urls \
    "/C=XY/ST=Bayern/L=München/O=_tls_bootstrap/OU=Names+OU=Multi-valued RDN/CN=names.tls-bootstrap.example+serialNumber=42/emailAddress=names@tls-bootstrap.example/DC=tls-bootstrap/DC=example/tlsbTestAttribute=an unregistered attribute/CN=Grüße, ☃ & 日本語"

rsa_key "$work/v1.key"
issue v1.pem "$work/v1.key" ca 01 "$VALID" "" "$ORG/CN=v1.tls-bootstrap.example"

rsa_key "$work/nulbyte.key"
SAN="ASN1:SEQUENCE:nulbyte_names" \
    issue nulbyte.pem "$work/nulbyte.key" ca 2008 "$VALID" ext_server "$ORG/CN=nul.tls-bootstrap.example"

rsa_key "$work/emptysan.key"
SAN="ASN1:SEQUENCE:empty_names" \
    issue emptysan.pem "$work/emptysan.key" ca 200A "$VALID" ext_server "$ORG/CN=emptysan.tls-bootstrap.example"

# A 40-byte serial number: longer than RFC 5280 allows, and longer than
# one line of OpenSSL's hex printer (35 bytes).
rsa_key "$work/malformed.key"
issue malformed.pem "$work/malformed.key" ca 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F2021222324252627FF \
    "$VALID" ext_malformed "$ORG/CN=malformed.tls-bootstrap.example"

rsa_key "$work/rare-sans.key"
SAN="ASN1:SEQUENCE:rare_names" \
AIA="OCSP;DNS:ocsp.rare.tls-bootstrap.example, OCSP;URI:http://ocsp.rare.tls-bootstrap.example/, caIssuers;dirName:allsans_dirname, caIssuers;URI:http://ca.rare.tls-bootstrap.example/root.der" \
CRLDP="rare_dp_dirname, rare_dp_uri, rare_dp_relative" \
    issue rare-sans.pem "$work/rare-sans.key" ca 2009 "$VALID" ext_server_urls "$ORG/CN=rare.tls-bootstrap.example"

# ---- outside the trusted hierarchy --------------------------------------
rsa_key selfsigned.key
# An end-entity certificate that is its own issuer (its AKI is its SKI).
issue selfsigned.pem selfsigned.key self 3001 "$VALID" ext_server "$ORG/CN=localhost"

rsa_key other-ca.key
issue other-ca.pem other-ca.key self 4001 "$VALID" ext_root "$ORG/CN=_tls_bootstrap Other CA (trusted by nothing)"
new_ca_db other-ca

rsa_key untrusted.key
issue untrusted.pem untrusted.key other-ca 4002 "$VALID" ext_server "$ORG/CN=localhost"

# ---- bundles, capath, CRLs, DH parameters ----------------------------------
cat ca.pem other-ca.pem > bundle.pem

mkdir capath
for kind in hash subject_hash_old; do
    cp ca.pem "capath/$(openssl x509 -in ca.pem -noout -"$kind").0"
done

# CRLs with fixed dates: root.crl revokes revoked.pem; intermediate.crl is
# empty (so VERIFY_CRL_CHECK_CHAIN can succeed for localhost.pem).
gen_crl() {
    export CADB="$work/db-$1"
    quiet openssl ca -gencrl -cert "$1.pem" -keyfile "$1.key" \
        -crl_lastupdate 20200101000000Z -crl_nextupdate 21200101000000Z -out "$2"
}
export CADB="$work/db-ca"
quiet openssl ca -revoke revoked.pem -cert ca.pem -keyfile ca.key -crl_reason keyCompromise
# The revocation time is "now" in the database; fix it.
sed -i -E 's/^(R\t[0-9]+Z\t)[0-9]+Z/\1200601000000Z/' "$CADB/index.txt"
gen_crl ca root.crl
gen_crl intermediate intermediate.crl

# RFC 7919's ffdhe2048 group (named, not generated: genpkey copies the
# fixed prime for "group:ffdhe2048"); checked below.
quiet openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out dh2048.pem

# ---- checks: the files mean what their names say ------------------------
fail() { echo "make_certs.sh: $*" >&2; exit 1; }
verify() { openssl verify -x509_strict "$@" >/dev/null 2>&1; }

openssl pkeyparam -in dh2048.pem -noout -text | grep -q 'GROUP: ffdhe2048' \
    || fail "dh2048.pem is not the ffdhe2048 group"

for leaf in localhost ecdsa; do
    verify -CAfile ca.pem -untrusted intermediate.pem -purpose sslserver "$leaf.pem" \
        || fail "$leaf.pem does not verify"
done
for leaf in rsa-direct wronghost nosan allsans idna names v1 nulbyte rare-sans revoked; do
    verify -CAfile ca.pem -purpose sslserver "$leaf.pem" || fail "$leaf.pem does not verify"
done
verify -CAfile ca.pem -purpose sslclient client.pem || fail "client.pem does not verify"
verify -CAfile ca.pem intermediate.pem || fail "intermediate.pem does not verify"
verify -CAfile ca.pem ca.pem || fail "ca.pem does not verify"
verify -CAfile other-ca.pem untrusted.pem || fail "untrusted.pem does not verify under other-ca.pem"
verify -partial_chain -CAfile selfsigned.pem selfsigned.pem || fail "selfsigned.pem does not verify"
verify -CApath capath -untrusted intermediate.pem localhost.pem || fail "capath does not work"
verify -CAfile ca.pem -CRLfile root.crl -CRLfile intermediate.crl -crl_check_all \
    -untrusted intermediate.pem localhost.pem || fail "localhost.pem fails the CRL check"

verify -CAfile ca.pem expired.pem && fail "expired.pem verifies"
verify -CAfile ca.pem notyetvalid.pem && fail "notyetvalid.pem verifies"
verify -CAfile ca.pem untrusted.pem && fail "untrusted.pem verifies under ca.pem"
verify -CAfile ca.pem -CRLfile root.crl -crl_check revoked.pem && fail "revoked.pem is not revoked"
verify -CAfile ca.pem localhost.pem && fail "localhost.pem verifies without its intermediate"
verify -CAfile ca.pem emptysan.pem && fail "emptysan.pem passes the strict checks"
openssl verify -CAfile ca.pem malformed.pem >/dev/null 2>&1 && fail "malformed.pem verifies"
openssl verify -CAfile ca.pem emptysan.pem >/dev/null 2>&1 || fail "emptysan.pem does not verify"

# ---- golden decoded dicts -------------------------------------------------
python313="${PYTHON313:-}"
if [ -z "$python313" ]; then
    for candidate in python3.13 "$HOME/.pyenv/versions/3.13.0/bin/python"; do
        if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' \
                >/dev/null 2>&1; then
            python313=$candidate
            break
        fi
    done
fi
[ -n "$python313" ] || fail "no CPython 3.13 for make_golden.py (set PYTHON313)"
"$python313" make_golden.py
echo "certdata regenerated"
