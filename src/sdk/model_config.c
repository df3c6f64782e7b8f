/* model_config.c - the charm's configuration (config-get, charm-runtime.md §3.2). */
#include <errno.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"
#include "sdk/value.h"

int cairn_config(struct cairn_charm *ch, const struct cairn_value **ret, struct cairn_error *err)
{
	json_t *j = NULL;
	int r;

	if (!ch->config) {
		r = model_run_map(ch->tools, &j, err, "config-get", "--format=json", NULL);
		if (r < 0)
			return r;
		ch->config = j;
	}
	*ret = value_of(ch->config);
	return 0;
}

/* Adds "config option" context to a typed read's type error. */
static int wrap(int r, struct cairn_error *err)
{
	if (r < 0 && err && err->kind == CAIRN_ERR_TYPE)
		sdk_err_wrap(err, "config option");
	return r;
}

int cairn_config_string(struct cairn_charm *ch, const char *key, const char *def, const char **ret,
			struct cairn_error *err)
{
	const struct cairn_value *cfg;
	int r = cairn_config(ch, &cfg, err);

	return r < 0 ? r : wrap(cairn_map_string(cfg, key, def, ret, err), err);
}

int cairn_config_int(struct cairn_charm *ch, const char *key, int64_t def, int64_t *ret, struct cairn_error *err)
{
	const struct cairn_value *cfg;
	int r = cairn_config(ch, &cfg, err);

	return r < 0 ? r : wrap(cairn_map_int(cfg, key, def, ret, err), err);
}

int cairn_config_double(struct cairn_charm *ch, const char *key, double def, double *ret,
			struct cairn_error *err)
{
	const struct cairn_value *cfg;
	int r = cairn_config(ch, &cfg, err);

	return r < 0 ? r : wrap(cairn_map_double(cfg, key, def, ret, err), err);
}

int cairn_config_bool(struct cairn_charm *ch, const char *key, bool def, bool *ret, struct cairn_error *err)
{
	const struct cairn_value *cfg;
	int r = cairn_config(ch, &cfg, err);

	return r < 0 ? r : wrap(cairn_map_bool(cfg, key, def, ret, err), err);
}
