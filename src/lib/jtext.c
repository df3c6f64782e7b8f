/* jtext.c - JSON values kept as compact text; see jtext.h. */
#include "jtext.h"

#include <string.h>

char *jtext_dump(const json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

json_t *jtext_parse(const char *text)
{
	return text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
}
