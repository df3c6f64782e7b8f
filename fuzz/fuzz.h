/* fuzz.h - what every fuzz target in this folder shares.
 *
 * A target is one file fuzz_<name>.c defining LLVMFuzzerTestOneInput().  With clang
 * (`make fuzz`, CAIRN_FUZZ=ON) it links against libFuzzer; in every other build it links
 * against driver.c, which runs the target over the files it is given, so the seed corpus
 * and every crash ever found (fuzz/regress/<name>/) run as ordinary CTest tests. */
#ifndef CAIRN_FUZZ_H
#define CAIRN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A private folder for targets that need files (created on first use, removed at exit);
 * never NULL. */
const char *fuzz_scratch_dir(void);

/* Writes p[0..n) as the file `name` of the scratch folder (no fsync: a target writes one per
 * input), or removes it when p is NULL; returns its path (static storage, valid until the
 * next call).  Aborts when the file cannot be written. */
const char *fuzz_scratch_put(const char *name, const void *p, size_t n);

/* Largest input a target looks at; libFuzzer is run with -max_len matching it. */
#define FUZZ_MAX_INPUT (64u * 1024u)

#endif
