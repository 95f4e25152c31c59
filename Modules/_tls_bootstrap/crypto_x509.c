/* crypto_x509.c: crypto.X509, a certificate (pyOpenSSL's X509).
 *
 * Also the helpers other parts share for certificates' pieces: ASN.1
 * times as pyOpenSSL shows them, integers <-> ASN1_INTEGER, and signing
 * arguments.
 */

static PyObject *
tlsb_X509_wrap(X509 *x509)
{
    return tlsb_owner_wrap(&tlsb_X509_Type, x509);
}

static X509 *
tlsb_crypto_x509_get(PyObject *obj)
{
    return tlsb_owner_get(&tlsb_X509_Type, obj);
}

/* A new reference to an X509 object for a certificate OpenSSL lends us
 * (up-referenced, so both sides own it). */
static PyObject *
tlsb_X509_from_borrowed(X509 *x509)
{
    X509_up_ref(x509);
    return tlsb_X509_wrap(x509);
}

/* ---- shared helpers ------------------------------------------------ */

/* notBefore/notAfter as pyOpenSSL returns them: GeneralizedTime bytes
 * (b"20250101000000Z"), or None when the time is not set. */
static PyObject *
tlsb_asn1_time_bytes(const ASN1_TIME *when)
{
    ASN1_GENERALIZEDTIME *general;
    PyObject *result;

    if (when == NULL || ASN1_STRING_length(when) == 0)
        Py_RETURN_NONE;
    if (ASN1_STRING_type(when) == V_ASN1_GENERALIZEDTIME)
        return PyBytes_FromStringAndSize(
            (const char *)ASN1_STRING_get0_data(when), ASN1_STRING_length(when));
    general = ASN1_TIME_to_generalizedtime((ASN1_TIME *)when, NULL);
    if (general == NULL)
        return tlsb_crypto_raise();
    result = PyBytes_FromStringAndSize(
        (const char *)ASN1_STRING_get0_data(general), ASN1_STRING_length(general));
    ASN1_GENERALIZEDTIME_free(general);
    return result;
}

/* Set `when` from b"YYYYMMDDhhmmssZ" (or with a +hhmm/-hhmm offset, kept
 * as GeneralizedTime); Z times are stored as RFC 5280 wants them
 * (UTCTime before 2050).  pyOpenSSL's errors: bytes only, ValueError. */
static int
tlsb_asn1_time_set(ASN1_TIME *when, PyObject *value)
{
    const char *text;
    Py_ssize_t len;
    ASN1_GENERALIZEDTIME *check;
    int ok;

    if (!PyBytes_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "when must be a byte string");
        return -1;
    }
    text = PyBytes_AS_STRING(value);
    len = PyBytes_GET_SIZE(value);
    check = ASN1_GENERALIZEDTIME_new();
    if (check == NULL) {
        tlsb_crypto_raise();
        return -1;
    }
    ok = (size_t)len == strlen(text) && ASN1_GENERALIZEDTIME_set_string(check, text);
    if (ok && len > 0 && text[len - 1] == 'Z')
        ok = ASN1_TIME_set_string_X509(when, text);
    else if (ok)
        ok = ASN1_STRING_copy(when, check);
    ASN1_GENERALIZEDTIME_free(check);
    ERR_clear_error();
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "Invalid string");
        return -1;
    }
    return 0;
}

/* ASN1_INTEGER -> int (any size). */
static PyObject *
tlsb_asn1_integer_to_long(const ASN1_INTEGER *value)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(value, NULL);
    char *hex;
    PyObject *result;

    if (bn == NULL)
        return tlsb_crypto_raise();
    hex = BN_bn2hex(bn);
    BN_free(bn);
    if (hex == NULL)
        return tlsb_crypto_raise();
    result = PyLong_FromString(hex, NULL, 16);
    OPENSSL_free(hex);
    return tlsb_int_from_pylong(result);
}

/* int -> new ASN1_INTEGER, or NULL with an exception. */
static ASN1_INTEGER *
tlsb_long_to_asn1_integer(PyObject *value)
{
    PyObject *hex_obj = PyNumber_ToBase(value, 16);
    const char *hex;
    BIGNUM *bn = NULL;
    ASN1_INTEGER *result = NULL;
    int negative;

    if (hex_obj == NULL)
        return NULL;
    hex = NativeStr_AsString(hex_obj);
    if (hex == NULL)
        goto done;
    negative = (hex[0] == '-');
    hex += negative ? 3 : 2;                     /* "-0x" or "0x" */
    if (!BN_hex2bn(&bn, hex)) {
        tlsb_crypto_raise();
        goto done;
    }
    BN_set_negative(bn, negative);
    result = BN_to_ASN1_INTEGER(bn, NULL);
    if (result == NULL)
        tlsb_crypto_raise();
done:
    BN_free(bn);
    Py_DECREF(hex_obj);
    return result;
}

/* The key and digest of sign(pkey, digest) on certificates, requests:
 * pyOpenSSL's checks and messages. */
static int
tlsb_signing_args(PyObject *pkey_obj, PyObject *digest_obj, EVP_PKEY **pkey,
                  const EVP_MD **md)
{
    tlsb_PKey *key;

    if (!PyObject_TypeCheck(pkey_obj, &tlsb_PKey_Type)) {
        PyErr_SetString(PyExc_TypeError, "pkey must be a PKey instance");
        return -1;
    }
    key = (tlsb_PKey *)pkey_obj;
    if (key->pkey == NULL) {
        PyErr_SetString(PyExc_ValueError, "Key is uninitialized");
        return -1;
    }
    if (key->only_public) {
        PyErr_SetString(PyExc_ValueError, "Key only has public part");
        return -1;
    }
    *pkey = key->pkey;
    if (tlsb_digest_arg(digest_obj, md, 1) < 0)
        return -1;
    return tlsb_digest_fits_key(*pkey, *md);
}

/* An iterable of X509Extension objects, as a new list, or NULL with
 * pyOpenSSL's ValueError. */
static PyObject *
tlsb_extension_list(PyObject *iterable)
{
    PyObject *list = PySequence_List(iterable);
    Py_ssize_t i;

    if (list == NULL)
        return NULL;
    for (i = 0; i < PyList_GET_SIZE(list); i++) {
        if (!PyObject_TypeCheck(PyList_GET_ITEM(list, i),
                                &tlsb_X509Extension_Type)) {
            Py_DECREF(list);
            PyErr_SetString(PyExc_ValueError,
                            "One of the elements is not an X509Extension");
            return NULL;
        }
    }
    return list;
}

/* ---- X509 ---------------------------------------------------------- */

/* get_version() -> int (0 for v1, 2 for v3) */
static PyObject *
tlsb_X509_get_version(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_int_from_long(X509_get_version(self->x509));
}

/* set_version(version) */
static PyObject *
tlsb_X509_set_version(tlsb_X509 *self, PyObject *arg)
{
    long version;

    if (tlsb_long_arg(arg, &version, "version must be an integer") < 0)
        return NULL;
    if (!X509_set_version(self->x509, version))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_serial_number() -> int */
static PyObject *
tlsb_X509_get_serial_number(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_asn1_integer_to_long(X509_get0_serialNumber(self->x509));
}

/* set_serial_number(serial) */
static PyObject *
tlsb_X509_set_serial_number(tlsb_X509 *self, PyObject *arg)
{
    ASN1_INTEGER *serial;
    int ok;

    if (!tlsb_is_int(arg)) {
        PyErr_SetString(PyExc_TypeError, "serial must be an integer");
        return NULL;
    }
    serial = tlsb_long_to_asn1_integer(arg);
    if (serial == NULL)
        return NULL;
    ok = X509_set_serialNumber(self->x509, serial);
    ASN1_INTEGER_free(serial);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_subject() -> X509Name: a live view; changing it changes the cert. */
static PyObject *
tlsb_X509_get_subject(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_X509Name_view((PyObject *)self, TLSB_NAME_SUBJECT);
}

/* get_issuer() -> X509Name (a live view) */
static PyObject *
tlsb_X509_get_issuer(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_X509Name_view((PyObject *)self, TLSB_NAME_ISSUER);
}

static X509_NAME *tlsb_X509Name_get(PyObject *obj);

/* set_subject(name): copies name into the certificate. */
static PyObject *
tlsb_X509_set_subject(tlsb_X509 *self, PyObject *arg)
{
    X509_NAME *name = tlsb_X509Name_get(arg);

    if (name == NULL)
        return NULL;
    if (!X509_set_subject_name(self->x509, name))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* set_issuer(name): copies name into the certificate. */
static PyObject *
tlsb_X509_set_issuer(tlsb_X509 *self, PyObject *arg)
{
    X509_NAME *name = tlsb_X509Name_get(arg);

    if (name == NULL)
        return NULL;
    if (!X509_set_issuer_name(self->x509, name))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_notBefore() -> bytes or None */
static PyObject *
tlsb_X509_get_notBefore(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_asn1_time_bytes(X509_get0_notBefore(self->x509));
}

/* get_notAfter() -> bytes or None */
static PyObject *
tlsb_X509_get_notAfter(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_asn1_time_bytes(X509_get0_notAfter(self->x509));
}

/* set_notBefore(when): when is b"YYYYMMDDhhmmssZ" */
static PyObject *
tlsb_X509_set_notBefore(tlsb_X509 *self, PyObject *arg)
{
    if (tlsb_asn1_time_set(X509_getm_notBefore(self->x509), arg) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* set_notAfter(when): when is b"YYYYMMDDhhmmssZ" */
static PyObject *
tlsb_X509_set_notAfter(tlsb_X509 *self, PyObject *arg)
{
    if (tlsb_asn1_time_set(X509_getm_notAfter(self->x509), arg) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
tlsb_gmtime_adj(ASN1_TIME *when, PyObject *arg)
{
    long amount;

    if (tlsb_long_arg(arg, &amount, "amount must be an integer") < 0)
        return NULL;
    if (X509_gmtime_adj(when, amount) == NULL)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* gmtime_adj_notBefore(amount): now + amount seconds */
static PyObject *
tlsb_X509_gmtime_adj_notBefore(tlsb_X509 *self, PyObject *arg)
{
    return tlsb_gmtime_adj(X509_getm_notBefore(self->x509), arg);
}

/* gmtime_adj_notAfter(amount): now + amount seconds */
static PyObject *
tlsb_X509_gmtime_adj_notAfter(tlsb_X509 *self, PyObject *arg)
{
    return tlsb_gmtime_adj(X509_getm_notAfter(self->x509), arg);
}

/* has_expired() -> bool: notAfter is in the past */
static PyObject *
tlsb_X509_has_expired(tlsb_X509 *self, PyObject *unused)
{
    const ASN1_TIME *not_after = X509_get0_notAfter(self->x509);
    int cmp;

    if (not_after == NULL || ASN1_STRING_length(not_after) == 0) {
        PyErr_SetString(tlsb_crypto_MissingNotAfter, "notAfter is not set");
        return NULL;
    }
    /* Unlike X509_cmp_current_time, this takes "+hhmm" offsets too. */
    cmp = ASN1_TIME_cmp_time_t(not_after, time(NULL));
    if (cmp == -2)
        return tlsb_crypto_raise();
    return PyBool_FromLong(cmp < 0);
}

/* get_pubkey() -> PKey (public part only) */
static PyObject *
tlsb_X509_get_pubkey(tlsb_X509 *self, PyObject *unused)
{
    EVP_PKEY *pkey = X509_get_pubkey(self->x509);

    if (pkey == NULL)
        return tlsb_crypto_raise();
    return tlsb_PKey_wrap(pkey, 1);
}

/* set_pubkey(pkey) */
static PyObject *
tlsb_X509_set_pubkey(tlsb_X509 *self, PyObject *arg)
{
    EVP_PKEY *pkey = tlsb_crypto_pkey_get(arg);

    if (pkey == NULL)
        return NULL;
    if (!X509_set_pubkey(self->x509, pkey))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* sign(pkey, digest): digest None (extension) for Ed25519/Ed448 keys */
static PyObject *
tlsb_X509_sign(tlsb_X509 *self, PyObject *args)
{
    PyObject *pkey_obj, *digest_obj;
    EVP_PKEY *pkey;
    const EVP_MD *md;

    if (!PyArg_ParseTuple(args, "OO:sign", &pkey_obj, &digest_obj) ||
        tlsb_signing_args(pkey_obj, digest_obj, &pkey, &md) < 0)
        return NULL;
    if (X509_sign(self->x509, pkey, md) <= 0)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_signature_algorithm() -> bytes, e.g. b"sha256WithRSAEncryption":
 * the algorithm named inside the signed part (tbsCertificate), as
 * pyOpenSSL reads it, not the copy outside the signature */
static PyObject *
tlsb_X509_get_signature_algorithm(tlsb_X509 *self, PyObject *unused)
{
    const ASN1_OBJECT *oid = NULL;
    int nid;

    X509_ALGOR_get0(&oid, NULL, NULL, X509_get0_tbs_sigalg(self->x509));
    nid = oid ? OBJ_obj2nid(oid) : NID_undef;

    if (nid == NID_undef) {
        PyErr_SetString(PyExc_ValueError, "Undefined signature algorithm");
        return NULL;
    }
    return PyBytes_FromString(OBJ_nid2ln(nid));
}

/* digest(digest_name) -> bytes, e.g. b"AB:CD:..." */
static PyObject *
tlsb_X509_digest(tlsb_X509 *self, PyObject *arg)
{
    const EVP_MD *md;
    unsigned char buf[EVP_MAX_MD_SIZE];
    char text[EVP_MAX_MD_SIZE * 3];
    unsigned int len = 0, i;
    static const char hex[] = "0123456789ABCDEF";

    if (tlsb_digest_arg(arg, &md, 0) < 0)
        return NULL;
    if (!X509_digest(self->x509, md, buf, &len))
        return tlsb_crypto_raise();
    for (i = 0; i < len; i++) {
        text[3 * i] = hex[buf[i] >> 4];
        text[3 * i + 1] = hex[buf[i] & 0xf];
        text[3 * i + 2] = ':';
    }
    return PyBytes_FromStringAndSize(text, len ? 3 * len - 1 : 0);
}

/* subject_name_hash() -> int (the hash `openssl x509 -hash` prints) */
static PyObject *
tlsb_X509_subject_name_hash(tlsb_X509 *self, PyObject *unused)
{
    return PyLong_FromUnsignedLong(X509_subject_name_hash(self->x509));
}

/* get_extension_count() -> int */
static PyObject *
tlsb_X509_get_extension_count(tlsb_X509 *self, PyObject *unused)
{
    return tlsb_int_from_long(X509_get_ext_count(self->x509));
}

/* get_extension(index) -> X509Extension (a copy) */
static PyObject *
tlsb_X509_get_extension(tlsb_X509 *self, PyObject *arg)
{
    long index;
    X509_EXTENSION *ext;

    if (tlsb_long_arg(arg, &index, "an integer is required") < 0)
        return NULL;
    if (index < 0 || index >= X509_get_ext_count(self->x509)) {
        PyErr_SetString(PyExc_IndexError, "extension index out of bounds");
        return NULL;
    }
    ext = X509_EXTENSION_dup(X509_get_ext(self->x509, (int)index));
    return tlsb_X509Extension_wrap(ext);
}

/* add_extensions(extensions): appends copies */
static PyObject *
tlsb_X509_add_extensions(tlsb_X509 *self, PyObject *arg)
{
    PyObject *list = tlsb_extension_list(arg);
    Py_ssize_t i;

    if (list == NULL)
        return NULL;
    for (i = 0; i < PyList_GET_SIZE(list); i++) {
        tlsb_X509Extension *ext =
            (tlsb_X509Extension *)PyList_GET_ITEM(list, i);
        if (!X509_add_ext(self->x509, ext->ext, -1)) {
            Py_DECREF(list);
            return tlsb_crypto_raise();
        }
    }
    Py_DECREF(list);
    Py_RETURN_NONE;
}

static PyMethodDef tlsb_X509_methods[] = {
    {"get_version", (PyCFunction)tlsb_X509_get_version, METH_NOARGS,
     "get_version()\n--\n\nThe version number (0 for v1, 2 for v3)."},
    {"set_version", (PyCFunction)tlsb_X509_set_version, METH_O,
     "set_version(version)\n--\n\nSet the version number (2 for v3)."},
    {"get_serial_number", (PyCFunction)tlsb_X509_get_serial_number, METH_NOARGS,
     "get_serial_number()\n--\n\nThe serial number, an int."},
    {"set_serial_number", (PyCFunction)tlsb_X509_set_serial_number, METH_O,
     "set_serial_number(serial)\n--\n\nSet the serial number (an int)."},
    {"get_subject", (PyCFunction)tlsb_X509_get_subject, METH_NOARGS,
     "get_subject()\n--\n\nThe subject, an X509Name view: changing it changes the certificate."},
    {"set_subject", (PyCFunction)tlsb_X509_set_subject, METH_O,
     "set_subject(subject)\n--\n\nSet the subject to a copy of an X509Name."},
    {"get_issuer", (PyCFunction)tlsb_X509_get_issuer, METH_NOARGS,
     "get_issuer()\n--\n\nThe issuer, an X509Name view."},
    {"set_issuer", (PyCFunction)tlsb_X509_set_issuer, METH_O,
     "set_issuer(issuer)\n--\n\nSet the issuer to a copy of an X509Name."},
    {"get_notBefore", (PyCFunction)tlsb_X509_get_notBefore, METH_NOARGS,
     "get_notBefore()\n--\n\nStart of validity as b'YYYYMMDDhhmmssZ', or None."},
    {"set_notBefore", (PyCFunction)tlsb_X509_set_notBefore, METH_O,
     "set_notBefore(when)\n--\n\nSet the start of validity from b'YYYYMMDDhhmmssZ'."},
    {"get_notAfter", (PyCFunction)tlsb_X509_get_notAfter, METH_NOARGS,
     "get_notAfter()\n--\n\nEnd of validity as b'YYYYMMDDhhmmssZ', or None."},
    {"set_notAfter", (PyCFunction)tlsb_X509_set_notAfter, METH_O,
     "set_notAfter(when)\n--\n\nSet the end of validity from b'YYYYMMDDhhmmssZ'."},
    {"gmtime_adj_notBefore", (PyCFunction)tlsb_X509_gmtime_adj_notBefore, METH_O,
     "gmtime_adj_notBefore(amount)\n--\n\nSet the start of validity to now + amount seconds."},
    {"gmtime_adj_notAfter", (PyCFunction)tlsb_X509_gmtime_adj_notAfter, METH_O,
     "gmtime_adj_notAfter(amount)\n--\n\nSet the end of validity to now + amount seconds."},
    {"has_expired", (PyCFunction)tlsb_X509_has_expired, METH_NOARGS,
     "has_expired()\n--\n\nTrue if notAfter is in the past."},
    {"get_pubkey", (PyCFunction)tlsb_X509_get_pubkey, METH_NOARGS,
     "get_pubkey()\n--\n\nThe public key, a PKey."},
    {"set_pubkey", (PyCFunction)tlsb_X509_set_pubkey, METH_O,
     "set_pubkey(pkey)\n--\n\nSet the public key."},
    {"sign", (PyCFunction)tlsb_X509_sign, METH_VARARGS,
     "sign(pkey, digest)\n--\n\nSign the certificate with pkey and the named digest "
     "(None for Ed25519/Ed448 keys)."},
    {"get_signature_algorithm", (PyCFunction)tlsb_X509_get_signature_algorithm, METH_NOARGS,
     "get_signature_algorithm()\n--\n\nThe signature algorithm's long name, as bytes."},
    {"digest", (PyCFunction)tlsb_X509_digest, METH_O,
     "digest(digest_name)\n--\n\nThe certificate's fingerprint as b'AB:CD:...'."},
    {"subject_name_hash", (PyCFunction)tlsb_X509_subject_name_hash, METH_NOARGS,
     "subject_name_hash()\n--\n\nThe hash of the subject (as in `openssl x509 -hash`)."},
    {"get_extension_count", (PyCFunction)tlsb_X509_get_extension_count, METH_NOARGS,
     "get_extension_count()\n--\n\nThe number of extensions."},
    {"get_extension", (PyCFunction)tlsb_X509_get_extension, METH_O,
     "get_extension(index)\n--\n\nA copy of the extension at index, an X509Extension."},
    {"add_extensions", (PyCFunction)tlsb_X509_add_extensions, METH_O,
     "add_extensions(extensions)\n--\n\nAppend X509Extension objects."},
    {"to_cryptography", (PyCFunction)tlsb_X509_to_cryptography, METH_NOARGS,
     "to_cryptography($self)\n--\n\nThe certificate as a cryptography x509.Certificate."},
    {"from_cryptography", (PyCFunction)tlsb_X509_from_cryptography,
     METH_O | METH_CLASS,
     "from_cryptography(crypto_cert)\n--\n\nAn X509 from a cryptography x509.Certificate."},
    {NULL, NULL}
};

/* _x509: where pyOpenSSL has its cffi X509 pointer.  Consumers test it for
 * "pyOpenSSL 0.14 or newer" (urllib3's contrib.pyopenssl); here it is a
 * capsule named "_tls_bootstrap X509*" around the (borrowed) pointer,
 * valid while this object lives, and not a cffi object. */
static PyObject *
tlsb_X509_get_x509_capsule(tlsb_X509 *self, void *closure)
{
    return PyCapsule_New(self->x509, "_tls_bootstrap X509*", NULL);
}

static PyGetSetDef tlsb_X509_getset[] = {
    {"_x509", (getter)tlsb_X509_get_x509_capsule, NULL,
     "The X509 pointer as a capsule (not cffi; see inject_pyopenssl()).", NULL},
    {NULL}
};

static PyTypeObject tlsb_X509_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509",
    .tp_basicsize = sizeof(tlsb_X509),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509()\n--\n\nAn X.509 certificate.",
    .tp_methods = tlsb_X509_methods,
    .tp_getset = tlsb_X509_getset,
    .tp_new = tlsb_owner_new,
};

static int
tlsb_crypto_x509_init(PyObject *crypto)
{
    return tlsb_add_type(crypto, &tlsb_X509_Type, "X509");
}
