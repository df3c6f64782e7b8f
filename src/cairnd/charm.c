/* charm.c - loading charms (directories and .charm zips) and installing their files; see
 * charm.h. */
#include "cairnd/charm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "cairnd/settings.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/names.h"
#include "lib/strnum.h"
#include "lib/yamljson.h"

#define FIELD_MAX 256 /* longest field path quoted in an error */

/* ======================= names ======================= */

bool charm_valid_app_name(const char *s)
{
	return names_valid_application(s);
}

bool charm_valid_unit_name(const char *s)
{
	return names_valid_unit(s);
}

static const char *const opt_type_names[_CHARM_OPT_MAX] = {
	[CHARM_OPT_STRING] = "string", [CHARM_OPT_INT] = "int",       [CHARM_OPT_FLOAT] = "float",
	[CHARM_OPT_BOOLEAN] = "boolean", [CHARM_OPT_SECRET] = "secret",
};

const char *charm_opt_type_name(enum charm_opt_type t)
{
	return (unsigned)t < _CHARM_OPT_MAX ? opt_type_names[t] : "unknown";
}

int charm_opt_type_from_name(const char *s)
{
	for (int i = 0; i < _CHARM_OPT_MAX; i++)
		if (!strcmp(s, opt_type_names[i]))
			return i;
	return -1;
}

static const char *const role_names[_CHARM_ROLE_MAX] = {
	[CHARM_ROLE_REQUIRES] = "requires",
	[CHARM_ROLE_PROVIDES] = "provides",
	[CHARM_ROLE_PEERS] = "peers",
};

const char *charm_role_name(enum charm_role r)
{
	return (unsigned)r < _CHARM_ROLE_MAX ? role_names[r] : "unknown";
}

const struct charm_option *charm_find_option(const struct charm *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_options; i++)
		if (!strcmp(c->options[i].name, name))
			return &c->options[i];
	return NULL;
}

void charm_free(struct charm *c)
{
	if (!c)
		return;
	free(c->dir);
	free(c->name);
	free(c->summary);
	free(c->description);
	json_decref(c->metadata);
	json_decref(c->actions);
	for (size_t i = 0; i < c->n_options; i++) {
		free(c->options[i].name);
		json_decref(c->options[i].def);
		free(c->options[i].description);
	}
	free(c->options);
	for (size_t i = 0; i < c->n_containers; i++)
		free(c->containers[i]);
	free(c->containers);
	json_decref(c->resources);
	for (size_t i = 0; i < c->n_endpoints; i++) {
		free(c->endpoints[i].name);
		free(c->endpoints[i].interface);
	}
	free(c->endpoints);
	free(c->version);
	free(c);
}

/* ======================= type checks ======================= */

enum kind { K_STRING, K_INT, K_BOOL, K_LIST, K_MAP };

static const char *const kind_names[] = {
	[K_STRING] = "string", [K_INT] = "integer", [K_BOOL] = "boolean", [K_LIST] = "list",
	[K_MAP] = "map",
};

/* The YAML-ish name of v's type, for "expected X, got Y". */
static const char *json_kind(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "float";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_ARRAY: return "list";
	case JSON_OBJECT: return "map";
	case JSON_NULL: break;
	}
	return "null";
}

static bool is_kind(json_t *v, enum kind k)
{
	switch (k) {
	case K_STRING: return json_is_string(v);
	case K_INT: return json_is_integer(v);
	case K_BOOL: return json_is_boolean(v);
	case K_LIST: return json_is_array(v);
	case K_MAP: return json_is_object(v);
	}
	return false;
}

/* Checks an optional field: absent (NULL) and null pass, otherwise v must be of kind k.
 * Fails with `<file>: field "<field>": expected <k>, got <type>`. */
static int want(struct errbuf *eb, const char *file, const char *field, json_t *v, enum kind k)
{
	if (!v || json_is_null(v) || is_kind(v, k))
		return 0;
	errbuf_set(eb, "%s: field \"%s\": expected %s, got %s", file, field, kind_names[k],
		   json_kind(v));
	return -EINVAL;
}

/* A required field of kind k. */
static int need(struct errbuf *eb, const char *file, const char *field, json_t *v, enum kind k)
{
	if (!v || json_is_null(v)) {
		errbuf_set(eb, "%s: field \"%s\" is required", file, field);
		return -EINVAL;
	}
	return want(eb, file, field, v, k);
}

/* An optional list whose items are all strings. */
static int want_str_list(struct errbuf *eb, const char *file, const char *field, json_t *v)
{
	size_t i;
	json_t *x;
	char f[FIELD_MAX];

	if (want(eb, file, field, v, K_LIST) < 0)
		return -EINVAL;
	json_array_foreach(v, i, x) {
		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		if (need(eb, file, f, x, K_STRING) < 0)
			return -EINVAL;
	}
	return 0;
}

static const char *str_or(json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

/* Reads and parses a YAML file of the charm.  *ret = NULL when the file does not exist
 * (and missing_ok); an empty file yields JSON null. */
static int load_yaml(const char *dir, const char *file, bool missing_ok, json_t **ret,
		     struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, file);
	int r;

	buf_init(&b);
	*ret = NULL;
	r = fs_read_file(path, CHARM_MAX_YAML_BYTES, &b);
	if (r == -ENOENT && missing_ok) {
		r = 0;
		goto out;
	}
	if (r == -ENOENT) {
		errbuf_set(eb, "%s: file not found in charm directory %s", file, dir);
		goto out;
	}
	if (r == -EFBIG) {
		errbuf_set(eb, "%s: file is larger than %u bytes", file, CHARM_MAX_YAML_BYTES);
		goto out;
	}
	if (r < 0) {
		errbuf_set(eb, "%s: cannot read: %s", file, strerror(-r));
		goto out;
	}
	r = yaml_to_json(b.data, b.len, ret, eb);
	if (r < 0) {
		errbuf_wrap(eb, "%s", file);
		r = -EINVAL;
	}
out:
	buf_done(&b);
	free(path);
	return r;
}

/* ======================= metadata.yaml ======================= */

#define MD "metadata.yaml"

static int parse_endpoints(struct charm *c, json_t *md, struct errbuf *eb)
{
	size_t cap = 0;

	for (int role = 0; role < _CHARM_ROLE_MAX; role++) {
		const char *rn = role_names[role], *ep;
		json_t *map = json_object_get(md, rn), *v;
		char f[FIELD_MAX];

		if (want(eb, MD, rn, map, K_MAP) < 0)
			return -EINVAL;
		json_object_foreach(map, ep, v) {
			struct charm_endpoint e = { 0 };
			json_t *iface = v, *limit = NULL, *scope = NULL, *optional = NULL;

			if (json_is_object(v)) {
				iface = json_object_get(v, "interface");
				limit = json_object_get(v, "limit");
				scope = json_object_get(v, "scope");
				optional = json_object_get(v, "optional");
			} else if (!json_is_string(v) && !json_is_null(v)) {
				/* The short form `db: mysql` names just the interface. */
				snprintf(f, sizeof(f), "%s.%s", rn, ep);
				errbuf_set(eb, "%s: field \"%s\": expected map, got %s", MD, f,
					   json_kind(v));
				return -EINVAL;
			}
			snprintf(f, sizeof(f), "%s.%s.interface", rn, ep);
			if (need(eb, MD, f, iface, K_STRING) < 0)
				return -EINVAL;
			snprintf(f, sizeof(f), "%s.%s.limit", rn, ep);
			if (want(eb, MD, f, limit, K_INT) < 0)
				return -EINVAL;
			if (json_is_integer(limit) &&
			    (json_integer_value(limit) < 0 || json_integer_value(limit) > INT_MAX)) {
				errbuf_set(eb, "%s: field \"%s\": invalid limit %" JSON_INTEGER_FORMAT,
					   MD, f, json_integer_value(limit));
				return -EINVAL;
			}
			snprintf(f, sizeof(f), "%s.%s.scope", rn, ep);
			if (want(eb, MD, f, scope, K_STRING) < 0)
				return -EINVAL;
			if (json_is_string(scope) && strcmp(json_string_value(scope), "global") &&
			    strcmp(json_string_value(scope), "container")) {
				errbuf_set(eb, "%s: field \"%s\": expected \"global\" or \"container\", got \"%s\"",
					   MD, f, json_string_value(scope));
				return -EINVAL;
			}
			snprintf(f, sizeof(f), "%s.%s.optional", rn, ep);
			if (want(eb, MD, f, optional, K_BOOL) < 0)
				return -EINVAL;
			if (!strcmp(ep, "juju") || !strncmp(ep, "juju-", 5)) {
				errbuf_set(eb, "%s: charm \"%s\" using a reserved relation name: \"%s\"",
					   MD, c->name, ep);
				return -EINVAL;
			}
			if (role == CHARM_ROLE_PROVIDES &&
			    (!strcmp(json_string_value(iface), "juju") ||
			     !strncmp(json_string_value(iface), "juju-", 5))) {
				errbuf_set(eb, "%s: charm \"%s\" relation \"%s\" using a reserved interface: \"%s\"",
					   MD, c->name, ep, json_string_value(iface));
				return -EINVAL;
			}
			for (size_t i = 0; i < c->n_endpoints; i++) {
				if (!strcmp(c->endpoints[i].name, ep)) {
					errbuf_set(eb, "%s: charm \"%s\" using a duplicated relation name: \"%s\"",
						   MD, c->name, ep);
					return -EINVAL;
				}
			}
			e.name = xstrdup(ep);
			e.role = (enum charm_role)role;
			e.interface = xstrdup(json_string_value(iface));
			e.limit = json_is_integer(limit) ? (int)json_integer_value(limit) : 0;
			e.container_scope = json_is_string(scope) &&
					    !strcmp(json_string_value(scope), "container");
			e.optional = json_is_true(optional);
			if (c->n_endpoints == cap) {
				cap = cap ? 2 * cap : 8;
				c->endpoints = xrealloc(c->endpoints, cap * sizeof(*c->endpoints));
			}
			c->endpoints[c->n_endpoints++] = e;
		}
	}
	if (c->subordinate) {
		bool ok = false;

		for (size_t i = 0; i < c->n_endpoints; i++)
			ok |= c->endpoints[i].role == CHARM_ROLE_REQUIRES &&
			      c->endpoints[i].container_scope;
		if (!ok) {
			errbuf_set(eb, "%s: subordinate charm \"%s\" lacks \"requires\" relation with container scope",
				   MD, c->name);
			return -EINVAL;
		}
	}
	return 0;
}

static int parse_storage(json_t *md, struct errbuf *eb)
{
	json_t *st = json_object_get(md, "storage"), *v;
	const char *name;
	char f[FIELD_MAX];

	if (want(eb, MD, "storage", st, K_MAP) < 0)
		return -EINVAL;
	json_object_foreach(st, name, v) {
		json_t *type, *multiple;
		const char *t;

		snprintf(f, sizeof(f), "storage.%s", name);
		if (need(eb, MD, f, v, K_MAP) < 0)
			return -EINVAL;
		type = json_object_get(v, "type");
		snprintf(f, sizeof(f), "storage.%s.type", name);
		if (need(eb, MD, f, type, K_STRING) < 0)
			return -EINVAL;
		t = json_string_value(type);
		if (strcmp(t, "filesystem") && strcmp(t, "block")) {
			errbuf_set(eb, "%s: field \"%s\": expected \"filesystem\" or \"block\", got \"%s\"",
				   MD, f, t);
			return -EINVAL;
		}
		static const struct {
			const char *key;
			enum kind k;
		} fields[] = {
			{ "description", K_STRING }, { "location", K_STRING }, { "shared", K_BOOL },
			{ "read-only", K_BOOL },     { "multiple", K_MAP },     { "properties", K_LIST },
		};
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			snprintf(f, sizeof(f), "storage.%s.%s", name, fields[i].key);
			if (want(eb, MD, f, json_object_get(v, fields[i].key), fields[i].k) < 0)
				return -EINVAL;
		}
		multiple = json_object_get(v, "multiple");
		if (json_is_object(multiple)) {
			json_t *range = json_object_get(multiple, "range");

			snprintf(f, sizeof(f), "storage.%s.multiple.range", name);
			if (range && !json_is_string(range) && !json_is_integer(range)) {
				errbuf_set(eb, "%s: field \"%s\": expected string, got %s", MD, f,
					   json_kind(range));
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int parse_resources(struct charm *c, json_t *md, struct errbuf *eb)
{
	json_t *res = json_object_get(md, "resources"), *v;
	const char *name;
	char f[FIELD_MAX];

	if (want(eb, MD, "resources", res, K_MAP) < 0)
		return -EINVAL;
	json_object_foreach(res, name, v) {
		json_t *type;

		snprintf(f, sizeof(f), "resources.%s", name);
		if (want(eb, MD, f, v, K_MAP) < 0)
			return -EINVAL;
		type = json_object_get(v, "type");
		snprintf(f, sizeof(f), "resources.%s.type", name);
		if (want(eb, MD, f, type, K_STRING) < 0)
			return -EINVAL;
		if (json_is_string(type) && strcmp(json_string_value(type), "file") &&
		    strcmp(json_string_value(type), "oci-image")) {
			errbuf_set(eb, "%s: field \"%s\": unknown resource type \"%s\" (expected \"file\" or \"oci-image\")",
				   MD, f, json_string_value(type));
			return -EINVAL;
		}
		snprintf(f, sizeof(f), "resources.%s.filename", name);
		if (want(eb, MD, f, json_object_get(v, "filename"), K_STRING) < 0)
			return -EINVAL;
		snprintf(f, sizeof(f), "resources.%s.description", name);
		if (want(eb, MD, f, json_object_get(v, "description"), K_STRING) < 0)
			return -EINVAL;
	}
	c->resources = json_is_object(res) ? json_incref(res) : json_object();
	return 0;
}

static int parse_containers(struct charm *c, json_t *md, struct errbuf *eb)
{
	json_t *ctrs = json_object_get(md, "containers"), *v;
	const char *name;
	char f[FIELD_MAX];

	if (want(eb, MD, "containers", ctrs, K_MAP) < 0)
		return -EINVAL;
	if (json_is_object(ctrs))
		c->containers = xcalloc(json_object_size(ctrs) + 1, sizeof(char *));
	json_object_foreach(ctrs, name, v) {
		json_t *res, *mounts, *m;
		size_t i;

		snprintf(f, sizeof(f), "containers.%s", name);
		if (want(eb, MD, f, v, K_MAP) < 0)
			return -EINVAL;
		res = json_object_get(v, "resource");
		snprintf(f, sizeof(f), "containers.%s.resource", name);
		if (want(eb, MD, f, res, K_STRING) < 0)
			return -EINVAL;
		if (json_is_string(res)) {
			json_t *r = json_object_get(c->resources, json_string_value(res));

			if (!r) {
				errbuf_set(eb, "%s: field \"%s\": no resource named \"%s\"", MD, f,
					   json_string_value(res));
				return -EINVAL;
			}
			if (strcmp(str_or(json_object_get(r, "type"), "file"), "oci-image")) {
				errbuf_set(eb, "%s: field \"%s\": resource \"%s\" is not an oci-image",
					   MD, f, json_string_value(res));
				return -EINVAL;
			}
		}
		mounts = json_object_get(v, "mounts");
		snprintf(f, sizeof(f), "containers.%s.mounts", name);
		if (want(eb, MD, f, mounts, K_LIST) < 0)
			return -EINVAL;
		json_array_foreach(mounts, i, m) {
			json_t *storage;

			snprintf(f, sizeof(f), "containers.%s.mounts[%zu]", name, i);
			if (need(eb, MD, f, m, K_MAP) < 0)
				return -EINVAL;
			storage = json_object_get(m, "storage");
			snprintf(f, sizeof(f), "containers.%s.mounts[%zu].storage", name, i);
			if (need(eb, MD, f, storage, K_STRING) < 0)
				return -EINVAL;
			if (!json_object_get(json_object_get(md, "storage"),
					     json_string_value(storage))) {
				errbuf_set(eb, "%s: field \"%s\": no storage named \"%s\"", MD, f,
					   json_string_value(storage));
				return -EINVAL;
			}
			snprintf(f, sizeof(f), "containers.%s.mounts[%zu].location", name, i);
			if (want(eb, MD, f, json_object_get(m, "location"), K_STRING) < 0)
				return -EINVAL;
		}
		c->containers[c->n_containers++] = xstrdup(name);
	}
	return 0;
}

static int parse_metadata(struct charm *c, json_t *md, struct errbuf *eb)
{
	json_t *name = json_object_get(md, "name");
	static const struct {
		const char *key;
		enum kind k;
	} simple[] = {
		{ "summary", K_STRING },     { "description", K_STRING },     { "subordinate", K_BOOL },
		{ "maintainer", K_STRING },  { "min-juju-version", K_STRING }, { "charm-user", K_STRING },
		{ "assumes", K_LIST },       { "extra-bindings", K_MAP },      { "links", K_MAP },
		{ "payloads", K_MAP },       { "devices", K_MAP },
	};
	static const char *const str_lists[] = { "tags", "categories", "series", "terms",
						 "maintainers" };

	if (!json_is_object(md)) {
		if (json_is_null(md))
			errbuf_set(eb, "%s: file is empty", MD);
		else
			errbuf_set(eb, "%s: expected a map at the top level, got %s", MD,
				   json_kind(md));
		return -EINVAL;
	}
	if (need(eb, MD, "name", name, K_STRING) < 0)
		return -EINVAL;
	if (!charm_valid_app_name(json_string_value(name))) {
		errbuf_set(eb, "%s: field \"name\": invalid charm name \"%s\"", MD,
			   json_string_value(name));
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (want(eb, MD, simple[i].key, json_object_get(md, simple[i].key), simple[i].k) < 0)
			return -EINVAL;
	for (size_t i = 0; i < sizeof(str_lists) / sizeof(str_lists[0]); i++)
		if (want_str_list(eb, MD, str_lists[i], json_object_get(md, str_lists[i])) < 0)
			return -EINVAL;
	c->name = xstrdup(json_string_value(name));
	c->summary = xstrdup(str_or(json_object_get(md, "summary"), ""));
	c->description = xstrdup(str_or(json_object_get(md, "description"), ""));
	c->subordinate = json_is_true(json_object_get(md, "subordinate"));
	if (parse_endpoints(c, md, eb) < 0 || parse_storage(md, eb) < 0 ||
	    parse_resources(c, md, eb) < 0 || parse_containers(c, md, eb) < 0)
		return -EINVAL;
	c->metadata = json_incref(md);
	return 0;
}

/* ======================= config.yaml ======================= */

#define CF "config.yaml"

static int parse_option(struct charm_option *o, const char *name, json_t *v, struct errbuf *eb)
{
	json_t *type = NULL, *def = NULL, *desc = NULL;
	int t = CHARM_OPT_STRING;
	char repr[256];

	o->name = xstrdup(name);
	if (json_is_object(v)) {
		type = json_object_get(v, "type");
		def = json_object_get(v, "default");
		desc = json_object_get(v, "description");
	} else if (!json_is_null(v)) {
		errbuf_set(eb, "%s: option \"%s\": expected map, got %s", CF, name, json_kind(v));
		return -EINVAL;
	}
	if (type && !json_is_null(type) && !json_is_string(type)) {
		errbuf_set(eb, "%s: option \"%s\": field \"type\": expected string, got %s", CF,
			   name, json_kind(type));
		return -EINVAL;
	}
	/* Juju treats a missing type as string (operator-cli.md §12.3). */
	if (json_is_string(type) && json_string_value(type)[0]) {
		t = charm_opt_type_from_name(json_string_value(type));
		if (t < 0) {
			errbuf_set(eb, "%s: invalid config: option \"%s\" has unknown type \"%s\"", CF,
				   name, json_string_value(type));
			return -EINVAL;
		}
	}
	o->type = (enum charm_opt_type)t;
	if (desc && !json_is_null(desc) && !json_is_string(desc)) {
		errbuf_set(eb, "%s: option \"%s\": field \"description\": expected string, got %s",
			   CF, name, json_kind(desc));
		return -EINVAL;
	}
	o->description = xstrdup(str_or(desc, ""));
	if (!def || json_is_null(def))
		return 0;
	if (json_is_string(def) && !json_string_value(def)[0]) {
		/* An empty default is kept for string and secret (as Juju does, for pyjuju
		 * compatibility) and is no valid value of any other type. */
		if (o->type == CHARM_OPT_STRING || o->type == CHARM_OPT_SECRET) {
			o->def = json_incref(def);
			return 0;
		}
		errbuf_set(eb, "%s: invalid config default: option \"%s\" expected %s, got \"\"", CF,
			   name, charm_opt_type_name(o->type));
		return -EINVAL;
	}
	if (settings_coerce(o, def, &o->def, eb) < 0) {
		errbuf_wrap(eb, "%s: invalid config default", CF);
		return -EINVAL;
	}
	if (!o->def) {
		settings_go_repr(def, repr, sizeof(repr));
		errbuf_set(eb, "%s: invalid config default: option \"%s\" expected %s, got %s", CF,
			   name, charm_opt_type_name(o->type), repr);
		return -EINVAL;
	}
	return 0;
}

static int parse_config(struct charm *c, json_t *cfg, struct errbuf *eb)
{
	json_t *opts, *v;
	const char *name;

	if (!cfg || json_is_null(cfg))
		return 0; /* no config.yaml, or an empty one: no options */
	if (!json_is_object(cfg)) {
		errbuf_set(eb, "%s: expected a map at the top level, got %s", CF, json_kind(cfg));
		return -EINVAL;
	}
	opts = json_object_get(cfg, "options");
	if (want(eb, CF, "options", opts, K_MAP) < 0)
		return -EINVAL;
	if (!json_is_object(opts))
		return 0; /* `options: null` is allowed */
	if (json_object_size(opts) > CHARM_MAX_OPTIONS) {
		errbuf_set(eb, "%s: too many options (at most %d)", CF, CHARM_MAX_OPTIONS);
		return -EINVAL;
	}
	c->options = xcalloc(json_object_size(opts) + 1, sizeof(*c->options));
	json_object_foreach(opts, name, v) {
		/* Counted before parsing so that charm_free releases a half-parsed option. */
		struct charm_option *o = &c->options[c->n_options++];

		if (parse_option(o, name, v, eb) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ======================= actions.yaml ======================= */

#define AC "actions.yaml"

static int parse_actions(struct charm *c, json_t *acts, struct errbuf *eb)
{
	json_t *v;
	const char *name;
	char f[FIELD_MAX];
	static const struct {
		const char *key;
		enum kind k;
	} fields[] = {
		{ "description", K_STRING }, { "title", K_STRING },    { "params", K_MAP },
		{ "additionalProperties", K_BOOL }, { "parallel", K_BOOL }, { "execution-group", K_STRING },
	};

	if (!acts || json_is_null(acts)) {
		c->actions = json_object();
		return 0;
	}
	if (!json_is_object(acts)) {
		errbuf_set(eb, "%s: expected a map at the top level, got %s", AC, json_kind(acts));
		return -EINVAL;
	}
	json_object_foreach(acts, name, v) {
		json_t *params, *p;
		const char *pname;

		if (!name[0] || strchr(name, '/') || strpbrk(name, " \t\n")) {
			errbuf_set(eb, "%s: invalid action name \"%s\"", AC, name);
			return -EINVAL;
		}
		if (json_is_null(v)) {
			/* `name:` alone is an action without description or params. */
			json_object_set_new(acts, name, json_object());
			continue;
		}
		if (!json_is_object(v)) {
			errbuf_set(eb, "%s: action \"%s\": expected map, got %s", AC, name, json_kind(v));
			return -EINVAL;
		}
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			snprintf(f, sizeof(f), "%s.%s", name, fields[i].key);
			if (want(eb, AC, f, json_object_get(v, fields[i].key), fields[i].k) < 0)
				return -EINVAL;
		}
		snprintf(f, sizeof(f), "%s.required", name);
		if (want_str_list(eb, AC, f, json_object_get(v, "required")) < 0)
			return -EINVAL;
		params = json_object_get(v, "params");
		json_object_foreach(params, pname, p) {
			snprintf(f, sizeof(f), "%s.params.%s", name, pname);
			if (want(eb, AC, f, p, K_MAP) < 0)
				return -EINVAL;
		}
	}
	c->actions = json_incref(acts);
	return 0;
}

/* ======================= the rest of the charm directory ======================= */

static bool is_executable_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

static int check_runnable(struct charm *c, const char *dir, struct errbuf *eb)
{
	char *path = xasprintf("%s/dispatch", dir);
	struct stat st;
	bool dispatch_exists = lstat(path, &st) == 0;
	DIR *d;
	int r = 0;

	c->has_dispatch = is_executable_file(path);
	free(path);
	if (c->has_dispatch)
		return 0;
	path = xasprintf("%s/hooks", dir);
	d = opendir(path);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d))) {
			char *hp;
			bool ok;

			if (de->d_name[0] == '.')
				continue;
			hp = xasprintf("%s/%s", path, de->d_name);
			ok = is_executable_file(hp);
			free(hp);
			if (ok)
				goto out;
		}
	}
	if (dispatch_exists)
		errbuf_set(eb, "dispatch: file is not executable (and there are no executable hooks)");
	else
		errbuf_set(eb, "charm \"%s\" has neither an executable \"dispatch\" nor any executable hook under \"hooks/\"",
			   c->name);
	r = -EINVAL;
out:
	if (d)
		closedir(d);
	free(path);
	return r;
}

/* Reads a small text file, trimmed of surrounding whitespace.  *ret = NULL if missing. */
static int read_small(const char *dir, const char *file, char **ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, file);
	size_t start = 0, end;
	int r;

	buf_init(&b);
	*ret = NULL;
	r = fs_read_file(path, CHARM_MAX_SMALL_FILE, &b);
	free(path);
	if (r == -ENOENT) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		errbuf_set(eb, "%s: cannot read: %s", file,
			   r == -EFBIG ? "file too large" : strerror(-r));
		goto out;
	}
	end = b.len;
	while (start < end && strchr(" \t\r\n", b.data[start]))
		start++;
	while (end > start && strchr(" \t\r\n", b.data[end - 1]))
		end--;
	*ret = xstrndup(b.data + start, end - start);
out:
	buf_done(&b);
	return r;
}

int charm_load_dir(const char *dir, struct charm **ret, struct errbuf *eb)
{
	struct charm *c = xcalloc(1, sizeof(*c));
	json_t *md = NULL, *cfg = NULL, *acts = NULL;
	char *rev = NULL;
	struct stat st;
	int r;

	c->revision = -1;
	c->dir = xstrdup(dir);
	if (stat(dir, &st) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open charm directory %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		errbuf_set(eb, "cannot open charm directory %s: not a directory", dir);
		goto fail;
	}
	if ((r = load_yaml(dir, MD, false, &md, eb)) < 0 || (r = parse_metadata(c, md, eb)) < 0)
		goto fail;
	if ((r = load_yaml(dir, CF, true, &cfg, eb)) < 0 || (r = parse_config(c, cfg, eb)) < 0)
		goto fail;
	if ((r = load_yaml(dir, AC, true, &acts, eb)) < 0 || (r = parse_actions(c, acts, eb)) < 0)
		goto fail;
	if ((r = check_runnable(c, dir, eb)) < 0)
		goto fail;
	if ((r = read_small(dir, "revision", &rev, eb)) < 0)
		goto fail;
	if (rev) {
		int64_t n;

		if (strnum_i64(rev, 0, INT_MAX, &n) < 0) {
			errbuf_set(eb, "revision: invalid revision \"%s\"", rev);
			r = -EINVAL;
			goto fail;
		}
		c->revision = (int)n;
	}
	if ((r = read_small(dir, "version", &c->version, eb)) < 0)
		goto fail;
	json_decref(md);
	json_decref(cfg);
	json_decref(acts);
	free(rev);
	*ret = c;
	return 0;
fail:
	json_decref(md);
	json_decref(cfg);
	json_decref(acts);
	free(rev);
	charm_free(c);
	return r < 0 ? r : -EINVAL;
}

/* ======================= .charm archives ======================= */

/* Splits the relative path rel into its components, dropping empty and "." ones.  Returns
 * the count, or -1 when a ".." component is present or there are too many. */
static int split_path(char *rel, char **comps, int max)
{
	int n = 0;

	for (char *save = NULL, *p = strtok_r(rel, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, "..") || n == max)
			return -1;
		comps[n++] = p;
	}
	return n;
}

/* Whether the symlink target, resolved lexically from the directory at depth dir_depth
 * inside the charm, stays inside the charm. */
static bool symlink_target_inside(const char *target, int dir_depth)
{
	char *copy = xstrdup(target), *save = NULL;
	int depth = dir_depth;
	bool ok = target[0] != '/' && target[0] != '\0';

	for (char *p = strtok_r(copy, "/", &save); ok && p; p = strtok_r(NULL, "/", &save)) {
		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, ".."))
			ok = --depth >= 0;
		else
			depth++;
	}
	free(copy);
	return ok;
}

/* Opens (creating as needed) the directories comps[0..n) below rootfd without following
 * symlinks.  Returns a directory fd or a negative errno. */
static int open_dirs(int rootfd, char **comps, int n)
{
	int fd = dup(rootfd);

	if (fd < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		int nfd;

		if (mkdirat(fd, comps[i], 0755) < 0 && errno != EEXIST) {
			int e = -errno;

			close(fd);
			return e;
		}
		nfd = openat(fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return errno == ELOOP ? -ENOTDIR : -errno;
		fd = nfd;
	}
	return fd;
}

/* Copies the current zip entry zf (size bytes declared) into fd, refusing more data than
 * declared. */
static int zip_copy(zip_file_t *zf, int fd, uint64_t size)
{
	char chunk[65536];
	uint64_t total = 0;
	zip_int64_t n;

	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0) {
		total += (uint64_t)n;
		if (total > size)
			return -EFBIG;
		for (zip_int64_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			off += w;
		}
	}
	return n < 0 ? -EIO : 0;
}

/* Reads a whole (small) zip entry into out. */
static int zip_read_small(zip_t *za, zip_uint64_t i, uint64_t size, struct buf *out)
{
	zip_file_t *zf;
	char chunk[4096];
	zip_int64_t n;

	if (size > PATH_MAX)
		return -ENAMETOOLONG;
	zf = zip_fopen_index(za, i, 0);
	if (!zf)
		return -EIO;
	while ((n = zip_fread(zf, chunk, sizeof(chunk))) > 0 && out->len + (size_t)n <= PATH_MAX)
		buf_add(out, chunk, (size_t)n);
	zip_fclose(zf);
	if (n < 0)
		return -EIO;
	if (out->len > size || n > 0)
		return -ENAMETOOLONG;
	return 0;
}

struct unzip {
	zip_t *za;
	int rootfd;
	const char *dst;
	char **links;       /* relative paths of created symlinks */
	size_t n_links;
	struct errbuf *eb;
};

static int unzip_entry(struct unzip *u, zip_uint64_t i)
{
	zip_stat_t zs;
	zip_uint8_t opsys = 0;
	zip_uint32_t attr = 0;
	mode_t mode = 0;
	char *rel = NULL, *comps[CHARM_MAX_DEPTH + 1];
	const char *name;
	bool is_dir;
	int n, dfd = -1, fd = -1, r = 0;
	struct buf target = BUF_INIT;
	zip_file_t *zf = NULL;

	buf_init(&target);
	if (zip_stat_index(u->za, i, 0, &zs) < 0 || !(zs.valid & ZIP_STAT_NAME) ||
	    !(zs.valid & ZIP_STAT_SIZE)) {
		errbuf_set(u->eb, "charm archive entry %llu: %s", (unsigned long long)i,
			   zip_strerror(u->za));
		r = -EINVAL;
		goto out;
	}
	name = zs.name;
	if (zip_file_get_external_attributes(u->za, i, 0, &opsys, &attr) == 0 &&
	    opsys == ZIP_OPSYS_UNIX)
		mode = (mode_t)(attr >> 16);
	if (!name[0]) {
		errbuf_set(u->eb, "charm archive has an entry with an empty name");
		r = -EINVAL;
		goto out;
	}
	if (name[0] == '/') {
		errbuf_set(u->eb, "charm archive entry \"%s\" has an absolute path", name);
		r = -EINVAL;
		goto out;
	}
	is_dir = name[strlen(name) - 1] == '/' || S_ISDIR(mode);
	rel = xstrdup(name);
	n = split_path(rel, comps, CHARM_MAX_DEPTH + 1);
	if (n < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\" escapes the charm directory", name);
		r = -EINVAL;
		goto out;
	}
	if (n > CHARM_MAX_DEPTH) {
		errbuf_set(u->eb, "charm archive entry \"%s\" is nested too deeply (at most %d levels)",
			   name, CHARM_MAX_DEPTH);
		r = -EINVAL;
		goto out;
	}
	if (n == 0) /* "./" */
		goto out;
	dfd = open_dirs(u->rootfd, comps, is_dir ? n : n - 1);
	if (dfd < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\": cannot create its directory: %s", name,
			   dfd == -ENOTDIR ? "a parent is not a directory" : strerror(-dfd));
		r = -EINVAL;
		goto out;
	}
	if (is_dir)
		goto out;
	if (S_ISLNK(mode)) {
		r = zip_read_small(u->za, i, zs.size, &target);
		if (r < 0 || memchr(target.data, '\0', target.len)) {
			errbuf_set(u->eb, "charm archive entry \"%s\": invalid symlink", name);
			r = -EINVAL;
			goto out;
		}
		if (!symlink_target_inside(buf_str(&target), n - 1)) {
			errbuf_set(u->eb, "charm archive entry \"%s\" (a symlink to \"%s\") escapes the charm directory",
				   name, buf_str(&target));
			r = -EINVAL;
			goto out;
		}
		if (symlinkat(buf_str(&target), dfd, comps[n - 1]) < 0) {
			r = -errno;
			errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
				   r == -EEXIST ? "duplicate entry" : strerror(-r));
			goto out;
		}
		u->links = xrealloc(u->links, (u->n_links + 1) * sizeof(*u->links));
		u->links[u->n_links++] = xstrdup(name);
		goto out;
	}
	/* Some zip writers record permission bits without a file type: those are files. */
	if ((mode & S_IFMT) && !S_ISREG(mode)) {
		errbuf_set(u->eb, "charm archive entry \"%s\" is not a regular file, directory or symlink",
			   name);
		r = -EINVAL;
		goto out;
	}
	/* Executable bits are kept (charmcraft records unix modes); everything else is
	 * normalised, so an archive cannot plant setuid or world-writable files. */
	mode = (mode & 0111) ? 0755 : 0644;
	fd = openat(dfd, comps[n - 1], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		r = -errno;
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
			   r == -EEXIST ? "duplicate entry" : strerror(-r));
		goto out;
	}
	zf = zip_fopen_index(u->za, i, 0);
	if (!zf) {
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name, zip_strerror(u->za));
		r = -EINVAL;
		goto out;
	}
	r = zip_copy(zf, fd, zs.size);
	if (r == 0 && fchmod(fd, mode) < 0)
		r = -errno;
	if (r < 0) {
		errbuf_set(u->eb, "charm archive entry \"%s\": %s", name,
			   r == -EFBIG ? "more data than its declared size" :
			   r == -EIO   ? zip_file_strerror(zf) : strerror(-r));
		if (r == -EFBIG || r == -EIO)
			r = -EINVAL;
		goto out;
	}
out:
	if (zf)
		zip_fclose(zf);
	if (fd >= 0)
		close(fd);
	if (dfd >= 0)
		close(dfd);
	buf_done(&target);
	free(rel);
	return r;
}

/* A second line of defence behind the lexical symlink check: once everything is unpacked,
 * every symlink that resolves must resolve inside the charm (chains of links could
 * otherwise combine into an escape). */
static int check_links(struct unzip *u)
{
	char *root = realpath(u->dst, NULL);
	size_t rl = root ? strlen(root) : 0;
	int r = 0;

	if (!root) {
		errbuf_set(u->eb, "cannot resolve %s: %s", u->dst, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < u->n_links && r == 0; i++) {
		char *p = xasprintf("%s/%s", u->dst, u->links[i]);
		char *res = realpath(p, NULL);

		if (res && !(strncmp(res, root, rl) == 0 && (res[rl] == '/' || res[rl] == '\0'))) {
			errbuf_set(u->eb, "charm archive entry \"%s\" (a symlink) escapes the charm directory",
				   u->links[i]);
			r = -EINVAL;
		}
		free(res);
		free(p);
	}
	free(root);
	return r;
}

static bool dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool empty = true;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

int charm_unzip(const char *path, const char *dst, struct errbuf *eb)
{
	return charm_unzip_limited(path, dst, CHARM_ZIP_MAX_ENTRIES, CHARM_ZIP_MAX_BYTES, eb);
}

int charm_unzip_limited(const char *path, const char *dst, uint64_t max_entries,
			uint64_t max_bytes, struct errbuf *eb)
{
	struct unzip u = { .rootfd = -1, .dst = dst, .eb = eb };
	struct stat st;
	bool existed = false;
	zip_int64_t n;
	uint64_t total = 0;
	int zerr = 0, r;

	if (stat(dst, &st) == 0) {
		if (!S_ISDIR(st.st_mode) || !dir_is_empty(dst)) {
			errbuf_set(eb, "cannot unpack charm into %s: not an empty directory", dst);
			return -EEXIST;
		}
		existed = true;
	}
	u.za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!u.za) {
		zip_error_t ze;

		zip_error_init_with_code(&ze, zerr);
		errbuf_set(eb, "cannot open charm archive %s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return -EINVAL;
	}
	n = zip_get_num_entries(u.za, 0);
	if (n < 0 || (uint64_t)n > max_entries) {
		errbuf_set(eb, "charm archive %s has too many entries (more than %llu)", path,
			   (unsigned long long)max_entries);
		r = -EFBIG;
		goto out;
	}
	/* The sizes are checked up front from the central directory; zip_copy() then refuses
	 * entries whose data outgrows their declared size, so the limit holds for real. */
	for (zip_int64_t i = 0; i < n; i++) {
		zip_stat_t zs;

		if (zip_stat_index(u.za, (zip_uint64_t)i, 0, &zs) < 0 ||
		    !(zs.valid & ZIP_STAT_SIZE)) {
			errbuf_set(eb, "charm archive %s: entry %lld: %s", path, (long long)i,
				   zip_strerror(u.za));
			r = -EINVAL;
			goto out;
		}
		total += zs.size;
		if (total > max_bytes) {
			errbuf_set(eb, "charm archive %s is too large (more than %llu bytes unpacked)",
				   path, (unsigned long long)max_bytes);
			r = -EFBIG;
			goto out;
		}
	}
	if (!existed && (r = fs_mkdir_p(dst, 0755)) < 0) {
		errbuf_set(eb, "cannot create %s: %s", dst, strerror(-r));
		goto out;
	}
	u.rootfd = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (u.rootfd < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open %s: %s", dst, strerror(errno));
		goto out;
	}
	for (zip_int64_t i = 0; i < n; i++)
		if ((r = unzip_entry(&u, (zip_uint64_t)i)) < 0)
			goto out;
	r = check_links(&u);
out:
	if (r < 0 && u.rootfd >= 0) {
		fs_rm_rf(dst);
		if (existed)
			mkdir(dst, 0755);
	}
	if (u.rootfd >= 0)
		close(u.rootfd);
	for (size_t i = 0; i < u.n_links; i++)
		free(u.links[i]);
	free(u.links);
	zip_discard(u.za);
	return r;
}

int charm_open(const char *path, const char *scratch_dir, struct charm **ret,
	       struct errbuf *eb)
{
	struct stat st;
	bool existed;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open charm %s: %s", path, strerror(errno));
		return r;
	}
	if (S_ISDIR(st.st_mode))
		return charm_load_dir(path, ret, eb);
	if (!S_ISREG(st.st_mode)) {
		errbuf_set(eb, "cannot open charm %s: not a directory or a .charm file", path);
		return -EINVAL;
	}
	if (!scratch_dir) {
		errbuf_set(eb, "cannot open charm %s: no directory to unpack it into", path);
		return -EINVAL;
	}
	existed = stat(scratch_dir, &st) == 0;
	r = charm_unzip(path, scratch_dir, eb);
	if (r < 0)
		return r;
	r = charm_load_dir(scratch_dir, ret, eb);
	if (r < 0) {
		fs_rm_rf(scratch_dir);
		if (existed)
			mkdir(scratch_dir, 0755);
	}
	return r;
}

/* ======================= installing into a unit ======================= */

/* Copies the regular file src to dst through a temporary file in dst's directory and a
 * rename, so a reader never sees a half-written file and a symlink at dst is replaced,
 * never followed. */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	char *tmp = xasprintf("%s.cairn-new", dst);
	char chunk[65536];
	int in = -1, out = -1, r = 0;
	ssize_t n;

	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0) {
		r = -errno;
		goto out;
	}
	unlink(tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		r = -errno;
		goto out;
	}
	while ((n = read(in, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, chunk + off, (size_t)(n - off));

			if (w < 0) {
				if (errno == EINTR)
					continue;
				r = -errno;
				goto out;
			}
			off += w;
		}
	}
	if (fchmod(out, mode & 07777) < 0 || close(out) < 0) {
		out = -1;
		r = -errno;
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) < 0 && (errno != EISDIR || rmdir(dst) < 0 || rename(tmp, dst) < 0))
		r = -errno;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	return r;
}

static int copy_link(const char *src, const char *dst)
{
	char target[PATH_MAX];
	char *tmp = xasprintf("%s.cairn-new", dst);
	ssize_t n = readlink(src, target, sizeof(target) - 1);
	int r = 0;

	if (n < 0) {
		r = -errno;
		goto out;
	}
	target[n] = '\0';
	unlink(tmp);
	if (symlink(target, tmp) < 0 ||
	    (rename(tmp, dst) < 0 && (errno != EISDIR || rmdir(dst) < 0 || rename(tmp, dst) < 0))) {
		r = -errno;
		unlink(tmp);
	}
out:
	free(tmp);
	return r;
}

/* Makes dst a real directory (replacing a file or symlink there). */
static int ensure_dir(const char *dst, mode_t mode)
{
	struct stat st;

	if (lstat(dst, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return chmod(dst, mode & 07777) < 0 ? -errno : 0;
		if (unlink(dst) < 0)
			return -errno;
	}
	return mkdir(dst, mode & 07777) < 0 ? -errno : 0;
}

struct install {
	const char *src, *dst, *old;
	struct errbuf *eb;
};

static char *join(const char *a, const char *rel)
{
	return rel[0] ? xasprintf("%s/%s", a, rel) : xstrdup(a);
}

/* Copies src/rel (a directory) into dst/rel, recursively. */
static int install_dir(struct install *in, const char *rel, int depth)
{
	char *sp = join(in->src, rel);
	DIR *d = opendir(sp);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		errbuf_set(in->eb, "cannot read %s: %s", sp, strerror(errno));
		free(sp);
		return r;
	}
	if (depth > CHARM_MAX_DEPTH) {
		errbuf_set(in->eb, "%s: charm directories are nested too deeply (at most %d levels)",
			   sp, CHARM_MAX_DEPTH);
		r = -ELOOP;
		goto out;
	}
	while (r == 0 && (de = readdir(d))) {
		char *crel, *s, *t;
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		crel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		s = join(in->src, crel);
		t = join(in->dst, crel);
		if (lstat(s, &st) < 0)
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = ensure_dir(t, st.st_mode | 0700);
		else if (S_ISREG(st.st_mode))
			r = copy_file(s, t, st.st_mode);
		else if (S_ISLNK(st.st_mode))
			r = copy_link(s, t);
		else {
			errbuf_set(in->eb, "%s: not a regular file, directory or symlink", s);
			r = -EINVAL;
		}
		if (r < 0 && r != -EINVAL)
			errbuf_set(in->eb, "cannot install %s: %s", t, strerror(-r));
		if (r == 0 && S_ISDIR(st.st_mode))
			r = install_dir(in, crel, depth + 1);
		free(s);
		free(t);
		free(crel);
	}
out:
	closedir(d);
	free(sp);
	return r;
}

/* Removes from dst what old/rel holds and src does not; directories only when empty. */
static int remove_stale(struct install *in, const char *rel, int depth)
{
	char *op = join(in->old, rel);
	DIR *d = opendir(op);
	struct dirent *de;

	if (!d || depth > CHARM_MAX_DEPTH) {
		/* A missing or unreadable old tree only means nothing more to clean. */
		if (d)
			closedir(d);
		free(op);
		return 0;
	}
	while ((de = readdir(d))) {
		char *crel, *o, *s, *t;
		struct stat ost, sst;
		bool gone;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		crel = rel[0] ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		o = join(in->old, crel);
		s = join(in->src, crel);
		t = join(in->dst, crel);
		gone = lstat(s, &sst) < 0 && (errno == ENOENT || errno == ENOTDIR);
		if (lstat(o, &ost) == 0) {
			if (S_ISDIR(ost.st_mode)) {
				/* Clean inside first; a directory the new charm still has stays. */
				struct stat tst;

				if (lstat(t, &tst) == 0 && S_ISDIR(tst.st_mode)) {
					remove_stale(in, crel, depth + 1);
					if (gone)
						rmdir(t); /* fails, as wanted, if the charm wrote files there */
				}
			} else if (gone) {
				struct stat tst;

				if (lstat(t, &tst) == 0 && !S_ISDIR(tst.st_mode))
					unlink(t);
			}
		}
		free(o);
		free(s);
		free(t);
		free(crel);
	}
	closedir(d);
	free(op);
	return 0;
}

int charm_install_files(const char *src_dir, const char *dst_dir, const char *old_src_dir,
			struct errbuf *eb)
{
	struct install in = { .src = src_dir, .dst = dst_dir, .old = old_src_dir, .eb = eb };
	struct stat st;
	int r;

	if (stat(src_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		errbuf_set(eb, "cannot install charm from %s: not a directory", src_dir);
		return -ENOTDIR;
	}
	r = fs_mkdir_p(dst_dir, 0755);
	if (r < 0) {
		errbuf_set(eb, "cannot create %s: %s", dst_dir, strerror(-r));
		return r;
	}
	if (old_src_dir)
		remove_stale(&in, "", 0);
	return install_dir(&in, "", 0);
}
