/* fork.c: what a forked child inherits from its parent's threads.
 *
 * fork() copies memory, not threads: a child sees the settings locks
 * (settingslock.c) and the counts of threads inside a connection's I/O
 * (tlsobject.c) as the parent's other threads left them, mid-handshake or
 * blocked in recv().  Those threads do not exist in the child, so their
 * holds would never be released (the child's setters blocked forever)
 * and close() would act for them (shutting the socket down under the
 * parent's own recv()).
 *
 * OpenSSL's own locks are inherited the same way, and those we cannot
 * reset: a child forked while another thread verified a certificate
 * blocked forever in its first load_verify_locations() (the X509_STORE
 * lock, held for reading by a thread the child lacks; 3.13's ssl hangs
 * so too, in that lock or the ex_data lock of BIO_new).  So fork() waits
 * at a gate: before it forks, no thread may start an OpenSSL call made
 * without the GIL that does not block on a peer (handshake steps and
 * setters, which hold a settings lock, and memory-BIO or non-blocking
 * reads and writes, which may take session tickets), and the ones under
 * way are waited for, at most TLSB_FORK_GATE_SECONDS (a callback may run
 * long; a fork is never refused).  Calls made with the GIL need no gate:
 * the forking thread holds it.  A blocking socket's read or write outside
 * the handshake is not gated (it may wait in recv() for ever); OpenSSL
 * takes no lock while it waits there.
 *
 * Rules of this file:
 * - The atfork child handler only increments tlsb_fork_generation and
 *   re-makes static locks by plain assignment: an atfork handler runs
 *   where only async-signal-safe work is safe, so it does no Python, no
 *   allocation and no locking.
 * - State that a child may inherit records the generation it belongs to;
 *   its users compare it on use and start afresh on a mismatch (the reset
 *   is the owner's: settingslock.c, tlsobject.c).
 * - The child handler is pthread_atfork's on every host: it also runs for
 *   a fork() that does not go through os.fork() (C extensions,
 *   _posixsubprocess with preexec_fn).  Registered once per process,
 *   never removed (extension modules are never unloaded).
 * - The gate closes in os.register_at_fork's before hook where the host
 *   has it (3.7+): there the GIL can be released to wait, before
 *   os.fork() takes the interpreter's locks (3.13 holds the thread-state
 *   lock in pthread's prepare handlers, which a thread starting up needs
 *   with the GIL).  On 2.7 and 3.6 (only the import lock is held) it
 *   closes in pthread's prepare handler, and only for a thread that holds
 *   the GIL.
 */

#define TLSB_FORK_GATE_SECONDS 2.0

/* Incremented in every child; 0 in the process that first imported us. */
static volatile unsigned long tlsb_fork_generation;

/* Serialises the resets of inherited state in a child whose threads meet
 * it at once; held only for those few lines. */
static pthread_mutex_t tlsb_fork_reset_mutex = PTHREAD_MUTEX_INITIALIZER;

/* The gate: threads inside (holding any settings lock), and whether a
 * fork waits.  gate_closer is the number of the closing thread's own
 * holds (a fork from inside a callback does not wait for itself). */
static pthread_mutex_t tlsb_fork_gate_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tlsb_fork_gate_changed = PTHREAD_COND_INITIALIZER;
static int tlsb_fork_gate_users;
static int tlsb_fork_gate_closed;
/* How deep the current thread is inside: only the outermost entry counts
 * (an inner one waiting while fork waits for this thread would deadlock). */
static TLSB_THREAD_LOCAL int tlsb_fork_gate_depth;

static void
tlsb_fork_gate_enter(int gil_held)
{
    PyThreadState *thread_state = NULL;

    if (tlsb_fork_gate_depth++ > 0)
        return;
    pthread_mutex_lock(&tlsb_fork_gate_mutex);
    if (tlsb_fork_gate_closed && gil_held) {
        pthread_mutex_unlock(&tlsb_fork_gate_mutex);
        thread_state = PyEval_SaveThread();
        pthread_mutex_lock(&tlsb_fork_gate_mutex);
    }
    while (tlsb_fork_gate_closed)
        pthread_cond_wait(&tlsb_fork_gate_changed, &tlsb_fork_gate_mutex);
    tlsb_fork_gate_users++;
    pthread_mutex_unlock(&tlsb_fork_gate_mutex);
    if (thread_state != NULL)
        PyEval_RestoreThread(thread_state);
}

static void
tlsb_fork_gate_leave(void)
{
    if (--tlsb_fork_gate_depth > 0)
        return;
    pthread_mutex_lock(&tlsb_fork_gate_mutex);
    if (--tlsb_fork_gate_users == 0 && tlsb_fork_gate_closed)
        pthread_cond_broadcast(&tlsb_fork_gate_changed);
    pthread_mutex_unlock(&tlsb_fork_gate_mutex);
}

/* Closes the gate and waits until no other thread is inside, or the bound
 * passes.  own: whether the current thread is inside itself (counted once,
 * whatever its nesting).  release_gil: wait with the GIL released; never
 * inside fork() itself (pthread's prepare handler), where another thread
 * taking the GIL could be inside malloc or another lock at the fork and
 * leave it locked in the child (seen with ASan's allocator: 2.7's
 * subprocess child never reached exec).  Threads inside the gate run
 * without the GIL, so they leave it either way; one that needs the GIL
 * first (a callback) holds the fork up to the bound. */
static void
tlsb_fork_gate_close(int own, int release_gil)
{
    PyThreadState *thread_state = release_gil ? PyEval_SaveThread() : NULL;
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)TLSB_FORK_GATE_SECONDS;
    pthread_mutex_lock(&tlsb_fork_gate_mutex);
    tlsb_fork_gate_closed = 1;
    while (tlsb_fork_gate_users > own) {
        if (pthread_cond_timedwait(&tlsb_fork_gate_changed, &tlsb_fork_gate_mutex,
                                   &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&tlsb_fork_gate_mutex);
    if (thread_state != NULL)
        PyEval_RestoreThread(thread_state);
}

static void
tlsb_fork_gate_open(void)
{
    pthread_mutex_lock(&tlsb_fork_gate_mutex);
    tlsb_fork_gate_closed = 0;
    pthread_cond_broadcast(&tlsb_fork_gate_changed);
    pthread_mutex_unlock(&tlsb_fork_gate_mutex);
}

#ifndef TLSB_HAS_REGISTER_AT_FORK
static TLSB_THREAD_LOCAL int tlsb_fork_gate_closed_here;

static void
tlsb_fork_prepare(void)
{
    tlsb_fork_gate_closed_here = tlsb_gil_held_here();
    if (tlsb_fork_gate_closed_here)
        tlsb_fork_gate_close(tlsb_fork_gate_depth > 0, 0);
}

static void
tlsb_fork_parent(void)
{
    if (tlsb_fork_gate_closed_here)
        tlsb_fork_gate_open();
}
#else
#  define tlsb_fork_prepare NULL
#  define tlsb_fork_parent NULL

/* _before_fork() and _after_fork_in_parent(): os.register_at_fork hooks. */
static PyObject *
tlsb_before_fork(PyObject *module, PyObject *unused)
{
    tlsb_fork_gate_close(tlsb_fork_gate_depth > 0, 1);
    Py_RETURN_NONE;
}

static PyObject *
tlsb_after_fork_in_parent(PyObject *module, PyObject *unused)
{
    tlsb_fork_gate_open();
    Py_RETURN_NONE;
}

static PyMethodDef tlsb_fork_hooks[] = {
    {"_before_fork", tlsb_before_fork, METH_NOARGS, NULL},
    {"_after_fork_in_parent", tlsb_after_fork_in_parent, METH_NOARGS, NULL},
    {NULL, NULL}
};

#endif

static void
tlsb_fork_child(void)
{
    static const pthread_mutex_t fresh_mutex = PTHREAD_MUTEX_INITIALIZER;
    static const pthread_cond_t fresh_cond = PTHREAD_COND_INITIALIZER;

    tlsb_fork_generation++;
    /* A thread of the parent may have held them at the fork. */
    tlsb_fork_reset_mutex = fresh_mutex;
    tlsb_fork_gate_mutex = fresh_mutex;
    tlsb_fork_gate_changed = fresh_cond;
    tlsb_fork_gate_users = 0;
    tlsb_fork_gate_closed = 0;
    /* The forking thread's own entries belong to the parent's gate; their
     * owners skip the leave (they compare generations). */
    tlsb_fork_gate_depth = 0;
}

static int
tlsb_fork_init(PyObject *module)
{
    static int registered;

    if (!registered) {
        if (pthread_atfork(tlsb_fork_prepare, tlsb_fork_parent, tlsb_fork_child) != 0) {
            PyErr_SetString(PyExc_ImportError, "pthread_atfork() failed");
            return -1;
        }
        registered = 1;
    }
#ifdef TLSB_HAS_REGISTER_AT_FORK
    {
        PyObject *before, *after, *kwargs, *result = NULL;
        PyObject *register_at_fork = tlsb_import_attr("os", "register_at_fork", 1);

        if (register_at_fork == NULL)
            return -1;
        before = PyCFunction_NewEx(&tlsb_fork_hooks[0], module, NULL);
        after = PyCFunction_NewEx(&tlsb_fork_hooks[1], module, NULL);
        kwargs = Py_BuildValue("{sOsO}", "before", before,
                               "after_in_parent", after);
        if (before != NULL && after != NULL && kwargs != NULL) {
            PyObject *no_args = PyTuple_New(0);
            if (no_args != NULL)
                result = PyObject_Call(register_at_fork, no_args, kwargs);
            Py_XDECREF(no_args);
        }
        Py_XDECREF(result);
        Py_XDECREF(kwargs);
        Py_XDECREF(before);
        Py_XDECREF(after);
        Py_DECREF(register_at_fork);
        if (result == NULL)
            return -1;
    }
#endif
    return 0;
}
