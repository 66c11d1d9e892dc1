/* The C heap's tuning for training: every kernel output is a fresh multi-megabyte ArrayBuffer
 * (node allocates it with malloc/calloc, V8 frees it when collected). glibc serves blocks above
 * its mmap threshold with a fresh mmap, and trims freed memory off the heap's top, so each
 * output's pages fault in again, zeroed by the kernel: ~5,000 faults and ~9 ms of system time
 * per MobileNet-style step (bench/profile-step.mjs --model mobilenet), against ~45 ms of kernels.
 * Keeping blocks up to 32 MiB on the heap and up to 256 MiB of free memory untrimmed lets freed
 * outputs be reused (~500 faults, ~1.5 ms). Done once when the addon loads; changes no value.
 * CONDENSE_MALLOC=default keeps glibc's own settings. */
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define CN_MMAP_THRESHOLD (32 << 20)
#define CN_TRIM_THRESHOLD (256 << 20)

__attribute__((constructor)) static void cn_heap_tune(void) {
#if defined(__GLIBC__)
  const char *mode = getenv("CONDENSE_MALLOC");
  if (mode && strcmp(mode, "default") == 0) return;
  mallopt(M_MMAP_THRESHOLD, CN_MMAP_THRESHOLD);
  mallopt(M_TRIM_THRESHOLD, CN_TRIM_THRESHOLD);
#endif
}
