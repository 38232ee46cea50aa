/* Token buckets for the gateway's throttling (gateway, stage, route and
 * API-key levels; the caller checks every level that applies and a request
 * passes only if all have a token: the strictest wins).
 *
 * A bucket refills continuously at `rate` tokens per second up to `burst`
 * and starts full. Each bucket has its own mutex: the loops of all threads
 * share it, and a critical section is a few arithmetic operations, so a
 * lock is cheaper and more accurate than a per-thread split of the rate.
 * Time is CLOCK_MONOTONIC in nanoseconds. An unset throttle (t->set false)
 * never limits. */
#include <math.h>
#include <time.h>

#include "gateway/gw_internal.h"

uint64_t gw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void gw_bucket_init(gw_bucket_t *b, const gw_throttle_t *t)
{
    pthread_mutex_init(&b->mu, NULL);
    b->rate = t && t->set ? t->rate : 0;
    b->burst = t && t->set ? t->burst : 0;
    b->tokens = b->burst;
    b->last_ns = gw_now_ns();
}

void gw_bucket_destroy(gw_bucket_t *b) { pthread_mutex_destroy(&b->mu); }

bool gw_bucket_take(gw_bucket_t *b, uint64_t now_ns, double *wait_s)
{
    if (b->rate <= 0) return true; /* unlimited (immutable after init) */
    pthread_mutex_lock(&b->mu);
    if (now_ns > b->last_ns) {
        b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * b->rate;
        if (b->tokens > b->burst) b->tokens = b->burst;
        b->last_ns = now_ns;
    }
    bool ok = b->tokens >= 1.0;
    if (ok)
        b->tokens -= 1.0;
    else if (wait_s)
        *wait_s = (1.0 - b->tokens) / b->rate;
    pthread_mutex_unlock(&b->mu);
    return ok;
}

void gw_bucket_refund(gw_bucket_t *b)
{
    if (b->rate <= 0) return;
    pthread_mutex_lock(&b->mu);
    b->tokens += 1.0;
    if (b->tokens > b->burst) b->tokens = b->burst;
    pthread_mutex_unlock(&b->mu);
}
