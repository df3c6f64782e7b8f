/* jsonw.h - compact JSON text written straight into a buffer, without building a tree.
 *
 * For big documents rendered often (the controller's status at 10,000 units is 2 MB): a
 * jansson tree of it costs a million small allocations to build, dump and free, on each side
 * of the socket.  The writer appends tokens as they come; the text is what jansson's
 * json_dumps(v, JSON_COMPACT) gives for the same values in the same order (same escapes:
 * '"', '\\', \b \f \n \r \t and \u00XX (upper-case hex) for other control characters;
 * UTF-8 as is), so a reader sees no difference.
 *
 * Usage: jsonw_init, then values: an object is jsonw_obj ... jsonw_end, its members
 * jsonw_key followed by one value; an array is jsonw_arr ... jsonw_end.  Commas are the
 * writer's business.  Nesting deeper than JSONW_MAX_DEPTH, or a key outside an object, is a
 * caller bug (abort).  Strings must be valid UTF-8 (model strings are: they came through
 * JSON). */
#ifndef CAIRN_JSONW_H
#define CAIRN_JSONW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define JSONW_MAX_DEPTH 64

struct jsonw {
	struct buf *b;          /* borrowed: the text is appended here */
	unsigned depth;
	uint64_t has_items;     /* bit d: the container at depth d has a member already */
	uint64_t is_obj;        /* bit d: the container at depth d is an object */
	bool after_key;         /* a key was written: its value comes next */
};

void jsonw_init(struct jsonw *w, struct buf *b);
void jsonw_obj(struct jsonw *w);
void jsonw_arr(struct jsonw *w);
void jsonw_end(struct jsonw *w);
void jsonw_key(struct jsonw *w, const char *key);
/* A string; NULL writes null. */
void jsonw_str(struct jsonw *w, const char *s);
void jsonw_int(struct jsonw *w, int64_t v);
void jsonw_bool(struct jsonw *w, bool v);
void jsonw_null(struct jsonw *w);
/* A jansson value, dumped compact in place (small parts: ports, addresses, resources). */
void jsonw_json(struct jsonw *w, json_t *v);
/* Shorthands for a member: key and value. */
void jsonw_kstr(struct jsonw *w, const char *key, const char *s);
void jsonw_kint(struct jsonw *w, const char *key, int64_t v);
void jsonw_kbool(struct jsonw *w, const char *key, bool v);

#endif
