/* crypto_rand.c: the `rand` module (`_tls_bootstrap.rand`), pyOpenSSL's
 * OpenSSL.rand as its 2.7-era releases had it: add, seed, status, bytes,
 * load_file, write_file, cleanup, egd.
 *
 * Since OpenSSL 1.1.0 the generator seeds itself from the operating
 * system and reseeds as needed, so add/seed only mix in extra data,
 * cleanup does nothing, and egd no longer talks to an entropy daemon;
 * their docstrings say so.
 */

static PyObject *tlsb_rand_Error;              /* rand.Error */

/* bytes-like, not text: pyOpenSSL's "buffer must be a byte string" */
static int
tlsb_rand_buffer(PyObject *obj, Py_buffer *view)
{
    if (PyUnicode_Check(obj) || tlsb_get_bytes_buffer(obj, view) < 0) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "buffer must be a byte string");
        return -1;
    }
    if (view->len > INT_MAX) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_OverflowError, "buffer longer than 2**31-1 bytes");
        return -1;
    }
    return 0;
}

/* add(buffer, entropy) */
static PyObject *
tlsb_rand_add(PyObject *module, PyObject *args)
{
    PyObject *buffer, *entropy_obj;
    Py_buffer view;
    long entropy;

    if (!PyArg_ParseTuple(args, "OO:add", &buffer, &entropy_obj))
        return NULL;
    if (tlsb_rand_buffer(buffer, &view) < 0)
        return NULL;
    if (tlsb_long_arg(entropy_obj, &entropy, "entropy must be an integer") < 0) {
        PyBuffer_Release(&view);
        return NULL;
    }
    RAND_add(view.buf, (int)view.len, (double)entropy);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* seed(buffer) */
static PyObject *
tlsb_rand_seed(PyObject *module, PyObject *arg)
{
    Py_buffer view;

    if (tlsb_rand_buffer(arg, &view) < 0)
        return NULL;
    RAND_seed(view.buf, (int)view.len);
    PyBuffer_Release(&view);
    Py_RETURN_NONE;
}

/* status() -> int: 1 if the generator is seeded (always, on 1.1.0+) */
static PyObject *
tlsb_rand_status(PyObject *module, PyObject *unused)
{
    return tlsb_int_from_long(RAND_status());
}

/* bytes(num_bytes) -> bytes */
static PyObject *
tlsb_rand_bytes(PyObject *module, PyObject *arg)
{
    long count;
    PyObject *result;

    if (tlsb_long_arg(arg, &count, "num_bytes must be an integer") < 0)
        return NULL;
    if (count < 0) {
        PyErr_SetString(PyExc_ValueError, "num_bytes must not be negative");
        return NULL;
    }
    if (count > INT_MAX) {       /* RAND_bytes takes an int, as ssl.RAND_bytes */
        PyErr_SetString(PyExc_OverflowError, "num_bytes is greater than maximum");
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, count);
    if (result == NULL)
        return NULL;
    if (RAND_bytes((unsigned char *)PyBytes_AS_STRING(result), (int)count) != 1) {
        Py_DECREF(result);
        return tlsb_raise_crypto_error(tlsb_rand_Error);
    }
    return result;
}

/* load_file(filename, maxbytes=-1) -> int: bytes read and mixed in */
static PyObject *
tlsb_rand_load_file(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"filename", "maxbytes", NULL};
    PyObject *filename, *path, *maxbytes_obj = NULL;
    long maxbytes = -1;
    int result;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:load_file", kwlist,
                                     &filename, &maxbytes_obj))
        return NULL;
    if (maxbytes_obj != NULL &&
        tlsb_long_arg(maxbytes_obj, &maxbytes, "maxbytes must be an integer") < 0)
        return NULL;
    path = tlsb_fspath_bytes(filename);
    if (path == NULL)
        return NULL;
    result = RAND_load_file(PyBytes_AS_STRING(path), maxbytes);
    Py_DECREF(path);
    ERR_clear_error();
    return tlsb_int_from_long(result);
}

/* write_file(filename) -> int: bytes written (-1 if not seeded) */
static PyObject *
tlsb_rand_write_file(PyObject *module, PyObject *arg)
{
    PyObject *path = tlsb_fspath_bytes(arg);
    int result;

    if (path == NULL)
        return NULL;
    result = RAND_write_file(PyBytes_AS_STRING(path));
    Py_DECREF(path);
    ERR_clear_error();
    return tlsb_int_from_long(result);
}

/* cleanup(): does nothing (OpenSSL 1.1.0 removed RAND_cleanup) */
static PyObject *
tlsb_rand_cleanup(PyObject *module, PyObject *unused)
{
    Py_RETURN_NONE;
}

/* egd(path, bytes=255) -> int: reseeds from the operating system; path is
 * ignored (as in pyOpenSSL 16+), returns bytes */
static PyObject *
tlsb_rand_egd(PyObject *module, PyObject *args)
{
    PyObject *path;
    long count = 255;
    PyObject *count_obj = NULL;

    if (!PyArg_ParseTuple(args, "O|O:egd", &path, &count_obj))
        return NULL;
    if (count_obj != NULL &&
        tlsb_long_arg(count_obj, &count, "bytes must be an integer") < 0)
        return NULL;
    RAND_poll();
    ERR_clear_error();
    return tlsb_int_from_long(count);
}

static PyMethodDef tlsb_rand_functions[] = {
    {"add", tlsb_rand_add, METH_VARARGS,
     "add(buffer, entropy)\n--\n\nMix buffer (bytes) into the generator, crediting "
     "entropy bytes of randomness.  OpenSSL 1.1.0+ seeds itself from the system; "
     "this only adds to that."},
    {"seed", tlsb_rand_seed, METH_O,
     "seed(buffer)\n--\n\nMix buffer (bytes) into the generator (add() with full "
     "entropy credit).  Not needed on OpenSSL 1.1.0+."},
    {"status", tlsb_rand_status, METH_NOARGS,
     "status()\n--\n\n1 if the generator has been seeded enough, else 0."},
    {"bytes", tlsb_rand_bytes, METH_O,
     "bytes(num_bytes)\n--\n\nnum_bytes random bytes."},
    {"load_file", (PyCFunction)(void (*)(void))tlsb_rand_load_file,
     METH_VARARGS | METH_KEYWORDS,
     "load_file(filename, maxbytes=-1)\n--\n\nMix up to maxbytes of a file (all of "
     "it by default) into the generator; returns the number of bytes read."},
    {"write_file", tlsb_rand_write_file, METH_O,
     "write_file(filename)\n--\n\nWrite random bytes to a seed file for a later "
     "load_file(); returns the number written, -1 if not seeded."},
    {"cleanup", tlsb_rand_cleanup, METH_NOARGS,
     "cleanup()\n--\n\nDoes nothing: OpenSSL 1.1.0 removed RAND_cleanup and frees "
     "its state at exit."},
    {"egd", tlsb_rand_egd, METH_VARARGS,
     "egd(path, bytes=255)\n--\n\nReseed from the operating system; path is ignored "
     "(no entropy daemon since OpenSSL 1.1.0).  Returns bytes."},
    {NULL, NULL}
};

PyDoc_STRVAR(tlsb_rand_doc,
"pyOpenSSL's OpenSSL.rand: OpenSSL's random number generator.");

static PyObject *
tlsb_rand_make_module(void)
{
    PyObject *rand = PyModule_New("_tls_bootstrap.rand"), *doc;

    if (rand == NULL)
        return NULL;
    doc = NativeStr_FromString(tlsb_rand_doc);
    if (doc == NULL || PyObject_SetAttrString(rand, "__doc__", doc) < 0 ||
        PyModule_AddFunctions(rand, tlsb_rand_functions) < 0)
        goto fail;
    Py_CLEAR(doc);
    if (tlsb_rand_Error == NULL)     /* one class for all interpreters */
        tlsb_rand_Error = PyErr_NewExceptionWithDoc(
            "_tls_bootstrap.rand.Error",
            (char *)"Raised when OpenSSL's random generator reports a failure.",
            NULL, NULL);
    if (tlsb_rand_Error == NULL ||
        PyModule_AddObjectRef(rand, "Error", tlsb_rand_Error) < 0)
        goto fail;
    return rand;
fail:
    Py_XDECREF(doc);
    Py_DECREF(rand);
    return NULL;
}
