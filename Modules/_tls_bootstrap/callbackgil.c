/* callbackgil.c: which thread state a callback from OpenSSL runs Python in.
 *
 * OpenSSL calls us back (SNI, _msg_callback, PSK, a key's password, the
 * pyOpenSSL layer's hooks) in the middle of a call that we usually make
 * with the GIL released.  The callback has to run in the interpreter that
 * made the call.  PyGILState_Ensure() cannot tell which one that is: it
 * takes the thread's first thread state, which in a legacy subinterpreter
 * (mod_wsgi's default; 2.7 to 3.11) belongs to the main interpreter, so
 * the callback would import, print and raise in the wrong interpreter.
 *
 * Rules of this file:
 * - An OpenSSL call that may call back is bracketed by
 *   tlsb_gil_begin_openssl_call() and tlsb_gil_end_openssl_call(); begin
 *   releases the GIL or not, and notes for the current thread which
 *   thread state it released (or that the GIL stays held).
 * - A callback takes the GIL with tlsb_callback_gil_take(): with the noted
 *   thread state when there is one, not at all when the GIL is noted as
 *   held, and through PyGILState otherwise (a call we did not make).
 * - Notes nest: a callback may run I/O on another connection, whose call
 *   notes its own state and puts the outer note back when it ends.
 * - Per thread (thread-local), so other threads and a forked child (whose
 *   only thread is the forking one, outside any call) need nothing.
 *
 * Ownership: the note points at the calling thread's own thread state,
 * borrowed; it is set only while that thread is inside the call (which
 * keeps the thread state alive) and put back by end().
 */

/* No thread state is needed: the GIL is held (a call made with it). */
#define TLSB_GIL_HELD ((PyThreadState *)1)

/* The current thread's note: NULL (no call of ours), TLSB_GIL_HELD, or the
 * thread state released for the OpenSSL call under way. */
static TLSB_THREAD_LOCAL PyThreadState *tlsb_gil_note;

/* release_gil: whether the call runs without the GIL. */
static void
tlsb_gil_begin_openssl_call(tlsb_gil_release *release, int release_gil)
{
    release->outer = tlsb_gil_note;
    release->state = release_gil ? PyEval_SaveThread() : NULL;
    tlsb_gil_note = release_gil ? release->state : TLSB_GIL_HELD;
}

static void
tlsb_gil_end_openssl_call(tlsb_gil_release *release)
{
    if (release->state != NULL)
        PyEval_RestoreThread(release->state);
    tlsb_gil_note = release->outer;
}

static void
tlsb_callback_gil_take(tlsb_callback_gil *gil)
{
    PyThreadState *noted = tlsb_gil_note;

    gil->noted = noted;
    if (noted == NULL) {
        gil->gilstate = PyGILState_Ensure();
        return;
    }
    if (noted != TLSB_GIL_HELD) {
        /* Taken: the callback's own calls see the GIL held. */
        tlsb_gil_note = TLSB_GIL_HELD;
        PyEval_RestoreThread(noted);
    }
}

static void
tlsb_callback_gil_give(tlsb_callback_gil *gil)
{
    PyThreadState *noted = gil->noted;

    if (noted == NULL) {
        PyGILState_Release(gil->gilstate);
        return;
    }
    if (noted != TLSB_GIL_HELD) {
        (void)PyEval_SaveThread();
        tlsb_gil_note = noted;
    }
}
