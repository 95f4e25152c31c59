/* crypto_req.c: crypto.X509Req, a certificate signing request (pyOpenSSL's
 * X509Req).
 */

static PyObject *
tlsb_X509Req_wrap(X509_REQ *req)
{
    return tlsb_owner_wrap(&tlsb_X509Req_Type, req);
}

static X509_REQ *
tlsb_crypto_req_get(PyObject *obj)
{
    return tlsb_owner_get(&tlsb_X509Req_Type, obj);
}

/* get_version() -> int */
static PyObject *
tlsb_X509Req_get_version(tlsb_X509Req *self, PyObject *unused)
{
    return tlsb_int_from_long(X509_REQ_get_version(self->req));
}

/* set_version(version) */
static PyObject *
tlsb_X509Req_set_version(tlsb_X509Req *self, PyObject *arg)
{
    long version;

    if (tlsb_long_arg(arg, &version, "version must be an integer") < 0)
        return NULL;
    if (!X509_REQ_set_version(self->req, version))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_subject() -> X509Name: a live view of the request's subject */
static PyObject *
tlsb_X509Req_get_subject(tlsb_X509Req *self, PyObject *unused)
{
    return tlsb_X509Name_view((PyObject *)self, TLSB_NAME_SUBJECT);
}

/* get_pubkey() -> PKey (public part only) */
static PyObject *
tlsb_X509Req_get_pubkey(tlsb_X509Req *self, PyObject *unused)
{
    EVP_PKEY *pkey = X509_REQ_get_pubkey(self->req);

    if (pkey == NULL)
        return tlsb_crypto_raise();
    return tlsb_PKey_wrap(pkey, 1);
}

/* set_pubkey(pkey) */
static PyObject *
tlsb_X509Req_set_pubkey(tlsb_X509Req *self, PyObject *arg)
{
    EVP_PKEY *pkey = tlsb_crypto_pkey_get(arg);

    if (pkey == NULL)
        return NULL;
    if (!X509_REQ_set_pubkey(self->req, pkey))
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* get_extensions() -> [X509Extension, ...] (copies) */
static PyObject *
tlsb_X509Req_get_extensions(tlsb_X509Req *self, PyObject *unused)
{
    STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(self->req);
    PyObject *list = PyList_New(0), *item;
    int i;

    ERR_clear_error();
    if (list == NULL)
        goto done;
    for (i = 0; exts != NULL && i < sk_X509_EXTENSION_num(exts); i++) {
        item = tlsb_X509Extension_wrap(
            X509_EXTENSION_dup(sk_X509_EXTENSION_value(exts, i)));
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_CLEAR(list);
            goto done;
        }
        Py_DECREF(item);
    }
done:
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    return list;
}

/* add_extensions(extensions): the request keeps one extension list (its
 * extensionRequest attribute); these are appended to it. */
static PyObject *
tlsb_X509Req_add_extensions(tlsb_X509Req *self, PyObject *arg)
{
    PyObject *list = tlsb_extension_list(arg);
    STACK_OF(X509_EXTENSION) *exts;
    Py_ssize_t i;
    int index, ok = 0;

    if (list == NULL)
        return NULL;
    exts = X509_REQ_get_extensions(self->req);
    ERR_clear_error();
    if (exts == NULL)
        exts = sk_X509_EXTENSION_new_null();
    if (exts == NULL)
        goto done;
    for (i = 0; i < PyList_GET_SIZE(list); i++) {
        X509_EXTENSION *copy = X509_EXTENSION_dup(
            ((tlsb_X509Extension *)PyList_GET_ITEM(list, i))->ext);
        if (copy == NULL || !sk_X509_EXTENSION_push(exts, copy)) {
            X509_EXTENSION_free(copy);
            goto done;
        }
    }
    /* Replace the old attribute (either OID it may be stored under). */
    while ((index = X509_REQ_get_attr_by_NID(self->req, NID_ext_req, -1)) >= 0)
        X509_ATTRIBUTE_free(X509_REQ_delete_attr(self->req, index));
    while ((index = X509_REQ_get_attr_by_NID(self->req, NID_ms_ext_req, -1)) >= 0)
        X509_ATTRIBUTE_free(X509_REQ_delete_attr(self->req, index));
    ok = X509_REQ_add_extensions(self->req, exts);
done:
    sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
    Py_DECREF(list);
    if (!ok)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* sign(pkey, digest) */
static PyObject *
tlsb_X509Req_sign(tlsb_X509Req *self, PyObject *args)
{
    PyObject *pkey_obj, *digest_obj;
    EVP_PKEY *pkey;
    const EVP_MD *md;

    if (!PyArg_ParseTuple(args, "OO:sign", &pkey_obj, &digest_obj) ||
        tlsb_signing_args(pkey_obj, digest_obj, &pkey, &md) < 0)
        return NULL;
    if (X509_REQ_sign(self->req, pkey, md) <= 0)
        return tlsb_crypto_raise();
    Py_RETURN_NONE;
}

/* verify(pkey) -> 1 if pkey signed the request; else crypto.Error */
static PyObject *
tlsb_X509Req_verify(tlsb_X509Req *self, PyObject *arg)
{
    EVP_PKEY *pkey;

    /* An empty PKey cannot have signed it: crypto.Error, as pyOpenSSL's
     * failed verification, not the ValueError of other uses. */
    if (PyObject_TypeCheck(arg, &tlsb_PKey_Type) &&
        ((tlsb_PKey *)arg)->pkey == NULL)
        return tlsb_crypto_raise_reason("key is uninitialized");
    pkey = tlsb_crypto_pkey_get(arg);
    if (pkey == NULL)
        return NULL;
    if (X509_REQ_verify(self->req, pkey) <= 0)
        return tlsb_crypto_raise();
    return tlsb_int_from_long(1);
}

static PyMethodDef tlsb_X509Req_methods[] = {
    {"get_version", (PyCFunction)tlsb_X509Req_get_version, METH_NOARGS,
     "get_version()\n--\n\nThe version number of the request."},
    {"set_version", (PyCFunction)tlsb_X509Req_set_version, METH_O,
     "set_version(version)\n--\n\nSet the version number (0 is the only one RFC 2986 defines)."},
    {"get_subject", (PyCFunction)tlsb_X509Req_get_subject, METH_NOARGS,
     "get_subject()\n--\n\nThe subject, an X509Name view: changing it changes the request."},
    {"get_pubkey", (PyCFunction)tlsb_X509Req_get_pubkey, METH_NOARGS,
     "get_pubkey()\n--\n\nThe public key, a PKey."},
    {"set_pubkey", (PyCFunction)tlsb_X509Req_set_pubkey, METH_O,
     "set_pubkey(pkey)\n--\n\nSet the public key."},
    {"get_extensions", (PyCFunction)tlsb_X509Req_get_extensions, METH_NOARGS,
     "get_extensions()\n--\n\nThe requested extensions, a list of X509Extension."},
    {"add_extensions", (PyCFunction)tlsb_X509Req_add_extensions, METH_O,
     "add_extensions(extensions)\n--\n\nAppend X509Extension objects to the requested extensions."},
    {"sign", (PyCFunction)tlsb_X509Req_sign, METH_VARARGS,
     "sign(pkey, digest)\n--\n\nSign the request with pkey and the named digest "
     "(None for Ed25519/Ed448 keys)."},
    {"verify", (PyCFunction)tlsb_X509Req_verify, METH_O,
     "verify(pkey)\n--\n\nReturn 1 if pkey's private key signed the request; raise Error if not."},
    {"to_cryptography", (PyCFunction)tlsb_X509Req_to_cryptography, METH_NOARGS,
     "to_cryptography($self)\n--\n\nThe request as a cryptography x509.CertificateSigningRequest."},
    {"from_cryptography", (PyCFunction)tlsb_X509Req_from_cryptography,
     METH_O | METH_CLASS,
     "from_cryptography(crypto_req)\n--\n\nAn X509Req from a cryptography CertificateSigningRequest."},
    {NULL, NULL}
};

static PyTypeObject tlsb_X509Req_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509Req",
    .tp_basicsize = sizeof(tlsb_X509Req),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509Req()\n--\n\nA certificate signing request (PKCS #10).",
    .tp_methods = tlsb_X509Req_methods,
    .tp_new = tlsb_owner_new,
};

static int
tlsb_crypto_req_init(PyObject *crypto)
{
    return tlsb_add_type(crypto, &tlsb_X509Req_Type, "X509Req");
}
