/* tools_fmt.h - the hook tools' --format output, byte for byte as Juju's cmd.Output writes it.
 *
 * Three formatters (juju/cmd output.go): `json` is Go's encoding/json (compact, object keys
 * sorted, `<>&` and U+2028/2029 escaped, shortest float form) plus "\n"; `yaml` is the value
 * as block YAML with sorted keys, nothing for nil; `smart` (the default) prints a string as is,
 * a list of strings one per line, a bool as True/False, nothing for nil or "", and anything
 * else as YAML. */
#ifndef CAIRN_TOOLS_FMT_H
#define CAIRN_TOOLS_FMT_H

#include <jansson.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

enum tfmt {
	TFMT_SMART,
	TFMT_JSON,
	TFMT_YAML,
};

/* Maps a --format value; -EINVAL with eb holding Juju's text
 * ("invalid value \"xml\" for option --format: unknown format \"xml\"") otherwise. */
int tfmt_parse(const char *name, enum tfmt *ret, struct errbuf *eb);

/* Appends v as Go's json.Marshal would (no trailing newline): keys sorted, strings and
 * floats as gofmt_json_string() and gofmt_float(GOFMT_FLOAT_JSON) write them. */
void tfmt_json(struct buf *out, json_t *v);

/* Appends v in the given format; v NULL (or JSON null) is Go's nil. */
void tfmt_write(struct buf *out, enum tfmt fmt, json_t *v);

/* Returns a copy of s (caller frees) with each byte that is not part of valid UTF-8 replaced
 * by U+FFFD, so it can live in a json_t. */
char *tfmt_utf8_clean(const char *s);

#endif
