/* files.h - the filesystem side of the files API (§17): Go's error texts and kinds,
 * listing, making directories, removing, opening files to read, owner and permission
 * arguments.  The HTTP side is api_files*.c; atomic writes are files_atomic.h.
 *
 * Every message is the text upstream Pebble produces from Go's os package, because
 * clients match on it: a failed system call reads "<op> <path>: <errno text>" with Go's
 * lower-case errno texts (gofmt_strerror), "stat /x: no such file or directory",
 * "mkdir /x: file exists", "remove /x: directory not empty".  The kind follows Go's
 * errors.Is: ENOENT is not-found, EACCES and EPERM are permission-denied, anything else
 * generic-file-error.  Paths are used exactly as given (Go does not clean them), except
 * where Pebble itself applies path.Dir/Join/Base (see lib/gopath.h).
 *
 * These functions do blocking filesystem calls (stat, mkdir, readdir, unlink) as Pebble
 * does inside its handlers; each is bounded by the request's own arguments.  None keeps
 * state between calls. */
#ifndef SCREE_FILES_H
#define SCREE_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/userids.h"

#define FILES_DEFAULT_FILE_MODE 0644
#define FILES_DEFAULT_DIR_MODE 0755

/* Pebble's error kinds (§9.3). */
enum files_kind {
	FILES_OK,
	FILES_NOT_FOUND,
	FILES_PERMISSION_DENIED,
	FILES_GENERIC,
	_FILES_KIND_MAX,
};

/* "", "not-found", "permission-denied", "generic-file-error". */
extern const char *const files_kind_names[_FILES_KIND_MAX];

/* A per-path error: kind and message.  Initialise with files_error_init (FILES_OK, empty)
 * and release with files_error_done; setting replaces an earlier message. */
struct files_error {
	enum files_kind kind;
	struct buf msg;
};

void files_error_init(struct files_error *e);
void files_error_done(struct files_error *e);
void files_error_set(struct files_error *e, enum files_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Go's *PathError: "<op> <path>: <errno text>", kind from err. */
void files_error_sys(struct files_error *e, const char *op, const char *path, int err);
/* Go's *LinkError: "<op> <a> <b>: <errno text>", kind from err. */
void files_error_sys2(struct files_error *e, const char *op, const char *a, const char *b, int err);
/* Prefixes the message with "<context>: " (Go's %w wrapping keeps the kind). */
void files_error_wrap(struct files_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies src into dst. */
void files_error_copy(struct files_error *dst, const struct files_error *src);
/* The error as Pebble's errorResult: {"message":...,"kind":...}. */
json_t *files_error_json(const struct files_error *e);
/* The HTTP status Pebble gives a listing error: 404 not-found, 403 permission-denied,
 * else 400. */
int files_error_status(const struct files_error *e);

/* A JSON string for s as Go's encoder writes it: each byte of invalid UTF-8 becomes
 * U+FFFD (file names need not be UTF-8). */
json_t *files_json_string(const char *s);
/* Appends s quoted as Go's %q would (for messages). */
void files_quote(struct buf *out, const char *s);

/* Pebble's nonAbsolutePathError: false with e = `paths must be absolute, got "x"`
 * (generic) when path is not absolute. */
bool files_check_abs(const char *path, struct files_error *e);

/* Pebble's parsePermissions: "" means def; otherwise exactly three octal digits, else
 * `permissions must be a 3-digit octal string, got "1000"` (generic). */
int files_parse_permissions(const char *s, mode_t def, mode_t *ret, struct files_error *e);

/* Resolves the owner fields of an item (lib/userids rules).  Returns 1 with the ids, 0
 * when none were given, or -1 with e = "cannot look up user and group: <reason>"
 * (generic). */
int files_resolve_owner(const struct userids_req *r, uid_t *ret_uid, gid_t *ret_gid, struct files_error *e);

/* GET ?action=list (§17): path absolute (checked by the caller), pattern NULL or "" for
 * all, itself as requested.  Returns 0 with *ret (a new array, "[]" when empty), or -1
 * with e set (files_error_status gives the status). */
int files_list(const char *path, const char *pattern, bool itself, json_t **ret, struct files_error *e);

/* Options of one directory creation (make-dirs items, and the parents of a pushed file). */
struct files_mkdir_opts {
	mode_t mode;        /* applied with an explicit chmod, whatever the umask */
	bool make_parents;  /* create missing parents with the same mode and owner */
	bool exist_ok;      /* an existing directory is success */
	bool chown;         /* set uid/gid on every directory created */
	uid_t uid;
	gid_t gid;
};

/* Pebble's osutil.Mkdir: path is cleaned; an existing non-directory is
 * "mkdir <path>: not a directory"; an existing directory is "mkdir <path>: file exists"
 * unless exist_ok; each directory is made as "<dir>.mkdir-new", chowned, chmodded and
 * renamed into place, then its parent is synced.  Returns 0 or -1 with e set. */
int files_mkdir(const char *path, const struct files_mkdir_opts *o, struct files_error *e);

/* Pebble's removePath: recursive is os.RemoveAll (a missing path is success; a failure
 * deep in the tree names that path), otherwise os.Remove (unlink, or rmdir for a
 * directory: "remove /x: directory not empty").  Returns 0 or -1 with e set. */
int files_remove(const char *path, bool recursive, struct files_error *e);

/* Opens path to be read (§17): "paths must be absolute, got %q" and
 * "can only read a regular file: %q" (generic), "stat <path>: ..." and
 * "open <path>: ...".  Never blocks on a FIFO swapped in after the stat.  Returns 0 with
 * *ret_fd (O_CLOEXEC), or -1 with e set. */
int files_open_read(const char *path, int *ret_fd, struct files_error *e);

#endif
