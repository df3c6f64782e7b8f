/* fuzz_values.c - the small parsers of operator and charm input: config values of every
 * option type (settings_parse_string: `cairn config APP k=v`), Go durations
 * (update-status-hook-interval, Pebble's backoff and check fields), integers, floats and
 * Go booleans.  Input: one type byte, then the value text. */
#include <stdlib.h>
#include <string.h>

#include "charm/settings.h"
#include "fuzz.h"
#include "lib/buf.h"
#include "lib/strnum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct charm_option o = { .name = "opt", .description = "" };
	struct errbuf eb;
	json_t *v = NULL;
	int64_t ns, i;
	double d;
	bool b;
	char *s, fmt[64];

	if (size < 1 || size > 4096)
		return 0;
	s = malloc(size);
	if (!s)
		abort();
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	o.type = (enum charm_opt_type)(data[0] % _CHARM_OPT_MAX);
	if (settings_parse_string(&o, s, &v, &eb) == 0)
		json_decref(v);
	if (strnum_duration(s, &ns) == 0)
		strnum_fmt_duration(ns, fmt, sizeof(fmt));
	strnum_i64(s, INT64_MIN, INT64_MAX, &i);
	strnum_f64(s, &d);
	strnum_bool(s, &b);
	free(s);
	return 0;
}
