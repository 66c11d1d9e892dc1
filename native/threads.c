/* A small persistent thread pool for the native kernels.
 *
 * Determinism is the callers' job, and the pool makes it easy: a parallel call is cut into a
 * number of parts fixed by the caller from the problem's shape alone (never from the thread
 * count), each part writes its own disjoint outputs, and which thread runs a part changes
 * nothing. So one thread and eight give the same bits.
 *
 * Idle workers sleep on a condition variable (no spinning: the machine may be shared), and the
 * pool starts its threads on the first call that needs them. The caller works on its own job
 * and waits only for parts a worker has claimed, never for a worker to wake up: on a loaded
 * machine a late worker finds the job done, and a job costs about what it costs on one thread. A call made while the pool is busy
 * (from a pool thread, or from another JS thread loading the addon) runs its parts serially. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include "kernels.h"

#define CN_MAX_THREADS 64

static struct {
  pthread_mutex_t mu;
  pthread_cond_t wake, done;
  int threads; /* in effect, >= 1 */
  int started; /* worker threads created (the caller is thread 0) */
  int busy;
  unsigned long generation;
  cn_part_fn fn;
  void *ctx;
  int parts, active;
  /* (job << 32) | the next unclaimed part: a worker that wakes after its job is over cannot
   * claim a part of the next one (it would run the old job's fn on the new job's part). */
  _Atomic uint64_t ticket;
  atomic_int finished; /* parts of the current job done */
  /* The generation each worker was created in: its first job is the next one (a worker may
   * only get the lock after the job that started it has been posted). */
  unsigned long born[CN_MAX_THREADS];
} pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .done = PTHREAD_COND_INITIALIZER};

static __thread int in_pool_thread;
static atomic_long jobs_dispatched; /* calls that woke workers (tests: the parallel path ran) */

long cn_pool_jobs(void) { return atomic_load(&jobs_dispatched); }

/* The CPUs this process may run on. */
static int available_cpus(void) {
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
#endif
  const long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (int)n : 1;
}

static int clamp_threads(long n) { return n < 1 ? 1 : n > CN_MAX_THREADS ? CN_MAX_THREADS : (int)n; }

int cn_default_threads(void) {
  const char *env = getenv("CONDENSE_THREADS");
  if (env && *env) {
    char *end;
    const long n = strtol(env, &end, 10);
    if (*end == '\0' && n >= 1) return clamp_threads(n);
  }
  return clamp_threads(available_cpus());
}

int cn_threads(void) {
  pthread_mutex_lock(&pool.mu);
  if (!pool.threads) pool.threads = cn_default_threads();
  const int n = pool.threads;
  pthread_mutex_unlock(&pool.mu);
  return n;
}

int cn_set_threads(int n) {
  pthread_mutex_lock(&pool.mu);
  pool.threads = n < 1 ? cn_default_threads() : clamp_threads(n);
  n = pool.threads;
  pthread_mutex_unlock(&pool.mu);
  return n;
}

/* Claims and runs parts of job `job` until none is left: a thread the scheduler delays takes
 * fewer parts instead of holding the others up. The last part done wakes the caller. */
static void run_parts(cn_part_fn fn, void *ctx, int parts, uint64_t job) {
  uint64_t t = atomic_load(&pool.ticket);
  for (;;) {
    if (t >> 32 != job || (int)(t & 0xffffffffu) >= parts) return;
    if (!atomic_compare_exchange_weak(&pool.ticket, &t, t + 1)) continue;
    fn(ctx, (int)(t & 0xffffffffu));
    if (atomic_fetch_add(&pool.finished, 1) + 1 == parts) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
    t = atomic_load(&pool.ticket);
  }
}

static void run_serially(cn_part_fn fn, void *ctx, int parts) {
  for (int p = 0; p < parts; p++) fn(ctx, p);
}

static void *worker(void *arg) {
  const int id = (int)(intptr_t)arg;
  in_pool_thread = 1;
  pthread_mutex_lock(&pool.mu);
  unsigned long seen = pool.born[id];
  for (;;) {
    while (pool.generation == seen) pthread_cond_wait(&pool.wake, &pool.mu);
    seen = pool.generation;
    if (id >= pool.active) continue;
    const cn_part_fn fn = pool.fn;
    void *ctx = pool.ctx;
    const int parts = pool.parts;
    const uint64_t job = (uint32_t)seen;
    pthread_mutex_unlock(&pool.mu);
    run_parts(fn, ctx, parts, job);
    pthread_mutex_lock(&pool.mu);
  }
  return NULL;
}

/* Creates workers up to `want` - 1 (under the lock); returns how many threads can take part. */
static int ensure_workers(int want) {
  while (pool.started < want - 1) {
    pthread_t t;
    pool.born[pool.started + 1] = pool.generation;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    const int rc = pthread_create(&t, &attr, worker, (void *)(intptr_t)(pool.started + 1));
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    pool.started++;
  }
  return pool.started + 1 < want ? pool.started + 1 : want;
}

void cn_parallel(int parts, cn_part_fn fn, void *ctx) {
  if (parts <= 0) return;
  if (parts == 1 || in_pool_thread) { run_serially(fn, ctx, parts); return; }
  pthread_mutex_lock(&pool.mu);
  if (!pool.threads) pool.threads = cn_default_threads();
  const int want = pool.threads < parts ? pool.threads : parts;
  if (pool.busy || want < 2) {
    pthread_mutex_unlock(&pool.mu);
    run_serially(fn, ctx, parts);
    return;
  }
  const int active = ensure_workers(want);
  if (active < 2) {
    pthread_mutex_unlock(&pool.mu);
    run_serially(fn, ctx, parts);
    return;
  }
  pool.busy = 1;
  atomic_fetch_add(&jobs_dispatched, 1);
  pool.fn = fn;
  pool.ctx = ctx;
  pool.parts = parts;
  pool.active = active;
  pool.generation++;
  const uint64_t job = (uint32_t)pool.generation;
  atomic_store(&pool.finished, 0);
  atomic_store(&pool.ticket, job << 32);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  in_pool_thread = 1; /* nested parallel calls from our own parts run serially */
  run_parts(fn, ctx, parts, job);
  in_pool_thread = 0;
  pthread_mutex_lock(&pool.mu);
  while (atomic_load(&pool.finished) < parts) pthread_cond_wait(&pool.done, &pool.mu);
  pool.busy = 0;
  pthread_mutex_unlock(&pool.mu);
}

/* [begin, end) of part `part` of `parts` over n items, in multiples of `align` (but the last). */
void cn_part_range(int64_t n, int parts, int part, int64_t align, int64_t *begin, int64_t *end) {
  const int64_t units = (n + align - 1) / align;
  const int64_t lo = units * part / parts, hi = units * (part + 1) / parts;
  *begin = lo * align < n ? lo * align : n;
  *end = hi * align < n ? hi * align : n;
}

int cn_parts_for(double work, int max_parts) {
  if (work < CN_PARALLEL_MIN_WORK) return 1;
  const double n = work / CN_PARALLEL_MIN_PART;
  int parts = 1;
  /* powers of two: 2, 4 or 8 parts split evenly over 2 or 4 threads */
  while (parts * 2 <= max_parts && parts * 2 <= n) parts *= 2;
  return parts;
}

typedef struct {
  cn_range_fn fn;
  void *ctx;
  int64_t n;
  int parts;
} range_job_t;

static void range_part(void *ctx, int part) {
  const range_job_t *j = ctx;
  int64_t lo, hi;
  cn_part_range(j->n, j->parts, part, 1, &lo, &hi);
  if (hi > lo) j->fn(j->ctx, lo, hi);
}

int cn_range_parts(int64_t n, double work) {
  return cn_parts_for(work, n < 8 ? (int)n : 8);
}

void cn_parallel_range(int64_t n, double work, cn_range_fn fn, void *ctx) {
  if (n <= 0) return;
  range_job_t job = {fn, ctx, n, cn_range_parts(n, work)};
  if (job.parts == 1) fn(ctx, 0, n);
  else cn_parallel(job.parts, range_part, &job);
}
