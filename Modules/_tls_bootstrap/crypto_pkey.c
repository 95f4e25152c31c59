/* crypto_pkey.c: crypto.PKey (pyOpenSSL's PKey) and the elliptic curves
 * (get_elliptic_curves(), get_elliptic_curve(name)).
 *
 * PKey() holds no key until generate_key().  Keys that come from a
 * certificate, a request or a public-key file are "public only": they
 * cannot sign and check() refuses them, as in pyOpenSSL.
 *
 * Extension: generate_key() also makes elliptic-curve keys
 * (generate_key(TYPE_EC, curve) with a curve object, a curve name, or 256,
 * 384 or 521 bits for the NIST curves) and Ed25519/Ed448 keys
 * (generate_key(TYPE_ED25519, 0)); pyOpenSSL 21 only loaded those.
 */

static PyObject *
tlsb_PKey_wrap(EVP_PKEY *pkey, int only_public)
{
    PyObject *self = tlsb_owner_wrap(&tlsb_PKey_Type, pkey);

    if (self != NULL)
        ((tlsb_PKey *)self)->only_public = only_public;
    return self;
}

static EVP_PKEY *
tlsb_crypto_pkey_get(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &tlsb_PKey_Type)) {
        PyErr_Format(PyExc_TypeError, "pkey must be a PKey instance, not %.100s",
                     TLSB_TYPE_NAME(obj));
        return NULL;
    }
    if (((tlsb_PKey *)obj)->pkey == NULL) {
        PyErr_SetString(PyExc_ValueError, "Key is uninitialized");
        return NULL;
    }
    return ((tlsb_PKey *)obj)->pkey;
}

/* ---- elliptic curves ----------------------------------------------- */

typedef struct {
    PyObject_HEAD
    int nid;
} tlsb_EllipticCurve;

static PyTypeObject tlsb_EllipticCurve_Type;

static PyObject *
tlsb_EllipticCurve_make(int nid)
{
    tlsb_EllipticCurve *self = PyObject_New(tlsb_EllipticCurve,
                                            &tlsb_EllipticCurve_Type);

    if (self != NULL)
        self->nid = nid;
    return (PyObject *)self;
}

static PyObject *
tlsb_EllipticCurve_repr(tlsb_EllipticCurve *self)
{
    /* pyOpenSSL shows repr(name), and name is text: <Curve u'...'> on 2.7 */
    PyObject *name = PyUnicode_FromString(OBJ_nid2sn(self->nid));
    PyObject *name_repr = name ? PyObject_Repr(name) : NULL;
    PyObject *result = NULL;

    if (name_repr != NULL) {
        const char *text = NativeStr_AsString(name_repr);
        if (text != NULL)
            result = NativeStr_FromFormat("<Curve %s>", text);
    }
    Py_XDECREF(name);
    Py_XDECREF(name_repr);
    return result;
}

/* name: the curve's short name, e.g. 'prime256v1' */
static PyObject *
tlsb_EllipticCurve_get_name(tlsb_EllipticCurve *self, void *closure)
{
    return PyUnicode_FromString(OBJ_nid2sn(self->nid));   /* text on 2.7 too */
}

static PyObject *
tlsb_EllipticCurve_richcompare(PyObject *a, PyObject *b, int op)
{
    int equal;

    if (!PyObject_TypeCheck(a, &tlsb_EllipticCurve_Type) ||
        !PyObject_TypeCheck(b, &tlsb_EllipticCurve_Type) ||
        (op != Py_EQ && op != Py_NE)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    equal = ((tlsb_EllipticCurve *)a)->nid == ((tlsb_EllipticCurve *)b)->nid;
    return PyBool_FromLong(op == Py_EQ ? equal : !equal);
}

static Py_hash_t
tlsb_EllipticCurve_hash(tlsb_EllipticCurve *self)
{
    return (Py_hash_t)self->nid;
}

static PyGetSetDef tlsb_EllipticCurve_getset[] = {
    {"name", (getter)tlsb_EllipticCurve_get_name, NULL,
     "The curve's OpenSSL short name.", NULL},
    {NULL}
};

static PyTypeObject tlsb_EllipticCurve_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto._EllipticCurve",
    .tp_basicsize = sizeof(tlsb_EllipticCurve),
    .tp_dealloc = (destructor)PyObject_Del,
    .tp_repr = (reprfunc)tlsb_EllipticCurve_repr,
    .tp_hash = (hashfunc)tlsb_EllipticCurve_hash,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A named elliptic curve OpenSSL supports.",
    .tp_richcompare = tlsb_EllipticCurve_richcompare,
    .tp_getset = tlsb_EllipticCurve_getset,
};

/* get_elliptic_curves() -> set of the curves OpenSSL has built in */
static PyObject *
tlsb_crypto_get_elliptic_curves(PyObject *module, PyObject *unused)
{
    size_t count = EC_get_builtin_curves(NULL, 0), i;
    EC_builtin_curve *curves;
    PyObject *result, *curve;

    curves = PyMem_New(EC_builtin_curve, count ? count : 1);
    if (curves == NULL)
        return PyErr_NoMemory();
    count = EC_get_builtin_curves(curves, count);
    result = PySet_New(NULL);
    for (i = 0; result != NULL && i < count; i++) {
        curve = tlsb_EllipticCurve_make(curves[i].nid);
        if (curve == NULL || PySet_Add(result, curve) < 0)
            Py_CLEAR(result);
        Py_XDECREF(curve);
    }
    PyMem_Free(curves);
    return result;
}

/* The NID of a built-in curve by short name, or NID_undef. */
static int
tlsb_curve_nid(const char *name)
{
    size_t count = EC_get_builtin_curves(NULL, 0), i;
    EC_builtin_curve *curves = PyMem_New(EC_builtin_curve, count ? count : 1);
    int nid = NID_undef, wanted = OBJ_sn2nid(name);

    if (wanted == NID_undef)
        wanted = EC_curve_nist2nid(name);     /* "P-256" */
    ERR_clear_error();
    if (curves == NULL || wanted == NID_undef) {
        PyMem_Free(curves);
        return NID_undef;
    }
    count = EC_get_builtin_curves(curves, count);
    for (i = 0; i < count; i++) {
        if (curves[i].nid == wanted)
            nid = wanted;
    }
    PyMem_Free(curves);
    return nid;
}

/* get_elliptic_curve(name) -> the curve; ValueError if OpenSSL lacks it */
static PyObject *
tlsb_crypto_get_elliptic_curve(PyObject *module, PyObject *arg)
{
    PyObject *keep;
    const char *name = tlsb_name_arg(arg, &keep, "name");
    int nid;

    if (name == NULL)
        return NULL;
    nid = tlsb_curve_nid(name);
    Py_DECREF(keep);
    if (nid == NID_undef) {
        PyObject *exc_args = Py_BuildValue("(sO)", "unknown curve name", arg);
        if (exc_args != NULL) {
            PyErr_SetObject(PyExc_ValueError, exc_args);
            Py_DECREF(exc_args);
        }
        return NULL;
    }
    return tlsb_EllipticCurve_make(nid);
}

/* The curve generate_key(TYPE_EC, spec) means: a curve, a name, or bits. */
static int
tlsb_ec_spec_nid(PyObject *spec)
{
    PyObject *keep;
    const char *name;
    long bits;
    int nid;

    if (PyObject_TypeCheck(spec, &tlsb_EllipticCurve_Type))
        return ((tlsb_EllipticCurve *)spec)->nid;
    if (tlsb_is_int(spec)) {
        bits = tlsb_long_from_int(spec);
        nid = bits == 256 ? NID_X9_62_prime256v1 : bits == 384 ? NID_secp384r1 :
              bits == 521 ? NID_secp521r1 : NID_undef;
        if (nid == NID_undef && !PyErr_Occurred())
            PyErr_SetString(PyExc_ValueError, "Invalid number of bits");
        return nid;
    }
    name = tlsb_name_arg(spec, &keep, "curve");
    if (name == NULL)
        return NID_undef;
    nid = tlsb_curve_nid(name);
    Py_DECREF(keep);
    if (nid == NID_undef)
        PyErr_SetString(PyExc_ValueError, "unknown curve name");
    return nid;
}

/* ---- key generation ------------------------------------------------ */

/* Runs without the GIL: no Python calls.  NULL on failure (queue set). */
static EVP_PKEY *
tlsb_keygen(int type, int bits, int curve_nid)
{
    EVP_PKEY_CTX *pctx = NULL, *kctx = NULL;
    EVP_PKEY *params = NULL, *key = NULL;

    if (type == EVP_PKEY_DSA || type == EVP_PKEY_EC) {
        pctx = EVP_PKEY_CTX_new_id(type, NULL);
        if (pctx == NULL || EVP_PKEY_paramgen_init(pctx) <= 0)
            goto done;
        if (type == EVP_PKEY_DSA &&
            EVP_PKEY_CTX_set_dsa_paramgen_bits(pctx, bits) <= 0)
            goto done;
#ifdef TLSB_HAS_DSA_PARAMGEN_TYPE
        if (type == EVP_PKEY_DSA && bits < 2048 &&
            EVP_PKEY_CTX_set_dsa_paramgen_type(pctx, "fips186_2") <= 0)
            goto done;
#endif
        if (type == EVP_PKEY_EC &&
            (EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pctx, curve_nid) <= 0 ||
             EVP_PKEY_CTX_set_ec_param_enc(pctx, OPENSSL_EC_NAMED_CURVE) <= 0))
            goto done;
        if (EVP_PKEY_paramgen(pctx, &params) <= 0)
            goto done;
        kctx = EVP_PKEY_CTX_new(params, NULL);
    }
    else {
        kctx = EVP_PKEY_CTX_new_id(type, NULL);
    }
    if (kctx == NULL || EVP_PKEY_keygen_init(kctx) <= 0)
        goto done;
    if (type == EVP_PKEY_RSA && EVP_PKEY_CTX_set_rsa_keygen_bits(kctx, bits) <= 0)
        goto done;
#ifdef TLSB_HAS_DSA_PARAMGEN_TYPE
    if (type == EVP_PKEY_DSA && bits < 2048 &&
        EVP_PKEY_CTX_set_dsa_paramgen_type(kctx, "fips186_2") <= 0)
        goto done;
#endif
    if (EVP_PKEY_keygen(kctx, &key) <= 0)
        key = NULL;
done:
    EVP_PKEY_CTX_free(pctx);
    EVP_PKEY_CTX_free(kctx);
    EVP_PKEY_free(params);
    return key;
}

/* generate_key(type, bits): replaces any key this PKey held */
static PyObject *
tlsb_PKey_generate_key(tlsb_PKey *self, PyObject *args)
{
    PyObject *type_obj, *bits_obj;
    long type, bits = 0;
    int curve_nid = NID_undef;
    EVP_PKEY *key;
    PyThreadState *tstate;

    if (!PyArg_ParseTuple(args, "OO:generate_key", &type_obj, &bits_obj))
        return NULL;
    if (tlsb_long_arg(type_obj, &type, "type must be an integer") < 0)
        return NULL;
    switch (type) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_DSA:
        if (tlsb_long_arg(bits_obj, &bits, "bits must be an integer") < 0)
            return NULL;
        /* Above the moduli OpenSSL will use (RSA/DSA_R_MODULUS_TOO_LARGE
           later), generating runs for hours with the GIL released. */
        if (bits <= 0 || bits > (type == EVP_PKEY_RSA ? OPENSSL_RSA_MAX_MODULUS_BITS
                                                      : OPENSSL_DSA_MAX_MODULUS_BITS)) {
            PyErr_SetString(PyExc_ValueError, "Invalid number of bits");
            return NULL;
        }
        /* As pyOpenSSL 21 (1.1.1): smaller DSA sizes ask for 512 bits
           (3.0 fails them with an empty error queue). */
        if (type == EVP_PKEY_DSA && bits < 512)
            bits = 512;
        break;
    case EVP_PKEY_EC:
        curve_nid = tlsb_ec_spec_nid(bits_obj);
        if (curve_nid == NID_undef)
            return NULL;
        break;
    case EVP_PKEY_ED25519:
    case EVP_PKEY_ED448:
        break;
    default:
        return tlsb_crypto_raise_message("No such key type");
    }
    tstate = PyEval_SaveThread();
    key = tlsb_keygen((int)type, (int)bits, curve_nid);
    PyEval_RestoreThread(tstate);
    if (key == NULL)
        return tlsb_crypto_raise();
    ERR_clear_error();
    EVP_PKEY_free(self->pkey);
    self->pkey = key;
    self->only_public = 0;
    Py_RETURN_NONE;
}

/* bits() -> int (0 for a PKey without a key) */
static PyObject *
tlsb_PKey_bits(tlsb_PKey *self, PyObject *unused)
{
    return tlsb_int_from_long(self->pkey ? EVP_PKEY_bits(self->pkey) : 0);
}

/* type() -> int: TYPE_RSA, TYPE_DSA, TYPE_EC, ... (0 without a key) */
static PyObject *
tlsb_PKey_type(tlsb_PKey *self, PyObject *unused)
{
    return tlsb_int_from_long(self->pkey ? EVP_PKEY_id(self->pkey) : 0);
}

/* check() -> True if the RSA private key is consistent; Error if not.
 * TypeError for public-only and non-RSA keys, as in pyOpenSSL. */
static PyObject *
tlsb_PKey_check(tlsb_PKey *self, PyObject *unused)
{
    EVP_PKEY_CTX *ctx;
    int ok;

    if (self->only_public) {
        PyErr_SetString(PyExc_TypeError, "public key only");
        return NULL;
    }
    if (self->pkey == NULL || EVP_PKEY_base_id(self->pkey) != EVP_PKEY_RSA) {
        PyErr_SetString(PyExc_TypeError, "key type unsupported");
        return NULL;
    }
    ctx = EVP_PKEY_CTX_new(self->pkey, NULL);
    if (ctx == NULL)
        return tlsb_crypto_raise();
    ok = EVP_PKEY_check(ctx);
    EVP_PKEY_CTX_free(ctx);
    if (ok != 1)
        return tlsb_crypto_raise();
    ERR_clear_error();
    Py_RETURN_TRUE;
}

static PyMethodDef tlsb_PKey_methods[] = {
    {"generate_key", (PyCFunction)tlsb_PKey_generate_key, METH_VARARGS,
     "generate_key(type, bits)\n--\n\n"
     "Generate a key: TYPE_RSA or TYPE_DSA with bits; TYPE_EC with a curve "
     "(get_elliptic_curve()), a curve name or 256/384/521; TYPE_ED25519 or "
     "TYPE_ED448 (bits ignored)."},
    {"bits", (PyCFunction)tlsb_PKey_bits, METH_NOARGS,
     "bits()\n--\n\nThe key's size in bits."},
    {"type", (PyCFunction)tlsb_PKey_type, METH_NOARGS,
     "type()\n--\n\nThe key type, e.g. TYPE_RSA."},
    {"check", (PyCFunction)tlsb_PKey_check, METH_NOARGS,
     "check()\n--\n\nCheck the consistency of an RSA private key; True or Error."},
    {"to_cryptography_key", (PyCFunction)tlsb_PKey_to_cryptography_key, METH_NOARGS,
     "to_cryptography_key($self)\n--\n\nThe key as a cryptography public or private key object."},
    {"from_cryptography_key", (PyCFunction)tlsb_PKey_from_cryptography_key,
     METH_O | METH_CLASS,
     "from_cryptography_key(crypto_key)\n--\n\nA PKey from a cryptography RSA or DSA key."},
    {NULL, NULL}
};

/* _only_public: pyOpenSSL's attribute (True for keys without the private
 * part), which code written for it and its tests read. */
static PyObject *
tlsb_PKey_get_only_public(tlsb_PKey *self, void *closure)
{
    return PyBool_FromLong(self->only_public);
}

/* _initialized: pyOpenSSL's attribute, True once the PKey holds a key. */
static PyObject *
tlsb_PKey_get_initialized(tlsb_PKey *self, void *closure)
{
    return PyBool_FromLong(self->pkey != NULL);
}

static PyGetSetDef tlsb_PKey_getset[] = {
    {"_initialized", (getter)tlsb_PKey_get_initialized, NULL,
     "True once the PKey holds a key.", NULL},
    {"_only_public", (getter)tlsb_PKey_get_only_public, NULL,
     "True for a key without its private part.", NULL},
    {NULL}
};

static PyTypeObject tlsb_PKey_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.crypto.PKey",
    .tp_basicsize = sizeof(tlsb_PKey),
    .tp_dealloc = tlsb_owner_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "PKey()\n--\n\nA public or private key; empty until generate_key().",
    .tp_methods = tlsb_PKey_methods,
    .tp_getset = tlsb_PKey_getset,
    .tp_new = tlsb_owner_new,
};

static PyMethodDef tlsb_pkey_functions[] = {
    {"get_elliptic_curves", tlsb_crypto_get_elliptic_curves, METH_NOARGS,
     "get_elliptic_curves()\n--\n\nThe set of elliptic curves OpenSSL supports."},
    {"get_elliptic_curve", tlsb_crypto_get_elliptic_curve, METH_O,
     "get_elliptic_curve(name)\n--\n\nThe elliptic curve of that name; ValueError if unknown."},
    {NULL, NULL}
};

static int
tlsb_crypto_pkey_init(PyObject *crypto)
{
    if (tlsb_add_type(crypto, &tlsb_PKey_Type, "PKey") < 0 ||
        PyType_Ready(&tlsb_EllipticCurve_Type) < 0 ||
        PyModule_AddFunctions(crypto, tlsb_pkey_functions) < 0)
        return -1;
    return 0;
}
