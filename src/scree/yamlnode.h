/* yamlnode.h - a YAML document as a tree of nodes that keep their source text, for the
 * strict layer decoder (layer.c).
 *
 * Unlike yamljson (which resolves scalars to JSON types), each scalar keeps its exact text,
 * style and explicit tag, and every node its line, so the decoder can reproduce Pebble's
 * yaml.v3 behaviour: any scalar decodes into a string field as written, integers only from
 * !!int-resolving scalars, and error messages name lines.  Built on libyaml's event parser.
 * Only the first document of a stream is read, as yaml.Unmarshal does. */
#ifndef SCREE_YAMLNODE_H
#define SCREE_YAMLNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errbuf.h"

#define YNODE_MAX_DEPTH 64     /* nesting of collections */
#define YNODE_MAX_NODES 1000000 /* nodes in one document */

enum ynode_kind { YNODE_SCALAR, YNODE_SEQ, YNODE_MAP };

/* What a scalar resolves to (yaml.v3's resolve()). */
enum ynode_type { YTYPE_STR, YTYPE_INT, YTYPE_FLOAT, YTYPE_BOOL, YTYPE_NULL, YTYPE_TIMESTAMP,
		  YTYPE_OTHER /* explicit non-standard tag */ };

struct ynode {
	enum ynode_kind kind;
	int line; /* 1-based */
	int refs; /* aliases share nodes */
	char *tag; /* explicit tag as written (e.g. "!!str"), NULL when implicit */
	bool plain; /* scalar written in plain style */
	char *value; /* scalar text (NUL-terminated, may contain NULs: see len) */
	size_t len;
	/* SEQ: n items; MAP: n = 2 * pairs, laid out key, value, key, value... */
	struct ynode **items;
	size_t n;
	bool flow; /* collection written in flow style */
};

/* Parses the first document.  *ret is NULL for an empty stream/document.  Errors
 * (-EINVAL) are formatted like yaml.v3: "yaml: line 3: mapping values are not allowed in
 * this context"; -E2BIG beyond the limits above. */
int ynode_parse(const char *text, size_t len, struct ynode **ret, struct errbuf *eb);
void ynode_unref(struct ynode *n);

/* Resolved type of a scalar (plain scalars by content, quoted ones are strings, explicit
 * tags win). For an int, *ret_int is set when non-NULL; for a float, *ret_f. */
enum ynode_type ynode_resolve(const struct ynode *n, int64_t *ret_int, double *ret_f);
/* Resolution of arbitrary text as a plain scalar (used by the emitter to decide quoting). */
enum ynode_type ynode_resolve_plain(const char *s, size_t len, int64_t *ret_int, double *ret_f);
/* Short tag used in yaml.v3 messages ("!!str", "!!int", "!!map", "!!seq", ...), written
 * into buf (returned). */
const char *ynode_short_tag(const struct ynode *n, char *buf, size_t bufn);

#endif
