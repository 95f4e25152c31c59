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
 *   wrapping or handshaking on its own context) does not lock it again:
 *   the lock is not recursive, and waiting would deadlock.
 * - A setter called from a callback (load_cert_chain() in an SNI
 *   callback) takes its context exclusively like any other: unlocked it
 *   would free what other threads' handshakes read (a double free in
 *   EVP_PKEY_free under load; 3.13 crashes so).  To take it, the thread
 *   first lets go of every context it holds shared (its own handshake is
 *   paused in the callback and reads nothing meanwhile), and takes them
 *   back, as a nested holder, once the setter is done.  So a thread that
 *   waits to hold a context exclusively holds nothing shared, and two
 *   callbacks calling setters on each other's (or their own) context
 *   cannot deadlock.  Exclusive holds are kept (a password callback
 *   inside load_cert_chain() is mid-setter).
 * - Setters are not starved by a stream of handshakes: a handshake step
 *   waits while a setter waits.  Except a nested one, taken by a thread
 *   that already holds another context (an SNI callback switching to
 *   ctx2 inside ctx1's handshake): it waits only for a setter holding
 *   the lock.  Were it to wait for waiting setters too, two contexts
 *   whose callbacks switch to each other while both have a setter
 *   waiting would deadlock, each handshake behind the other context's
 *   setter and each setter behind the other handshake (a pthread rwlock
 *   preferring writers does; test_concurrency.py).
 * - fork (fork.c): a child inherits the counts of the parent's holders,
 *   and maybe the mutex locked.  A lock records its fork generation; the
 *   first user in a child re-makes mutex and condition and zeroes the
 *   counts (under tlsb_fork_reset_mutex), and holds taken before the fork
 *   are not released into the fresh lock.  Every hold is also inside
 *   fork.c's gate, so fork() waits for them.  A child forked inside a
 *   callback thus runs the rest of that handshake step unlocked, as if
 *   alone (which it is, until it starts threads).
 */

/* Contexts the current thread holds, innermost last; more nesting than
 * this is only counted (and not locked). */
#define TLSB_SETTINGS_NESTING 8

typedef struct {
    tlsb_Context *ctx;
    int locked;                /* this hold took the lock */
    int exclusive;
    int gil_held;              /* as acquired, hence as released */
    int suspended_outer;       /* released the outer shared holds */
    unsigned long generation;  /* fork generation it was taken in */
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
    lock->generation = tlsb_fork_generation;
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

    /* Inherited and never used here: the mutex may be locked by a thread
     * of the parent, and destroying a locked mutex is undefined. */
    if (lock->ready && lock->generation == tlsb_fork_generation) {
        pthread_cond_destroy(&lock->changed);
        pthread_mutex_destroy(&lock->mutex);
    }
    lock->ready = 0;
}

/* In a forked child, the first use of a lock made before the fork starts
 * it afresh: its holders were the parent's threads. */
static void
tlsb_settings_fork_check(tlsb_settings_lock *lock)
{
    unsigned long now = tlsb_fork_generation;

    if (__atomic_load_n(&lock->generation, __ATOMIC_ACQUIRE) == now)
        return;
    pthread_mutex_lock(&tlsb_fork_reset_mutex);
    if (lock->generation != now) {
        /* Not destroyed first: a parent's thread may have held them. */
        pthread_mutex_init(&lock->mutex, NULL);
        pthread_cond_init(&lock->changed, NULL);
        lock->readers = lock->writer = lock->writers_waiting = 0;
        __atomic_store_n(&lock->generation, now, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&tlsb_fork_reset_mutex);
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
tlsb_settings_enter(tlsb_settings_lock *lock, int exclusive, int nested, int gil_held)
{
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

static void
tlsb_settings_leave(tlsb_settings_lock *lock)
{
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

/* The current thread's shared holds below the innermost one, taken in
 * this process: released before a setter from a callback waits, taken
 * back (nested, outermost first) after it. */
static int
tlsb_settings_is_outer_shared(const tlsb_settings_hold *hold)
{
    return hold->locked && !hold->exclusive &&
           hold->generation == tlsb_fork_generation;
}

static void
tlsb_settings_acquire(tlsb_Context *ctx, int exclusive, int gil_held)
{
    tlsb_settings_lock *lock = &ctx->settings_lock;
    tlsb_settings_hold *hold;
    int i, outer, shared_outer = 0;

    if (tlsb_settings_depth == TLSB_SETTINGS_NESTING) {
        tlsb_settings_overflow++;
        return;
    }
    outer = tlsb_settings_depth;
    hold = &tlsb_settings_held[tlsb_settings_depth++];
    hold->ctx = ctx;
    hold->locked = 0;
    hold->exclusive = exclusive;
    hold->gil_held = gil_held;
    hold->suspended_outer = 0;
    hold->generation = tlsb_fork_generation;
    /* A hold keeps fork() waiting (fork.c). */
    tlsb_fork_gate_enter(gil_held);
    if (!lock->ready)
        return;
    tlsb_settings_fork_check(lock);
    for (i = 0; i < outer; i++) {
        tlsb_settings_hold *other = &tlsb_settings_held[i];

        if (other->ctx == ctx && other->locked &&
            other->generation == hold->generation &&
            (!exclusive || other->exclusive))
            return;        /* already held, as strongly as needed */
        shared_outer |= tlsb_settings_is_outer_shared(other);
    }
    if (exclusive && shared_outer) {
        for (i = 0; i < outer; i++)
            if (tlsb_settings_is_outer_shared(&tlsb_settings_held[i]))
                tlsb_settings_leave(&tlsb_settings_held[i].ctx->settings_lock);
        hold->suspended_outer = 1;
    }
    tlsb_settings_enter(lock, exclusive, !exclusive && outer > 0, gil_held);
    hold->locked = 1;
}

/* Releases the innermost hold of the current thread (on ctx). */
static void
tlsb_settings_release(tlsb_Context *ctx)
{
    tlsb_settings_hold *hold;
    int i;

    if (tlsb_settings_overflow > 0) {
        tlsb_settings_overflow--;
        return;
    }
    hold = &tlsb_settings_held[--tlsb_settings_depth];
    assert(hold->ctx == ctx);
    /* Taken before a fork: the lock and the gate were started afresh. */
    if (hold->generation != tlsb_fork_generation)
        return;
    if (hold->locked)
        tlsb_settings_leave(&ctx->settings_lock);
    if (hold->suspended_outer) {
        for (i = 0; i < tlsb_settings_depth; i++)
            if (tlsb_settings_is_outer_shared(&tlsb_settings_held[i]))
                tlsb_settings_enter(&tlsb_settings_held[i].ctx->settings_lock,
                                    0, 1, hold->gil_held);
    }
    tlsb_fork_gate_leave();
}
