/* yamljson.h - YAML <-> jansson conversion built on libyaml.
 *
 * yaml_to_json parses one YAML document into a json_t.  Plain scalars are resolved as YAML
 * 1.2's core schema does (null/~/empty -> null, true/false in their three spellings -> bool,
 * decimal/0x/0o integers -> integer, decimal floats/.inf/.nan -> real), quoted and block
 * scalars stay strings.  Anchors and aliases are refused (they are unused by charms and
 * layers and invite billion-laughs inputs); so are non-scalar mapping keys and duplicate
 * keys.  An empty document yields JSON null.  Errors name the line and column.
 *
 * json_to_yaml renders a json_t as block-style YAML with the given indentation, keeping the
 * object's key order (jansson keeps insertion order), quoting strings that would otherwise
 * read back as another type.  An empty object renders "{}\n". */
#ifndef CAIRN_YAMLJSON_H
#define CAIRN_YAMLJSON_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"
#include "errbuf.h"

#define YAMLJSON_MAX_DEPTH 64

/* Returns 0 and a new reference in *ret, or -EINVAL with eb holding e.g.
 * "yaml: line 3: mapping values are not allowed in this context". */
int yaml_to_json(const char *text, size_t len, json_t **ret, struct errbuf *eb);
/* Appends the YAML text of v to out.  indent is 2 or 4. */
void json_to_yaml(struct buf *out, json_t *v, int indent);
/* Whether a plain scalar s would be read back as something other than a string. */
int yaml_plain_is_nonstring(const char *s);

#endif
