/* model_storage.c - storage instances of the unit (storage-list, storage-get;
 * charm-runtime.md §3.5, ops >= 3.5 forms).  Answers are cached for the dispatch. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/model.h"

int cairn_storage_list(struct cairn_charm *ch, const char *name, const char *const **ret, size_t *ret_n,
		       struct cairn_error *err)
{
	const char *declared = meta_has(&ch->meta, META_STORAGE, name);
	struct storage_list *l = NULL;
	json_t *j = NULL, *e;
	size_t i;
	int r;

	if (!declared)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no storage \"%s\" in metadata.yaml", name ? name : "");
	for (i = 0; i < ch->n_storage_lists; i++)
		if (!strcmp(ch->storage_lists[i].name, declared))
			l = &ch->storage_lists[i];
	if (!l) {
		r = model_run_list(ch->tools, &j, err, "storage-list", "--format=json", declared, NULL);
		if (r < 0)
			return r;
		ch->storage_lists = xrealloc(ch->storage_lists, (ch->n_storage_lists + 1) * sizeof(*l));
		l = &ch->storage_lists[ch->n_storage_lists++];
		l->name = xstrdup(declared);
		l->ids = xcalloc(json_array_size(j) + 1, sizeof(char *));
		l->n = 0;
		json_array_foreach(j, i, e)
			if (json_is_string(e))
				l->ids[l->n++] = xstrdup(json_string_value(e));
		json_decref(j);
	}
	*ret = (const char *const *)l->ids;
	if (ret_n)
		*ret_n = l->n;
	return 0;
}

int cairn_storage_location(struct cairn_charm *ch, const char *id, const char **ret, struct cairn_error *err)
{
	json_t *j = NULL, *loc;
	int r;

	if (!id || !*id)
		return sdk_err(err, CAIRN_ERR_INVALID, "no storage id");
	if (!ch->storage_locs)
		ch->storage_locs = json_object();
	loc = json_object_get(ch->storage_locs, id);
	if (!loc) {
		r = model_run_json(ch->tools, &j, err, "storage-get", "--format=json", "-s", id, NULL);
		if (r < 0)
			return r;
		/* ops >= 3.5: {"kind", "location"}; a bare string is the older "location" key. */
		loc = json_is_object(j) ? json_object_get(j, "location") : j;
		if (!json_is_string(loc)) {
			json_decref(j);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "storage-get printed no location");
		}
		json_object_set(ch->storage_locs, id, loc);
		json_decref(j);
		loc = json_object_get(ch->storage_locs, id);
	}
	*ret = json_string_value(loc);
	return 0;
}
