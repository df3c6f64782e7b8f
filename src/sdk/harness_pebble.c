/* harness_pebble.c - the harness's fake Pebble, one per container; see harness.h.
 *
 * It answers the Pebble transport (pebble.h) in-process with Pebble's own JSON shapes and
 * error texts (pebble-api.md), so the SDK's client code runs unchanged against it.  Layers
 * are combined, validated and rendered by scree's plan code, exactly as scree does; services
 * change state at once (no processes: a start is immediately active); the filesystem is a
 * private directory; exec runs the handlers a test registered. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "scree/plan.h"
#include "sdk/error.h"
#include "sdk/harness.h"
#include "sdk/value.h"

#define FAKE_VERSION "v1.32.1"
#define FAKE_MAX_PATH 4096

struct h_pebble {
	struct pebble base;
	struct cairn_harness *h;
	struct h_container *c;
};

static int api_error(struct cairn_error *err, int code, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int api_error(struct cairn_error *err, int code, const char *kind, const char *fmt, ...)
{
	char msg[CAIRN_ERROR_MESSAGE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sdk_err_code(err, CAIRN_ERR_API, code, kind, "%s", msg);
}

/* The value of key in a query string "a=b&c=d" (percent-decoded, caller frees), or NULL. */
static char *query_get(const char *query, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);

		if ((size_t)(end - p) > kl && !strncmp(p, key, kl) && p[kl] == '=') {
			struct buf b = BUF_INIT;

			buf_init(&b);
			for (const char *s = p + kl + 1; s < end; s++) {
				unsigned v;

				if (*s == '%' && end - s >= 3 && sscanf(s + 1, "%2x", &v) == 1) {
					buf_addc(&b, (char)v);
					s += 2;
				} else {
					buf_addc(&b, *s == '+' ? ' ' : *s);
				}
			}
			return buf_detach(&b);
		}
		p = amp ? amp + 1 : end;
	}
	return NULL;
}

/* Whether name is in the comma-separated list (NULL list = everything). */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	if (!list)
		return true;
	for (const char *p = list; *p;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);

		if ((size_t)(end - p) == n && !strncmp(p, name, n))
			return true;
		p = comma ? comma + 1 : end;
	}
	return false;
}

static void rfc3339(time_t t, char *out, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- services ---- */

static struct h_service *svc(struct h_container *c, const char *name)
{
	struct h_service *s;

	for (size_t i = 0; i < c->n_svcs; i++)
		if (!strcmp(c->svcs[i].name, name))
			return &c->svcs[i];
	c->svcs = xrealloc(c->svcs, (c->n_svcs + 1) * sizeof(*c->svcs));
	s = &c->svcs[c->n_svcs++];
	memset(s, 0, sizeof(*s));
	s->name = xstrdup(name);
	s->current = CAIRN_SERVICE_INACTIVE;
	return s;
}

static json_t *services_list(struct h_container *c, const char *names)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->plan->s.n_services; i++) {
		const struct plan_service *ps = c->plan->s.services[i];
		struct h_service *s;

		if (!in_list(names, ps->name))
			continue;
		s = svc(c, ps->name);
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "name", ps->name, "startup",
						   plan_service_startup_enabled(ps) ? "enabled" : "disabled", "current",
						   cairn_service_status_name(s->current)));
	}
	return a;
}

/* Flattens lanes into one list of names. */
static void lanes_names(const struct plan_lanes *l, json_t *out)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t k = 0; k < l->v[i].n; k++)
			json_array_append_new(out, json_string(l->v[i].v[k]));
}

static int start_stop(struct h_container *c, char **names, size_t n, bool start, struct cairn_error *err)
{
	struct plan_lanes lanes;
	struct errbuf eb;
	json_t *set = json_array(), *e;
	size_t i;
	int r;

	errbuf_clear(&eb);
	r = start ? plan_start_order(c->plan, names, n, &lanes, &eb) : plan_stop_order(c->plan, names, n, &lanes, &eb);
	if (r < 0) {
		json_decref(set);
		return api_error(err, 400, NULL, "cannot %s services: %s", start ? "start" : "stop", eb.msg);
	}
	lanes_names(&lanes, set);
	plan_lanes_done(&lanes);
	json_array_foreach(set, i, e) {
		struct h_service *s = svc(c, json_string_value(e));

		if (start && s->current != CAIRN_SERVICE_ACTIVE) {
			s->current = CAIRN_SERVICE_ACTIVE;
			s->starts++;
			plan_service_free(s->started_with);
			s->started_with = plan_service_dup(plan_find_service(&c->plan->s, s->name));
		} else if (!start) {
			s->current = CAIRN_SERVICE_INACTIVE;
		}
	}
	json_decref(set);
	return 0;
}

static char *new_change(struct h_container *c, const char *kind)
{
	char id[32];

	snprintf(id, sizeof(id), "%d", c->next_change++);
	json_object_set_new(c->changes, id, json_pack("{s:s, s:s, s:s, s:s, s:b}", "id", id, "kind", kind, "summary",
						     kind, "status", "Done", "ready", true));
	return xstrdup(id);
}

/* Names from a JSON list into a vector (borrowed strings). */
static char **names_vec(json_t *list, size_t *ret_n)
{
	char **v = xcalloc(json_array_size(list) + 1, sizeof(char *));
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(list, i, e)
		if (json_is_string(e))
			v[n++] = (char *)json_string_value(e);
	*ret_n = n;
	return v;
}

static int services_post(struct h_container *c, json_t *body, char **ret_change, struct cairn_error *err)
{
	const char *action = json_string_value(json_object_get(body, "action"));
	json_t *list = json_object_get(body, "services");
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	if (!action)
		return api_error(err, 400, NULL, "invalid action \"\"");
	names = names_vec(list, &n);
	if (!strcmp(action, "start") || !strcmp(action, "stop") || !strcmp(action, "restart")) {
		if (!n) {
			free(names);
			return api_error(err, 400, NULL, "must specify services for %s action", action);
		}
		if (!strcmp(action, "restart"))
			r = start_stop(c, names, n, false, err);
		if (r == 0)
			r = start_stop(c, names, n, strcmp(action, "stop") != 0, err);
	} else if (!strcmp(action, "autostart") || !strcmp(action, "replan")) {
		bool replan = !strcmp(action, "replan");
		char **en = xcalloc(c->plan->s.n_services + 1, sizeof(char *));
		size_t k = 0;

		if (n) {
			free(en);
			free(names);
			return api_error(err, 400, NULL, "%s accepts no service names", action);
		}
		for (size_t i = 0; i < c->plan->s.n_services; i++) {
			const struct plan_service *ps = c->plan->s.services[i];
			struct h_service *s = svc(c, ps->name);

			/* replan restarts what runs with a configuration that changed. */
			if (replan && s->current == CAIRN_SERVICE_ACTIVE && !plan_service_equal(s->started_with, ps))
				s->current = CAIRN_SERVICE_INACTIVE;
			if (plan_service_startup_enabled(ps))
				en[k++] = ps->name;
		}
		if (!k && !replan)
			r = api_error(err, 400, "no-default-services", "no default services");
		else if (k)
			r = start_stop(c, en, k, true, err);
		free(en);
	} else {
		r = api_error(err, 400, NULL, "invalid action \"%s\"", action);
	}
	free(names);
	if (r == 0)
		*ret_change = new_change(c, action);
	return r;
}

/* ---- checks ---- */

static json_t *check_state(struct h_container *c, const struct plan_check *pc)
{
	json_t *st = json_object_get(c->checks, pc->name);

	if (!st) {
		st = json_pack("{s:s, s:i}", "status", plan_check_startup_enabled(pc) ? "up" : "inactive", "failures", 0);
		json_object_set_new(c->checks, pc->name, st);
	}
	return st;
}

static json_t *checks_list(struct h_container *c, const char *level, const char *names)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->plan->s.n_checks; i++) {
		const struct plan_check *pc = c->plan->s.checks[i];
		json_t *st, *o;

		if (!in_list(names, pc->name) || (level && strcmp(level, plan_check_level_name(pc->level))))
			continue;
		st = check_state(c, pc);
		o = json_pack("{s:s, s:s, s:O, s:i, s:O, s:I}", "name", pc->name, "startup",
			      plan_check_startup_enabled(pc) ? "enabled" : "disabled", "status",
			      json_object_get(st, "status"), "successes", 0, "failures", json_object_get(st, "failures"),
			      "threshold", (json_int_t)plan_check_threshold(pc));
		if (pc->level != PLAN_LEVEL_UNSET)
			json_object_set_new(o, "level", json_string(plan_check_level_name(pc->level)));
		if (strcmp(json_string_value(json_object_get(st, "status")), "inactive"))
			json_object_set_new(o, "change-id", json_sprintf("check-%s", pc->name));
		json_array_append_new(a, o);
	}
	return a;
}

static int checks_post(struct h_container *c, json_t *body, json_t **ret, struct cairn_error *err)
{
	const char *action = json_string_value(json_object_get(body, "action"));
	json_t *list = json_object_get(body, "checks"), *changed, *e;
	size_t i;

	if (!action || (strcmp(action, "start") && strcmp(action, "stop")))
		return api_error(err, 400, NULL, "invalid action \"%s\"", action ? action : "");
	if (!json_array_size(list))
		return api_error(err, 400, NULL, "must specify checks for %s action", action);
	json_array_foreach(list, i, e)
		if (!json_is_string(e) || !plan_find_check(&c->plan->s, json_string_value(e)))
			return api_error(err, 400, NULL, "cannot %s checks: check \"%s\" does not exist", action,
					 json_is_string(e) ? json_string_value(e) : "");
	changed = json_array();
	json_array_foreach(list, i, e) {
		json_t *st = check_state(c, plan_find_check(&c->plan->s, json_string_value(e)));
		bool active = strcmp(json_string_value(json_object_get(st, "status")), "inactive") != 0;

		if (active == !strcmp(action, "start"))
			continue;
		json_object_set_new(st, "status", json_string(!strcmp(action, "start") ? "up" : "inactive"));
		json_array_append(changed, e);
	}
	*ret = json_pack("{s:o}", "changed", changed);
	return 0;
}

/* ---- notices ---- */

static json_t *notice_add(struct h_container *c, const char *type, const char *key, json_t *data)
{
	char now[64], id[32];
	size_t i;
	json_t *n;

	rfc3339(time(NULL), now, sizeof(now));
	json_array_foreach(c->notices, i, n)
		if (!strcmp(json_string_value(json_object_get(n, "type")), type) &&
		    !strcmp(json_string_value(json_object_get(n, "key")), key)) {
			json_object_set_new(n, "occurrences",
					    json_integer(json_integer_value(json_object_get(n, "occurrences")) + 1));
			json_object_set_new(n, "last-occurred", json_string(now));
			json_object_set_new(n, "last-repeated", json_string(now));
			if (data)
				json_object_set(n, "last-data", data);
			return n;
		}
	snprintf(id, sizeof(id), "%d", c->next_notice++);
	n = json_pack("{s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:i, s:s}", "id", id, "user-id", "type", type, "key", key,
		      "first-occurred", now, "last-occurred", now, "last-repeated", now, "occurrences", 1, "expire-after",
		      "168h0m0s");
	if (data && json_object_size(data))
		json_object_set(n, "last-data", data);
	json_array_append_new(c->notices, n);
	return n;
}

static json_t *notices_list(struct h_container *c, const char *types, const char *keys)
{
	json_t *a = json_array(), *n;
	size_t i;

	json_array_foreach(c->notices, i, n)
		if (in_list(types, json_string_value(json_object_get(n, "type"))) &&
		    in_list(keys, json_string_value(json_object_get(n, "key"))))
			json_array_append(a, n);
	return a;
}

/* ---- files ---- */

/* Whether a path has a ".." component (which could leave the fake root). */
static bool has_dotdot(const char *path)
{
	for (const char *p = path; (p = strstr(p, "..")); p += 2)
		if ((p == path || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

/* The host path of an absolute container path, or NULL with a generic-file-error. */
/* What a client hears from a container it cannot connect to (set_can_connect false). */
static int unreachable(const struct h_container *c, struct cairn_error *err)
{
	return sdk_err(err, CAIRN_ERR_CONNECTION,
		       "cannot connect to \"/charm/containers/%s/pebble.socket\": No such file or directory", c->name);
}

static char *host_path(struct h_container *c, const char *path, struct cairn_error *err)
{
	if (!path || path[0] != '/') {
		sdk_err_code(err, CAIRN_ERR_PATH, 400, "generic-file-error", "paths must be absolute, got \"%s\"",
			     path ? path : "");
		return NULL;
	}
	if (strlen(path) > FAKE_MAX_PATH || has_dotdot(path)) {
		sdk_err_code(err, CAIRN_ERR_PATH, 400, "generic-file-error", "invalid path \"%s\"", path);
		return NULL;
	}
	return xasprintf("%s%s", c->root, path);
}

static int errno_path_error(struct cairn_error *err, int e, const char *op, const char *path)
{
	const char *kind = e == ENOENT ? "not-found" : e == EACCES || e == EPERM ? "permission-denied"
									       : "generic-file-error";
	char msg[128];

	snprintf(msg, sizeof(msg), "%s", strerror(e));
	if (msg[0] >= 'A' && msg[0] <= 'Z')
		msg[0] = (char)(msg[0] - 'A' + 'a');
	return sdk_err_code(err, CAIRN_ERR_PATH, e == ENOENT ? 404 : e == EACCES ? 403 : 400, kind, "%s %s: %s", op,
			    path, msg);
}

static const char *file_type(mode_t m)
{
	return S_ISREG(m) ? "file" : S_ISDIR(m) ? "directory" : S_ISLNK(m) ? "symlink" : S_ISSOCK(m) ? "socket"
	       : S_ISFIFO(m) ? "named-pipe" : (S_ISBLK(m) || S_ISCHR(m)) ? "device" : "unknown";
}

static json_t *file_info(const char *path, const char *name, const struct stat *st)
{
	struct passwd *pw = getpwuid(st->st_uid);
	struct group *gr = getgrgid(st->st_gid);
	char perms[8], mtime[64];
	json_t *o;

	snprintf(perms, sizeof(perms), "%03o", (unsigned)(st->st_mode & 07777));
	rfc3339(st->st_mtime, mtime, sizeof(mtime));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "path", path, "name", name, "type", file_type(st->st_mode),
		      "permissions", perms, "last-modified", mtime, "user-id", (json_int_t)st->st_uid, "group-id",
		      (json_int_t)st->st_gid);
	if (S_ISREG(st->st_mode))
		json_object_set_new(o, "size", json_integer((json_int_t)st->st_size));
	if (pw)
		json_object_set_new(o, "user", json_string(pw->pw_name));
	if (gr)
		json_object_set_new(o, "group", json_string(gr->gr_name));
	return o;
}

static int files_list(struct h_container *c, const char *query, json_t **ret, struct cairn_error *err)
{
	char *path = query_get(query, "path"), *pattern = query_get(query, "pattern"), *itself = query_get(query, "itself");
	char *host = NULL;
	struct stat st;
	json_t *a = NULL;
	DIR *d = NULL;
	struct dirent *de;
	int r = 0;

	if (!path || path[0] != '/') {
		r = api_error(err, 400, "generic-file-error", "path must be absolute, got \"%s\"", path ? path : "");
		goto out;
	}
	host = host_path(c, path, err);
	if (!host) {
		r = sdk_errno(CAIRN_ERR_PATH);
		goto out;
	}
	if (stat(host, &st) < 0) {
		r = errno_path_error(err, errno, "stat", path);
		goto out;
	}
	a = json_array();
	if (!S_ISDIR(st.st_mode) || (itself && !strcmp(itself, "true"))) {
		const char *slash = strrchr(path, '/');

		json_array_append_new(a, file_info(path, strcmp(path, "/") ? slash + 1 : "/", &st));
		goto out;
	}
	d = opendir(host);
	while (d && (de = readdir(d))) {
		char *sub, *cpath;
		struct stat es;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (pattern && fnmatch(pattern, de->d_name, 0) != 0)
			continue;
		sub = xasprintf("%s/%s", host, de->d_name);
		cpath = xasprintf("%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", de->d_name);
		if (lstat(sub, &es) == 0)
			json_array_append_new(a, file_info(cpath, de->d_name, &es));
		free(sub);
		free(cpath);
	}
out:
	if (d)
		closedir(d);
	if (r == 0)
		*ret = a;
	else
		json_decref(a);
	free(host);
	free(path);
	free(pattern);
	free(itself);
	return r;
}

/* One file operation's result entry: {"path"} or {"path", "error": {...}}. */
static json_t *file_result(const char *path, const struct cairn_error *e)
{
	json_t *o = json_pack("{s:s}", "path", path);

	if (e)
		json_object_set_new(o, "error", json_pack("{s:s, s:s}", "message", e->message, "kind", e->pebble_kind));
	return o;
}

static int make_dir(struct h_container *c, json_t *item, struct cairn_error *err)
{
	const char *path = json_string_value(json_object_get(item, "path"));
	const char *perm = json_string_value(json_object_get(item, "permissions"));
	mode_t mode = perm ? (mode_t)strtoul(perm, NULL, 8) : 0755;
	char *host = host_path(c, path, err);
	int r = 0;

	if (!host)
		return sdk_errno(CAIRN_ERR_PATH);
	if (json_is_true(json_object_get(item, "make-parents"))) {
		r = fs_mkdir_p(host, mode);
		if (r < 0)
			r = errno_path_error(err, -r, "mkdir", path);
	} else if (mkdir(host, mode) < 0) {
		r = errno_path_error(err, errno, "mkdir", path);
	}
	if (r == 0)
		chmod(host, mode);
	free(host);
	return r;
}

static int remove_path(struct h_container *c, json_t *item, struct cairn_error *err)
{
	const char *path = json_string_value(json_object_get(item, "path"));
	char *host = host_path(c, path, err);
	int r = 0;

	if (!host)
		return sdk_errno(CAIRN_ERR_PATH);
	if (json_is_true(json_object_get(item, "recursive"))) {
		r = fs_rm_rf(host);
		if (r < 0)
			r = errno_path_error(err, -r, "remove", path);
	} else if (remove(host) < 0) {
		r = errno_path_error(err, errno, "remove", path);
	}
	free(host);
	return r;
}

static int files_post(struct h_container *c, json_t *body, json_t **ret, struct cairn_error *err)
{
	const char *action = json_string_value(json_object_get(body, "action"));
	const char *key = action && !strcmp(action, "make-dirs") ? "dirs" : "paths";
	json_t *items = json_object_get(body, key), *out, *e;
	size_t i;

	if (!action || (strcmp(action, "make-dirs") && strcmp(action, "remove")))
		return api_error(err, 400, NULL, "invalid action \"%s\"", action ? action : "");
	out = json_array();
	json_array_foreach(items, i, e) {
		struct cairn_error fe;
		int r;

		sdk_err_clear(&fe);
		r = !strcmp(action, "make-dirs") ? make_dir(c, e, &fe) : remove_path(c, e, &fe);
		const char *path = json_string_value(json_object_get(e, "path"));

		json_array_append_new(out, file_result(path ? path : "", r < 0 ? &fe : NULL));
	}
	*ret = out;
	return 0;
}

/* ---- the transport ---- */

static int exec_post(struct h_container *c, json_t *body, json_t **ret, char **ret_change, struct cairn_error *err);

static int fp_request(struct pebble *pb, const char *method, const char *path, const char *query, json_t *body,
		      int timeout_ms, json_t **ret_result, char **ret_change, struct cairn_error *err)
{
	struct h_pebble *p = (struct h_pebble *)pb;
	struct h_container *c = p->c;
	bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
	json_t *res = NULL;
	char *change = NULL;
	int r = 0;

	(void)timeout_ms;
	if (!c->can_connect)
		return unreachable(c, err);
	if (get && !strcmp(path, "/v1/system-info")) {
		res = json_pack("{s:s, s:s}", "boot-id", "harness-boot-id", "version", FAKE_VERSION);
	} else if (post && !strcmp(path, "/v1/layers")) {
		const char *label = json_string_value(json_object_get(body, "label"));
		const char *yaml = json_string_value(json_object_get(body, "layer"));
		struct plan_add_opts o = { json_is_true(json_object_get(body, "combine")),
					   json_is_true(json_object_get(body, "inner")) };
		struct plan_layer *layer = NULL;
		struct plan *np = NULL;
		struct errbuf eb;

		errbuf_clear(&eb);
		if (!label || !*label)
			return api_error(err, 400, NULL, "label must be set");
		if (!yaml || plan_layer_parse(label, 0, yaml, strlen(yaml), &layer, &eb) < 0)
			return api_error(err, 400, NULL, "cannot parse layer YAML: %s", eb.msg);
		r = plan_add_layer(c->plan, layer, &o, &np, &eb);
		plan_layer_free(layer);
		if (r < 0)
			return api_error(err, r == -EPERM || r == -E2BIG ? 500 : 400, NULL, "%s", eb.msg);
		plan_free(c->plan);
		c->plan = np;
		res = json_true();
	} else if (get && !strcmp(path, "/v1/plan")) {
		struct buf b = BUF_INIT;
		char *fmt = query_get(query, "format");

		if (!fmt || strcmp(fmt, "yaml")) {
			r = api_error(err, 400, NULL, "invalid format \"%s\"", fmt ? fmt : "");
			free(fmt);
			return r;
		}
		free(fmt);
		buf_init(&b);
		plan_render_yaml(c->plan, &b);
		res = json_string(buf_str(&b));
		buf_done(&b);
	} else if (get && !strcmp(path, "/v1/services")) {
		char *names = query_get(query, "names");

		res = services_list(c, names);
		free(names);
	} else if (post && !strcmp(path, "/v1/services")) {
		r = services_post(c, body, &change, err);
	} else if (get && !strncmp(path, "/v1/changes/", 12)) {
		char id[64];
		const char *rest = path + 12, *slash = strchr(rest, '/');

		snprintf(id, sizeof(id), "%.*s", slash ? (int)(slash - rest) : (int)strlen(rest), rest);
		if (slash && strcmp(slash, "/wait"))
			return api_error(err, 404, NULL, "invalid API endpoint requested");
		res = json_incref(json_object_get(c->changes, id));
		if (!res)
			return api_error(err, 404, NULL, "cannot find change with id \"%s\"", id);
	} else if (post && !strcmp(path, "/v1/exec")) {
		r = exec_post(c, body, &res, &change, err);
	} else if (post && !strcmp(path, "/v1/signals")) {
		json_t *list = json_object_get(body, "services"), *e;
		size_t i;

		if (!json_array_size(list))
			return api_error(err, 400, NULL, "must specify one or more services");
		json_array_foreach(list, i, e)
			if (!json_is_string(e) || svc(c, json_string_value(e))->current != CAIRN_SERVICE_ACTIVE)
				return api_error(err, 500, NULL, "cannot send signal to \"%s\": service is not running",
						 json_is_string(e) ? json_string_value(e) : "");
		res = json_true();
	} else if (get && !strcmp(path, "/v1/checks")) {
		char *level = query_get(query, "level"), *names = query_get(query, "names");

		res = checks_list(c, level, names);
		free(level);
		free(names);
	} else if (post && !strcmp(path, "/v1/checks")) {
		r = checks_post(c, body, &res, err);
	} else if (get && !strcmp(path, "/v1/notices")) {
		char *types = query_get(query, "types"), *keys = query_get(query, "keys");

		res = notices_list(c, types, keys);
		free(types);
		free(keys);
	} else if (get && !strncmp(path, "/v1/notices/", 12)) {
		size_t i;
		json_t *n;

		json_array_foreach(c->notices, i, n)
			if (!strcmp(json_string_value(json_object_get(n, "id")), path + 12))
				res = json_incref(n);
		if (!res)
			return api_error(err, 404, NULL, "cannot find notice with ID \"%s\"", path + 12);
	} else if (post && !strcmp(path, "/v1/notices")) {
		const char *type = json_string_value(json_object_get(body, "type"));
		const char *key = json_string_value(json_object_get(body, "key"));

		if (!type || strcmp(type, "custom"))
			return api_error(err, 400, NULL, "invalid type \"%s\" (can only add \"custom\" notices)",
					 type ? type : "");
		if (!key || !*key)
			return api_error(err, 400, NULL, "invalid key \"\"");
		res = json_pack("{s:O}", "id", json_object_get(notice_add(c, type, key, json_object_get(body, "data")), "id"));
	} else if (get && !strcmp(path, "/v1/files")) {
		char *action = query_get(query, "action");

		if (!action || strcmp(action, "list"))
			r = api_error(err, 400, NULL, "invalid action \"%s\"", action ? action : "");
		else
			r = files_list(c, query, &res, err);
		free(action);
	} else if (post && !strcmp(path, "/v1/files")) {
		r = files_post(c, body, &res, err);
	} else {
		return api_error(err, 404, NULL, "invalid API endpoint requested");
	}
	if (r < 0) {
		json_decref(res);
		return r;
	}
	if (change) {
		if (!ret_change) {
			free(change);
			return sdk_err(err, CAIRN_ERR_PROTOCOL, "%s %s: unexpected async answer", method, path);
		}
		*ret_change = change;
		if (ret_result)
			*ret_result = res ? res : json_null();
		else
			json_decref(res);
		return 0;
	}
	if (ret_change)
		*ret_change = NULL;
	*ret_result = res ? res : json_null();
	return 0;
}

/* The host path of a file in a container the client can reach. */
static int reachable_host(struct h_pebble *p, const char *path, char **ret_host, struct cairn_error *err)
{
	if (!p->c->can_connect)
		return unreachable(p->c, err);
	*ret_host = host_path(p->c, path, err);
	return *ret_host ? 0 : sdk_errno(CAIRN_ERR_PATH);
}

static int fp_push(struct pebble *pb, json_t *meta, const void *data, size_t len, struct cairn_error *err)
{
	struct h_pebble *p = (struct h_pebble *)pb;
	const char *path = json_string_value(json_object_get(meta, "path"));
	const char *perm = json_string_value(json_object_get(meta, "permissions"));
	mode_t mode = perm ? (mode_t)strtoul(perm, NULL, 8) : 0644;
	char *host, *dir;
	int r;

	r = reachable_host(p, path, &host, err);
	if (r < 0)
		return r;
	if (json_is_true(json_object_get(meta, "make-dirs"))) {
		dir = xstrdup(host);
		*strrchr(dir, '/') = '\0';
		fs_mkdir_p(dir, 0755);
		free(dir);
	}
	r = fs_write_atomic(host, data, len, mode);
	if (r == 0)
		chmod(host, mode);
	free(host);
	return r < 0 ? errno_path_error(err, -r, "open", path) : 0;
}

static int fp_pull(struct pebble *pb, const char *path, struct buf *out, struct cairn_error *err)
{
	struct h_pebble *p = (struct h_pebble *)pb;
	struct stat st;
	char *host;
	int r;

	r = reachable_host(p, path, &host, err);
	if (r < 0)
		return r;
	if (stat(host, &st) < 0) {
		r = errno_path_error(err, errno, "stat", path);
	} else if (!S_ISREG(st.st_mode)) {
		r = sdk_err_code(err, CAIRN_ERR_PATH, 200, "generic-file-error", "can only read a regular file: \"%s\"", path);
	} else {
		r = fs_read_file(host, 1u << 30, out);
		if (r < 0)
			r = errno_path_error(err, -r, "open", path);
	}
	free(host);
	return r;
}

/* The handler registered for argv (the longest matching prefix), or NULL. */
static struct h_exec_handler *exec_handler(struct h_container *c, const char *const *argv)
{
	struct h_exec_handler *best = NULL;
	size_t argc = 0;

	while (argv[argc])
		argc++;
	for (size_t i = 0; i < c->n_handlers; i++) {
		struct h_exec_handler *x = &c->handlers[i];
		size_t k;

		if (x->n > argc || (best && best->n >= x->n))
			continue;
		for (k = 0; k < x->n && !strcmp(x->prefix[k], argv[k]); k++)
			;
		if (k == x->n)
			best = x;
	}
	return best;
}

/* POST /v1/exec: a command some handler takes is accepted as a task; the handler runs when
 * the client attaches its streams (fp_exec_io). */
static int exec_post(struct h_container *c, json_t *body, json_t **ret, char **ret_change, struct cairn_error *err)
{
	json_t *cmd = json_object_get(body, "command"), *e, *ch;
	const char **argv;
	char id[32];
	size_t i;

	if (!json_array_size(cmd))
		return api_error(err, 400, NULL, "must specify command");
	argv = xcalloc(json_array_size(cmd) + 1, sizeof(char *));
	json_array_foreach(cmd, i, e)
		argv[i] = json_is_string(e) ? json_string_value(e) : "";
	if (!exec_handler(c, argv)) {
		int r = api_error(err, 400, NULL, "cannot find executable \"%s\"", argv[0]);

		free(argv);
		return r;
	}
	free(argv);
	*ret_change = new_change(c, "exec");
	ch = json_object_get(c->changes, *ret_change);
	snprintf(id, sizeof(id), "exec-%s", *ret_change);
	json_object_set_new(ch, "tasks", json_pack("[{s:s, s:s, s:{}}]", "id", id, "kind", "exec", "data"));
	*ret = json_pack("{s:s, s:O}", "task-id", id, "environment", json_object_get(body, "environment"));
	return 0;
}

static int fp_exec_io(struct pebble *pb, const char *task_id, const struct cairn_exec_opts *o,
		      struct cairn_exec_result *ret, struct cairn_error *err)
{
	struct h_pebble *p = (struct h_pebble *)pb;
	struct h_exec_handler *x = exec_handler(p->c, o->argv);
	struct cairn_exec_result res;
	json_t *ch;

	if (!p->c->can_connect)
		return unreachable(p->c, err);
	if (strncmp(task_id, "exec-", 5) || !(ch = json_object_get(p->c->changes, task_id + 5)))
		return api_error(err, 404, NULL, "cannot find task \"%s\"", task_id);
	memset(&res, 0, sizeof(res));
	if (!x || x->fn(o, &res, x->data) != 0) {
		cairn_exec_result_done(&res);
		json_object_set_new(ch, "status", json_string("Error"));
		json_object_set_new(ch, "err", json_sprintf("cannot perform the following tasks:\n- Execute command "
							    "\"%s\" (cannot find executable)", o->argv[0]));
		return 0;
	}
	json_object_set_new(json_object_get(json_array_get(json_object_get(ch, "tasks"), 0), "data"), "exit-code",
			    json_integer(res.exit_code));
	if (!res.out)
		res.out = xstrdup("");
	if (!res.err)
		res.err = xstrdup("");
	ret->out = res.out;
	ret->out_len = res.out_len;
	ret->err = res.err;
	ret->err_len = res.err_len;
	return 0;
}

static void fp_free(struct pebble *pb)
{
	free(pb);
}

static const struct pebble_ops fp_ops = {
	.request = fp_request, .push = fp_push, .pull = fp_pull, .exec_io = fp_exec_io, .free = fp_free,
};

struct pebble *harness_pebble_new(void *harness, const char *container)
{
	struct cairn_harness *h = harness;
	struct h_container *c = harness_container(h, container);
	struct h_pebble *p;

	if (!c)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->base.ops = &fp_ops;
	p->h = h;
	p->c = c;
	return &p->base;
}

/* ---- harness calls that act on the fake Pebble ---- */

int cairn_harness_pebble_notify(struct cairn_harness *h, const char *container, const char *key,
				struct cairn_error *err)
{
	struct h_container *c = harness_container(h, container);
	char v1[320], v2[320], v3[64], v4[320];
	const char *env[5] = { v1, v2, v3, v4, NULL };
	char hook[300];
	json_t *n;

	if (!c)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", container ? container : "");
	if (!key || !*key)
		return sdk_err(err, CAIRN_ERR_INVALID, "no notice key");
	n = notice_add(c, "custom", key, NULL);
	snprintf(v1, sizeof(v1), "JUJU_WORKLOAD_NAME=%s", c->name);
	snprintf(v2, sizeof(v2), "JUJU_NOTICE_ID=%s", json_string_value(json_object_get(n, "id")));
	snprintf(v3, sizeof(v3), "JUJU_NOTICE_TYPE=custom");
	snprintf(v4, sizeof(v4), "JUJU_NOTICE_KEY=%s", key);
	snprintf(hook, sizeof(hook), "%s-pebble-custom-notice", c->name);
	return cairn_harness_emit_hook(h, hook, env, err);
}

int cairn_harness_pebble_check(struct cairn_harness *h, const char *container, const char *check, bool failed,
			       struct cairn_error *err)
{
	struct h_container *c = harness_container(h, container);
	const struct plan_check *pc;
	char v1[320], v2[320], hook[300];
	const char *env[3] = { v1, v2, NULL };
	json_t *st;

	if (!c)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "no container \"%s\" in metadata.yaml", container ? container : "");
	pc = check ? plan_find_check(&c->plan->s, check) : NULL;
	if (!pc)
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "the plan of \"%s\" has no check \"%s\"", c->name, check ? check : "");
	st = check_state(c, pc);
	json_object_set_new(st, "status", json_string(failed ? "down" : "up"));
	json_object_set_new(st, "failures", json_integer(failed ? (json_int_t)plan_check_threshold(pc) : 0));
	snprintf(v1, sizeof(v1), "JUJU_WORKLOAD_NAME=%s", c->name);
	snprintf(v2, sizeof(v2), "JUJU_PEBBLE_CHECK_NAME=%s", check);
	snprintf(hook, sizeof(hook), "%s-pebble-check-%s", c->name, failed ? "failed" : "recovered");
	return cairn_harness_emit_hook(h, hook, env, err);
}
