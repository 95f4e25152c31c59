/* crypto_store.c: crypto.X509Store (trusted certificates and verification
 * settings), crypto.X509StoreContext (one verification of a certificate
 * against a store, with optional untrusted intermediates) and
 * crypto.X509StoreFlags, as in pyOpenSSL.
 *
 * A failed verification raises X509StoreContextError whose args[0] is
 * [error code, depth, OpenSSL's message] and whose .certificate is the
 * X509 at which verification failed.
 *
 * An X509Store owns one X509_STORE (its struct is in internal.h, made and
 * freed through its row in tlsb_owners, crypto_module.c).
 */

typedef struct {
    PyObject_HEAD
    PyObject *store;            /* tlsb_X509Store */
    PyObject *certificate;      /* tlsb_X509 */
    PyObject *chain;            /* tuple of tlsb_X509, or NULL */
} tlsb_X509StoreContext;

static PyTypeObject tlsb_X509StoreContext_Type;

/* ---- X509Store ----------------------------------------------------- */

/* add_cert(cert): trust cert; adding one twice is not an error */
static PyObject *
tlsb_X509Store_add_cert(tlsb_X509Store *self, PyObject *arg)
{
    X509 *cert = tlsb_crypto_x509_get(arg);
    unsigned long code;

    if (cert == NULL)
        return NULL;
    if (!X509_STORE_add_cert(self->store, cert)) {
        code = ERR_peek_last_error();
        if (ERR_GET_LIB(code) != ERR_LIB_X509 ||
            ERR_GET_REASON(code) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
            return tlsb_crypto_raise();
    }
    ERR_clear_error();
    Py_RETURN_NONE;
}

/* add_crl(crl): a CRL the store consults when set_flags() asks for CRL
 * checks (the store up-references it) */
static PyObject *
tlsb_X509Store_add_crl(tlsb_X509Store *self, PyObject *arg)
{
    PyObject *converted = NULL;
    X509_CRL *crl;
    int ok;

    /* pyOpenSSL 22+ also takes cryptography's CRL objects. */
    if (!PyObject_TypeCheck(arg, &tlsb_CRL_Type)) {
        converted = tlsb_CRL_from_cryptography(NULL, arg);
        if (converted == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_TypeError) &&
                !PyErr_ExceptionMatches(PyExc_ImportError))
                return NULL;
            PyErr_Clear();
        }
        else {
            arg = converted;
        }
    }
    crl = tlsb_crypto_crl_get(arg);
    if (crl == NULL)
        return NULL;
    ok = X509_STORE_add_crl(self->store, crl);
    Py_XDECREF(converted);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* set_flags(flags): add X509StoreFlags bits to the verification flags */
static PyObject *
tlsb_X509Store_set_flags(tlsb_X509Store *self, PyObject *arg)
{
    long flags;

    if (tlsb_long_arg(arg, &flags, "flags must be an integer") < 0)
        return NULL;
    if (!X509_STORE_set_flags(self->store, (unsigned long)flags))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* set_time(vfy_time): verify as at this datetime instead of now */
static PyObject *
tlsb_X509Store_set_time(tlsb_X509Store *self, PyObject *arg)
{
    PyObject *calendar, *timetuple, *seconds;
    X509_VERIFY_PARAM *param;
    long long when;
    int ok;

    timetuple = PyObject_CallMethod(arg, "timetuple", NULL);
    if (timetuple == NULL) {
        if (PyErr_ExceptionMatches(PyExc_AttributeError)) {
            PyErr_SetString(PyExc_TypeError, "vfy_time must be a datetime");
        }
        return NULL;
    }
    calendar = PyImport_ImportModule("calendar");
    seconds = calendar ? PyObject_CallMethod(calendar, "timegm", "(O)", timetuple)
                       : NULL;
    Py_XDECREF(calendar);
    Py_DECREF(timetuple);
    if (seconds == NULL)
        return NULL;
    when = PyLong_AsLongLong(seconds);
    Py_DECREF(seconds);
    if (when == -1 && PyErr_Occurred())
        return NULL;
    param = X509_VERIFY_PARAM_new();
    if (param == NULL)
        return tlsb_crypto_raise();
    X509_VERIFY_PARAM_set_time(param, (time_t)when);
    ok = X509_STORE_set1_param(self->store, param);
    X509_VERIFY_PARAM_free(param);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* load_locations(cafile, capath=None): trust the certificates in a PEM
 * file and/or a hashed directory */
static PyObject *
tlsb_X509Store_load_locations(tlsb_X509Store *self, PyObject *args,
                              PyObject *kwargs)
{
    static char *kwlist[] = {"cafile", "capath", NULL};
    PyObject *cafile = Py_None, *capath = Py_None;
    PyObject *file_bytes = NULL, *dir_bytes = NULL;
    int ok = 0;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:load_locations", kwlist,
                                     &cafile, &capath))
        return NULL;
    if (cafile != Py_None && (file_bytes = tlsb_fspath_bytes(cafile)) == NULL)
        return NULL;
    if (capath != Py_None && (dir_bytes = tlsb_fspath_bytes(capath)) == NULL)
        goto done;
    ok = tlsb_store_load_locations(
        self->store, file_bytes ? PyBytes_AS_STRING(file_bytes) : NULL,
        dir_bytes ? PyBytes_AS_STRING(dir_bytes) : NULL);
    if (!ok)
        tlsb_crypto_raise();
done:
    Py_XDECREF(file_bytes);
    Py_XDECREF(dir_bytes);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef tlsb_X509Store_methods[] = {
    {"add_cert", (PyCFunction)tlsb_X509Store_add_cert, METH_O,
     "add_cert(cert)\n--\n\nTrust an X509 certificate."},
    {"add_crl", (PyCFunction)tlsb_X509Store_add_crl, METH_O,
     "add_crl($self, crl)\n--\n\nAdd a CRL, used when CRL checking is on (set_flags)."},
    {"set_flags", (PyCFunction)tlsb_X509Store_set_flags, METH_O,
     "set_flags(flags)\n--\n\nAdd verification flags (X509StoreFlags)."},
    {"set_time", (PyCFunction)tlsb_X509Store_set_time, METH_O,
     "set_time(vfy_time)\n--\n\nVerify as at this datetime.datetime instead of now."},
    {"load_locations", (PyCFunction)(void (*)(void))tlsb_X509Store_load_locations,
     METH_VARARGS | METH_KEYWORDS,
     "load_locations(cafile, capath=None)\n--\n\n"
     "Trust the certificates in the PEM file cafile and/or the hashed directory capath."},
    {NULL, NULL}
};

static PyTypeObject tlsb_X509Store_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509Store",
    .tp_basicsize = sizeof(tlsb_X509Store),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509Store()\n--\n\nTrusted certificates and verification settings.",
    .tp_methods = tlsb_X509Store_methods,
    .tp_new = tlsb_owner_new,
};

/* ---- X509StoreContext ---------------------------------------------- */

static int
tlsb_check_store(PyObject *obj)
{
    if (PyObject_TypeCheck(obj, &tlsb_X509Store_Type))
        return 0;
    PyErr_SetString(PyExc_TypeError, "store must be an X509Store instance");
    return -1;
}

static PyObject *
tlsb_X509StoreContext_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"store", "certificate", "chain", NULL};
    PyObject *store, *certificate, *chain = Py_None, *tuple = NULL;
    tlsb_X509StoreContext *self;
    Py_ssize_t i;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O:X509StoreContext",
                                     kwlist, &store, &certificate, &chain))
        return NULL;
    if (tlsb_check_store(store) < 0 || tlsb_crypto_x509_get(certificate) == NULL)
        return NULL;
    if (chain != Py_None) {
        tuple = PySequence_Tuple(chain);
        if (tuple == NULL)
            return NULL;
        for (i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
            if (!PyObject_TypeCheck(PyTuple_GET_ITEM(tuple, i), &tlsb_X509_Type)) {
                Py_DECREF(tuple);
                PyErr_SetString(PyExc_TypeError,
                                "One of the elements is not an X509 instance");
                return NULL;
            }
        }
    }
    self = (tlsb_X509StoreContext *)type->tp_alloc(type, 0);
    if (self == NULL) {
        Py_XDECREF(tuple);
        return NULL;
    }
    self->store = Py_NewRef(store);
    self->certificate = Py_NewRef(certificate);
    self->chain = tuple;
    return (PyObject *)self;
}

static void
tlsb_X509StoreContext_dealloc(tlsb_X509StoreContext *self)
{
    Py_XDECREF(self->store);
    Py_XDECREF(self->certificate);
    Py_XDECREF(self->chain);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* set_store(store): verify against another store */
static PyObject *
tlsb_X509StoreContext_set_store(tlsb_X509StoreContext *self, PyObject *arg)
{
    if (tlsb_check_store(arg) < 0)
        return NULL;
    Py_SETREF(self->store, Py_NewRef(arg));
    Py_RETURN_NONE;
}

/* X509StoreContextError([code, depth, message]) with .certificate */
static PyObject *
tlsb_raise_store_context_error(X509_STORE_CTX *ctx)
{
    int code = X509_STORE_CTX_get_error(ctx);
    X509 *current = X509_STORE_CTX_get_current_cert(ctx);
    PyObject *detail, *exc, *cert;

    ERR_clear_error();
    detail = Py_BuildValue("[iis]", code, X509_STORE_CTX_get_error_depth(ctx),
                           X509_verify_cert_error_string(code));
    if (detail == NULL)
        return NULL;
    exc = PyObject_CallFunctionObjArgs(tlsb_crypto_StoreContextError, detail,
                                       NULL);
    if (exc == NULL) {
        Py_DECREF(detail);
        return NULL;
    }
    cert = current ? tlsb_X509_from_borrowed(current) : Py_NewRef(Py_None);
    if (cert == NULL || PyObject_SetAttrString(exc, "certificate", cert) < 0 ||
        PyObject_SetAttrString(exc, "errors", detail) < 0) {
        Py_XDECREF(cert);
        Py_DECREF(detail);
        Py_DECREF(exc);
        return NULL;
    }
    Py_DECREF(cert);
    Py_DECREF(detail);
    PyErr_SetObject(tlsb_crypto_StoreContextError, exc);
    Py_DECREF(exc);
    return NULL;
}

/* Runs one verification; returns the verified chain as a list of X509
 * (new reference) or NULL with an exception. */
static PyObject *
tlsb_X509StoreContext_run(tlsb_X509StoreContext *self)
{
    STACK_OF(X509) *untrusted = NULL, *verified;
    X509_STORE_CTX *ctx = NULL;
    PyObject *result = NULL, *item;
    Py_ssize_t i;
    int ret, n;

    if (self->chain != NULL) {
        untrusted = sk_X509_new_null();
        if (untrusted == NULL)
            return tlsb_crypto_raise();
        for (i = 0; i < PyTuple_GET_SIZE(self->chain); i++) {
            if (!sk_X509_push(untrusted,
                              ((tlsb_X509 *)PyTuple_GET_ITEM(self->chain, i))->x509)) {
                tlsb_crypto_raise();
                goto done;
            }
        }
    }
    ctx = X509_STORE_CTX_new();
    if (ctx == NULL ||
        !X509_STORE_CTX_init(ctx, ((tlsb_X509Store *)self->store)->store,
                             ((tlsb_X509 *)self->certificate)->x509, untrusted)) {
        tlsb_crypto_raise();
        goto done;
    }
    ret = X509_verify_cert(ctx);
    if (ret <= 0) {
        if (X509_STORE_CTX_get_error(ctx) != X509_V_OK)
            tlsb_raise_store_context_error(ctx);
        else
            tlsb_crypto_raise();
        goto done;
    }
    ERR_clear_error();
    verified = X509_STORE_CTX_get0_chain(ctx);
    n = verified ? sk_X509_num(verified) : 0;
    result = PyList_New(0);
    for (i = 0; result != NULL && i < n; i++) {
        item = tlsb_X509_from_borrowed(sk_X509_value(verified, (int)i));
        if (item == NULL || PyList_Append(result, item) < 0)
            Py_CLEAR(result);
        Py_XDECREF(item);
    }
done:
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);          /* the certificates are borrowed */
    return result;
}

/* verify_certificate() -> None; X509StoreContextError if not trusted */
static PyObject *
tlsb_X509StoreContext_verify_certificate(tlsb_X509StoreContext *self,
                                         PyObject *unused)
{
    PyObject *chain = tlsb_X509StoreContext_run(self);

    if (chain == NULL)
        return NULL;
    Py_DECREF(chain);
    Py_RETURN_NONE;
}

/* get_verified_chain() -> [X509, ...] from the certificate to its root */
static PyObject *
tlsb_X509StoreContext_get_verified_chain(tlsb_X509StoreContext *self,
                                         PyObject *unused)
{
    return tlsb_X509StoreContext_run(self);
}

static PyMethodDef tlsb_X509StoreContext_methods[] = {
    {"set_store", (PyCFunction)tlsb_X509StoreContext_set_store, METH_O,
     "set_store(store)\n--\n\nVerify against another X509Store."},
    {"verify_certificate", (PyCFunction)tlsb_X509StoreContext_verify_certificate,
     METH_NOARGS,
     "verify_certificate()\n--\n\nVerify the certificate; raise X509StoreContextError if it fails."},
    {"get_verified_chain", (PyCFunction)tlsb_X509StoreContext_get_verified_chain,
     METH_NOARGS,
     "get_verified_chain()\n--\n\nVerify and return the chain, leaf first, as a list of X509."},
    {NULL, NULL}
};

static PyTypeObject tlsb_X509StoreContext_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509StoreContext",
    .tp_basicsize = sizeof(tlsb_X509StoreContext),
    .tp_dealloc = (destructor)tlsb_X509StoreContext_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509StoreContext(store, certificate, chain=None)\n--\n\n"
              "Verification of certificate against store, with chain as untrusted intermediates.",
    .tp_methods = tlsb_X509StoreContext_methods,
    .tp_new = tlsb_X509StoreContext_new,
};

/* ---- X509StoreFlags: a plain class of int constants ----------------- */

static PyObject *
tlsb_make_store_flags(void)
{
    static const struct { const char *name; unsigned long value; } flags[] = {
        {"CRL_CHECK", X509_V_FLAG_CRL_CHECK},
        {"CRL_CHECK_ALL", X509_V_FLAG_CRL_CHECK_ALL},
        {"IGNORE_CRITICAL", X509_V_FLAG_IGNORE_CRITICAL},
        {"X509_STRICT", X509_V_FLAG_X509_STRICT},
        {"ALLOW_PROXY_CERTS", X509_V_FLAG_ALLOW_PROXY_CERTS},
        {"POLICY_CHECK", X509_V_FLAG_POLICY_CHECK},
        {"EXPLICIT_POLICY", X509_V_FLAG_EXPLICIT_POLICY},
        {"INHIBIT_MAP", X509_V_FLAG_INHIBIT_MAP},
        {"NOTIFY_POLICY", X509_V_FLAG_NOTIFY_POLICY},
        {"CHECK_SS_SIGNATURE", X509_V_FLAG_CHECK_SS_SIGNATURE},
        {"PARTIAL_CHAIN", X509_V_FLAG_PARTIAL_CHAIN},   /* extension */
    };
    PyObject *dict = PyDict_New(), *value, *cls = NULL;
    size_t i;

    if (dict == NULL)
        return NULL;
    for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        value = tlsb_int_from_long((long)flags[i].value);
        if (value == NULL || PyDict_SetItemString(dict, flags[i].name, value) < 0) {
            Py_XDECREF(value);
            goto done;
        }
        Py_DECREF(value);
    }
    value = NativeStr_FromString("_tls_bootstrap.crypto");
    if (value == NULL || PyDict_SetItemString(dict, "__module__", value) < 0) {
        Py_XDECREF(value);
        goto done;
    }
    Py_DECREF(value);
    value = NativeStr_FromString(
        "Bits for X509Store.set_flags(): OpenSSL's X509_V_FLAG_* values.");
    if (value == NULL || PyDict_SetItemString(dict, "__doc__", value) < 0) {
        Py_XDECREF(value);
        goto done;
    }
    Py_DECREF(value);
    cls = PyObject_CallFunction((PyObject *)&PyType_Type, "s(O)O",
                                "X509StoreFlags", (PyObject *)&PyBaseObject_Type,
                                dict);
done:
    Py_DECREF(dict);
    return cls;
}

static int
tlsb_crypto_store_init(PyObject *crypto)
{
    PyObject *flags;
    int status;

    if (tlsb_add_type(crypto, &tlsb_X509Store_Type, "X509Store") < 0 ||
        tlsb_add_type(crypto, &tlsb_X509StoreContext_Type, "X509StoreContext") < 0)
        return -1;
    flags = tlsb_make_store_flags();
    if (flags == NULL)
        return -1;
    status = PyModule_AddObjectRef(crypto, "X509StoreFlags", flags);
    Py_DECREF(flags);
    return status;
}
