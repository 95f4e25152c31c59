/* crypto_pkcs12.c: crypto.PKCS12 and load_pkcs12() (pyOpenSSL's PKCS12):
 * a certificate, its private key, CA certificates and a friendly name,
 * read from and written to PKCS #12 bytes.
 *
 * export() encrypts key and certificates with AES-256-CBC (PBES2) on
 * every OpenSSL: 1.1.1's default (RC2-40 for certificates) cannot be read
 * by OpenSSL 3 without its legacy provider.
 *
 * Like pyOpenSSL's, a PKCS12 object only holds the Python objects it was
 * given (get_certificate() returns the same X509 each time); PKCS #12 is
 * parsed in load_pkcs12() and built in export().
 */

typedef struct {
    PyObject_HEAD
    PyObject *certificate;      /* X509 or None */
    PyObject *privatekey;       /* PKey or None */
    PyObject *ca_certificates;  /* tuple of X509, or None */
    PyObject *friendlyname;     /* bytes or None */
} tlsb_PKCS12;

static PyTypeObject tlsb_PKCS12_Type;

static tlsb_PKCS12 *
tlsb_PKCS12_alloc(PyTypeObject *type)
{
    tlsb_PKCS12 *self = (tlsb_PKCS12 *)type->tp_alloc(type, 0);

    if (self == NULL)
        return NULL;
    self->certificate = Py_NewRef(Py_None);
    self->privatekey = Py_NewRef(Py_None);
    self->ca_certificates = Py_NewRef(Py_None);
    self->friendlyname = Py_NewRef(Py_None);
    return self;
}

static PyObject *
tlsb_PKCS12_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {NULL};

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":PKCS12", kwlist))
        return NULL;
    return (PyObject *)tlsb_PKCS12_alloc(type);
}

static void
tlsb_PKCS12_dealloc(tlsb_PKCS12 *self)
{
    Py_XDECREF(self->certificate);
    Py_XDECREF(self->privatekey);
    Py_XDECREF(self->ca_certificates);
    Py_XDECREF(self->friendlyname);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* A PKCS #12 passphrase: bytes, text (UTF-8; pyOpenSSL accepted it with a
 * deprecation warning) or None (NULL, no error).  *keep holds the bytes. */
static int
tlsb_p12_passphrase(PyObject *obj, PyObject **keep, const char **pass)
{
    *keep = NULL;
    *pass = NULL;
    if (obj == Py_None)
        return 0;
    if (tlsb_warn_text_argument(obj, "passphrase") < 0)
        return -1;
    if (PyUnicode_Check(obj))
        *keep = PyUnicode_AsUTF8String(obj);
    else if (PyBytes_Check(obj))
        *keep = Py_NewRef(obj);
    else
        PyErr_SetString(PyExc_TypeError,
                        "passphrase must be a byte string or None");
    if (*keep == NULL)
        return -1;
    *pass = PyBytes_AS_STRING(*keep);
    return 0;
}

/* A tuple of X509 objects for the certificates in stack (emptied), or
 * None for an empty one. */
static PyObject *
tlsb_x509_stack_to_tuple(STACK_OF(X509) *stack)
{
    int i, n = stack ? sk_X509_num(stack) : 0;
    PyObject *tuple, *item;

    if (n == 0)
        return Py_NewRef(Py_None);
    tuple = PyTuple_New(n);
    for (i = 0; i < n; i++) {
        X509 *x509 = sk_X509_value(stack, i);
        sk_X509_set(stack, i, NULL);
        if (tuple == NULL) {
            X509_free(x509);
            continue;
        }
        item = tlsb_X509_wrap(x509);
        if (item == NULL) {
            Py_CLEAR(tuple);
            continue;
        }
        PyTuple_SET_ITEM(tuple, i, item);
    }
    return tuple;
}

/* load_pkcs12(buffer, passphrase=None) -> PKCS12 */
static PyObject *
tlsb_crypto_load_pkcs12(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"buffer", "passphrase", NULL};
    PyObject *buffer, *passphrase = Py_None, *keep;
    const char *pass;
    tlsb_data data;
    tlsb_PKCS12 *result = NULL;
    PKCS12 *p12;
    EVP_PKEY *pkey = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *cas = NULL;
    PyThreadState *tstate;
    const unsigned char *alias;
    int ok, alias_len = 0;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:load_pkcs12", kwlist,
                                     &buffer, &passphrase))
        return NULL;
    if (tlsb_p12_passphrase(passphrase, &keep, &pass) < 0)
        return NULL;
    if (tlsb_data_get(buffer, &data) < 0) {
        Py_XDECREF(keep);
        return NULL;
    }
    bio = tlsb_data_bio(&data);
    p12 = bio ? d2i_PKCS12_bio(bio, NULL) : NULL;
    BIO_free(bio);
    tlsb_data_release(&data);
    if (p12 == NULL) {
        Py_XDECREF(keep);
        return bio ? tlsb_crypto_raise() : NULL;
    }
    tstate = PyEval_SaveThread();
    ok = PKCS12_parse(p12, pass, &pkey, &cert, &cas);
    PyEval_RestoreThread(tstate);
    PKCS12_free(p12);
    Py_XDECREF(keep);
    if (!ok)
        return tlsb_crypto_raise();
    ERR_clear_error();
    result = tlsb_PKCS12_alloc(&tlsb_PKCS12_Type);
    if (result == NULL)
        goto fail;
    if (cert != NULL) {
        alias = X509_alias_get0(cert, &alias_len);
        if (alias != NULL)
            Py_SETREF(result->friendlyname,
                      PyBytes_FromStringAndSize((const char *)alias, alias_len));
        Py_SETREF(result->certificate, tlsb_X509_wrap(cert));
        cert = NULL;
    }
    if (pkey != NULL) {
        Py_SETREF(result->privatekey, tlsb_PKey_wrap(pkey, 0));
        pkey = NULL;
    }
    Py_SETREF(result->ca_certificates, tlsb_x509_stack_to_tuple(cas));
    if (result->friendlyname == NULL || result->certificate == NULL ||
        result->privatekey == NULL || result->ca_certificates == NULL)
        Py_CLEAR(result);
fail:
    X509_free(cert);
    EVP_PKEY_free(pkey);
    sk_X509_pop_free(cas, X509_free);
    return (PyObject *)result;
}

/* get_certificate() -> X509 or None */
static PyObject *
tlsb_PKCS12_get_certificate(tlsb_PKCS12 *self, PyObject *unused)
{
    return Py_NewRef(self->certificate);
}

/* set_certificate(cert) */
static PyObject *
tlsb_PKCS12_set_certificate(tlsb_PKCS12 *self, PyObject *arg)
{
    if (arg != Py_None && !PyObject_TypeCheck(arg, &tlsb_X509_Type)) {
        PyErr_SetString(PyExc_TypeError, "cert must be an X509 instance");
        return NULL;
    }
    Py_SETREF(self->certificate, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* get_privatekey() -> PKey or None */
static PyObject *
tlsb_PKCS12_get_privatekey(tlsb_PKCS12 *self, PyObject *unused)
{
    return Py_NewRef(self->privatekey);
}

/* set_privatekey(pkey) */
static PyObject *
tlsb_PKCS12_set_privatekey(tlsb_PKCS12 *self, PyObject *arg)
{
    if (arg != Py_None && !PyObject_TypeCheck(arg, &tlsb_PKey_Type)) {
        PyErr_SetString(PyExc_TypeError, "pkey must be a PKey instance");
        return NULL;
    }
    Py_SETREF(self->privatekey, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* get_ca_certificates() -> tuple of X509, or None */
static PyObject *
tlsb_PKCS12_get_ca_certificates(tlsb_PKCS12 *self, PyObject *unused)
{
    return Py_NewRef(self->ca_certificates);
}

/* set_ca_certificates(cacerts): an iterable of X509, or None */
static PyObject *
tlsb_PKCS12_set_ca_certificates(tlsb_PKCS12 *self, PyObject *arg)
{
    PyObject *tuple;
    Py_ssize_t i;

    if (arg == Py_None) {
        Py_SETREF(self->ca_certificates, Py_NewRef(Py_None));
        Py_RETURN_NONE;
    }
    tuple = PySequence_Tuple(arg);
    if (tuple == NULL)
        return NULL;
    for (i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        if (!PyObject_TypeCheck(PyTuple_GET_ITEM(tuple, i), &tlsb_X509_Type)) {
            Py_DECREF(tuple);
            PyErr_SetString(PyExc_TypeError,
                            "iterable must only contain X509 instances");
            return NULL;
        }
    }
    Py_SETREF(self->ca_certificates, tuple);
    Py_RETURN_NONE;
}

/* get_friendlyname() -> bytes or None */
static PyObject *
tlsb_PKCS12_get_friendlyname(tlsb_PKCS12 *self, PyObject *unused)
{
    return Py_NewRef(self->friendlyname);
}

/* set_friendlyname(name): bytes or None */
static PyObject *
tlsb_PKCS12_set_friendlyname(tlsb_PKCS12 *self, PyObject *arg)
{
    if (arg != Py_None && !PyBytes_Check(arg)) {
        PyObject *repr = PyObject_Repr(arg);
        if (repr != NULL) {
            PyObject *text = PyObject_Str(repr);
            if (text != NULL) {
                PyErr_Format(PyExc_TypeError,
                             "name must be a byte string or None (not %s)",
                             NativeStr_AsString(text));
                Py_DECREF(text);
            }
            Py_DECREF(repr);
        }
        return NULL;
    }
    Py_SETREF(self->friendlyname, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* export(passphrase=None, iter=2048, maciter=1) -> bytes (PKCS #12 DER) */
static PyObject *
tlsb_PKCS12_export(tlsb_PKCS12 *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"passphrase", "iter", "maciter", NULL};
    PyObject *passphrase = Py_None, *keep = NULL, *result = NULL;
    PyObject *cert_obj, *key_obj, *cas_obj, *name_obj;
    const char *pass, *name;
    int iter = 2048, maciter = 1;
    STACK_OF(X509) *cas = NULL;
    PKCS12 *p12 = NULL;
    EVP_PKEY *pkey;
    PyThreadState *tstate;
    Py_ssize_t i;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|Oii:export", kwlist,
                                     &passphrase, &iter, &maciter) ||
        tlsb_p12_passphrase(passphrase, &keep, &pass) < 0)
        return NULL;
    /* Our own references: another thread may call set_*() while the GIL
     * is released below. */
    cert_obj = Py_NewRef(self->certificate);
    key_obj = Py_NewRef(self->privatekey);
    cas_obj = Py_NewRef(self->ca_certificates);
    name_obj = Py_NewRef(self->friendlyname);
    if (cas_obj != Py_None) {
        cas = sk_X509_new_null();
        if (cas == NULL) {
            tlsb_crypto_raise();
            goto done;
        }
        for (i = 0; i < PyTuple_GET_SIZE(cas_obj); i++) {
            tlsb_X509 *ca = (tlsb_X509 *)PyTuple_GET_ITEM(cas_obj, i);
            if (!sk_X509_push(cas, ca->x509)) {
                tlsb_crypto_raise();
                goto done;
            }
        }
    }
    name = name_obj == Py_None ? NULL : PyBytes_AS_STRING(name_obj);
    /* generate_key() may replace the PKey's key meanwhile: hold this one. */
    pkey = key_obj == Py_None ? NULL : ((tlsb_PKey *)key_obj)->pkey;
    if (pkey != NULL)
        EVP_PKEY_up_ref(pkey);
    tstate = PyEval_SaveThread();
    p12 = PKCS12_create(
        pass, name, pkey,
        cert_obj == Py_None ? NULL : ((tlsb_X509 *)cert_obj)->x509,
        cas, NID_aes_256_cbc, NID_aes_256_cbc, iter, maciter, 0);
    PyEval_RestoreThread(tstate);
    EVP_PKEY_free(pkey);
    if (p12 == NULL) {
        tlsb_crypto_raise();
        goto done;
    }
    bio = tlsb_new_mem_bio();
    if (bio == NULL)
        goto done;
    if (i2d_PKCS12_bio(bio, p12) <= 0) {
        BIO_free(bio);
        tlsb_crypto_raise();
        goto done;
    }
    result = tlsb_bio_to_bytes(bio);
done:
    PKCS12_free(p12);
    sk_X509_free(cas);                /* the certificates are borrowed */
    Py_XDECREF(keep);
    Py_DECREF(cert_obj);
    Py_DECREF(key_obj);
    Py_DECREF(cas_obj);
    Py_DECREF(name_obj);
    return result;
}

static PyMethodDef tlsb_PKCS12_methods[] = {
    {"get_certificate", (PyCFunction)tlsb_PKCS12_get_certificate, METH_NOARGS,
     "get_certificate()\n--\n\nThe certificate (X509), or None."},
    {"set_certificate", (PyCFunction)tlsb_PKCS12_set_certificate, METH_O,
     "set_certificate(cert)\n--\n\nSet the certificate."},
    {"get_privatekey", (PyCFunction)tlsb_PKCS12_get_privatekey, METH_NOARGS,
     "get_privatekey()\n--\n\nThe private key (PKey), or None."},
    {"set_privatekey", (PyCFunction)tlsb_PKCS12_set_privatekey, METH_O,
     "set_privatekey(pkey)\n--\n\nSet the private key."},
    {"get_ca_certificates", (PyCFunction)tlsb_PKCS12_get_ca_certificates, METH_NOARGS,
     "get_ca_certificates()\n--\n\nThe CA certificates, a tuple of X509, or None."},
    {"set_ca_certificates", (PyCFunction)tlsb_PKCS12_set_ca_certificates, METH_O,
     "set_ca_certificates(cacerts)\n--\n\nSet the CA certificates (an iterable of X509, or None)."},
    {"get_friendlyname", (PyCFunction)tlsb_PKCS12_get_friendlyname, METH_NOARGS,
     "get_friendlyname()\n--\n\nThe friendly name (bytes), or None."},
    {"set_friendlyname", (PyCFunction)tlsb_PKCS12_set_friendlyname, METH_O,
     "set_friendlyname(name)\n--\n\nSet the friendly name (bytes or None)."},
    {"export", (PyCFunction)(void (*)(void))tlsb_PKCS12_export,
     METH_VARARGS | METH_KEYWORDS,
     "export(passphrase=None, iter=2048, maciter=1)\n--\n\n"
     "The PKCS #12 structure as DER bytes, encrypted with passphrase."},
    {NULL, NULL}
};

static PyTypeObject tlsb_PKCS12_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.PKCS12",
    .tp_basicsize = sizeof(tlsb_PKCS12),
    .tp_dealloc = (destructor)tlsb_PKCS12_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "PKCS12()\n--\n\nA certificate, private key, CA certificates and friendly name "
              "for PKCS #12.",
    .tp_methods = tlsb_PKCS12_methods,
    .tp_new = tlsb_PKCS12_new,
};

static PyMethodDef tlsb_pkcs12_functions[] = {
    {"load_pkcs12", (PyCFunction)(void (*)(void))tlsb_crypto_load_pkcs12,
     METH_VARARGS | METH_KEYWORDS,
     "load_pkcs12(buffer, passphrase=None)\n--\n\nParse PKCS #12 bytes into a PKCS12 object."},
    {NULL, NULL}
};

static int
tlsb_crypto_pkcs12_init(PyObject *crypto)
{
    if (tlsb_add_type(crypto, &tlsb_PKCS12_Type, "PKCS12") < 0 ||
        PyModule_AddFunctions(crypto, tlsb_pkcs12_functions) < 0)
        return -1;
    return 0;
}
