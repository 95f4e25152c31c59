/* crypto_name.c: crypto.X509Name, a distinguished name (pyOpenSSL's
 * X509Name): attributes by long or short name (name.CN, name.commonName),
 * get_components(), der(), hash(), ordering.
 *
 * A name taken from a certificate or request is a view: it holds a
 * reference to its owner and finds the name there on each use, so it stays
 * valid however long it outlives the owner's other references, and writes
 * through (cert.get_subject().CN = "x" changes cert).  X509Name(name)
 * makes an independent copy.
 */

/* The X509_NAME behind a name object (borrowed). */
static X509_NAME *
tlsb_X509Name_ptr(tlsb_X509Name *self)
{
    if (self->which == TLSB_NAME_OWNED)
        return self->own;
    if (PyObject_TypeCheck(self->owner, &tlsb_X509Req_Type))
        return X509_REQ_get_subject_name(((tlsb_X509Req *)self->owner)->req);
    if (self->which == TLSB_NAME_ISSUER)
        return X509_get_issuer_name(((tlsb_X509 *)self->owner)->x509);
    return X509_get_subject_name(((tlsb_X509 *)self->owner)->x509);
}

/* Borrowed X509_NAME of an X509Name argument, or NULL + TypeError. */
static X509_NAME *
tlsb_X509Name_get(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &tlsb_X509Name_Type)) {
        PyErr_SetString(PyExc_TypeError, "name must be an X509Name");
        return NULL;
    }
    return tlsb_X509Name_ptr((tlsb_X509Name *)obj);
}

static PyObject *
tlsb_X509Name_view(PyObject *owner, int which)
{
    tlsb_X509Name *self = PyObject_New(tlsb_X509Name, &tlsb_X509Name_Type);

    if (self == NULL)
        return NULL;
    self->own = NULL;
    self->owner = Py_NewRef(owner);
    self->which = which;
    return (PyObject *)self;
}

/* X509Name(name): a copy of another X509Name */
static PyObject *
tlsb_X509Name_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"name", NULL};
    PyObject *other;
    X509_NAME *source, *copy;
    tlsb_X509Name *self;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:X509Name", kwlist, &other))
        return NULL;
    source = tlsb_X509Name_get(other);
    if (source == NULL)
        return NULL;
    copy = X509_NAME_dup(source);
    if (copy == NULL)
        return tlsb_crypto_raise();
    self = (tlsb_X509Name *)type->tp_alloc(type, 0);
    if (self == NULL) {
        X509_NAME_free(copy);
        return NULL;
    }
    self->own = copy;
    self->owner = NULL;
    self->which = TLSB_NAME_OWNED;
    return (PyObject *)self;
}

static void
tlsb_X509Name_dealloc(tlsb_X509Name *self)
{
    X509_NAME_free(self->own);
    Py_XDECREF(self->owner);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The NID an attribute name means (long or short name), or NID_undef. */
static int
tlsb_name_nid(PyObject *attr)
{
    const char *text;
    PyObject *bytes;
    int nid;

    if (!PyUnicode_Check(attr) && !PyBytes_Check(attr))
        return NID_undef;
    text = tlsb_name_arg(attr, &bytes, "attribute name");
    if (text == NULL) {
        PyErr_Clear();
        return NID_undef;
    }
    nid = OBJ_txt2nid(text);
    Py_DECREF(bytes);
    ERR_clear_error();
    return nid;
}

/* name.CN -> text (UTF-8 decoded) or None */
static PyObject *
tlsb_X509Name_getattro(tlsb_X509Name *self, PyObject *attr)
{
    PyObject *result = PyObject_GenericGetAttr((PyObject *)self, attr);
    X509_NAME *name;
    ASN1_STRING *data;
    unsigned char *utf8 = NULL;
    int nid, index, len;

    if (result != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError))
        return result;
    nid = tlsb_name_nid(attr);
    if (nid == NID_undef)
        return NULL;                    /* the AttributeError stands */
    PyErr_Clear();
    name = tlsb_X509Name_ptr(self);
    index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0)
        Py_RETURN_NONE;
    data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    len = ASN1_STRING_to_UTF8(&utf8, data);
    if (len < 0)
        return tlsb_crypto_raise();
    result = PyUnicode_DecodeUTF8((const char *)utf8, len, "strict");
    OPENSSL_free(utf8);
    return result;
}

/* name.CN = text or bytes: replaces every entry of that type */
static int
tlsb_X509Name_setattro(tlsb_X509Name *self, PyObject *attr, PyObject *value)
{
    X509_NAME *name;
    X509_NAME_ENTRY *entry;
    PyObject *encoded = NULL;
    int nid, index, ok;

    if (PyUnicode_Check(attr) || PyBytes_Check(attr)) {
        PyObject *bytes;
        const char *text = tlsb_name_arg(attr, &bytes, "attribute name");
        int private_name;
        if (text == NULL)
            return -1;
        private_name = text[0] == '_';
        Py_DECREF(bytes);
        if (private_name)
            return PyObject_GenericSetAttr((PyObject *)self, attr, value);
    }
    nid = tlsb_name_nid(attr);
    if (nid == NID_undef) {
        PyErr_SetString(PyExc_AttributeError, "No such attribute");
        return -1;
    }
    if (value == NULL) {
        PyErr_SetObject(PyExc_AttributeError, attr);
        return -1;
    }
    if (PyUnicode_Check(value)) {
        encoded = PyUnicode_AsUTF8String(value);
        if (encoded == NULL)
            return -1;
        value = encoded;
    }
    else if (!PyBytes_Check(value)) {
        PyErr_Format(PyExc_TypeError,
                     "name attribute must be text or bytes, not %.100s",
                     TLSB_TYPE_NAME(value));
        return -1;
    }
    /* Make the new entry first: a value OpenSSL refuses (C=USA) leaves
     * the name as it was. */
    entry = X509_NAME_ENTRY_create_by_NID(
        NULL, nid, MBSTRING_UTF8, (unsigned char *)PyBytes_AS_STRING(value),
        (int)PyBytes_GET_SIZE(value));
    Py_XDECREF(encoded);
    if (entry == NULL) {
        tlsb_crypto_raise();
        return -1;
    }
    name = tlsb_X509Name_ptr(self);
    while ((index = X509_NAME_get_index_by_NID(name, nid, -1)) >= 0)
        X509_NAME_ENTRY_free(X509_NAME_delete_entry(name, index));
    ok = X509_NAME_add_entry(name, entry, -1, 0);
    X509_NAME_ENTRY_free(entry);
    if (!ok) {
        tlsb_crypto_raise();
        return -1;
    }
    return 0;
}

static PyObject *
tlsb_X509Name_repr(tlsb_X509Name *self)
{
    char buf[512];
    X509_NAME *name = tlsb_X509Name_ptr(self);

    if (X509_NAME_oneline(name, buf, (int)sizeof(buf)) == NULL)
        return tlsb_crypto_raise();
    return NativeStr_FromFormat("<X509Name object '%s'>", buf);
}

static PyObject *
tlsb_X509Name_richcompare(PyObject *a, PyObject *b, int op)
{
    int cmp;

    if (!PyObject_TypeCheck(a, &tlsb_X509Name_Type) ||
        !PyObject_TypeCheck(b, &tlsb_X509Name_Type)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    cmp = X509_NAME_cmp(tlsb_X509Name_ptr((tlsb_X509Name *)a),
                        tlsb_X509Name_ptr((tlsb_X509Name *)b));
    if (cmp == -2) {
        return tlsb_crypto_raise();
    }
    switch (op) {
    case Py_EQ: return PyBool_FromLong(cmp == 0);
    case Py_NE: return PyBool_FromLong(cmp != 0);
    case Py_LT: return PyBool_FromLong(cmp < 0);
    case Py_LE: return PyBool_FromLong(cmp <= 0);
    case Py_GT: return PyBool_FromLong(cmp > 0);
    default:    return PyBool_FromLong(cmp >= 0);
    }
}

/* hash() -> int: the name hash `openssl x509 -subject_hash` prints */
static PyObject *
tlsb_X509Name_hash_method(tlsb_X509Name *self, PyObject *unused)
{
    return PyLong_FromUnsignedLong(X509_NAME_hash(tlsb_X509Name_ptr(self)));
}

/* der() -> bytes: the DER encoding */
static PyObject *
tlsb_X509Name_der(tlsb_X509Name *self, PyObject *unused)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(tlsb_X509Name_ptr(self), &der);
    PyObject *result;

    if (len < 0)
        return tlsb_crypto_raise();
    result = PyBytes_FromStringAndSize((const char *)der, len);
    OPENSSL_free(der);
    return result;
}

/* get_components() -> [(b"CN", b"value"), ...] in order */
static PyObject *
tlsb_X509Name_get_components(tlsb_X509Name *self, PyObject *unused)
{
    X509_NAME *name = tlsb_X509Name_ptr(self);
    int i, count = X509_NAME_entry_count(name);
    PyObject *list = PyList_New(0), *item;

    if (list == NULL)
        return NULL;
    for (i = 0; i < count; i++) {
        X509_NAME_ENTRY *entry = X509_NAME_get_entry(name, i);
        ASN1_STRING *data = X509_NAME_ENTRY_get_data(entry);
        int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
        const char *sn = nid == NID_undef ? "UNDEF" : OBJ_nid2sn(nid);

        PyObject *key = PyBytes_FromString(sn);
        PyObject *value = PyBytes_FromStringAndSize(
            (const char *)ASN1_STRING_get0_data(data), ASN1_STRING_length(data));

        item = (key && value) ? PyTuple_Pack(2, key, value) : NULL;
        Py_XDECREF(key);
        Py_XDECREF(value);
        if (item == NULL || PyList_Append(list, item) < 0) {
            Py_XDECREF(item);
            Py_DECREF(list);
            return NULL;
        }
        Py_DECREF(item);
    }
    return list;
}

static PyMethodDef tlsb_X509Name_methods[] = {
    {"hash", (PyCFunction)tlsb_X509Name_hash_method, METH_NOARGS,
     "hash()\n--\n\nThe name's hash, an int (as `openssl x509 -subject_hash`)."},
    {"der", (PyCFunction)tlsb_X509Name_der, METH_NOARGS,
     "der()\n--\n\nThe DER encoding of the name."},
    {"get_components", (PyCFunction)tlsb_X509Name_get_components, METH_NOARGS,
     "get_components()\n--\n\nThe entries as a list of (short name, value) bytes pairs."},
    {NULL, NULL}
};

static PyTypeObject tlsb_X509Name_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.X509Name",
    .tp_basicsize = sizeof(tlsb_X509Name),
    .tp_dealloc = (destructor)tlsb_X509Name_dealloc,
    .tp_repr = (reprfunc)tlsb_X509Name_repr,
    .tp_getattro = (getattrofunc)tlsb_X509Name_getattro,
    .tp_setattro = (setattrofunc)tlsb_X509Name_setattro,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "X509Name(name)\n--\n\nA distinguished name; X509Name(name) copies another.",
    .tp_richcompare = tlsb_X509Name_richcompare,
    .tp_methods = tlsb_X509Name_methods,
    .tp_new = tlsb_X509Name_new,
};

static int
tlsb_crypto_name_init(PyObject *crypto)
{
    return tlsb_add_type(crypto, &tlsb_X509Name_Type, "X509Name");
}
