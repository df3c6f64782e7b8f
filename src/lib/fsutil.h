/* fsutil.h - small filesystem helpers: atomic writes, recursive mkdir/rm/copy, reading files. */
#ifndef CAIRN_FSUTIL_H
#define CAIRN_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* mkdir -p with mode for every created component. 0 or -errno. */
int fs_mkdir_p(const char *path, mode_t mode);
/* rm -rf; a missing path is success. */
int fs_rm_rf(const char *path);
/* Writes data to path atomically: path.new, fsync, rename (s6 openwritenclose_suffix). */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Reads a whole file (at most max bytes; -EFBIG beyond) into out. */
int fs_read_file(const char *path, size_t max, struct buf *out);
/* Copies everything readable from in (to its end) to out.  0 or -errno. */
int fs_copy_fd(int in, int out);
/* Copies the tree src into dst (created), preserving modes and symlinks. */
int fs_copy_tree(const char *src, const char *dst);

#endif
