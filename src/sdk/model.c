/* model.c - helpers shared by the model_*.c files; see model.h. */
#include "sdk/model.h"

#include <stdarg.h>

#include "sdk/error.h"
#include "sdk/tools.h"

int model_parse_json(const char *tool, const struct buf *out, json_t **ret, struct cairn_error *err)
{
	json_error_t je;
	json_t *j = json_loadb(out->data ? out->data : "", out->len, JSON_DECODE_ANY, &je);

	if (!j)
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s printed invalid JSON: %s", tool, je.text);
	*ret = j;
	return 0;
}

int model_run_json(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
{
	const char *argv[32];
	size_t argc = 0;
	struct buf out = BUF_INIT;
	const char *a;
	va_list ap;
	int r;

	va_start(ap, tool);
	while ((a = va_arg(ap, const char *)) && argc < sizeof(argv) / sizeof(argv[0]))
		argv[argc++] = a;
	va_end(ap);
	buf_init(&out);
	r = tools_runv(t, &out, NULL, 0, err, tool, argv, argc);
	if (r == 0)
		r = model_parse_json(tool, &out, ret, err);
	buf_done(&out);
	return r;
}
