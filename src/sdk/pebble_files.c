/* pebble_files.c - files in a container: push, pull, list, make-dir, remove
 * (pebble-api.md §17); see cairn/charm.h.  Per-path failures and file-kind API errors are
 * CAIRN_ERR_PATH with Pebble's kind (not-found, permission-denied, generic-file-error). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sdk/container.h"
#include "sdk/error.h"

void cairn_file_opts_init(struct cairn_file_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->user_id = -1;
	o->group_id = -1;
}

/* The owner and mode fields Pebble's file requests share. */
static int add_opts(json_t *item, const struct cairn_file_opts *o, struct cairn_error *err)
{
	char perm[8];

	if (!o)
		return 0;
	if (o->permissions) {
		if (o->permissions < 0 || o->permissions > 0777)
			return sdk_err(err, CAIRN_ERR_INVALID, "permissions must be at most 0777, got %o", o->permissions);
		snprintf(perm, sizeof(perm), "%03o", o->permissions);
		json_object_set_new(item, "permissions", json_string(perm));
	}
	if (o->user_id >= 0)
		json_object_set_new(item, "user-id", json_integer(o->user_id));
	if (o->user && json_object_set_new(item, "user", json_string(o->user)) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "user must be valid UTF-8");
	if (o->group_id >= 0)
		json_object_set_new(item, "group-id", json_integer(o->group_id));
	if (o->group && json_object_set_new(item, "group", json_string(o->group)) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "group must be valid UTF-8");
	return 0;
}

static int check_path(const char *path, struct cairn_error *err)
{
	json_t *ok;

	if (!path || path[0] != '/')
		return sdk_err(err, CAIRN_ERR_INVALID, "paths must be absolute, got \"%s\"", path ? path : "");
	ok = json_string(path);
	if (!ok)
		return sdk_err(err, CAIRN_ERR_INVALID, "paths must be valid UTF-8");
	json_decref(ok);
	return 0;
}

int cairn_pebble_push(struct cairn_container *c, const char *path, const void *data, size_t len,
		      const struct cairn_file_opts *o, struct cairn_error *err)
{
	struct pebble *pb;
	json_t *meta;
	int r = check_path(path, err);

	if (r < 0)
		return r;
	if (!data && len)
		return sdk_err(err, CAIRN_ERR_INVALID, "no data");
	meta = json_pack("{s:s}", "path", path);
	if (o && o->make_dirs)
		json_object_set_new(meta, "make-dirs", json_true());
	r = add_opts(meta, o, err);
	if (r == 0) {
		pb = container_pebble(c, err);
		r = pb ? pb->ops->push(pb, meta, data ? data : "", len, err) : sdk_errno(CAIRN_ERR_CONNECTION);
	}
	json_decref(meta);
	return path_error(r, err);
}

int cairn_pebble_pull(struct cairn_container *c, const char *path, char **ret, size_t *ret_len,
		      struct cairn_error *err)
{
	struct buf out = BUF_INIT;
	struct pebble *pb;
	int r = check_path(path, err);

	if (r < 0)
		return r;
	pb = container_pebble(c, err);
	if (!pb)
		return sdk_errno(CAIRN_ERR_CONNECTION);
	buf_init(&out);
	r = pb->ops->pull(pb, path, &out, err);
	if (r < 0) {
		buf_done(&out);
		return path_error(r, err);
	}
	if (ret_len)
		*ret_len = out.len;
	*ret = buf_detach(&out);
	return 0;
}

static const char *const file_types[_CAIRN_FILE_TYPE_MAX] = {
	[CAIRN_FILE_FILE] = "file",	      [CAIRN_FILE_DIRECTORY] = "directory",
	[CAIRN_FILE_SYMLINK] = "symlink",     [CAIRN_FILE_SOCKET] = "socket",
	[CAIRN_FILE_NAMED_PIPE] = "named-pipe", [CAIRN_FILE_DEVICE] = "device",
	[CAIRN_FILE_UNKNOWN] = "unknown",
};

static enum cairn_file_type file_type_from(const char *s)
{
	for (int i = 0; i < CAIRN_FILE_UNKNOWN; i++)
		if (s && !strcmp(s, file_types[i]))
			return (enum cairn_file_type)i;
	return CAIRN_FILE_UNKNOWN;
}

void cairn_file_infos_free(struct cairn_file_info *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].path);
		free(v[i].name);
		free(v[i].last_modified);
		free(v[i].user);
		free(v[i].group);
	}
	free(v);
}

int cairn_pebble_list_files(struct cairn_container *c, const char *path, const char *pattern, bool itself,
			    struct cairn_file_info **ret, size_t *ret_n, struct cairn_error *err)
{
	struct buf q = BUF_INIT;
	struct cairn_file_info *v;
	json_t *res = NULL, *e;
	size_t i, n = 0;
	int r = check_path(path, err);

	if (r < 0)
		return r;
	buf_init(&q);
	query_add(&q, "action", "list");
	query_add(&q, "path", path);
	if (pattern)
		query_add(&q, "pattern", pattern);
	if (itself)
		query_add(&q, "itself", "true");
	r = path_error(container_get_list(c, "/v1/files", q.data, "files", &res, err), err);
	buf_done(&q);
	if (r < 0)
		return r;
	v = xcalloc(json_array_size(res) + 1, sizeof(*v));
	json_array_foreach(res, i, e) {
		const char *perm = json_string_value(json_object_get(e, "permissions"));

		if (!json_is_string(json_object_get(e, "path"))) {
			cairn_file_infos_free(v, n);
			json_decref(res);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "files: an entry has no path");
		}
		v[n].path = json_dup_str(e, "path");
		v[n].name = json_dup_str(e, "name");
		v[n].type = file_type_from(json_string_value(json_object_get(e, "type")));
		v[n].size = json_int_or(e, "size", -1);
		v[n].permissions = perm ? (unsigned)strtoul(perm, NULL, 8) : 0;
		v[n].last_modified = json_dup_str(e, "last-modified");
		v[n].user_id = json_int_or(e, "user-id", -1);
		v[n].group_id = json_int_or(e, "group-id", -1);
		v[n].user = json_dup_str(e, "user");
		v[n].group = json_dup_str(e, "group");
		n++;
	}
	json_decref(res);
	*ret = v;
	*ret_n = n;
	return 0;
}

int pebble_path_result(json_t *res, const char *path, struct cairn_error *err)
{
	json_t *e = json_array_get(res, 0), *fe;
	const char *msg;

	if (!json_is_array(res) || json_array_size(res) != 1 || !json_is_object(e))
		return sdk_err(err, CAIRN_ERR_PROTOCOL, "files: expected one result for %s", path);
	fe = json_object_get(e, "error");
	if (!json_is_object(fe))
		return 0;
	msg = json_string_value(json_object_get(fe, "message"));
	return sdk_err_code(err, CAIRN_ERR_PATH, 200, json_string_value(json_object_get(fe, "kind")), "%s",
			    msg ? msg : "file error");
}

/* POSTs one make-dirs/remove request (consumed) and reads its per-path result. */
static int files_post(struct cairn_container *c, json_t *body, const char *path, struct cairn_error *err)
{
	json_t *res = NULL;
	int r = path_error(container_post(c, "/v1/files", body, &res, err), err);

	json_decref(body);
	if (r == 0)
		r = pebble_path_result(res, path, err);
	json_decref(res);
	return r;
}

int cairn_pebble_make_dir(struct cairn_container *c, const char *path, const struct cairn_file_opts *o,
			  struct cairn_error *err)
{
	json_t *item;
	int r = check_path(path, err);

	if (r < 0)
		return r;
	item = json_pack("{s:s}", "path", path);
	if (o && o->make_dirs)
		json_object_set_new(item, "make-parents", json_true());
	r = add_opts(item, o, err);
	if (r < 0) {
		json_decref(item);
		return r;
	}
	return files_post(c, json_pack("{s:s, s:[o]}", "action", "make-dirs", "dirs", item), path, err);
}

int cairn_pebble_remove_path(struct cairn_container *c, const char *path, bool recursive, struct cairn_error *err)
{
	int r = check_path(path, err);

	if (r < 0)
		return r;
	return files_post(c,
			  json_pack("{s:s, s:[{s:s, s:b}]}", "action", "remove", "paths", "path", path, "recursive",
				    recursive),
			  path, err);
}
