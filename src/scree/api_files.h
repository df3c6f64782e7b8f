/* api_files.h - pieces shared by the files API's handlers (§17): api_files.c (routing of
 * GET/POST /v1/files, listing, make-dirs, remove), api_files_read.c (multipart reads) and
 * api_files_write.c (streamed multipart writes).
 *
 * JSON request fields are read as Go's encoding/json reads them into Pebble's request
 * structs: a missing or null field is the zero value, a field of the wrong type fails
 * with Go's UnmarshalTypeError text ("json: cannot unmarshal number into Go struct field
 * makeDirsItem.dirs.path of type string"), where `where` is "<Struct>.<field path>" up
 * to the field's parent. */
#ifndef SCREE_API_FILES_H
#define SCREE_API_FILES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api.h"
#include "files.h"
#include "lib/buf.h"
#include "lib/userids.h"

#define FILES_MAX_METADATA (1024u * 1024u) /* the request part of a multipart write */
#define FILES_READ_CHUNK (128u * 1024u)    /* bytes read from a file per fill */

/* Typed field readers: 0, or -1 with err holding Go's message (without the caller's
 * "cannot decode ...: " prefix).  Strings are borrowed from o. */
int files_jstr(json_t *o, const char *key, const char *where, const char **out, struct buf *err);
int files_jbool(json_t *o, const char *key, const char *where, bool *out, struct buf *err);
int files_jint(json_t *o, const char *key, const char *where, bool *set, int64_t *out, struct buf *err);
/* An array of objects (gotype names the element type, e.g. "daemon.makeDirsItem"); a
 * missing or null field is an empty array (*out = NULL). */
int files_jitems(json_t *o, const char *key, const char *where, const char *gotype, json_t **out, struct buf *err);
/* user-id, user, group-id, group of one item into r (strings borrowed from o). */
int files_jowner(json_t *o, const char *where, struct userids_req *r, struct buf *err);

/* A result item {"path":...,"error"?:{...}} (error NULL or FILES_OK for none). */
json_t *files_result_json(const char *path, const struct files_error *e);

/* GET ?action=read: streams the multipart answer (api_files_read.c). */
void api_files_read(struct api_call *c);
/* POST multipart write with the given boundary (api_files_write.c).  streamed: called from
 * the head handler, the body is taken as it arrives; otherwise the buffered body of
 * c->req is parsed.  Answers c (now or when the writes are committed). */
void api_files_write(struct api_call *c, const char *boundary, bool streamed);
/* The end of the daemon: writes in progress are dropped, running commits waited for. */
void api_files_write_shutdown(struct scree *d);

#endif
