/* settingslock.c: a context's settings lock.
 *
 * OpenSSL's connections read their SSL_CTX's cipher lists, certificate
 * store lookups, groups and our ALPN list while they handshake (and
 * SSL_new() copies the chain, key and PSK hint), without a lock: a setter
 * replacing one of those on a context whose connections handshake in
 * other threads frees what they read (3.13's ssl crashes so;
 * test_concurrency.py).  So handshake steps and SSL_new() hold the
 * context shared, and every setter that replaces such a setting
 * (ciphers, suites, groups, sigalgs, DH parameters, ALPN, certificate
 * chains, verify locations, the PSK hint) holds it exclusively.
 *
 * Rules of this file:
 * - Never block with the GIL held: a holder may need it for a callback.
 * - A thread that already holds a context (a callback inside a handshake
 *   changing or wrapping on its own context) does not lock it again: the
 *   lock is not recursive, and waiting would deadlock.
 * - Setters are not starved by a stream of handshakes: a handshake step
 *   waits while a setter waits.  Except a nested one, taken by a thread
 *   that already holds another context (an SNI callback switching to
 *   ctx2 inside ctx1's handshake): it waits only for a setter holding
 *   the lock.  Were it to wait for waiting setters too, two contexts
 *   whose callbacks switch to each other while both have a setter
 *   waiting would deadlock, each handshake behind the other context's
 *   setter and each setter behind the other handshake (a pthread rwlock
 *   preferring writers does; test_concurrency.py).
 */

/* Contexts the current thread holds, innermost last; more nesting than
 * this is only counted (and not locked). */
#define TLSB_SETTINGS_NESTING 8

typedef struct {
    tlsb_Context *ctx;
    int locked;
} tlsb_settings_hold;

static TLSB_THREAD_LOCAL tlsb_settings_hold tlsb_settings_held[TLSB_SETTINGS_NESTING];
static TLSB_THREAD_LOCAL int tlsb_settings_depth;
static TLSB_THREAD_LOCAL int tlsb_settings_overflow;

/* Called once from tlsb_Context_new; a context whose lock could not be
 * made is used unlocked (as OpenSSL itself would be). */
static void
tlsb_settings_init(tlsb_Context *ctx)
{
    tlsb_settings_lock *lock = &ctx->settings_lock;

    lock->readers = lock->writer = lock->writers_waiting = 0;
    lock->ready = 0;
    if (pthread_mutex_init(&lock->mutex, NULL) != 0)
        return;
    if (pthread_cond_init(&lock->changed, NULL) != 0) {
        pthread_mutex_destroy(&lock->mutex);
        return;
    }
    lock->ready = 1;
}

static void
tlsb_settings_fini(tlsb_Context *ctx)
{
    tlsb_settings_lock *lock = &ctx->settings_lock;

    if (lock->ready) {
        pthread_cond_destroy(&lock->changed);
        pthread_mutex_destroy(&lock->mutex);
    }
    lock->ready = 0;
}

/* Whether the current thread may take the lock now (mutex held). */
static int
tlsb_settings_may_enter(const tlsb_settings_lock *lock, int exclusive, int nested)
{
    if (exclusive)
        return !lock->writer && lock->readers == 0;
    return !lock->writer && (nested || lock->writers_waiting == 0);
}

static void
tlsb_settings_acquire(tlsb_Context *ctx, int exclusive, int gil_held)
{
    tlsb_settings_lock *lock = &ctx->settings_lock;
    int i, same = 0, nested = tlsb_settings_depth > 0;

    if (tlsb_settings_depth == TLSB_SETTINGS_NESTING) {
        tlsb_settings_overflow++;
        return;
    }
    for (i = 0; i < tlsb_settings_depth; i++)
        same |= tlsb_settings_held[i].ctx == ctx;
    tlsb_settings_held[tlsb_settings_depth].ctx = ctx;
    tlsb_settings_held[tlsb_settings_depth].locked = !same && lock->ready;
    if (!tlsb_settings_held[tlsb_settings_depth++].locked)
        return;

    /* The mutex is only ever held for these few lines, never while
     * waiting for the GIL, so taking it with the GIL held is safe. */
    pthread_mutex_lock(&lock->mutex);
    if (!tlsb_settings_may_enter(lock, exclusive, nested)) {
        PyThreadState *thread_state = NULL;

        if (gil_held) {
            pthread_mutex_unlock(&lock->mutex);
            thread_state = PyEval_SaveThread();
            pthread_mutex_lock(&lock->mutex);
        }
        lock->writers_waiting += exclusive;
        while (!tlsb_settings_may_enter(lock, exclusive, nested))
            pthread_cond_wait(&lock->changed, &lock->mutex);
        lock->writers_waiting -= exclusive;
        if (exclusive)
            lock->writer = 1;
        else
            lock->readers++;
        pthread_mutex_unlock(&lock->mutex);
        if (thread_state != NULL)
            PyEval_RestoreThread(thread_state);
        return;
    }
    if (exclusive)
        lock->writer = 1;
    else
        lock->readers++;
    pthread_mutex_unlock(&lock->mutex);
}

/* Releases the innermost hold of the current thread (on ctx). */
static void
tlsb_settings_release(tlsb_Context *ctx)
{
    tlsb_settings_lock *lock = &ctx->settings_lock;
    tlsb_settings_hold *hold;

    if (tlsb_settings_overflow > 0) {
        tlsb_settings_overflow--;
        return;
    }
    hold = &tlsb_settings_held[--tlsb_settings_depth];
    assert(hold->ctx == ctx);
    if (!hold->locked)
        return;
    pthread_mutex_lock(&lock->mutex);
    if (lock->writer)
        lock->writer = 0;
    else
        lock->readers--;
    /* Only the last holder out lets anyone waiting in. */
    if (lock->readers == 0)
        pthread_cond_broadcast(&lock->changed);
    pthread_mutex_unlock(&lock->mutex);
}
