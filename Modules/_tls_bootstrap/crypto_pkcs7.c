/* crypto_pkcs7.c: crypto.PKCS7 (what kind of PKCS#7 structure was loaded)
 * and load_pkcs7_data(), as in pyOpenSSL.
 *
 * Ownership: a PKCS7 object owns one PKCS7, freed with it.
 */

static PyObject *
tlsb_PKCS7_wrap(PKCS7 *p7)
{
    return tlsb_owner_wrap(&tlsb_PKCS7_Type, p7);
}

static PyObject *
tlsb_PKCS7_type_is(tlsb_PKCS7 *self, int nid)
{
    return PyBool_FromLong(OBJ_obj2nid(self->p7->type) == nid);
}

/* type_is_signed() -> bool */
static PyObject *
tlsb_PKCS7_type_is_signed(tlsb_PKCS7 *self, PyObject *unused)
{
    return tlsb_PKCS7_type_is(self, NID_pkcs7_signed);
}

/* type_is_enveloped() -> bool */
static PyObject *
tlsb_PKCS7_type_is_enveloped(tlsb_PKCS7 *self, PyObject *unused)
{
    return tlsb_PKCS7_type_is(self, NID_pkcs7_enveloped);
}

/* type_is_signedAndEnveloped() -> bool */
static PyObject *
tlsb_PKCS7_type_is_signedAndEnveloped(tlsb_PKCS7 *self, PyObject *unused)
{
    return tlsb_PKCS7_type_is(self, NID_pkcs7_signedAndEnveloped);
}

/* type_is_data() -> bool */
static PyObject *
tlsb_PKCS7_type_is_data(tlsb_PKCS7 *self, PyObject *unused)
{
    return tlsb_PKCS7_type_is(self, NID_pkcs7_data);
}

/* get_type_name() -> bytes, e.g. b"pkcs7-signedData" */
static PyObject *
tlsb_PKCS7_get_type_name(tlsb_PKCS7 *self, PyObject *unused)
{
    const char *name = OBJ_nid2sn(OBJ_obj2nid(self->p7->type));

    return PyBytes_FromString(name ? name : "UNDEF");
}

static PyMethodDef tlsb_PKCS7_methods[] = {
    {"type_is_signed", (PyCFunction)tlsb_PKCS7_type_is_signed, METH_NOARGS,
     "type_is_signed($self)\n--\n\nTrue for a signedData structure."},
    {"type_is_enveloped", (PyCFunction)tlsb_PKCS7_type_is_enveloped, METH_NOARGS,
     "type_is_enveloped($self)\n--\n\nTrue for an envelopedData structure."},
    {"type_is_signedAndEnveloped",
     (PyCFunction)tlsb_PKCS7_type_is_signedAndEnveloped, METH_NOARGS,
     "type_is_signedAndEnveloped($self)\n--\n\nTrue for a signedAndEnvelopedData structure."},
    {"type_is_data", (PyCFunction)tlsb_PKCS7_type_is_data, METH_NOARGS,
     "type_is_data($self)\n--\n\nTrue for a plain data structure."},
    {"get_type_name", (PyCFunction)tlsb_PKCS7_get_type_name, METH_NOARGS,
     "get_type_name($self)\n--\n\nThe short name of the content type, as bytes."},
    {NULL, NULL}
};

static PyTypeObject tlsb_PKCS7_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.PKCS7",
    .tp_basicsize = sizeof(tlsb_PKCS7),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "A PKCS#7 structure, made by load_pkcs7_data().",
    .tp_methods = tlsb_PKCS7_methods,
};

static void *tlsb_p7_pem_read(BIO *b, tlsb_passphrase *pw)
{ return PEM_read_bio_PKCS7(b, NULL, tlsb_passphrase_cb, pw); }
static void *tlsb_p7_der_read(BIO *b) { return d2i_PKCS7_bio(b, NULL); }
static PyObject *tlsb_p7_wrap_any(void *p) { return tlsb_PKCS7_wrap(p); }

/* Load only: pyOpenSSL has no dump_pkcs7. */
static const tlsb_codec tlsb_p7_codec = {
    tlsb_p7_pem_read, tlsb_p7_der_read, NULL, NULL, NULL,
    tlsb_p7_wrap_any, NULL,
};

/* load_pkcs7_data(type, buffer) -> PKCS7 */
static PyObject *
tlsb_crypto_load_pkcs7_data(PyObject *module, PyObject *args, PyObject *kwargs)
{
    return tlsb_codec_load(&tlsb_p7_codec, args, kwargs, "OO:load_pkcs7_data");
}

static PyMethodDef tlsb_pkcs7_functions[] = {
    {"load_pkcs7_data", (PyCFunction)(void (*)(void))tlsb_crypto_load_pkcs7_data,
     METH_VARARGS | METH_KEYWORDS,
     "load_pkcs7_data(type, buffer)\n--\n\n"
     "Load a PKCS#7 structure from PEM or DER bytes."},
    {NULL, NULL}
};

static int
tlsb_crypto_pkcs7_init(PyObject *crypto)
{
    if (tlsb_add_type(crypto, &tlsb_PKCS7_Type, "PKCS7") < 0 ||
        PyModule_AddFunctions(crypto, tlsb_pkcs7_functions) < 0)
        return -1;
    return 0;
}
