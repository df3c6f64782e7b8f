/* model_leader.c - the application's leader settings (leader-get, leader-set).
 *
 * leader-get --format=json is asked once per dispatch; leader-set writes at once (Juju does
 * not buffer it to the hook's end) and updates what we read, so a later read in the same
 * dispatch sees the write, as the agent's own snapshot does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"
#include "sdk/value.h"

int cairn_leader_settings(struct cairn_charm *ch, const struct cairn_value **ret, struct cairn_error *err)
{
	json_t *j = NULL, *v;
	const char *k;
	int r;

	if (!ch->leader_settings) {
		r = model_run_map(ch->tools, &j, err, "leader-get", "--format=json", NULL);
		if (r < 0)
			return r;
		json_object_foreach(j, k, v)
			if (!json_is_string(v)) {
				json_decref(j);
				return sdk_err(err, CAIRN_ERR_PROTOCOL, "leader-get printed a non-string value for \"%s\"",
					       k);
			}
		ch->leader_settings = j;
	}
	*ret = value_of(ch->leader_settings);
	return 0;
}

int cairn_leader_set(struct cairn_charm *ch, const char *key, const char *value, struct cairn_error *err)
{
	json_t *check;
	char *arg;
	int r;

	if (!key || !*key || strchr(key, '='))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid leader settings key \"%s\"", key ? key : "");
	if (!value)
		value = "";
	check = json_pack("{s:s}", key, value);
	if (!check)
		return sdk_err(err, CAIRN_ERR_INVALID, "leader settings must be valid UTF-8");
	if ((r = model_require_leader(ch, err)) < 0) {
		json_decref(check);
		return r;
	}
	arg = xasprintf("%s=%s", key, value);
	/* "--": a key may start with '-'. */
	r = tools_run(ch->tools, NULL, NULL, err, "leader-set", "--", arg, NULL);
	free(arg);
	if (r == 0 && ch->leader_settings) {
		if (*value)
			json_object_set(ch->leader_settings, key, json_object_get(check, key));
		else
			json_object_del(ch->leader_settings, key);
	}
	json_decref(check);
	return r;
}
