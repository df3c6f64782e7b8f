/* model_state.c - stored state namespaces (cairn_stored); see cairn/charm.h.
 *
 * A namespace is read from the store the first time the dispatch asks for it; a copy of what
 * was read is kept so that the commit writes only the namespaces that changed. */
#include <errno.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/value.h"

static bool valid_ns(const char *ns)
{
	size_t n = ns ? strlen(ns) : 0;

	if (n == 0 || n > CHARM_MAX_NAMESPACE)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)ns[i] < ' ' || ns[i] == '[' || ns[i] == ']')
			return false;
	return true;
}

int cairn_stored(struct cairn_charm *ch, const char *ns, struct cairn_value **ret, struct cairn_error *err)
{
	json_t *m = NULL;
	int r;

	if (!valid_ns(ns))
		return sdk_err(err, CAIRN_ERR_INVALID, "invalid stored-state namespace \"%s\"", ns ? ns : "");
	m = json_object_get(ch->stored, ns);
	if (!m) {
		r = ch->store->ops->load_state(ch->store, ns, &m, err);
		if (r < 0)
			return r;
		if (!json_is_object(m)) {
			json_decref(m);
			return sdk_err(err, CAIRN_ERR_STORE, "stored state \"%s\" is not a map", ns);
		}
		json_object_set_new(ch->stored_orig, ns, json_deep_copy(m));
		json_object_set_new(ch->stored, ns, m);
	}
	*ret = value_of(m);
	return 0;
}
