/* session.c: SSLSession, a TLS session a client can resume.
 *
 * Sessions are made only by the connection's `session` getter; the Python
 * constructor is refused, as in the stdlib.  Two sessions are equal when
 * their session IDs are.
 *
 * Ownership: one SSL_SESSION reference (SSL_get1_session, freed in
 * dealloc) and a strong reference to the context it came from.  OpenSSL
 * keeps no pointer to this object: a session given to a connection is
 * referenced by OpenSSL on its own (SSL_set_session).
 */

/* Takes ownership of `session`. */
static PyObject *
tlsb_session_wrap(SSL_SESSION *session, tlsb_Context *ctx)
{
    tlsb_Session *self = PyObject_GC_New(tlsb_Session, &tlsb_Session_Type);

    if (self == NULL) {
        SSL_SESSION_free(session);
        return NULL;
    }
    self->session = session;
    self->context = (tlsb_Context *)Py_NewRef((PyObject *)ctx);
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

/* Borrowed SSL_SESSION of an SSLSession, or NULL with TypeError. */
static SSL_SESSION *
tlsb_session_get(PyObject *obj)
{
    if (!PyObject_TypeCheck(obj, &tlsb_Session_Type)) {
        PyErr_SetString(PyExc_TypeError, "Value is not a SSLSession.");
        return NULL;
    }
    return ((tlsb_Session *)obj)->session;
}

static tlsb_Context *
tlsb_session_context(PyObject *obj)
{
    return ((tlsb_Session *)obj)->context;
}

static int
tlsb_Session_traverse(tlsb_Session *self, visitproc visit, void *arg)
{
    Py_VISIT(self->context);
    return 0;
}

static int
tlsb_Session_clear(tlsb_Session *self)
{
    Py_CLEAR(self->context);
    return 0;
}

static void
tlsb_Session_dealloc(tlsb_Session *self)
{
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->context);
    SSL_SESSION_free(self->session);
    PyObject_GC_Del(self);
}

static PyObject *
tlsb_Session_richcompare(PyObject *left, PyObject *right, int op)
{
    const unsigned char *left_id, *right_id;
    unsigned int left_len, right_len;
    int equal;

    if (!PyObject_TypeCheck(left, &tlsb_Session_Type) ||
        !PyObject_TypeCheck(right, &tlsb_Session_Type) ||
        (op != Py_EQ && op != Py_NE)) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (left == right) {
        equal = 1;
    } else {
        left_id = SSL_SESSION_get_id(((tlsb_Session *)left)->session, &left_len);
        right_id = SSL_SESSION_get_id(((tlsb_Session *)right)->session, &right_len);
        equal = left_len == right_len && memcmp(left_id, right_id, left_len) == 0;
    }
    return PyBool_FromLong(op == Py_EQ ? equal : !equal);
}

/* id: the session ID (bytes) */
static PyObject *
tlsb_Session_get_id(tlsb_Session *self, void *closure)
{
    unsigned int len;
    const unsigned char *id = SSL_SESSION_get_id(self->session, &len);

    return PyBytes_FromStringAndSize((const char *)id, (Py_ssize_t)len);
}

/* time: when the session was made, in seconds since the epoch */
static PyObject *
tlsb_Session_get_time(tlsb_Session *self, void *closure)
{
    return PyLong_FromLongLong(tlsb_session_time(self->session));
}

/* timeout: lifetime in seconds */
static PyObject *
tlsb_Session_get_timeout(tlsb_Session *self, void *closure)
{
    return PyLong_FromLong(SSL_SESSION_get_timeout(self->session));
}

/* ticket_lifetime_hint: the server's hint for the ticket, in seconds */
static PyObject *
tlsb_Session_get_ticket_lifetime_hint(tlsb_Session *self, void *closure)
{
    return PyLong_FromUnsignedLong(
        SSL_SESSION_get_ticket_lifetime_hint(self->session));
}

/* has_ticket: whether the session carries a session ticket */
static PyObject *
tlsb_Session_get_has_ticket(tlsb_Session *self, void *closure)
{
    return PyBool_FromLong(SSL_SESSION_has_ticket(self->session));
}

static PyGetSetDef tlsb_Session_getset[] = {
    {"id", (getter)tlsb_Session_get_id, NULL,
     "The session identifier OpenSSL assigned, as bytes.", NULL},
    {"time", (getter)tlsb_Session_get_time, NULL,
     "When the session was established, in seconds since the Epoch.", NULL},
    {"timeout", (getter)tlsb_Session_get_timeout, NULL,
     "How long after `time` the session may be resumed, in seconds.", NULL},
    {"ticket_lifetime_hint", (getter)tlsb_Session_get_ticket_lifetime_hint, NULL,
     "The server's advice on how long to keep its ticket, in "
     "seconds (0 if none).", NULL},
    {"has_ticket", (getter)tlsb_Session_get_has_ticket, NULL,
     "True when the server gave a session ticket with it.", NULL},
    {NULL}
};

static PyTypeObject tlsb_Session_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap.SSLSession",
    .tp_basicsize = sizeof(tlsb_Session),
    .tp_dealloc = (destructor)tlsb_Session_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A TLS session a client can resume (from SSLObject.session).",
    .tp_traverse = (traverseproc)tlsb_Session_traverse,
    .tp_clear = (inquiry)tlsb_Session_clear,
    .tp_richcompare = tlsb_Session_richcompare,
    .tp_getset = tlsb_Session_getset,
};
