/* The kernels' allocator: malloc/calloc that refuse overflowing sizes, and a fault-injection
 * switch so that tests can drive every kernel's out-of-memory path. */
#include <stdint.h>
#include <stdlib.h>
#include "kernels.h"

static int64_t fail_countdown = 0;

void cn_fail_allocation(int64_t n) { fail_countdown = n > 0 ? n : 0; }

/* True when this allocation is the one cn_fail_allocation asked to fail. */
static int injected_failure(void) { return fail_countdown > 0 && --fail_countdown == 0; }

void *cn_alloc(size_t count, size_t size) {
  if (injected_failure()) return NULL;
  if (size != 0 && count > SIZE_MAX / size) return NULL;
  const size_t bytes = count * size;
  return malloc(bytes ? bytes : 1); /* malloc(0) may return NULL, which is not a failure */
}

void *cn_calloc(size_t count, size_t size) {
  if (injected_failure()) return NULL;
  return calloc(count ? count : 1, size ? size : 1);
}
