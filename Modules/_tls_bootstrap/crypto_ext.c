/* crypto_ext.c: crypto.X509Extension (pyOpenSSL's X509Extension), made
 * from OpenSSL's configuration syntax: X509Extension(b"basicConstraints",
 * True, b"CA:TRUE, pathlen:0"), with subject/issuer certificates for
 * subjectKeyIdentifier and authorityKeyIdentifier.
 */

static PyObject *
tlsb_X509Extension_wrap(X509_EXTENSION *ext)
{
    return tlsb_owner_wrap(&tlsb_X509Extension_Type, ext);
}

/* An optional X509 argument: NULL for None, else borrowed or TypeError. */
static int
tlsb_optional_x509(PyObject *obj, X509 **x509, const char *message)
{
    *x509 = NULL;
    if (obj == NULL || obj == Py_None)
        return 0;
    if (!PyObject_TypeCheck(obj, &tlsb_X509_Type)) {
        PyErr_SetString(PyExc_TypeError, message);
        return -1;
    }
    *x509 = ((tlsb_X509 *)obj)->x509;
    return 0;
}

/* X509Extension(type_name, critical, value, subject=None, issuer=None) */
static PyObject *
tlsb_X509Extension_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"type_name", "critical", "value", "subject",
                             "issuer", NULL};
    PyObject *type_name, *critical_obj, *value, *subject_obj = Py_None;
    PyObject *issuer_obj = Py_None, *config = NULL;
    X509 *subject, *issuer;
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int critical;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|OO:X509Extension",
                                     kwlist, &type_name, &critical_obj, &value,
                                     &subject_obj, &issuer_obj))
        return NULL;
    if (!PyBytes_Check(type_name) || !PyBytes_Check(value)) {
        PyErr_SetString(PyExc_TypeError,
                        "type_name and value must be byte strings");
        return NULL;
    }
    critical = PyObject_IsTrue(critical_obj);
    if (critical < 0 ||
        tlsb_optional_x509(subject_obj, &subject,
                           "subject must be an X509 instance") < 0 ||
        tlsb_optional_x509(issuer_obj, &issuer,
                           "issuer must be an X509 instance") < 0)
        return NULL;
    config = PyBytes_FromFormat("%s%s", critical ? "critical," : "",
                                PyBytes_AS_STRING(value));
    if (config == NULL)
        return NULL;
    X509V3_set_ctx(&ctx, issuer, subject, NULL, NULL, 0);
    X509V3_set_ctx_nodb(&ctx);
    ext = X509V3_EXT_nconf(NULL, &ctx, PyBytes_AS_STRING(type_name),
                           PyBytes_AS_STRING(config));
    Py_DECREF(config);
    return tlsb_owner_wrap(type, ext);
}

/* subjectAltName as pyOpenSSL 21 (with its OpenSSL 1.1.1) shows it: DNS,
 * email and URI names byte for byte, so a NUL inside one stays visible
 * (OpenSSL 3's printer turns it into a harmless-looking dot), IP
 * addresses as 1.1.1 printed them (a newline after an IPv6 one), other
 * kinds through OpenSSL's printer.  1 on success, 0 to fall back. */
static int
tlsb_print_subject_alt_name(BIO *bio, X509_EXTENSION *ext)
{
    GENERAL_NAMES *names = X509V3_EXT_d2i(ext);
    int i, ok = 1;

    if (names == NULL) {
        ERR_clear_error();
        return 0;
    }
    for (i = 0; ok && i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        const char *label = name->type == GEN_DNS ? "DNS"
                          : name->type == GEN_EMAIL ? "email"
                          : name->type == GEN_URI ? "URI" : NULL;
        if (i > 0)
            ok = BIO_puts(bio, ", ") > 0;
        if (!ok)
            break;
        if (label != NULL) {
            ok = BIO_printf(bio, "%s:", label) > 0 &&
                 BIO_write(bio, ASN1_STRING_get0_data(name->d.ia5),
                           ASN1_STRING_length(name->d.ia5)) >= 0;
        }
        else if (name->type == GEN_IPADD &&
                 ASN1_STRING_length(name->d.ip) == 16) {
            const unsigned char *p = ASN1_STRING_get0_data(name->d.ip);
            int j;
            ok = BIO_puts(bio, "IP Address") > 0;
            for (j = 0; ok && j < 8; j++)
                ok = BIO_printf(bio, ":%X", p[2 * j] << 8 | p[2 * j + 1]) > 0;
            ok = ok && BIO_puts(bio, "\n") > 0;
        }
        else {
            ok = GENERAL_NAME_print(bio, name) > 0;
        }
    }
    GENERAL_NAMES_free(names);
    return ok;
}

/* str(ext): OpenSSL's text form, e.g. "DNS:example.com, IP Address:..." */
static PyObject *
tlsb_X509Extension_str(tlsb_X509Extension *self)
{
    BIO *bio = tlsb_new_mem_bio();
    PyObject *bytes, *result;
    int nid = OBJ_obj2nid(X509_EXTENSION_get_object(self->ext));

    if (bio == NULL)
        return NULL;
    if (nid != NID_subject_alt_name ||
        !tlsb_print_subject_alt_name(bio, self->ext)) {
        (void)BIO_reset(bio);
        if (X509V3_EXT_print(bio, self->ext, 0, 0) <= 0) {
            /* No printer for this type: its DER value, as hex. */
            ERR_clear_error();
            (void)BIO_reset(bio);
            if (ASN1_STRING_print(bio, X509_EXTENSION_get_data(self->ext)) <= 0) {
                BIO_free(bio);
                return tlsb_crypto_raise();
            }
        }
    }
    bytes = tlsb_bio_to_bytes(bio);
    if (bytes == NULL)
        return NULL;
#ifdef TLSB_PY3
    result = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(bytes),
                                  PyBytes_GET_SIZE(bytes), "replace");
    Py_DECREF(bytes);
#else
    result = bytes;
#endif
    return result;
}

/* get_critical() -> int (0 or 1) */
static PyObject *
tlsb_X509Extension_get_critical(tlsb_X509Extension *self, PyObject *unused)
{
    return tlsb_int_from_long(X509_EXTENSION_get_critical(self->ext));
}

/* get_short_name() -> bytes, e.g. b"basicConstraints" */
static PyObject *
tlsb_X509Extension_get_short_name(tlsb_X509Extension *self, PyObject *unused)
{
    ASN1_OBJECT *obj = X509_EXTENSION_get_object(self->ext);
    int nid = OBJ_obj2nid(obj);

    /* An unknown extension is b"UNDEF", OpenSSL's name for NID_undef, as
     * in pyOpenSSL. */
    return PyBytes_FromString(nid != NID_undef ? OBJ_nid2sn(nid) : "UNDEF");
}

/* get_data() -> bytes: the DER of the extension's value */
static PyObject *
tlsb_X509Extension_get_data(tlsb_X509Extension *self, PyObject *unused)
{
    ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(self->ext);

    return PyBytes_FromStringAndSize((const char *)ASN1_STRING_get0_data(data),
                                     ASN1_STRING_length(data));
}

static PyMethodDef tlsb_X509Extension_methods[] = {
    {"get_critical", (PyCFunction)tlsb_X509Extension_get_critical, METH_NOARGS,
     "get_critical()\n--\n\n1 if the extension is critical, else 0."},
    {"get_short_name", (PyCFunction)tlsb_X509Extension_get_short_name, METH_NOARGS,
     "get_short_name()\n--\n\nThe extension's short type name, as bytes."},
    {"get_data", (PyCFunction)tlsb_X509Extension_get_data, METH_NOARGS,
     "get_data()\n--\n\nThe DER encoding of the extension's value."},
    {NULL, NULL}
};

static PyTypeObject tlsb_X509Extension_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509Extension",
    .tp_basicsize = sizeof(tlsb_X509Extension),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_str = (reprfunc)tlsb_X509Extension_str,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509Extension(type_name, critical, value, subject=None, issuer=None)\n--\n\n"
              "An X.509 v3 extension, from OpenSSL's configuration syntax.",
    .tp_methods = tlsb_X509Extension_methods,
    .tp_new = tlsb_X509Extension_new,
};

static int
tlsb_crypto_ext_init(PyObject *crypto)
{
    return tlsb_add_type(crypto, &tlsb_X509Extension_Type, "X509Extension");
}
