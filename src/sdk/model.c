/* model.c - helpers shared by the model_*.c files; see model.h. */
#include "sdk/model.h"

#include <stdarg.h>
#include <stdbool.h>

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

static int run_v(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, va_list ap)
{
	const char *argv[32];
	size_t argc = 0;
	struct buf out = BUF_INIT;
	const char *a;
	int r;

	while ((a = va_arg(ap, const char *)) && argc < sizeof(argv) / sizeof(argv[0]))
		argv[argc++] = a;
	buf_init(&out);
	r = tools_runv(t, &out, NULL, 0, err, tool, argv, argc);
	if (r == 0)
		r = model_parse_json(tool, &out, ret, err);
	buf_done(&out);
	return r;
}

/* Null -> an empty list or map; another shape -> a protocol error. */
static int shaped(const char *tool, bool list, json_t **j, struct cairn_error *err)
{
	if (json_is_null(*j)) {
		json_decref(*j);
		*j = list ? json_array() : json_object();
		return 0;
	}
	if (list ? json_is_array(*j) : json_is_object(*j))
		return 0;
	json_decref(*j);
	*j = NULL;
	return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s printed no %s", tool, list ? "list" : "map");
}

int model_run_json(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = run_v(t, ret, err, tool, ap);
	va_end(ap);
	return r;
}

static int run_shaped_v(struct tools *t, json_t **ret, struct cairn_error *err, bool list, const char *tool,
			va_list ap)
{
	json_t *j = NULL;
	int r = run_v(t, &j, err, tool, ap);

	if (r == 0 && (r = shaped(tool, list, &j, err)) == 0)
		*ret = j;
	return r;
}

int model_run_list(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = run_shaped_v(t, ret, err, true, tool, ap);
	va_end(ap);
	return r;
}

int model_run_map(struct tools *t, json_t **ret, struct cairn_error *err, const char *tool, ...)
{
	va_list ap;
	int r;

	va_start(ap, tool);
	r = run_shaped_v(t, ret, err, false, tool, ap);
	va_end(ap);
	return r;
}
