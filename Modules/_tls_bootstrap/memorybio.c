/* memorybio.c: MemoryBIO, a byte queue between Python code and a
 * Connection (ssl.MemoryBIO).
 *
 * An empty BIO reports "retry" to OpenSSL until write_eof() is called;
 * after that it reports end of file, which is how a peer's TCP FIN reaches
 * the TLS layer in sans-I/O use.
 *
 * Ownership: this object owns one reference to its BIO (freed in
 * dealloc).  A connection using it holds the MemoryBIO object and gives
 * OpenSSL a BIO reference of its own (tlsobject.c), so the BIO outlives
 * whichever goes first; OpenSSL keeps no pointer to this Python object.
 */

static PyObject *
tlsb_MemoryBIO_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {NULL};
    tlsb_MemoryBIO *self;
    BIO *bio;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, ":MemoryBIO", kwlist))
        return NULL;
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL)
        return PyErr_NoMemory();
    /* Empty means "try again later" until write_eof(). */
    BIO_set_retry_read(bio);
    BIO_set_mem_eof_return(bio, -1);
    self = (tlsb_MemoryBIO *)type->tp_alloc(type, 0);
    if (self == NULL) {
        BIO_free(bio);
        return NULL;
    }
    self->bio = bio;
    self->eof_written = 0;
    return (PyObject *)self;
}

static void
tlsb_MemoryBIO_dealloc(tlsb_MemoryBIO *self)
{
    BIO_free(self->bio);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* pending: number of bytes waiting to be read */
static PyObject *
tlsb_MemoryBIO_get_pending(tlsb_MemoryBIO *self, void *closure)
{
    return PyLong_FromSize_t(BIO_ctrl_pending(self->bio));
}

/* eof: True once write_eof() was called and everything was read */
static PyObject *
tlsb_MemoryBIO_get_eof(tlsb_MemoryBIO *self, void *closure)
{
    return PyBool_FromLong(self->eof_written &&
                           BIO_ctrl_pending(self->bio) == 0);
}

/* read(size=-1, /) -> bytes: up to size bytes, all of them by default. */
static PyObject *
tlsb_MemoryBIO_read(tlsb_MemoryBIO *self, PyObject *args)
{
    int size = -1, available, nbytes;
    PyObject *result;

    if (!PyArg_ParseTuple(args, "|i:read", &size))
        return NULL;
    available = (int)(BIO_ctrl_pending(self->bio) > INT_MAX
                      ? INT_MAX : BIO_ctrl_pending(self->bio));
    if (size < 0 || size > available)
        size = available;
    result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL || size == 0)
        return result;
    nbytes = BIO_read(self->bio, PyBytes_AS_STRING(result), size);
    if (nbytes < 0) {
        /* A memory BIO with data never fails to read; keep the queue clean. */
        Py_DECREF(result);
        return tlsb_raise_from_queue(NULL);
    }
    if (nbytes != size && _PyBytes_Resize(&result, nbytes) < 0)
        return NULL;
    return result;
}

/* write(data, /) -> int: append a bytes-like object, return its length. */
static PyObject *
tlsb_MemoryBIO_write(tlsb_MemoryBIO *self, PyObject *data)
{
    Py_buffer view;
    int nbytes;

    if (tlsb_get_bytes_buffer(data, &view) < 0)
        return NULL;
    if (view.len > INT_MAX) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_OverflowError,
                            "string longer than %d bytes", INT_MAX);
    }
    if (self->eof_written) {
        PyBuffer_Release(&view);
        return tlsb_raise_message(tlsb_interp()->SSLError, 0,
                                  "cannot write() after write_eof()");
    }
    nbytes = BIO_write(self->bio, view.buf, (int)view.len);
    PyBuffer_Release(&view);
    if (nbytes < 0)
        return tlsb_raise_from_queue(NULL);
    return tlsb_int_from_long(nbytes);
}

/* write_eof(): no more data will come; OpenSSL sees EOF once drained. */
static PyObject *
tlsb_MemoryBIO_write_eof(tlsb_MemoryBIO *self, PyObject *unused)
{
    self->eof_written = 1;
    BIO_clear_retry_flags(self->bio);
    BIO_set_mem_eof_return(self->bio, 0);
    Py_RETURN_NONE;
}

static PyMethodDef tlsb_MemoryBIO_methods[] = {
    TLSB_REFUSE_PICKLE
    {"read", (PyCFunction)tlsb_MemoryBIO_read, METH_VARARGS,
     "read(size=-1, /)\n--\n\nTake at most size bytes (all, if size is negative) out of the\n"
     "buffer and return them; b'' when it is empty."},
    {"write", (PyCFunction)tlsb_MemoryBIO_write, METH_O,
     "write(b, /)\n--\n\nAppend a bytes-like object to the buffer and return its length;\n"
     "SSLError once write_eof() was called."},
    {"write_eof", (PyCFunction)tlsb_MemoryBIO_write_eof, METH_NOARGS,
     "write_eof($self, /)\n--\n\nMark the end of the stream: once the buffer is drained, readers\n"
     "see end of file instead of \"try again later\"."},
    {NULL, NULL}
};

static PyGetSetDef tlsb_MemoryBIO_getset[] = {
    {"pending", (getter)tlsb_MemoryBIO_get_pending, NULL,
     "How many bytes the buffer holds now.", NULL},
    {"eof", (getter)tlsb_MemoryBIO_get_eof, NULL,
     "True once write_eof() was called and every byte was read.", NULL},
    {NULL}
};

static PyTypeObject tlsb_MemoryBIO_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.MemoryBIO",
    .tp_basicsize = sizeof(tlsb_MemoryBIO),
    .tp_dealloc = (destructor)tlsb_MemoryBIO_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "MemoryBIO()\n--\n\nA buffer of bytes that a TLS object reads or writes instead of a socket.",
    .tp_methods = tlsb_MemoryBIO_methods,
    .tp_getset = tlsb_MemoryBIO_getset,
    .tp_new = tlsb_MemoryBIO_new,
};
