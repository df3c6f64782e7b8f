/* dbutil.c - SQLite helpers; see dbutil.h. */
#include "cairnd/dbutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

int dbu_exec(sqlite3 *db, const char *sql, struct errbuf *eb)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		errbuf_set(eb, "state database: %s", err ? err : sqlite3_errmsg(db));
		sqlite3_free(err);
		return -EIO;
	}
	return 0;
}

int dbu_bindv(sqlite3_stmt *st, const char *fmt, va_list ap, char **texts, struct errbuf *eb)
{
	int idx = 1, nt = 0;

	for (const char *f = fmt; *f; f++, idx++) {
		switch (*f) {
		case 's': {
			const char *s = va_arg(ap, const char *);

			if (s)
				sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, idx);
			break;
		}
		case 'i':
			sqlite3_bind_int64(st, idx, va_arg(ap, int64_t));
			break;
		case 'b':
			sqlite3_bind_int(st, idx, va_arg(ap, int) ? 1 : 0);
			break;
		case 'j': {
			json_t *v = va_arg(ap, json_t *);

			if (!v) {
				sqlite3_bind_null(st, idx);
				break;
			}
			if (nt == DBU_MAX_JSON_ARGS) {
				errbuf_set(eb, "state database: more than %d JSON arguments", DBU_MAX_JSON_ARGS);
				return -E2BIG;
			}
			texts[nt] = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			sqlite3_bind_text(st, idx, texts[nt], -1, SQLITE_STATIC);
			nt++;
			break;
		}
		default:
			errbuf_set(eb, "state database: unknown argument kind '%c'", *f);
			return -EINVAL;
		}
	}
	return 0;
}

int dbu_run(sqlite3 *db, struct errbuf *eb, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = NULL;
	char *texts[DBU_MAX_JSON_ARGS] = { NULL };
	int rc, r;
	va_list ap;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		errbuf_set(eb, "cannot prepare statement: %s", sqlite3_errmsg(db));
		return -EIO;
	}
	va_start(ap, fmt);
	r = dbu_bindv(st, fmt, ap, texts, eb);
	va_end(ap);
	if (r == 0) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			errbuf_set(eb, "cannot write state: %s", sqlite3_errmsg(db));
			r = -EIO;
		}
	}
	sqlite3_finalize(st);
	for (int i = 0; i < DBU_MAX_JSON_ARGS; i++)
		free(texts[i]);
	return r;
}

const char *dbu_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? (const char *)t : NULL;
}

json_t *dbu_json(sqlite3_stmt *st, int col, json_t *dflt)
{
	const char *t = dbu_text(st, col);
	json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;

	if (!v)
		return dflt;
	json_decref(dflt);
	return v;
}
