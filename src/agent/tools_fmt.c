/* tools_fmt.c - Juju-compatible --format output for the hook tools; see tools_fmt.h. */
#include "agent/tools_fmt.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools_args.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

int tfmt_parse(const char *name, enum tfmt *ret, struct errbuf *eb)
{
	static const struct {
		const char *name;
		enum tfmt fmt;
	} names[] = { { "smart", TFMT_SMART }, { "json", TFMT_JSON }, { "yaml", TFMT_YAML } };
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i].name)) {
			*ret = names[i].fmt;
			return 0;
		}
	}
	buf_init(&b);
	buf_adds(&b, "invalid value ");
	targ_quote(&b, name);
	buf_adds(&b, " for option --format: unknown format ");
	targ_quote(&b, name);
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
	return -EINVAL;
}

char *tfmt_utf8_clean(const char *s)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);

	buf_init(&b);
	while (left) {
		uint32_t cp;
		size_t n = gofmt_utf8_decode(p, left, &cp);

		if (!n) {
			buf_adds(&b, "\xef\xbf\xbd");
			p++;
			left--;
			continue;
		}
		buf_add(&b, p, n);
		p += n;
		left -= n;
	}
	return buf_detach(&b);
}

void tfmt_json(struct buf *out, json_t *v)
{
	gofmt_json(out, v);
}

static void write_yaml(struct buf *out, json_t *v)
{
	gofmt_yaml(out, v);
}

static bool is_string_list(json_t *v)
{
	size_t i;
	json_t *e;

	if (!json_is_array(v))
		return false;
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return false;
	return true;
}

void tfmt_write(struct buf *out, enum tfmt fmt, json_t *v)
{
	if (v && json_is_null(v))
		v = NULL;
	switch (fmt) {
	case TFMT_JSON:
		tfmt_json(out, v);
		buf_addc(out, '\n');
		return;
	case TFMT_YAML:
		write_yaml(out, v);
		return;
	case TFMT_SMART:
		break;
	}
	if (!v)
		return;
	if (json_is_string(v)) {
		if (json_string_length(v)) {
			buf_add(out, json_string_value(v), json_string_length(v));
			buf_addc(out, '\n');
		}
		return;
	}
	if (json_is_boolean(v)) {
		buf_adds(out, json_is_true(v) ? "True\n" : "False\n");
		return;
	}
	if (is_string_list(v)) {
		size_t i, start = out->len;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (i)
				buf_addc(out, '\n');
			buf_add(out, json_string_value(e), json_string_length(e));
		}
		if (out->len > start)
			buf_addc(out, '\n');
		return;
	}
	write_yaml(out, v);
}
