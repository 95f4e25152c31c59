/* crypto_crl.c: crypto.CRL and crypto.Revoked (pyOpenSSL's certificate
 * revocation lists), load_crl() and dump_crl().
 *
 * Ownership: a Revoked owns one X509_REVOKED; a CRL owns one X509_CRL.
 * add_revoked() stores a copy and get_revoked() returns copies, as
 * pyOpenSSL does, so no Python object ever points into a CRL's list.
 * X509Store.add_crl (crypto_store.c) lets the store up-reference the CRL.
 */

/* pyOpenSSL's reason names, in CRLReason code order (0-6); the 8th code,
 * removeFromCRL, is not settable there either. */
static const char *const tlsb_crl_reasons[] = {
    "unspecified", "keyCompromise", "CACompromise", "affiliationChanged",
    "superseded", "cessationOfOperation", "certificateHold",
};
#define TLSB_N_CRL_REASONS \
    ((int)(sizeof(tlsb_crl_reasons) / sizeof(tlsb_crl_reasons[0])))

/* ---- Revoked ------------------------------------------------------- */

static PyObject *
tlsb_Revoked_wrap(X509_REVOKED *revoked)
{
    return tlsb_owner_wrap(&tlsb_Revoked_Type, revoked);
}

/* get_serial() -> bytes: the serial in upper-case hex, b"00" when unset */
static PyObject *
tlsb_Revoked_get_serial(tlsb_Revoked *self, PyObject *unused)
{
    BIO *bio = tlsb_new_mem_bio();

    if (bio == NULL)
        return NULL;
    if (i2a_ASN1_INTEGER(bio,
            X509_REVOKED_get0_serialNumber(self->revoked)) < 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    return tlsb_bio_to_bytes(bio);
}

/* set_serial(hex_str): the serial from hex bytes; parsing stops at the
 * first non-hex character, and none at all is a ValueError */
static PyObject *
tlsb_Revoked_set_serial(tlsb_Revoked *self, PyObject *arg)
{
    BIGNUM *bn = NULL;
    ASN1_INTEGER *serial;
    int ok;

    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "hex_str must be a byte string");
        return NULL;
    }
    if (BN_hex2bn(&bn, PyBytes_AS_STRING(arg)) == 0) {
        BN_free(bn);
        ERR_clear_error();
        PyErr_SetString(PyExc_ValueError, "bad hex string");
        return NULL;
    }
    serial = BN_to_ASN1_INTEGER(bn, NULL);
    BN_free(bn);
    if (serial == NULL)
        return tlsb_crypto_raise();
    ok = X509_REVOKED_set_serialNumber(self->revoked, serial);
    ASN1_INTEGER_free(serial);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_rev_date() -> bytes or None (GeneralizedTime text) */
static PyObject *
tlsb_Revoked_get_rev_date(tlsb_Revoked *self, PyObject *unused)
{
    return tlsb_asn1_time_bytes(
        X509_REVOKED_get0_revocationDate(self->revoked));
}

/* set_rev_date(when): b"YYYYMMDDhhmmssZ" */
static PyObject *
tlsb_Revoked_set_rev_date(tlsb_Revoked *self, PyObject *arg)
{
    ASN1_TIME *when = ASN1_TIME_new();
    int ok;

    if (when == NULL)
        return tlsb_crypto_raise();
    if (tlsb_asn1_time_set(when, arg) < 0) {
        ASN1_TIME_free(when);
        return NULL;
    }
    ok = X509_REVOKED_set_revocationDate(self->revoked, when);
    ASN1_TIME_free(when);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* Removes every CRLReason extension (a reason is set at most once). */
static int
tlsb_revoked_drop_reason(X509_REVOKED *revoked)
{
    int index;

    while ((index = X509_REVOKED_get_ext_by_NID(revoked, NID_crl_reason,
                                                -1)) >= 0) {
        X509_EXTENSION *ext = X509_REVOKED_delete_ext(revoked, index);
        if (ext == NULL)
            return -1;
        X509_EXTENSION_free(ext);
    }
    return 0;
}

/* Case and spaces do not matter in reason names, as in pyOpenSSL. */
static int
tlsb_crl_reason_code(const char *name)
{
    int i;

    for (i = 0; i < TLSB_N_CRL_REASONS; i++) {
        const char *a = name, *b = tlsb_crl_reasons[i];
        for (;;) {
            while (*a == ' ')
                a++;
            if (*a == '\0' || *b == '\0' ||
                Py_TOLOWER((unsigned char)*a) != Py_TOLOWER((unsigned char)*b))
                break;
            a++;
            b++;
        }
        if (*a == '\0' && *b == '\0')
            return i;
    }
    return -1;
}

/* set_reason(reason): a name from all_reasons(), or None to remove it */
static PyObject *
tlsb_Revoked_set_reason(tlsb_Revoked *self, PyObject *arg)
{
    ASN1_ENUMERATED *value;
    int code, ok;

    if (arg != Py_None && !PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "reason must be None or a byte string");
        return NULL;
    }
    if (arg == Py_None) {
        if (tlsb_revoked_drop_reason(self->revoked) < 0)
            return tlsb_crypto_raise();
        Py_RETURN_NONE;
    }
    code = tlsb_crl_reason_code(PyBytes_AS_STRING(arg));
    if (code < 0 || strlen(PyBytes_AS_STRING(arg)) !=
                    (size_t)PyBytes_GET_SIZE(arg)) {
        PyErr_SetString(PyExc_ValueError, "bad reason string");
        return NULL;
    }
    value = ASN1_ENUMERATED_new();
    if (value == NULL)
        return tlsb_crypto_raise();
    ok = ASN1_ENUMERATED_set(value, code) &&
         tlsb_revoked_drop_reason(self->revoked) == 0 &&
         X509_REVOKED_add1_ext_i2d(self->revoked, NID_crl_reason, value, 0,
                                   0) == 1;
    ASN1_ENUMERATED_free(value);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_reason() -> bytes or None: OpenSSL's text for the reason, e.g.
 * b"Superseded"; other entry extensions are passed over */
static PyObject *
tlsb_Revoked_get_reason(tlsb_Revoked *self, PyObject *unused)
{
    int index = X509_REVOKED_get_ext_by_NID(self->revoked, NID_crl_reason, -1);
    X509_EXTENSION *ext;
    BIO *bio;

    if (index < 0)
        Py_RETURN_NONE;
    ext = X509_REVOKED_get_ext(self->revoked, index);
    bio = tlsb_new_mem_bio();
    if (bio == NULL)
        return NULL;
    if (!X509V3_EXT_print(bio, ext, 0, 0) &&
        ASN1_STRING_print(bio, X509_EXTENSION_get_data(ext)) <= 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    ERR_clear_error();
    return tlsb_bio_to_bytes(bio);
}

/* all_reasons() -> list of bytes: the names set_reason() takes */
static PyObject *
tlsb_Revoked_all_reasons(tlsb_Revoked *self, PyObject *unused)
{
    PyObject *list = PyList_New(TLSB_N_CRL_REASONS);
    int i;

    if (list == NULL)
        return NULL;
    for (i = 0; i < TLSB_N_CRL_REASONS; i++) {
        PyObject *name = PyBytes_FromString(tlsb_crl_reasons[i]);
        if (name == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, i, name);
    }
    return list;
}

static PyMethodDef tlsb_Revoked_methods[] = {
    {"get_serial", (PyCFunction)tlsb_Revoked_get_serial, METH_NOARGS,
     "get_serial($self)\n--\n\nThe revoked serial number as upper-case hex bytes."},
    {"set_serial", (PyCFunction)tlsb_Revoked_set_serial, METH_O,
     "set_serial($self, hex_str)\n--\n\nSet the serial number from hex bytes."},
    {"get_rev_date", (PyCFunction)tlsb_Revoked_get_rev_date, METH_NOARGS,
     "get_rev_date($self)\n--\n\nThe revocation time as ASN.1 GeneralizedTime bytes, or None."},
    {"set_rev_date", (PyCFunction)tlsb_Revoked_set_rev_date, METH_O,
     "set_rev_date($self, when)\n--\n\nSet the revocation time (b\"YYYYMMDDhhmmssZ\")."},
    {"get_reason", (PyCFunction)tlsb_Revoked_get_reason, METH_NOARGS,
     "get_reason($self)\n--\n\nThe revocation reason as text bytes, or None."},
    {"set_reason", (PyCFunction)tlsb_Revoked_set_reason, METH_O,
     "set_reason($self, reason)\n--\n\nSet the reason (one of all_reasons()) or remove it (None)."},
    {"all_reasons", (PyCFunction)tlsb_Revoked_all_reasons, METH_NOARGS,
     "all_reasons($self)\n--\n\nThe reason names set_reason() accepts."},
    {NULL, NULL}
};

static PyTypeObject tlsb_Revoked_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.Revoked",
    .tp_basicsize = sizeof(tlsb_Revoked),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Revoked()\n--\n\nOne revoked certificate in a CRL.",
    .tp_methods = tlsb_Revoked_methods,
    .tp_new = tlsb_owner_new,
};

/* ---- CRL ----------------------------------------------------------- */

static PyObject *
tlsb_CRL_wrap(X509_CRL *crl)
{
    return tlsb_owner_wrap(&tlsb_CRL_Type, crl);
}

static X509_CRL *
tlsb_crypto_crl_get(PyObject *obj)
{
    return tlsb_owner_get(&tlsb_CRL_Type, obj);
}

/* get_revoked() -> tuple of Revoked (copies), or None when empty */
static PyObject *
tlsb_CRL_get_revoked(tlsb_CRL *self, PyObject *unused)
{
    STACK_OF(X509_REVOKED) *entries = X509_CRL_get_REVOKED(self->crl);
    int i, n = entries ? sk_X509_REVOKED_num(entries) : 0;
    PyObject *result;

    if (n <= 0)
        Py_RETURN_NONE;
    result = PyTuple_New(n);
    if (result == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        PyObject *item = tlsb_Revoked_wrap(
            X509_REVOKED_dup(sk_X509_REVOKED_value(entries, i)));
        if (item == NULL) {
            Py_DECREF(result);
            return NULL;
        }
        PyTuple_SET_ITEM(result, i, item);
    }
    return result;
}

/* add_revoked(revoked): add a copy of a Revoked */
static PyObject *
tlsb_CRL_add_revoked(tlsb_CRL *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"revoked", NULL};
    PyObject *arg;
    X509_REVOKED *copy;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:add_revoked", kwlist,
                                     &arg))
        return NULL;
    if (!PyObject_TypeCheck(arg, &tlsb_Revoked_Type)) {
        PyErr_SetString(PyExc_TypeError, "revoked must be a Revoked instance");
        return NULL;
    }
    copy = X509_REVOKED_dup(((tlsb_Revoked *)arg)->revoked);
    if (copy == NULL)
        return tlsb_crypto_raise();
    if (!X509_CRL_add0_revoked(self->crl, copy)) {
        X509_REVOKED_free(copy);
        return tlsb_crypto_raise();
    }
    Py_RETURN_NONE;
}

/* get_issuer() -> X509Name (a copy, as pyOpenSSL returns) */
static PyObject *
tlsb_CRL_get_issuer(tlsb_CRL *self, PyObject *unused)
{
    X509_NAME *issuer = X509_NAME_dup(X509_CRL_get_issuer(self->crl));
    tlsb_X509Name *name;

    if (issuer == NULL)
        return tlsb_crypto_raise();
    name = PyObject_New(tlsb_X509Name, &tlsb_X509Name_Type);
    if (name == NULL) {
        X509_NAME_free(issuer);
        return NULL;
    }
    name->own = issuer;
    name->owner = NULL;
    name->which = TLSB_NAME_OWNED;
    return (PyObject *)name;
}

/* set_version(version): the CRL version field (0 is v1, 1 is v2) */
static PyObject *
tlsb_CRL_set_version(tlsb_CRL *self, PyObject *arg)
{
    long version;

    if (tlsb_long_arg(arg, &version, "version must be an integer") < 0)
        return NULL;
    if (!X509_CRL_set_version(self->crl, version))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

static PyObject *
tlsb_crl_set_time(X509_CRL *crl, PyObject *arg, int next)
{
    ASN1_TIME *when = ASN1_TIME_new();
    int ok;

    if (when == NULL)
        return tlsb_crypto_raise();
    if (tlsb_asn1_time_set(when, arg) < 0) {
        ASN1_TIME_free(when);
        return NULL;
    }
    /* pyOpenSSL (through 21.0.0) rewrites the nextUpdate a CRL has and
     * leaves a CRL without one (a new CRL) without: its tests rely on
     * that (a CRL "valid until 2018" that still verifies), so we match. */
    if (next && X509_CRL_get0_nextUpdate(crl) == NULL)
        ok = 1;
    else
        ok = next ? X509_CRL_set1_nextUpdate(crl, when)
                  : X509_CRL_set1_lastUpdate(crl, when);
    ASN1_TIME_free(when);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* set_lastUpdate(when): b"YYYYMMDDhhmmssZ" */
static PyObject *
tlsb_CRL_set_lastUpdate(tlsb_CRL *self, PyObject *arg)
{
    return tlsb_crl_set_time(self->crl, arg, 0);
}

/* set_nextUpdate(when): b"YYYYMMDDhhmmssZ" */
static PyObject *
tlsb_CRL_set_nextUpdate(tlsb_CRL *self, PyObject *arg)
{
    return tlsb_crl_set_time(self->crl, arg, 1);
}

/* Issuer from cert's subject, entries sorted, signed with key. */
static int
tlsb_crl_sign(X509_CRL *crl, X509 *cert, PyObject *key_obj, const EVP_MD *md)
{
    EVP_PKEY *pkey = ((tlsb_PKey *)key_obj)->pkey;

    if (pkey == NULL) {
        tlsb_crypto_raise_reason("key is uninitialized");
        return -1;
    }
    if (!X509_CRL_set_issuer_name(crl, X509_get_subject_name(cert)) ||
        !X509_CRL_sort(crl) || X509_CRL_sign(crl, pkey, md) <= 0) {
        tlsb_crypto_raise();
        return -1;
    }
    return 0;
}

/* sign(issuer_cert, issuer_key, digest) */
static PyObject *
tlsb_CRL_sign(tlsb_CRL *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"issuer_cert", "issuer_key", "digest", NULL};
    PyObject *cert_obj, *key_obj, *digest_obj;
    const EVP_MD *md;
    X509 *cert;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO:sign", kwlist,
                                     &cert_obj, &key_obj, &digest_obj))
        return NULL;
    cert = tlsb_crypto_x509_get(cert_obj);
    if (cert == NULL)
        return NULL;
    if (!PyObject_TypeCheck(key_obj, &tlsb_PKey_Type)) {
        PyErr_SetString(PyExc_TypeError, "issuer_key must be a PKey instance");
        return NULL;
    }
    if (tlsb_digest_arg(digest_obj, &md, 0) < 0 ||
        tlsb_crl_sign(self->crl, cert, key_obj, md) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static int tlsb_crl_text_write(BIO *b, void *c) { return X509_CRL_print(b, c); }

/* export(cert, key, type=FILETYPE_PEM, days=100, digest) -> bytes: sign
 * with lastUpdate now and nextUpdate `days` later, then dump */
static PyObject *
tlsb_CRL_export(tlsb_CRL *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"cert", "key", "type", "days", "digest", NULL};
    PyObject *cert_obj, *key_obj, *type_obj = NULL, *days_obj = NULL;
    PyObject *digest_obj = NULL;
    long type = TLSB_FILETYPE_PEM, days = 100;
    const EVP_MD *md;
    ASN1_TIME *when;
    X509 *cert;
    BIO *bio;
    int ok;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OOO:export", kwlist,
                                     &cert_obj, &key_obj, &type_obj,
                                     &days_obj, &digest_obj))
        return NULL;
    if (!PyObject_TypeCheck(cert_obj, &tlsb_X509_Type)) {
        PyErr_SetString(PyExc_TypeError, "cert must be an X509 instance");
        return NULL;
    }
    cert = ((tlsb_X509 *)cert_obj)->x509;
    if (!PyObject_TypeCheck(key_obj, &tlsb_PKey_Type)) {
        PyErr_SetString(PyExc_TypeError, "key must be a PKey instance");
        return NULL;
    }
    if (type_obj != NULL &&
        tlsb_long_arg(type_obj, &type, "type must be an integer") < 0)
        return NULL;
    if (days_obj != NULL &&
        tlsb_long_arg(days_obj, &days, "days must be an integer") < 0)
        return NULL;
    /* nextUpdate is now + days in seconds, a long */
    if (days > LONG_MAX / (24 * 60 * 60) || days < -(LONG_MAX / (24 * 60 * 60))) {
        PyErr_SetString(PyExc_OverflowError, "days out of range");
        return NULL;
    }
    if (digest_obj == NULL) {
        PyErr_SetString(PyExc_TypeError, "digest must be provided");
        return NULL;
    }
    if (tlsb_digest_arg(digest_obj, &md, 0) < 0)
        return NULL;
    when = ASN1_TIME_new();
    if (when == NULL)
        return tlsb_crypto_raise();
    ok = X509_gmtime_adj(when, 0) != NULL &&
         X509_CRL_set1_lastUpdate(self->crl, when) &&
         X509_gmtime_adj(when, days * 24 * 60 * 60) != NULL &&
         X509_CRL_set1_nextUpdate(self->crl, when);
    ASN1_TIME_free(when);
    if (!ok)
        return tlsb_crypto_raise();
    if (tlsb_crl_sign(self->crl, cert, key_obj, md) < 0)
        return NULL;
    if (tlsb_check_dump_type((int)type) < 0 || type != (int)type)
        return NULL;
    bio = tlsb_new_mem_bio();
    if (bio == NULL)
        return NULL;
    if (type == TLSB_FILETYPE_PEM)
        ok = PEM_write_bio_X509_CRL(bio, self->crl);
    else if (type == TLSB_FILETYPE_ASN1)
        ok = i2d_X509_CRL_bio(bio, self->crl);
    else
        ok = tlsb_crl_text_write(bio, self->crl);
    if (ok <= 0) {
        BIO_free(bio);
        return tlsb_crypto_raise();
    }
    return tlsb_bio_to_bytes(bio);
}

static PyMethodDef tlsb_CRL_methods[] = {
    {"get_revoked", (PyCFunction)tlsb_CRL_get_revoked, METH_NOARGS,
     "get_revoked($self)\n--\n\nThe revoked certificates as a tuple of Revoked, or None."},
    {"add_revoked", (PyCFunction)(void (*)(void))tlsb_CRL_add_revoked,
     METH_VARARGS | METH_KEYWORDS,
     "add_revoked($self, revoked)\n--\n\nAdd a copy of a Revoked to the list."},
    {"get_issuer", (PyCFunction)tlsb_CRL_get_issuer, METH_NOARGS,
     "get_issuer($self)\n--\n\nThe issuer's name (a copy)."},
    {"set_version", (PyCFunction)tlsb_CRL_set_version, METH_O,
     "set_version($self, version)\n--\n\nSet the version field (1 for a v2 CRL)."},
    {"set_lastUpdate", (PyCFunction)tlsb_CRL_set_lastUpdate, METH_O,
     "set_lastUpdate($self, when)\n--\n\nSet lastUpdate (b\"YYYYMMDDhhmmssZ\")."},
    {"set_nextUpdate", (PyCFunction)tlsb_CRL_set_nextUpdate, METH_O,
     "set_nextUpdate($self, when)\n--\n\nSet nextUpdate (b\"YYYYMMDDhhmmssZ\")."},
    {"sign", (PyCFunction)(void (*)(void))tlsb_CRL_sign,
     METH_VARARGS | METH_KEYWORDS,
     "sign($self, issuer_cert, issuer_key, digest)\n--\n\n"
     "Set the issuer from issuer_cert's subject and sign with issuer_key."},
    {"export", (PyCFunction)(void (*)(void))tlsb_CRL_export,
     METH_VARARGS | METH_KEYWORDS,
     "export(cert, key, type=FILETYPE_PEM, days=100, digest)\n--\n\n"
     "Sign as cert/key, valid from now for days, and dump as type."},
    {"to_cryptography", (PyCFunction)tlsb_CRL_to_cryptography, METH_NOARGS,
     "to_cryptography($self)\n--\n\nThe CRL as a cryptography x509.CertificateRevocationList."},
    {"from_cryptography", (PyCFunction)tlsb_CRL_from_cryptography,
     METH_O | METH_CLASS,
     "from_cryptography(crypto_crl)\n--\n\nA CRL from a cryptography CertificateRevocationList."},
    {NULL, NULL}
};

static PyTypeObject tlsb_CRL_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.CRL",
    .tp_basicsize = sizeof(tlsb_CRL),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "CRL()\n--\n\nA certificate revocation list.",
    .tp_methods = tlsb_CRL_methods,
    .tp_new = tlsb_owner_new,
};

/* ---- load_crl / dump_crl ------------------------------------------- */

static void *tlsb_crl_pem_read(BIO *b, tlsb_passphrase *pw)
{ return PEM_read_bio_X509_CRL(b, NULL, tlsb_passphrase_cb, pw); }
static void *tlsb_crl_der_read(BIO *b) { return d2i_X509_CRL_bio(b, NULL); }
static int tlsb_crl_pem_write(BIO *b, void *c) { return PEM_write_bio_X509_CRL(b, c); }
static int tlsb_crl_der_write(BIO *b, void *c) { return i2d_X509_CRL_bio(b, c); }
static PyObject *tlsb_crl_wrap_any(void *c) { return tlsb_CRL_wrap(c); }
static void *tlsb_crl_unwrap(PyObject *o) { return tlsb_crypto_crl_get(o); }

static const tlsb_codec tlsb_crl_codec = {
    tlsb_crl_pem_read, tlsb_crl_der_read, tlsb_crl_pem_write,
    tlsb_crl_der_write, tlsb_crl_text_write,
    tlsb_crl_wrap_any, tlsb_crl_unwrap,
};

/* load_crl(type, buffer) -> CRL */
static PyObject *
tlsb_crypto_load_crl(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_load(&tlsb_crl_codec, args, kwargs, "OO:load_crl");
}

/* dump_crl(type, crl) -> bytes */
static PyObject *
tlsb_crypto_dump_crl(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_dump(&tlsb_crl_codec, args, kwargs, "OO:dump_crl", "crl");
}

static PyMethodDef tlsb_crl_functions[] = {
    {"load_crl", (PyCFunction)(void (*)(void))tlsb_crypto_load_crl,
     METH_VARARGS | METH_KEYWORDS,
     "load_crl(type, buffer)\n--\n\nLoad a CRL from PEM or DER bytes."},
    {"dump_crl", (PyCFunction)(void (*)(void))tlsb_crypto_dump_crl,
     METH_VARARGS | METH_KEYWORDS,
     "dump_crl(type, crl)\n--\n\nDump a CRL as PEM, DER or text bytes."},
    {NULL, NULL}
};

static int
tlsb_crypto_crl_init(PyObject *crypto)
{
    if (tlsb_add_type(crypto, &tlsb_Revoked_Type, "Revoked") < 0 ||
        tlsb_add_type(crypto, &tlsb_CRL_Type, "CRL") < 0 ||
        PyModule_AddFunctions(crypto, tlsb_crl_functions) < 0)
        return -1;
    return 0;
}
