/* dbutil.h - the small SQLite helpers the controller's stores share (relations.c,
 * operations.c): run a statement with bound arguments, read typed columns.
 *
 * dbu_run(db, eb, sql, fmt, ...) prepares sql, binds the arguments described by fmt -
 * s: const char * (NULL binds NULL), i: int64_t, b: int as 0/1, j: json_t * (compact JSON
 * text, NULL binds NULL) - and steps it once.  0, or -EIO with eb naming SQLite's error. */
#ifndef CAIRN_DBUTIL_H
#define CAIRN_DBUTIL_H

#include <jansson.h>
#include <sqlite3.h>

#include "lib/errbuf.h"

#include <stdarg.h>

#define DBU_MAX_JSON_ARGS 16 /* 'j' arguments of one statement */

int dbu_run(sqlite3 *db, struct errbuf *eb, const char *sql, const char *fmt, ...);
/* Binds the arguments fmt describes (as dbu_run) to st from ap.  The JSON texts it makes go
 * to texts (DBU_MAX_JSON_ARGS entries, NULL-initialised; the caller frees them once st has
 * run).  0, or -E2BIG / -EINVAL (eb set) for too many 'j' arguments or an unknown letter. */
int dbu_bindv(sqlite3_stmt *st, const char *fmt, va_list ap, char **texts, struct errbuf *eb);
/* Runs statements without parameters (schema creation). 0 or -EIO. */
int dbu_exec(sqlite3 *db, const char *sql, struct errbuf *eb);
/* Column helpers: text (NULL for SQL NULL), JSON (dflt, owned, when NULL or unparsable;
 * returns a new reference either way). */
const char *dbu_text(sqlite3_stmt *st, int col);
json_t *dbu_json(sqlite3_stmt *st, int col, json_t *dflt);

#endif
