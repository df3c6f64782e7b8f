/* gopath.h - Go's slash-separated path rules (package "path"): Clean, Split, Dir, Base,
 * Join, IsAbs and Match.
 *
 * Pebble names files with these functions (internals/daemon/api_files.go), and which file
 * a request touches, and how it is named in a listing or an error, follows from them: the
 * directory of a temporary file is path.Dir of the target (which cleans `..` lexically),
 * a listed entry's path is path.Join(dir, name), a list pattern is path.Match'ed against
 * each name.  scree computes the same strings with these helpers so that every path it
 * reports is byte for byte the one upstream reports.
 *
 * All functions are pure: inputs are borrowed NUL-terminated strings, results are new
 * heap strings (the caller frees) or appended to a struct buf.  None fails except Match,
 * whose only error is a malformed pattern. */
#ifndef CAIRN_GOPATH_H
#define CAIRN_GOPATH_H

#include <stdbool.h>

#include "buf.h"

/* Go's path.ErrBadPattern text. */
#define GOPATH_BAD_PATTERN "syntax error in pattern"

/* path.Clean: the shortest equivalent path by lexical processing ("" -> ".",
 * "/a/../b/" -> "/b", "a//b/./c" -> "a/b/c"). */
char *gopath_clean(const char *path);
/* path.Dir: Clean of everything up to the last '/' ("/a/b" -> "/a", "/a/b/" -> "/a/b",
 * "x" -> ".", "/" -> "/"). */
char *gopath_dir(const char *path);
/* path.Base: the last element after trailing slashes are removed ("/a/b/" -> "b",
 * "/" -> "/", "" -> "."). */
char *gopath_base(const char *path);
/* path.Join(a, b): the non-empty arguments joined with '/' and cleaned; "" when both are
 * empty. */
char *gopath_join(const char *a, const char *b);
/* path.IsAbs. */
bool gopath_is_abs(const char *path);

/* path.Match: whether name matches the shell pattern ('*' any run of non-'/' bytes, '?'
 * one non-'/' character, '[...]' a class of characters or ranges, '[^...]' its complement,
 * '\\' quoting the next character; characters are UTF-8 code points).  Returns 1 (match)
 * or 0 (no match), or -EINVAL for a malformed pattern, for which Go reports
 * GOPATH_BAD_PATTERN. */
int gopath_match(const char *pattern, const char *name);

#endif
