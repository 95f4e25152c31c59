/* tlsobject.c: _Connection, one TLS connection over memory BIOs or over a
 * socket's file descriptor.  ssl.SSLObject is its Python subclass;
 * ssl.SSLSocket holds one.
 *
 * Rules of this file:
 * - One I/O loop (tlsb_connection_run) serves both kinds: a memory-BIO
 *   connection is a socket that is always non-blocking.
 * - The socket is read and written by OpenSSL directly (BIO_s_socket on its
 *   fd); Python is consulted only for the fd and the timeout, once per call.
 * - The GIL is released around every call that may block (socket I/O) or
 *   that does expensive cryptography (handshakes, bulk data); callbacks
 *   take it back with the released thread state (callbackgil.c).
 * - A callback's exception is saved on the connection and raised when the
 *   OpenSSL call returns, in place of whatever OpenSSL reported.
 *
 * Ownership: what OpenSSL's SSL (owned here, freed in dealloc) points at
 * (pointer | owner | taken | released | if the object goes first)
 * - SSL ex_data[ssl_ex_index] -> this connection | borrowed | setup |
 *   cleared in dealloc before SSL_free | cannot: only we hold the SSL.
 * - SSL's current SSL_CTX -> its context | `context`, strong | setup, the
 *   context setter | dealloc, after SSL_free; the setter swaps it |
 *   cannot.
 * - SSL's session SSL_CTX (the one it was made with; SSL_set_SSL_CTX does
 *   not change it, and OpenSSL runs its servername callback when the
 *   current context has none) -> that context, whose callback argument it
 *   is | `session_context`, strong | setup | dealloc, after SSL_free |
 *   cannot.  Before issue 14 only the current context was held: the
 *   original, dropped after a switch, was used after free.
 * - rbio/wbio -> the MemoryBIOs' BIOs | OpenSSL, by BIO reference (one
 *   each, one in all when incoming is outgoing) | _wrap_bio | SSL_free |
 *   the BIO lives on; we also hold both MemoryBIO objects.
 * - socket BIO -> the socket's descriptor number, not the socket (held by
 *   weak reference) | BIO_NOCLOSE | _wrap_socket | SSL_free | the number
 *   may be reused: close() and the I/O calls' frames decide when.
 * - `orphan_fd`: that number, taken from the socket by close() while
 *   threads are inside the I/O loop (a dead descriptor dup2()'d over it)
 *   | this connection | _interrupt_io | closed by the last thread out of
 *   the loop (or dealloc; a fork child at first use) | cannot: the
 *   threads inside hold the connection.
 * - I/O frame `switched` -> the context an SNI callback switched to
 *   inside that OpenSSL call | strong, and its settings held shared |
 *   the context setter | when the call returns | cannot.
 * - TLS 1.3 PSK identity -> `psk_identity` bytes | strong (psk.c) |
 *   PSK use-session callback | replaced by the next, dealloc | cannot.
 * - owner (SSLObject/SSLSocket callbacks receive) | weak reference; the
 *   connection itself when it is gone.
 */

/* Memory-BIO reads and writes of at least this many bytes release the GIL;
 * below it the release costs more than the cryptography. */
#define TLSB_RELEASE_GIL_BYTES 8192

/* A memory-BIO read that has at least this much ciphertext waiting
 * releases the GIL however little it returns: it decrypts several records
 * or takes post-handshake messages (a client's first read after a TLS 1.3
 * handshake takes two tickets, ~500 bytes and ~18 us of work, all of it
 * under the GIL before; a 64-byte record is ~90 bytes). */
#define TLSB_RELEASE_GIL_CIPHERTEXT 256

/* 3.13's SSL_ERROR_NO_SOCKET: the socket behind the connection is gone. */
#define TLSB_ERROR_NO_SOCKET 9

static int
tlsb_connection_check(tlsb_Connection *self)
{
    if (self->ssl == NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "this TLS object is not set up; use SSLContext.wrap_bio() "
                        "or SSLContext.wrap_socket()");
        return -1;
    }
    return 0;
}

/* The object callbacks see as "the SSL socket": the SSLSocket/SSLObject
 * that owns this connection, or the connection itself. New reference. */
static PyObject *
tlsb_connection_owner(tlsb_Connection *conn)
{
    PyObject *owner = NULL;

    if (conn->owner != NULL) {
        if (PyWeakref_GetRef(conn->owner, &owner) < 0)
            return NULL;
        if (owner != NULL)
            return owner;
    }
    return Py_NewRef((PyObject *)conn);
}

/* ---- socket side of the I/O loop -------------------------------------- */

typedef enum {
    TLSB_OP_HANDSHAKE,
    TLSB_OP_READ,
    TLSB_OP_WRITE,
    TLSB_OP_SHUTDOWN,
} tlsb_op;

/* What one call needs to know about the socket, read once per call. */
typedef struct {
    PyObject *sock;      /* strong reference, NULL for memory BIOs */
    int fd;
    double timeout;      /* < 0 blocking, 0 non-blocking, > 0 seconds */
    double deadline;     /* monotonic seconds, when timeout > 0 */
} tlsb_socket_io;

static double
tlsb_monotonic(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* The raw _socket.socket behind a socket object, or NULL (new reference):
 * on 3.x SSLSocket is one; 2.7's socket.socket wraps one in ._sock. */
static PyObject *
tlsb_raw_socket(PyObject *sock)
{
#ifdef TLSB_PY3
    PyObject *raw = Py_NewRef(sock);
#else
    PyObject *raw = PyObject_GetAttrString(sock, "_sock");
    if (raw == NULL) {
        PyErr_Clear();
        return NULL;
    }
#endif
    if (!tlsb_state.socket_head_ok ||
        !PyObject_TypeCheck(raw, tlsb_interp()->socket_type)) {
        Py_DECREF(raw);
        return NULL;
    }
    return raw;
}

/* fd and timeout by fileno() and gettimeout(): for sockets of other
 * types, and where the layout check failed. */
static int
tlsb_socket_io_by_methods(PyObject *sock, long *fd, double *timeout)
{
    PyObject *value = PyObject_CallMethod(sock, "fileno", NULL);

    if (value == NULL)
        return -1;
    *fd = tlsb_long_from_int(value);
    Py_DECREF(value);
    if (*fd == -1 && PyErr_Occurred())
        return -1;
    value = PyObject_CallMethod(sock, "gettimeout", NULL);
    if (value == NULL)
        return -1;
    if (value == Py_None) {
        *timeout = -1.0;
    } else {
        *timeout = PyFloat_AsDouble(value);
        if (*timeout == -1.0 && PyErr_Occurred()) {
            Py_DECREF(value);
            return -1;
        }
    }
    Py_DECREF(value);
    return 0;
}

/* Looks up the socket's fd and timeout; a memory-BIO connection leaves
 * io->sock NULL.  -1 with an exception if the socket is gone or closed. */
static int
tlsb_socket_io_begin(tlsb_Connection *conn, tlsb_socket_io *io)
{
    PyObject *raw;
    long fd;

    io->sock = NULL;
    io->fd = -1;
    io->timeout = 0.0;
    io->deadline = 0.0;
    if (conn->socket == NULL)
        return 0;
    if (PyWeakref_GetRef(conn->socket, &io->sock) < 0)
        return -1;
    if (io->sock == NULL) {
        tlsb_raise_message(tlsb_interp()->SSLError, TLSB_ERROR_NO_SOCKET,
                           "Underlying socket connection gone");
        return -1;
    }
    /* A green socket's timeout lives in Python; its raw socket says 0. */
    raw = conn->green_wait == NULL ? tlsb_raw_socket(io->sock) : NULL;
    if (raw != NULL) {
        const tlsb_socket_head *head = (const tlsb_socket_head *)raw;
        fd = head->sock_fd;
        io->timeout = tlsb_socket_head_timeout(head);
        Py_DECREF(raw);
    } else if (tlsb_socket_io_by_methods(io->sock, &fd, &io->timeout) < 0) {
        goto error;
    }
    if (fd < 0) {
        tlsb_raise_message(tlsb_interp()->SSLError, TLSB_ERROR_NO_SOCKET,
                           "Underlying socket has been closed.");
        goto error;
    }
    io->fd = (int)fd;
    if (io->timeout > 0)
        io->deadline = tlsb_monotonic() + io->timeout;
    return 0;
error:
    Py_CLEAR(io->sock);
    return -1;
}

/* Checks tlsb_socket_head against a real socket's fileno()/gettimeout();
 * on any difference, or if no socket can be made here (a sandbox), the
 * I/O loop keeps calling the methods.  Never fails the import. */
static int
tlsb_socket_head_init(void)
{
    PyObject *sock, *result;
    const tlsb_socket_head *head;
    long fd;
    double timeout;
    int ok = 0;

    tlsb_state.socket_head_ok = 0;
    sock = PyObject_CallFunction((PyObject *)tlsb_interp()->socket_type, NULL);
    if (sock == NULL) {
        PyErr_Clear();
        return 0;
    }
    head = (const tlsb_socket_head *)sock;
    result = PyObject_CallMethod(sock, "settimeout", "d", 2.5);
    if (result != NULL && tlsb_socket_io_by_methods(sock, &fd, &timeout) == 0)
        ok = fd == head->sock_fd && timeout == 2.5 &&
             tlsb_socket_head_timeout(head) == 2.5;
    Py_XDECREF(result);
    if (ok) {
        result = PyObject_CallMethod(sock, "settimeout", "O", Py_None);
        ok = result != NULL && tlsb_socket_head_timeout(head) < 0;
        Py_XDECREF(result);
    }
    result = PyObject_CallMethod(sock, "close", NULL);
    Py_XDECREF(result);
    Py_DECREF(sock);
    PyErr_Clear();
    tlsb_state.socket_head_ok = ok;
    return 0;
}

/* Waits until fd is readable/writable or the deadline passes, with the GIL
 * released.  1 ready, 0 timed out, -1 with an exception set. */
static int
tlsb_socket_wait(tlsb_socket_io *io, int for_write)
{
    struct pollfd pfd;
    PyThreadState *thread_state;
    int timeout_ms, ready, saved_errno;

    for (;;) {
        if (io->timeout < 0) {
            timeout_ms = -1;
        } else {
            double left = io->deadline - tlsb_monotonic();
            if (left <= 0)
                return 0;
            timeout_ms = (int)(left * 1000.0 + 0.999);
        }
        pfd.fd = io->fd;
        pfd.events = for_write ? POLLOUT : POLLIN;
        pfd.revents = 0;
        thread_state = PyEval_SaveThread();
        ready = poll(&pfd, 1, timeout_ms);
        saved_errno = errno;
        PyEval_RestoreThread(thread_state);
        if (ready > 0)
            return 1;
        if (ready == 0)
            return 0;
        if (saved_errno != EINTR) {
            tlsb_raise_errno(saved_errno);
            return -1;
        }
        /* PEP 475: run signal handlers, retry unless one raised. */
        if (PyErr_CheckSignals() < 0)
            return -1;
    }
}

typedef struct tlsb_io_frame tlsb_io_frame;
static void tlsb_io_enter(tlsb_Connection *conn, tlsb_io_frame *frame);
static void tlsb_io_leave(tlsb_io_frame *frame);

/* ---- green sockets ----------------------------------------------------
 *
 * gevent's and eventlet's sockets keep the fd non-blocking and the timeout
 * in Python; their event loop runs in the same thread, so a poll() here
 * would freeze every other greenlet.  For them the Python layer sets
 * conn->green_wait, a callable wait(want_write, timeout) -> bool (True:
 * ready, False: timed out) that waits the way the socket's own library
 * does.  The loop then takes the timeout from gettimeout(), runs OpenSSL
 * on a non-blocking fd and calls green_wait instead of poll(), with the
 * GIL held.  While it waits, other greenlets of this thread may run I/O on
 * this or other connections, so the call is not counted as inside the
 * loop (its frame is unlinked, and close() need not wait for it). */

/* 1 ready, 0 timed out, -1 with an exception set. */
static int
tlsb_socket_wait_green(tlsb_Connection *conn, tlsb_socket_io *io,
                       tlsb_io_frame *frame, int for_write)
{
    PyObject *wait, *timeout, *result;
    int ready;

    if (io->timeout < 0) {
        timeout = Py_NewRef(Py_None);
    } else {
        double left = io->deadline - tlsb_monotonic();
        if (left <= 0)
            return 0;
        timeout = PyFloat_FromDouble(left);
        if (timeout == NULL)
            return -1;
    }
    wait = Py_NewRef(conn->green_wait);
    tlsb_io_leave(frame);
    result = PyObject_CallFunctionObjArgs(wait, for_write ? Py_True : Py_False,
                                          timeout, NULL);
    tlsb_io_enter(conn, frame);
    Py_DECREF(wait);
    Py_DECREF(timeout);
    if (result == NULL)
        return -1;
    ready = PyObject_IsTrue(result);
    Py_DECREF(result);
    return ready;
}

/* _green_wait: the wait of a green socket (see above), or None. */
static PyObject *
tlsb_Connection_get_green_wait(tlsb_Connection *self, void *closure)
{
    return Py_NewRef(self->green_wait != NULL ? self->green_wait : Py_None);
}

static int
tlsb_Connection_set_green_wait(tlsb_Connection *self, PyObject *value,
                               void *closure)
{
    if (value == NULL || value == Py_None) {
        Py_CLEAR(self->green_wait);
        return 0;
    }
    if (!PyCallable_Check(value)) {
        PyErr_SetString(PyExc_TypeError, "_green_wait must be callable or None");
        return -1;
    }
    Py_XSETREF(self->green_wait, Py_NewRef(value));
    return 0;
}

static PyObject *
tlsb_raise_timeout(tlsb_op op, int want_write)
{
    const char *what;

    switch (op) {
    case TLSB_OP_HANDSHAKE:
        what = "The handshake operation timed out";
        break;
    case TLSB_OP_READ:
        what = "The read operation timed out";
        break;
    case TLSB_OP_WRITE:
        what = "The write operation timed out";
        break;
    default:
        what = want_write ? "The write operation timed out"
                          : "The read operation timed out";
    }
    /* socket.timeout, unless the graft asked for 2.7's SSLError: the Python
     * layer sets _timeout_error (a rare path, so looked up each time). */
    {
        PyObject *module = tlsb_interp_module();
        PyObject *exc_type = module
            ? PyObject_GetAttrString(module, "_timeout_error")
            : Py_NewRef(tlsb_interp()->socket_timeout);
        if (exc_type == NULL)
            return NULL;
        PyErr_SetString(exc_type, what);
        Py_DECREF(exc_type);
    }
    return NULL;
}

/* ---- a socket closed under a blocked call ----------------------------- */

/* On Linux close() wakes no thread blocked in poll() or recv() on the fd:
 * 3.13's ssl leaves such a thread blocked until data, EOF or its timeout,
 * and then it may use an fd number that now names another file.  Here
 * SSLSocket.close() calls _interrupt_io() first.  Threads inside the loop
 * below are woken by shutdown(SHUT_RDWR) and raise OSError(EBADF) as a
 * call on a closed socket does.  close() does not wait for them: however
 * long one of them stays (a slow SNI callback, then the rest of its
 * handshake), the number must not name another file while it may still
 * write to it.  So the number is kept: a dead descriptor (one end of a
 * socket pair whose other end is closed: reads see EOF, writes fail) is
 * dup2()'d over it, the Python socket forgets it (as detach() does), and
 * the last thread out of the loop closes it (orphan_fd).
 *
 * fork (fork.c): a child inherits io_threads counting the parent's
 * threads.  The first use in the child starts the count afresh (the
 * current thread's own frames), and the connection is marked inherited:
 * its socket is shared with the parent, so the child never shuts it down
 * (that would end the parent's calls); its close() only drops its own
 * descriptor. */

/* Without the socket layout (tlsb_socket_head) the number cannot be taken
 * from the Python socket: then close() waits this long for the threads
 * still inside, as before, and lets the socket close it. */
#define TLSB_INTERRUPT_WAIT_SECONDS 5.0

/* The connections whose I/O loop the current thread is inside, innermost
 * first: a stack of frames on the C stack of tlsb_connection_run.  A
 * callback may run I/O on another connection, never on these (re-entry),
 * and close() counts the other threads' frames (io_threads). */
struct tlsb_io_frame {
    tlsb_Connection *conn;
    unsigned long generation;     /* counted in io_threads of this fork generation */
    /* The context an SNI callback switched to inside the current OpenSSL
     * call: held shared (strong reference) until the call returns, since
     * the rest of the step reads its settings (see the context setter). */
    tlsb_Context *switched;
    struct tlsb_io_frame *outer;
};

static TLSB_THREAD_LOCAL tlsb_io_frame *tlsb_io_frames;

/* In a forked child, the threads counted in io_threads were the parent's:
 * the count starts again from the current thread's frames (GIL held). */
static void
tlsb_io_fork_check(tlsb_Connection *conn)
{
    tlsb_io_frame *frame;

    if (conn->io_generation == tlsb_fork_generation)
        return;
    conn->io_generation = tlsb_fork_generation;
    conn->io_inherited = 1;
    conn->io_threads = 0;
    for (frame = tlsb_io_frames; frame != NULL; frame = frame->outer) {
        if (frame->conn == conn) {
            frame->generation = tlsb_fork_generation;
            conn->io_threads++;
        }
    }
    /* A number the parent kept for its threads: none of them is here. */
    if (conn->orphan_fd >= 0 && conn->io_threads == 0) {
        close(conn->orphan_fd);
        conn->orphan_fd = -1;
    }
}

static void
tlsb_io_enter(tlsb_Connection *conn, tlsb_io_frame *frame)
{
    tlsb_io_fork_check(conn);
    frame->conn = conn;
    frame->switched = NULL;
    frame->generation = tlsb_fork_generation;
    frame->outer = tlsb_io_frames;
    tlsb_io_frames = frame;
    conn->io_threads++;
}

static void
tlsb_io_leave(tlsb_io_frame *frame)
{
    tlsb_Connection *conn = frame->conn;

    tlsb_io_frames = frame->outer;
    tlsb_io_fork_check(conn);
    /* A frame from before a fork was not counted in the fresh count. */
    if (frame->generation != tlsb_fork_generation)
        return;
    if (--conn->io_threads == 0 && conn->orphan_fd >= 0) {
        close(conn->orphan_fd);
        conn->orphan_fd = -1;
    }
}

/* How many of conn's I/O loops the current thread is inside. */
static int
tlsb_io_own_frames(tlsb_Connection *conn)
{
    tlsb_io_frame *frame;
    int count = 0;

    for (frame = tlsb_io_frames; frame != NULL; frame = frame->outer)
        count += frame->conn == conn && frame->generation == tlsb_fork_generation;
    return count;
}

static PyObject *
tlsb_raise_interrupted(void)
{
    return tlsb_raise_errno(EBADF);
}

/* Keeps the socket's fd number for the threads still inside the loop: a
 * dead descriptor replaces the socket under the same number, the Python
 * socket forgets the number, and the last thread out closes it.  0 on
 * success, -1 (no exception) if the number could not be taken. */
static int
tlsb_connection_keep_fd(tlsb_Connection *self, tlsb_socket_io *io)
{
    PyObject *raw = tlsb_raw_socket(io->sock);
    int pair[2];

    if (raw == NULL)
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) < 0) {
        Py_DECREF(raw);
        return -1;
    }
    close(pair[1]);
    if (dup2(pair[0], io->fd) < 0) {
        close(pair[0]);
        Py_DECREF(raw);
        return -1;
    }
    close(pair[0]);
    /* dup2() clears close-on-exec; 3.x sockets have it. */
    fcntl(io->fd, F_SETFD, FD_CLOEXEC);
    ((tlsb_socket_head *)raw)->sock_fd = -1;
    Py_DECREF(raw);
    self->orphan_fd = io->fd;
    return 0;
}

/* _interrupt_io() -> None: before the socket is closed, wakes the other
 * threads in this connection's I/O; if any thread is still inside, the
 * socket's fd is kept for it (see above) and the socket's close() finds
 * it gone. */
static PyObject *
tlsb_Connection_interrupt_io(tlsb_Connection *self, PyObject *unused)
{
    tlsb_socket_io io;
    double deadline;
    int own;

    if (self->ssl == NULL || self->socket == NULL)
        Py_RETURN_NONE;
    tlsb_io_fork_check(self);
    self->io_interrupted = 1;
    if (self->io_threads == 0)
        Py_RETURN_NONE;
    own = tlsb_io_own_frames(self);
    if (tlsb_socket_io_begin(self, &io) < 0) {
        /* Already closed: nothing left to wake. */
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    /* Wakes recv()/send()/poll() in the other threads; errors (the peer
     * already gone: ENOTCONN) change nothing.  Never on a socket shared
     * with the parent process. */
    if (self->io_threads > own && !self->io_inherited)
        shutdown(io.fd, SHUT_RDWR);
    if (tlsb_connection_keep_fd(self, &io) == 0) {
        Py_DECREF(io.sock);
        Py_RETURN_NONE;
    }
    Py_DECREF(io.sock);
    deadline = tlsb_monotonic() + TLSB_INTERRUPT_WAIT_SECONDS;
    while (self->io_threads > own && tlsb_monotonic() < deadline) {
        PyThreadState *thread_state = PyEval_SaveThread();
        poll(NULL, 0, 1);
        PyEval_RestoreThread(thread_state);
    }
    Py_RETURN_NONE;
}

/* ---- the I/O loop ------------------------------------------------------ */

/* Makes fd non-blocking for one call: 1 if it is non-blocking now (with
 * *saved the flags to restore, or -1 if it already was), 0 if not. */
static int
tlsb_fd_nonblocking_for_call(int fd, int *saved)
{
    int flags = fcntl(fd, F_GETFL);

    *saved = -1;
    if (flags < 0)
        return 0;
    if (flags & O_NONBLOCK)
        return 1;
    if (fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return 0;
    *saved = flags;
    return 1;
}

/* An upper bound of the plaintext a read can return without more input:
 * decrypted bytes waiting plus the ciphertext in a memory BIO (plaintext
 * is never longer).  SIZE_MAX where that cannot be known: sockets, or a
 * partial record OpenSSL already holds. */
static size_t
tlsb_connection_readable(tlsb_Connection *conn)
{
    BIO *rbio = SSL_get_rbio(conn->ssl);
    size_t pending = (size_t)SSL_pending(conn->ssl);

    if (conn->socket != NULL || rbio == NULL ||
        (pending == 0 && SSL_has_pending(conn->ssl)))
        return SIZE_MAX;
    return pending + BIO_ctrl_pending(rbio);
}

/* Runs one OpenSSL operation to completion as the socket's timeout allows.
 * Returns 1 on success (*done = bytes moved), 0 when OpenSSL failed
 * (status says how; the caller turns it into an exception), -1 when a
 * Python exception is already set (callback, timeout, signal). */
static int
tlsb_connection_run(tlsb_Connection *conn, tlsb_op op, void *buf, size_t len,
                    size_t *done, tlsb_io_status *status)
{
    tlsb_socket_io io;
    tlsb_io_frame frame;
    tlsb_Context *settings, *switched;
    tlsb_gil_release gil_release;
    int ret, shutdown_zeros = 0, result;
    int in_handshake, never_blocks, saved_flags = -1;
    int release_gil, gated;
    unsigned long gate_generation;
    size_t moved = 0;

    /* A callback (SNI, PSK, _msg_callback) calling back into its own
     * connection's handshake, read, write or shutdown would re-enter
     * OpenSSL's state machine mid-step (a double free in OpenSSL 3.0; the
     * stdlib crashes there).  Refused as io refuses a reentrant call.  Per
     * thread: another thread's call on the connection is not re-entry. */
    if (tlsb_io_own_frames(conn) > 0) {
        PyErr_SetString(PyExc_RuntimeError,
                        "reentrant call: a callback of this TLS connection "
                        "cannot run its handshake, read, write or shutdown");
        return -1;
    }
    /* Interrupted by SSLSocket.close() before this call came in (its
     * caller took the connection just before): it ends as the calls that
     * close() woke, not with "socket has been closed". */
    if (conn->io_interrupted && conn->socket != NULL) {
        tlsb_raise_interrupted();
        return -1;
    }
    if (tlsb_socket_io_begin(conn, &io) < 0)
        return -1;
    tlsb_io_enter(conn, &frame);
    release_gil = io.sock != NULL || op == TLSB_OP_HANDSHAKE ||
                  len >= TLSB_RELEASE_GIL_BYTES ||
                  (op == TLSB_OP_READ && SSL_get_rbio(conn->ssl) != NULL &&
                   BIO_ctrl_pending(SSL_get_rbio(conn->ssl)) >= TLSB_RELEASE_GIL_CIPHERTEXT);
    /* Handshake steps hold the context's settings (settingslock.c), never
     * while blocked on a peer: a blocking socket's handshake waits in our
     * poll() (the fd non-blocking for the call) instead of in recv(). */
    in_handshake = op == TLSB_OP_HANDSHAKE || SSL_in_init(conn->ssl);
    never_blocks = io.sock == NULL || io.timeout >= 0;
    if ((in_handshake && !never_blocks) ||
        (io.sock != NULL && conn->green_wait != NULL))
        never_blocks = tlsb_fd_nonblocking_for_call(io.fd, &saved_flags);
    for (;;) {
        if (conn->io_interrupted && io.sock != NULL) {
            tlsb_raise_interrupted();
            result = -1;
            break;
        }
        /* SNI may switch conn->context meanwhile, hence the reference. */
        settings = NULL;
        if (never_blocks && (op == TLSB_OP_HANDSHAKE || SSL_in_init(conn->ssl)))
            settings = (tlsb_Context *)Py_NewRef((PyObject *)conn->context);
        tlsb_gil_begin_openssl_call(&gil_release, release_gil);
        if (settings != NULL)
            tlsb_settings_acquire(settings, 0, !release_gil);
        /* fork() waits for OpenSSL calls without the GIL (fork.c). */
        gated = release_gil && never_blocks && settings == NULL;
        gate_generation = tlsb_fork_generation;
        if (gated)
            tlsb_fork_gate_enter(0);
        /* The queue is empty by our own rule (errors.c clears it whenever
         * it raises); peeking (~150 instructions) instead of clearing
         * (~800) keeps SSL_get_error() right if foreign code left it dirty. */
        if (ERR_peek_error() != 0)
            ERR_clear_error();
        errno = 0;
        switch (op) {
        case TLSB_OP_HANDSHAKE:
            ret = SSL_do_handshake(conn->ssl);
            break;
        case TLSB_OP_READ:
            ret = SSL_read_ex(conn->ssl, buf, len, &moved);
            break;
        case TLSB_OP_WRITE:
            ret = SSL_write_ex(conn->ssl, buf, len, &moved);
            break;
        default:
            ret = SSL_shutdown(conn->ssl);
        }
        tlsb_capture_io_status(conn->ssl, ret, status);
        if (gated && gate_generation == tlsb_fork_generation)
            tlsb_fork_gate_leave();
        /* Holds are released innermost first: a switch came later. */
        switched = frame.switched;
        frame.switched = NULL;
        if (switched != NULL)
            tlsb_settings_release(switched);
        if (settings != NULL)
            tlsb_settings_release(settings);
        tlsb_gil_end_openssl_call(&gil_release);
        Py_XDECREF(settings);
        Py_XDECREF(switched);

        if (tlsb_pending_exc_raise(&conn->callback_exc)) {
            result = -1;
            break;
        }
        if (ret > 0) {
            *done = moved;
            result = 1;
            break;
        }
        if (conn->io_interrupted && io.sock != NULL) {
            tlsb_raise_interrupted();
            result = -1;
            break;
        }
        if (op == TLSB_OP_SHUTDOWN && ret == 0) {
            /* close_notify sent; the second call reads the peer's. */
            if (++shutdown_zeros > 1) {
                *done = 0;
                result = 1;
                break;
            }
            continue;
        }
        if (io.sock == NULL) {
            result = 0;
            break;
        }
        if (status->ssl_error == SSL_ERROR_WANT_READ ||
            status->ssl_error == SSL_ERROR_WANT_WRITE) {
            int want_write = status->ssl_error == SSL_ERROR_WANT_WRITE, ready;

            if (PyErr_CheckSignals() < 0) {
                result = -1;
                break;
            }
            if (io.timeout == 0) {
                result = 0;
                break;
            }
            if (conn->green_wait != NULL)
                ready = tlsb_socket_wait_green(conn, &io, &frame, want_write);
            else
                ready = tlsb_socket_wait(&io, want_write);
            if (ready < 0) {
                result = -1;
                break;
            }
            if (ready == 0) {
                tlsb_raise_timeout(op, want_write);
                result = -1;
                break;
            }
            continue;
        }
        if (status->ssl_error == SSL_ERROR_SYSCALL &&
            status->sys_errno == EINTR && ERR_peek_error() == 0) {
            if (PyErr_CheckSignals() < 0) {
                result = -1;
                break;
            }
            continue;
        }
        result = 0;
        break;
    }
    if (result < 0)
        ERR_clear_error();
    if (saved_flags >= 0)
        fcntl(io.fd, F_SETFL, saved_flags);
    tlsb_io_leave(&frame);
    Py_XDECREF(io.sock);
    return result;
}

/* ---- set-up ------------------------------------------------------------ */

/* server_hostname: SNI (names only, never IP addresses) and, with
 * verify_hostname, the name or address OpenSSL verifies in the handshake. */
static int
tlsb_connection_set_hostname(tlsb_Connection *self, PyObject *hostname,
                             int verify_hostname)
{
    PyObject *ascii;
    const char *name;
    ASN1_OCTET_STRING *ip;

#ifdef TLSB_PY3
    if (!PyUnicode_Check(hostname)) {
        PyErr_Format(PyExc_TypeError, "server_hostname must be str, not %.100s",
                     Py_TYPE(hostname)->tp_name);
        return -1;
    }
    ascii = PyUnicode_AsASCIIString(hostname);
#else
    if (PyUnicode_Check(hostname))
        ascii = PyUnicode_AsASCIIString(hostname);
    else if (PyString_Check(hostname))
        ascii = Py_NewRef(hostname);
    else {
        PyErr_Format(PyExc_TypeError, "server_hostname must be str, not %.100s",
                     Py_TYPE(hostname)->tp_name);
        return -1;
    }
#endif
    if (ascii == NULL)
        return -1;
    name = PyBytes_AS_STRING(ascii);
    if ((Py_ssize_t)strlen(name) != PyBytes_GET_SIZE(ascii)) {
        /* The TypeError and words of the stdlib's argument parser ("es"). */
        Py_DECREF(ascii);
        PyErr_Format(PyExc_TypeError,
                     "argument must be encoded string without null bytes, not %.50s",
                     Py_TYPE(hostname)->tp_name);
        return -1;
    }
    if (name[0] == '\0' || name[0] == '.') {
        Py_DECREF(ascii);
        PyErr_SetString(PyExc_ValueError,
                        "server_hostname cannot be an empty string or start "
                        "with a leading dot.");
        return -1;
    }
    ip = a2i_IPADDRESS(name);
    ERR_clear_error();
    if (ip == NULL && !SSL_set_tlsext_host_name(self->ssl, name)) {
        Py_DECREF(ascii);
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    if (verify_hostname) {
        X509_VERIFY_PARAM *param = SSL_get0_param(self->ssl);
        int ok = ip ? X509_VERIFY_PARAM_set1_ip(param, ASN1_STRING_get0_data(ip),
                                                (size_t)ASN1_STRING_length(ip))
                    : X509_VERIFY_PARAM_set1_host(param, name, 0);
        if (!ok) {
            ASN1_OCTET_STRING_free(ip);
            Py_DECREF(ascii);
            tlsb_raise_from_queue(NULL);
            return -1;
        }
    }
    ASN1_OCTET_STRING_free(ip);
#ifdef TLSB_PY3
    self->server_hostname = PyUnicode_DecodeASCII(name, PyBytes_GET_SIZE(ascii), NULL);
    Py_DECREF(ascii);
#else
    self->server_hostname = ascii;
#endif
    return self->server_hostname ? 0 : -1;
}

static int tlsb_connection_set_session(tlsb_Connection *self, PyObject *value);

/* Common set-up of a connection: SSL object, role, hostname, session.
 * `target` is an allocated, not yet set-up _Connection (or subclass). */
static int
tlsb_connection_setup(tlsb_Connection *self, tlsb_Context *ctx, int server_side,
                      PyObject *hostname, PyObject *owner, PyObject *session,
                      PyObject *verify_hostname_obj)
{
    /* verify_hostname: default check_hostname; the Python layer passes
     * False where the host's own match_hostname() checks names instead. */
    int verify_hostname = ctx->check_hostname;

    if (verify_hostname_obj != Py_None) {
        verify_hostname = PyObject_IsTrue(verify_hostname_obj);
        if (verify_hostname < 0)
            return -1;
    }
    if (self->ssl != NULL) {
        PyErr_SetString(PyExc_ValueError, "this TLS object is already set up");
        return -1;
    }
    if (server_side && hostname != Py_None) {
        PyErr_SetString(PyExc_ValueError,
                        "server_hostname can only be specified in client mode");
        return -1;
    }
    self->io_generation = tlsb_fork_generation;
    self->orphan_fd = -1;
    tlsb_settings_acquire(ctx, 0, 1);
    self->ssl = SSL_new(ctx->ctx);
    tlsb_settings_release(ctx);
    if (self->ssl == NULL) {
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    SSL_set_ex_data(self->ssl, tlsb_state.ssl_ex_index, self);
    self->context = (tlsb_Context *)Py_NewRef((PyObject *)ctx);
    self->session_context = (tlsb_Context *)Py_NewRef((PyObject *)ctx);
    self->server_side = server_side;
    self->server_hostname = NULL;
    if (owner != Py_None) {
        self->owner = PyWeakref_NewRef(owner, NULL);
        if (self->owner == NULL)
            return -1;
    }
    if (ctx->post_handshake_auth) {
        if (server_side) {
            int mode = SSL_get_verify_mode(self->ssl);
            if (mode & SSL_VERIFY_PEER)
                SSL_set_verify(self->ssl, mode | SSL_VERIFY_POST_HANDSHAKE, NULL);
        } else {
            SSL_set_post_handshake_auth(self->ssl, 1);
        }
    }
    if (server_side)
        SSL_set_accept_state(self->ssl);
    else
        SSL_set_connect_state(self->ssl);
    if (hostname != Py_None) {
        if (tlsb_connection_set_hostname(self, hostname, verify_hostname) < 0)
            return -1;
    } else {
        self->server_hostname = Py_NewRef(Py_None);
    }
    if (session != Py_None && tlsb_connection_set_session(self, session) < 0)
        return -1;
    return 0;
}

/* A new (or the given, not yet set-up) connection object. */
static tlsb_Connection *
tlsb_connection_target(PyObject *target)
{
    if (target == NULL || target == Py_None)
        return (tlsb_Connection *)tlsb_Connection_Type.tp_alloc(&tlsb_Connection_Type, 0);
    if (!PyObject_TypeCheck(target, &tlsb_Connection_Type)) {
        PyErr_Format(PyExc_TypeError, "target must be an SSLObject, not %.100s",
                     Py_TYPE(target)->tp_name);
        return NULL;
    }
    return (tlsb_Connection *)Py_NewRef(target);
}

/* _SSLContext._wrap_bio(incoming, outgoing, server_side, server_hostname=None,
 *                       *, owner=None, session=None, target=None,
 *                       verify_hostname=None)
 * -> the connection (target, if given: an SSLObject made by __new__) */
static PyObject *
tlsb_Context_wrap_bio(tlsb_Context *ctx, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"incoming", "outgoing", "server_side",
                             "server_hostname", "owner", "session", "target",
                             "verify_hostname", NULL};
    PyObject *incoming, *outgoing, *server_side_obj;
    PyObject *hostname = Py_None, *owner = Py_None, *session = Py_None;
    PyObject *target = Py_None, *verify_hostname = Py_None;
    tlsb_Connection *self;
    int server_side;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O!O!O|OOOOO:_wrap_bio", kwlist,
                                     &tlsb_MemoryBIO_Type, &incoming,
                                     &tlsb_MemoryBIO_Type, &outgoing,
                                     &server_side_obj, &hostname, &owner,
                                     &session, &target, &verify_hostname))
        return NULL;
    server_side = PyObject_IsTrue(server_side_obj);
    if (server_side < 0)
        return NULL;
    self = tlsb_connection_target(target);
    if (self == NULL)
        return NULL;
    if (tlsb_connection_setup(self, ctx, server_side, hostname, owner, session,
                              verify_hostname) < 0)
        goto error;
    self->incoming = (tlsb_MemoryBIO *)Py_NewRef(incoming);
    self->outgoing = (tlsb_MemoryBIO *)Py_NewRef(outgoing);
    /* The SSL holds its own references to both BIOs: one reference when
     * they are the same BIO, which SSL_set_bio then owns once. */
    BIO_up_ref(self->incoming->bio);
    if (self->outgoing->bio != self->incoming->bio)
        BIO_up_ref(self->outgoing->bio);
    SSL_set_bio(self->ssl, self->incoming->bio, self->outgoing->bio);
    return (PyObject *)self;
error:
    Py_DECREF(self);
    return NULL;
}

/* _SSLContext._wrap_socket(sock, server_side, server_hostname=None, *,
 *                         owner=None, session=None, verify_hostname=None,
 *                         ssl_sock=None)
 * -> connection
 * sock: anything with fileno() and gettimeout() (socket.socket, or 2.7's
 * _socket.socket); held by weak reference.  ssl_sock is 2.7 _ssl's name
 * for owner (gevent's 2.7 SSLSocket passes it). */
static PyObject *
tlsb_Context_wrap_socket(tlsb_Context *ctx, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"sock", "server_side", "server_hostname", "owner",
                             "session", "verify_hostname", "ssl_sock", NULL};
    PyObject *sock, *server_side_obj, *hostname = Py_None, *owner = Py_None;
    PyObject *session = Py_None, *fd_obj, *verify_hostname = Py_None;
    PyObject *ssl_sock = Py_None;
    tlsb_Connection *self;
    BIO *bio;
    int server_side;
    long fd;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|OOOOO:_wrap_socket", kwlist,
                                     &sock, &server_side_obj, &hostname, &owner,
                                     &session, &verify_hostname, &ssl_sock))
        return NULL;
    if (ssl_sock != Py_None) {
        if (owner != Py_None) {
            PyErr_SetString(PyExc_TypeError,
                            "_wrap_socket() takes owner or ssl_sock, not both");
            return NULL;
        }
        owner = ssl_sock;
    }
    server_side = PyObject_IsTrue(server_side_obj);
    if (server_side < 0)
        return NULL;
    fd_obj = PyObject_CallMethod(sock, "fileno", NULL);
    if (fd_obj == NULL)
        return NULL;
    fd = tlsb_long_from_int(fd_obj);
    Py_DECREF(fd_obj);
    if (fd == -1 && PyErr_Occurred())
        return NULL;
    if (fd < 0)
        return tlsb_raise_message(tlsb_interp()->SSLError, TLSB_ERROR_NO_SOCKET,
                                  "Underlying socket has been closed.");
    self = tlsb_connection_target(NULL);
    if (self == NULL)
        return NULL;
    if (tlsb_connection_setup(self, ctx, server_side, hostname, owner, session,
                              verify_hostname) < 0)
        goto error;
    self->socket = PyWeakref_NewRef(sock, NULL);
    if (self->socket == NULL)
        goto error;
    bio = BIO_new_socket((int)fd, BIO_NOCLOSE);
    if (bio == NULL) {
        tlsb_raise_from_queue(NULL);
        goto error;
    }
    SSL_set_bio(self->ssl, bio, bio);
    return (PyObject *)self;
error:
    Py_DECREF(self);
    return NULL;
}

/* ---- lifetime ---------------------------------------------------------- */

static PyObject *
tlsb_Connection_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    /* Not set up until _SSLContext._wrap_bio(target=...) does it. */
    return type->tp_alloc(type, 0);
}

static int
tlsb_Connection_traverse(tlsb_Connection *self, visitproc visit, void *arg)
{
    Py_VISIT(self->context);
    Py_VISIT(self->session_context);
    Py_VISIT(self->incoming);
    Py_VISIT(self->outgoing);
    Py_VISIT(self->green_wait);
    Py_VISIT(self->callback_exc.type);
    Py_VISIT(self->callback_exc.value);
    Py_VISIT(self->callback_exc.traceback);
    return 0;
}

static int
tlsb_Connection_clear(tlsb_Connection *self)
{
    tlsb_pending_exc_clear(&self->callback_exc);
    Py_CLEAR(self->green_wait);
    return 0;
}

static void
tlsb_Connection_dealloc(tlsb_Connection *self)
{
    PyObject_GC_UnTrack(self);
    if (self->weakreflist != NULL)
        PyObject_ClearWeakRefs((PyObject *)self);
    if (self->ssl != NULL) {
        SSL_set_ex_data(self->ssl, tlsb_state.ssl_ex_index, NULL);
        /* A connection dropped without close_notify would make SSL_free
         * take its session out of the cache and mark it not resumable;
         * closing a socket is not a reason to forbid resumption (fatal
         * errors already did that when they happened). */
        SSL_set_shutdown(self->ssl, SSL_get_shutdown(self->ssl) | SSL_SENT_SHUTDOWN);
        SSL_free(self->ssl);
        /* Unreachable while a thread is inside (it holds a reference),
         * but a child may inherit a parent's kept number. */
        if (self->orphan_fd >= 0)
            close(self->orphan_fd);
    }
    tlsb_pending_exc_clear(&self->callback_exc);
    Py_CLEAR(self->context);
    Py_CLEAR(self->session_context);
    Py_CLEAR(self->incoming);
    Py_CLEAR(self->outgoing);
    Py_CLEAR(self->socket);
    Py_CLEAR(self->owner);
    Py_CLEAR(self->green_wait);
    Py_CLEAR(self->server_hostname);
    Py_CLEAR(self->psk_identity);
    Py_CLEAR(self->callback_cause);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- I/O methods ------------------------------------------------------- */

static PyObject *
tlsb_connection_fail(tlsb_Connection *self, int run_result,
                     const tlsb_io_status *status)
{
    if (run_result >= 0)
        tlsb_raise_io_error(self, status);
    tlsb_attach_callback_cause(self);
    return NULL;
}

/* do_handshake() */
static PyObject *
tlsb_Connection_do_handshake(tlsb_Connection *self, PyObject *unused)
{
    tlsb_io_status status;
    size_t done;
    int result;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    result = tlsb_connection_run(self, TLSB_OP_HANDSHAKE, NULL, 0, &done, &status);
    if (result != 1)
        return tlsb_connection_fail(self, result, &status);
    Py_RETURN_NONE;
}

/* read(len=1024, buffer=None) -> bytes, or the count read into buffer.
 * b'' (or 0) once the peer has sent close_notify. */
static PyObject *
tlsb_Connection_read(tlsb_Connection *self, PyObject *args)
{
    Py_ssize_t len = 1024;
    PyObject *buffer_obj = Py_None, *result = NULL;
    Py_buffer view;
    char *dest, nothing[1];
    tlsb_io_status status;
    size_t done = 0, readable;
    int run;

    /* read(n), the hot form, without the format parser (~400 instructions). */
    if (PyTuple_GET_SIZE(args) == 1 && tlsb_is_int(PyTuple_GET_ITEM(args, 0))) {
        len = PyNumber_AsSsize_t(PyTuple_GET_ITEM(args, 0), PyExc_OverflowError);
        if (len == -1 && PyErr_Occurred())
            return NULL;
    } else if (!PyArg_ParseTuple(args, "|nO:read", &len, &buffer_obj)) {
        return NULL;
    }
    if (tlsb_connection_check(self) < 0)
        return NULL;
    /* A memory-BIO read gets no more than has arrived: no full-size buffer
     * for a small record (then shrunk), the GIL kept for a small one (the
     * I/O loop decides by len), and no buffer at all when nothing has
     * arrived: OpenSSL still runs, to report WANT_READ, close_notify or an
     * error, into a one-byte buffer. */
    readable = tlsb_connection_readable(self);
    if (buffer_obj != Py_None) {
        if (tlsb_get_writable_buffer(buffer_obj, &view) < 0)
            return NULL;
        if (len <= 0 || len > view.len)
            len = view.len;
        if ((size_t)len > readable && readable > 0)
            len = (Py_ssize_t)readable;
        dest = view.buf;
    } else {
        if (len < 0) {
            PyErr_SetString(PyExc_ValueError, "size should not be negative");
            return NULL;
        }
        if (readable == 0 && len > 0) {
            run = tlsb_connection_run(self, TLSB_OP_READ, nothing, 1, &done, &status);
            if (run == 1 && done == 1)
                return PyBytes_FromStringAndSize(nothing, 1);
            if (run == 0 && status.ssl_error == SSL_ERROR_ZERO_RETURN &&
                SSL_get_shutdown(self->ssl) == SSL_RECEIVED_SHUTDOWN) {
                ERR_clear_error();
                return PyBytes_FromStringAndSize(NULL, 0);
            }
            return tlsb_connection_fail(self, run, &status);
        }
        if ((size_t)len > readable)
            len = (Py_ssize_t)readable;
        result = PyBytes_FromStringAndSize(NULL, len);
        if (result == NULL)
            return NULL;
        dest = PyBytes_AS_STRING(result);
    }
    if (len == 0) {
        run = 1;
    } else {
        run = tlsb_connection_run(self, TLSB_OP_READ, dest, (size_t)len, &done,
                                  &status);
        if (run == 0 && status.ssl_error == SSL_ERROR_ZERO_RETURN &&
            SSL_get_shutdown(self->ssl) == SSL_RECEIVED_SHUTDOWN) {
            ERR_clear_error();
            done = 0;
            run = 1;
        }
    }
    if (buffer_obj != Py_None) {
        PyBuffer_Release(&view);
        if (run != 1)
            return tlsb_connection_fail(self, run, &status);
        return PyLong_FromSize_t(done);
    }
    if (run != 1) {
        Py_DECREF(result);
        return tlsb_connection_fail(self, run, &status);
    }
    if ((Py_ssize_t)done != len && _PyBytes_Resize(&result, (Py_ssize_t)done) < 0)
        return NULL;
    return result;
}

/* write(data, /) -> number of bytes written (all of them) */
/* The module attribute _empty_write_raises, set by monkeypatch_ssl() on
 * hosts before 3.10, whose write(b'') raised SSLEOFError (OpenSSL's
 * SSL_write of 0 bytes); 3.10+ returns 0.  Looked up only for b''. */
static int
tlsb_empty_write_raises(void)
{
    PyObject *module = tlsb_interp_module();
    PyObject *flag;
    int result;

    if (module == NULL)
        return 0;
    flag = PyObject_GetAttrString(module, "_empty_write_raises");
    if (flag == NULL) {
        PyErr_Clear();
        return 0;
    }
    result = PyObject_IsTrue(flag);
    Py_DECREF(flag);
    if (result < 0)
        PyErr_Clear();
    return result > 0;
}

static PyObject *
tlsb_Connection_write(tlsb_Connection *self, PyObject *data)
{
    Py_buffer view;
    tlsb_io_status status;
    size_t done = 0;
    int run;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (tlsb_get_bytes_buffer(data, &view) < 0)
        return NULL;
    if (view.len > INT_MAX) {
        PyBuffer_Release(&view);
        return PyErr_Format(PyExc_OverflowError, "string longer than %d bytes",
                            INT_MAX);
    }
    if (view.len == 0 && tlsb_empty_write_raises()) {
        PyBuffer_Release(&view);
        return tlsb_raise_message(tlsb_interp()->SSLEOFError, TLSB_ERROR_EOF,
                                  "EOF occurred in violation of protocol");
    }
    run = tlsb_connection_run(self, TLSB_OP_WRITE, view.buf, (size_t)view.len,
                              &done, &status);
    PyBuffer_Release(&view);
    if (run != 1)
        return tlsb_connection_fail(self, run, &status);
    return PyLong_FromSize_t(done);
}

/* unwrap() -> the socket (socket connections) or None: sends close_notify
 * and waits for the peer's. */
static PyObject *
tlsb_Connection_unwrap(tlsb_Connection *self, PyObject *unused)
{
    tlsb_io_status status;
    size_t done;
    int run;
    PyObject *sock = NULL;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    run = tlsb_connection_run(self, TLSB_OP_SHUTDOWN, NULL, 0, &done, &status);
    if (run != 1)
        return tlsb_connection_fail(self, run, &status);
    if (self->socket != NULL && PyWeakref_GetRef(self->socket, &sock) < 0)
        return NULL;
    return sock ? sock : Py_NewRef(Py_None);
}

/* pending() -> decrypted bytes ready to read without I/O */
static PyObject *
tlsb_Connection_pending(tlsb_Connection *self, PyObject *unused)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
    return tlsb_int_from_long(SSL_pending(self->ssl));
}

/* ---- what the handshake established ------------------------------------ */

/* getpeercert(binary_form=False) */
static PyObject *
tlsb_Connection_getpeercert(tlsb_Connection *self, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"binary_form", NULL};
    PyObject *binary_obj = Py_False, *result;
    X509 *peer;
    int binary;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|O:getpeercert", kwlist,
                                     &binary_obj))
        return NULL;
    if (tlsb_connection_check(self) < 0)
        return NULL;
    binary = PyObject_IsTrue(binary_obj);
    if (binary < 0)
        return NULL;
    if (!SSL_is_init_finished(self->ssl)) {
        PyErr_SetString(PyExc_ValueError, "handshake not done yet");
        return NULL;
    }
    peer = SSL_get1_peer_certificate(self->ssl);
    if (peer == NULL)
        Py_RETURN_NONE;
    if (binary)
        result = tlsb_certificate_to_der(peer);
    else if (!(SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(self->ssl)) & SSL_VERIFY_PEER))
        result = PyDict_New();   /* unverified: the stdlib shows nothing */
    else
        result = tlsb_decode_certificate(peer);
    X509_free(peer);
    return result;
}

/* A chain as a list of Certificate objects (the Python layer gives DER
 * bytes, 3.13's public form). */
static PyObject *
tlsb_chain_to_list(STACK_OF(X509) *chain)
{
    PyObject *result = PyList_New(0);
    int i;

    for (i = 0; result != NULL && chain != NULL && i < sk_X509_num(chain); i++) {
        PyObject *der = tlsb_certificate_wrap(sk_X509_value(chain, i));
        if (der == NULL || PyList_Append(result, der) < 0)
            Py_CLEAR(result);
        Py_XDECREF(der);
    }
    return result;
}

/* get_verified_chain() -> [Certificate], leaf first, up to the trust anchor */
static PyObject *
tlsb_Connection_get_verified_chain(tlsb_Connection *self, PyObject *unused)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
    return tlsb_chain_to_list(SSL_get0_verified_chain(self->ssl));
}

/* get_unverified_chain() -> [Certificate] as the peer sent them, leaf first
 * (a server's SSL_get_peer_cert_chain lacks the leaf; it is added). */
static PyObject *
tlsb_Connection_get_unverified_chain(tlsb_Connection *self, PyObject *unused)
{
    STACK_OF(X509) *chain;
    PyObject *result;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    chain = SSL_get_peer_cert_chain(self->ssl);
    result = tlsb_chain_to_list(chain);
    if (result != NULL && self->server_side && chain != NULL) {
        X509 *leaf = SSL_get1_peer_certificate(self->ssl);
        if (leaf != NULL) {
            PyObject *der = tlsb_certificate_wrap(leaf);
            X509_free(leaf);
            if (der == NULL || PyList_Insert(result, 0, der) < 0)
                Py_CLEAR(result);
            Py_XDECREF(der);
        }
    }
    return result;
}

/* cipher() -> (name, protocol, secret_bits) or None */
static PyObject *
tlsb_Connection_cipher(tlsb_Connection *self, PyObject *unused)
{
    const SSL_CIPHER *cipher;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    cipher = SSL_get_current_cipher(self->ssl);
    if (cipher == NULL)
        Py_RETURN_NONE;
    return Py_BuildValue("(ssi)",
                         SSL_CIPHER_get_name(cipher),
                         SSL_CIPHER_get_version(cipher),
                         SSL_CIPHER_get_bits(cipher, NULL));
}

/* shared_ciphers() -> [(name, protocol, bits)] offered by the client and
 * enabled here; None on the client side or before the handshake */
static PyObject *
tlsb_Connection_shared_ciphers(tlsb_Connection *self, PyObject *unused)
{
    STACK_OF(SSL_CIPHER) *server, *client;
    PyObject *result;
    int i;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    server = SSL_get_ciphers(self->ssl);
    client = SSL_get_client_ciphers(self->ssl);
    if (server == NULL || client == NULL)
        Py_RETURN_NONE;
    result = PyList_New(0);
    for (i = 0; result != NULL && i < sk_SSL_CIPHER_num(server); i++) {
        const SSL_CIPHER *cipher = sk_SSL_CIPHER_value(server, i);
        PyObject *item;
        if (sk_SSL_CIPHER_find(client, cipher) < 0)
            continue;
        item = Py_BuildValue("(ssi)", SSL_CIPHER_get_name(cipher),
                             SSL_CIPHER_get_version(cipher),
                             SSL_CIPHER_get_bits(cipher, NULL));
        if (item == NULL || PyList_Append(result, item) < 0)
            Py_CLEAR(result);
        Py_XDECREF(item);
    }
    return result;
}

/* version() -> 'TLSv1.3' etc., None before the handshake */
static PyObject *
tlsb_Connection_version(tlsb_Connection *self, PyObject *unused)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (!SSL_is_init_finished(self->ssl))
        Py_RETURN_NONE;
    return NativeStr_FromString(SSL_get_version(self->ssl));
}

/* compression() -> None: OpenSSL 1.1+ builds have no TLS compression */
static PyObject *
tlsb_Connection_compression(tlsb_Connection *self, PyObject *unused)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
#ifndef OPENSSL_NO_COMP
    {
        const COMP_METHOD *method = SSL_get_current_compression(self->ssl);
        const char *name = method ? SSL_COMP_get_name(method) : NULL;
        if (name != NULL)
            return NativeStr_FromString(name);
    }
#endif
    Py_RETURN_NONE;
}

/* selected_alpn_protocol() -> str or None */
static PyObject *
tlsb_Connection_selected_alpn_protocol(tlsb_Connection *self, PyObject *unused)
{
    const unsigned char *proto;
    unsigned int len;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    SSL_get0_alpn_selected(self->ssl, &proto, &len);
    if (proto == NULL || len == 0)
        Py_RETURN_NONE;
    return NativeStr_FromStringAndSize((const char *)proto, (Py_ssize_t)len);
}

/* get_channel_binding(cb_type='tls-unique') -> bytes or None */
static PyObject *
tlsb_Connection_get_channel_binding(tlsb_Connection *self, PyObject *args,
                                    PyObject *kwargs)
{
    static char *kwlist[] = {"cb_type", NULL};
    const char *cb_type = "tls-unique";
    unsigned char finished[EVP_MAX_MD_SIZE];
    size_t len;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "|s:get_channel_binding", kwlist,
                                     &cb_type))
        return NULL;
    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (strcmp(cb_type, "tls-unique") != 0)
        return PyErr_Format(PyExc_ValueError,
                            "'%s' channel binding type not implemented", cb_type);
    /* tls-unique is the first Finished message of the connection: ours
     * for a full handshake as client, the peer's otherwise. */
    if (SSL_session_reused(self->ssl) ^ !self->server_side)
        len = SSL_get_finished(self->ssl, finished, sizeof(finished));
    else
        len = SSL_get_peer_finished(self->ssl, finished, sizeof(finished));
    if (len == 0)
        Py_RETURN_NONE;
    return PyBytes_FromStringAndSize((const char *)finished, (Py_ssize_t)len);
}

/* verify_client_post_handshake(): a server asks for the client's
 * certificate now (TLS 1.3); the request goes out with the next write. */
static PyObject *
tlsb_Connection_verify_client_post_handshake(tlsb_Connection *self, PyObject *unused)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (!SSL_verify_client_post_handshake(self->ssl))
        return tlsb_raise_from_queue(NULL);
    Py_RETURN_NONE;
}

/* export_keying_material(label, length, context=None) -> bytes
 * (RFC 5705 / RFC 8446 section 7.5; pyOpenSSL's Connection has it) */
static PyObject *
tlsb_Connection_export_keying_material(tlsb_Connection *self, PyObject *args,
                                       PyObject *kwargs)
{
    static char *kwlist[] = {"label", "length", "context", NULL};
    PyObject *label_obj, *context_obj = Py_None, *result;
    Py_buffer label, context;
    Py_ssize_t length;
    int ok;

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "On|O:export_keying_material",
                                     kwlist, &label_obj, &length, &context_obj))
        return NULL;
    if (tlsb_connection_check(self) < 0)
        return NULL;
    if (length < 0)
        return PyErr_Format(PyExc_ValueError, "length must be non-negative");
    if (!SSL_is_init_finished(self->ssl))
        return PyErr_Format(PyExc_ValueError, "handshake not done yet");
    if (PyUnicode_Check(label_obj)) {
        PyObject *ascii = PyUnicode_AsASCIIString(label_obj);
        if (ascii == NULL)
            return NULL;
        ok = tlsb_get_bytes_buffer(ascii, &label);
        Py_DECREF(ascii);     /* the view holds its own reference */
    } else {
        ok = tlsb_get_bytes_buffer(label_obj, &label);
    }
    if (ok < 0)
        return NULL;
    if (context_obj != Py_None && tlsb_get_bytes_buffer(context_obj, &context) < 0) {
        PyBuffer_Release(&label);
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, length);
    if (result != NULL) {
        ok = SSL_export_keying_material(
            self->ssl, (unsigned char *)PyBytes_AS_STRING(result), (size_t)length,
            label.buf, (size_t)label.len,
            context_obj != Py_None ? context.buf : NULL,
            context_obj != Py_None ? (size_t)context.len : 0,
            context_obj != Py_None);
        if (ok != 1)
            Py_SETREF(result, tlsb_raise_from_queue(NULL));
    }
    PyBuffer_Release(&label);
    if (context_obj != Py_None)
        PyBuffer_Release(&context);
    return result;
}

/* ---- attributes -------------------------------------------------------- */

static PyObject *
tlsb_Connection_get_server_side(tlsb_Connection *self, void *closure)
{
    return PyBool_FromLong(self->server_side);
}

static PyObject *
tlsb_Connection_get_server_hostname(tlsb_Connection *self, void *closure)
{
    return Py_NewRef(self->server_hostname ? self->server_hostname : Py_None);
}

/* context: the SSLContext; an SNI callback may switch it */
static PyObject *
tlsb_Connection_get_context(tlsb_Connection *self, void *closure)
{
    return Py_NewRef(self->context ? (PyObject *)self->context : Py_None);
}

static void tlsb_msg_callback(int write_p, int version, int content_type,
                              const void *buf, size_t len, SSL *ssl, void *arg);

static int
tlsb_Connection_set_context(tlsb_Connection *self, PyObject *value, void *closure)
{
    tlsb_Context *ctx;
    tlsb_io_frame *frame;
    int ok;

    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete context");
        return -1;
    }
    if (tlsb_connection_check(self) < 0)
        return -1;
    ctx = tlsb_context_check(value);
    if (ctx == NULL)
        return -1;
    /* Inside this connection's own OpenSSL call (an SNI callback), the
     * rest of the handshake step reads the new context's settings: it is
     * held shared until the call returns (tlsb_connection_run), in place
     * of an earlier switch in the same call (the innermost hold: holds in
     * between are released before the callback returns). */
    for (frame = tlsb_io_frames; frame != NULL; frame = frame->outer)
        if (frame->conn == self)
            break;
    if (frame != NULL && frame->switched != NULL) {
        tlsb_settings_release(frame->switched);
        Py_CLEAR(frame->switched);
    }
    /* Copies the new context's chain and key (settingslock.c). */
    tlsb_settings_acquire(ctx, 0, 1);
    ok = SSL_set_SSL_CTX(self->ssl, ctx->ctx) != NULL;
    if (ok && frame != NULL)
        frame->switched = (tlsb_Context *)Py_NewRef((PyObject *)ctx);
    else
        tlsb_settings_release(ctx);
    if (!ok) {
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    /* SSL_new copied the first context's message callback into the SSL;
     * the new context's _msg_callback decides from now on (as in 3.13). */
    SSL_set_msg_callback(self->ssl, ctx->msg_callback ? tlsb_msg_callback : NULL);
    Py_SETREF(self->context, (tlsb_Context *)Py_NewRef(value));
    return 0;
}

/* owner: the SSLSocket/SSLObject callbacks receive */
static PyObject *
tlsb_Connection_get_owner(tlsb_Connection *self, void *closure)
{
    return tlsb_connection_owner(self);
}

static int
tlsb_Connection_set_owner(tlsb_Connection *self, PyObject *value, void *closure)
{
    PyObject *ref = NULL;

    if (value != NULL && value != Py_None) {
        ref = PyWeakref_NewRef(value, NULL);
        if (ref == NULL)
            return -1;
    }
    Py_XSETREF(self->owner, ref);
    return 0;
}

/* session: SSLSession of this connection (get), one to resume (set) */
static PyObject *
tlsb_Connection_get_session(tlsb_Connection *self, void *closure)
{
    SSL_SESSION *session;

    if (tlsb_connection_check(self) < 0)
        return NULL;
    session = SSL_get1_session(self->ssl);
    if (session == NULL)
        Py_RETURN_NONE;
    return tlsb_session_wrap(session, self->context);
}

static int
tlsb_connection_set_session(tlsb_Connection *self, PyObject *value)
{
    SSL_SESSION *session = tlsb_session_get(value);

    if (session == NULL)
        return -1;
    if (tlsb_session_context(value)->ctx != self->context->ctx) {
        PyErr_SetString(PyExc_ValueError, "Session refers to a different SSLContext.");
        return -1;
    }
    if (self->server_side) {
        PyErr_SetString(PyExc_ValueError,
                        "Cannot set session for server-side SSLSocket.");
        return -1;
    }
    if (SSL_is_init_finished(self->ssl)) {
        PyErr_SetString(PyExc_ValueError, "Cannot set session after handshake.");
        return -1;
    }
    if (!SSL_set_session(self->ssl, session)) {
        tlsb_raise_from_queue(NULL);
        return -1;
    }
    return 0;
}

static int
tlsb_Connection_set_session(tlsb_Connection *self, PyObject *value, void *closure)
{
    if (value == NULL) {
        PyErr_SetString(PyExc_AttributeError, "cannot delete session");
        return -1;
    }
    if (tlsb_connection_check(self) < 0)
        return -1;
    return tlsb_connection_set_session(self, value);
}

/* session_reused: was this connection resumed from a session? */
static PyObject *
tlsb_Connection_get_session_reused(tlsb_Connection *self, void *closure)
{
    if (tlsb_connection_check(self) < 0)
        return NULL;
    return PyBool_FromLong(SSL_session_reused(self->ssl));
}

#ifdef TLSB_CONNECTION_27_NAMES
static PyObject *
tlsb_Connection_selected_npn_protocol(tlsb_Connection *self, PyObject *unused)
{
    Py_RETURN_NONE;
}

/* shutdown() -> the socket: unwrap(), except that a peer that closes the
 * transport after our close_notify ends the shutdown instead of raising
 * SSLEOFError.  2.7's _ssl never reported that EOF under OpenSSL 3 (it
 * raised an SSLError that callers ignore), and gevent's 2.7 SSLSocket turns
 * SSLEOFError into '' and then fails wrapping '' as a socket. */
static PyObject *
tlsb_Connection_shutdown27(tlsb_Connection *self, PyObject *unused)
{
    PyObject *sock = tlsb_Connection_unwrap(self, NULL);

    if (sock == NULL && self->ssl != NULL &&
        (SSL_get_shutdown(self->ssl) & SSL_SENT_SHUTDOWN) &&
        PyErr_ExceptionMatches(tlsb_interp()->SSLEOFError)) {
        PyErr_Clear();
        if (self->socket != NULL && PyWeakref_GetRef(self->socket, &sock) < 0)
            return NULL;
        return sock ? sock : Py_NewRef(Py_None);
    }
    return sock;
}
#endif

static PyMethodDef tlsb_Connection_methods[] = {
    TLSB_REFUSE_PICKLE
    {"do_handshake", (PyCFunction)tlsb_Connection_do_handshake, METH_NOARGS,
     "do_handshake()\n--\n\nStart or continue the TLS handshake."},
    {"read", (PyCFunction)tlsb_Connection_read, METH_VARARGS,
     "read(len=1024, buffer=None)\n--\n\nRead up to len bytes; into buffer if given."},
    {"write", (PyCFunction)tlsb_Connection_write, METH_O,
     "write(data, /)\n--\n\nWrite data; returns the number of bytes written."},
    {"unwrap", (PyCFunction)tlsb_Connection_unwrap, METH_NOARGS,
     "unwrap()\n--\n\nSend close_notify and wait for the peer's; returns the socket, if any."},
    {"_interrupt_io", (PyCFunction)tlsb_Connection_interrupt_io, METH_NOARGS,
     "_interrupt_io()\n--\n\nWake other threads blocked in this connection's socket I/O "
     "(they raise OSError(EBADF)) and wait for them; SSLSocket.close() calls it."},
    {"pending", (PyCFunction)tlsb_Connection_pending, METH_NOARGS,
     "pending()\n--\n\nNumber of decrypted bytes available without I/O."},
    {"getpeercert", (PyCFunction)(void (*)(void))tlsb_Connection_getpeercert,
     METH_VARARGS | METH_KEYWORDS,
     "getpeercert(binary_form=False)\n--\n\nThe peer's certificate."},
    {"get_verified_chain", (PyCFunction)tlsb_Connection_get_verified_chain,
     METH_NOARGS, "get_verified_chain()\n--\n\nThe verified chain as DER bytes."},
    {"get_unverified_chain", (PyCFunction)tlsb_Connection_get_unverified_chain,
     METH_NOARGS, "get_unverified_chain()\n--\n\nThe chain the peer sent, as DER bytes."},
    {"cipher", (PyCFunction)tlsb_Connection_cipher, METH_NOARGS,
     "cipher()\n--\n\n(name, protocol, secret bits) of the cipher in use."},
    {"shared_ciphers", (PyCFunction)tlsb_Connection_shared_ciphers, METH_NOARGS,
     "shared_ciphers()\n--\n\nCiphers both ends support (server side)."},
    {"version", (PyCFunction)tlsb_Connection_version, METH_NOARGS,
     "version()\n--\n\nThe negotiated protocol version, e.g. 'TLSv1.3'."},
    {"compression", (PyCFunction)tlsb_Connection_compression, METH_NOARGS,
     "compression()\n--\n\nThe compression algorithm in use, or None."},
    {"selected_alpn_protocol", (PyCFunction)tlsb_Connection_selected_alpn_protocol,
     METH_NOARGS, "selected_alpn_protocol()\n--\n\nThe ALPN protocol agreed on."},
    {"get_channel_binding",
     (PyCFunction)(void (*)(void))tlsb_Connection_get_channel_binding,
     METH_VARARGS | METH_KEYWORDS,
     "get_channel_binding(cb_type='tls-unique')\n--\n\nChannel binding data."},
    {"verify_client_post_handshake",
     (PyCFunction)tlsb_Connection_verify_client_post_handshake, METH_NOARGS,
     "verify_client_post_handshake()\n--\n\nAsk the client for a certificate now (TLS 1.3 servers)."},
    {"export_keying_material",
     (PyCFunction)(void (*)(void))tlsb_Connection_export_keying_material,
     METH_VARARGS | METH_KEYWORDS,
     "export_keying_material(label, length, context=None)\n--\n\nKeying material exported from the TLS session (RFC 5705, RFC 8446)."},
    {"group", (PyCFunction)tlsb_Connection_group, METH_NOARGS,
     "group()\n--\n\nThe key-exchange group of this connection."},
    {"client_sigalg", (PyCFunction)tlsb_Connection_client_sigalg, METH_NOARGS,
     "client_sigalg()\n--\n\nThe signature algorithm of the client's authentication."},
    {"server_sigalg", (PyCFunction)tlsb_Connection_server_sigalg, METH_NOARGS,
     "server_sigalg()\n--\n\nThe signature algorithm the server signed the handshake with."},
#ifdef TLSB_CONNECTION_27_NAMES
    {"peer_certificate", (PyCFunction)(void (*)(void))tlsb_Connection_getpeercert,
     METH_VARARGS | METH_KEYWORDS,
     "peer_certificate(binary_form=False)\n--\n\n2.7's name for getpeercert()."},
    {"shutdown", (PyCFunction)tlsb_Connection_shutdown27, METH_NOARGS,
     "shutdown()\n--\n\n2.7's unwrap(): a peer closing after our close_notify ends it."},
    {"tls_unique_cb", (PyCFunction)(void (*)(void))tlsb_Connection_get_channel_binding,
     METH_VARARGS | METH_KEYWORDS,
     "tls_unique_cb()\n--\n\n2.7's get_channel_binding('tls-unique')."},
    {"selected_npn_protocol", (PyCFunction)tlsb_Connection_selected_npn_protocol,
     METH_NOARGS, "selected_npn_protocol()\n--\n\nAlways None: NPN is not supported."},
#endif
    {NULL, NULL}
};

static PyGetSetDef tlsb_Connection_getset[] = {
    {"server_side", (getter)tlsb_Connection_get_server_side, NULL,
     "Whether this is the server side of the connection.", NULL},
    {"server_hostname", (getter)tlsb_Connection_get_server_hostname, NULL,
     "The server name the client asked for (IDNA A-label), or None.", NULL},
    {"context", (getter)tlsb_Connection_get_context,
     (setter)tlsb_Connection_set_context,
     "The SSLContext of the connection.", NULL},
    {"owner", (getter)tlsb_Connection_get_owner, (setter)tlsb_Connection_set_owner,
     "The object callbacks receive as the connection (the SSLSocket "
     "or SSLObject).", NULL},
    {"session", (getter)tlsb_Connection_get_session,
     (setter)tlsb_Connection_set_session, "The SSLSession to resume (client, before the handshake) or "
     "the one in use.", NULL},
    {"session_reused", (getter)tlsb_Connection_get_session_reused, NULL,
     "Whether the handshake resumed an earlier session.", NULL},
    {"_green_wait", (getter)tlsb_Connection_get_green_wait,
     (setter)tlsb_Connection_set_green_wait,
     "wait(want_write, timeout) -> bool for a green socket, or None.", NULL},
    {NULL}
};

static PyTypeObject tlsb_Connection_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_tls_bootstrap_core._Connection",
    .tp_basicsize = sizeof(tlsb_Connection),
    .tp_dealloc = (destructor)tlsb_Connection_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "One TLS connection, over memory BIOs or a socket.",
    .tp_traverse = (traverseproc)tlsb_Connection_traverse,
    .tp_clear = (inquiry)tlsb_Connection_clear,
    .tp_weaklistoffset = offsetof(tlsb_Connection, weakreflist),
    .tp_methods = tlsb_Connection_methods,
    .tp_getset = tlsb_Connection_getset,
    .tp_new = tlsb_Connection_new,
};
