/*
 * LD_PRELOAD shim for h2load: gives every request body it sends a value of
 * its own, so that each UpdateOIDCSettings is an effective change.
 *
 * h2load posts one file (-d) for every request and reads it with pread(2)
 * from offset 0 for each new stream (src/h2load_http2_session.cc,
 * file_read_callback). This shim wraps pread: when the body file is read from
 * offset 0 a new request starts, and the 4 bytes at VARY_BODY_OFFSET are
 * replaced by a 4-byte protobuf varint of the next value (VARY_BODY_FIRST,
 * +1, +2, ...). A 4-byte varint keeps the body length, hence content-length
 * and the gRPC frame prefix, unchanged; values must stay in [2^21, 2^28).
 * At exit the number of bodies handed out is written to VARY_BODY_COUNT_FILE,
 * for the bench to compare with the events the server wrote.
 *
 * Build: cc -O2 -shared -fPIC -o vary-body.so vary-body.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);

static pread_fn real_pread;
static int enabled;
static dev_t body_dev;
static ino_t body_ino;
static off_t patch_at;
static uint64_t next_value;
static uint64_t issued;
static const char *count_file;
/* The value of the request whose body is being read (h2load reads a small body in one call). */
static uint64_t current;

__attribute__((constructor)) static void vary_init(void) {
  real_pread = (pread_fn)dlsym(RTLD_NEXT, "pread");
  const char *file = getenv("VARY_BODY_FILE");
  const char *offset = getenv("VARY_BODY_OFFSET");
  const char *first = getenv("VARY_BODY_FIRST");
  count_file = getenv("VARY_BODY_COUNT_FILE");
  struct stat st;
  if (!file || !offset || !first || stat(file, &st) != 0) return;
  body_dev = st.st_dev;
  body_ino = st.st_ino;
  patch_at = (off_t)strtoll(offset, NULL, 10);
  next_value = strtoull(first, NULL, 10);
  enabled = 1;
}

__attribute__((destructor)) static void vary_fini(void) {
  if (!enabled || !count_file || __atomic_load_n(&issued, __ATOMIC_SEQ_CST) == 0) return;
  FILE *out = fopen(count_file, "w");
  if (!out) return;
  fprintf(out, "%llu\n", (unsigned long long)__atomic_load_n(&issued, __ATOMIC_SEQ_CST));
  fclose(out);
}

static int is_body(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && st.st_dev == body_dev && st.st_ino == body_ino;
}

ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
  ssize_t n = real_pread(fd, buf, count, offset);
  if (n <= 0 || !enabled || !is_body(fd)) return n;
  if (offset == 0) {
    current = __atomic_fetch_add(&next_value, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&issued, 1, __ATOMIC_SEQ_CST);
  }
  uint8_t varint[4] = {
      (uint8_t)((current & 0x7f) | 0x80),
      (uint8_t)(((current >> 7) & 0x7f) | 0x80),
      (uint8_t)(((current >> 14) & 0x7f) | 0x80),
      (uint8_t)((current >> 21) & 0x7f),
  };
  for (int i = 0; i < 4; i++) {
    off_t at = patch_at + i;
    if (at >= offset && at < offset + n) ((uint8_t *)buf)[at - offset] = varint[i];
  }
  return n;
}
