/* charm.c - loading charms (directories and .charm zips) and installing their files; see
 * charm.h. */
#include "charm/charm.h"

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

#include "charm/settings.h"
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
static int load_yaml(const struct charm_src *src, const char *file, bool missing_ok, json_t **ret,
		     struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	int r;

	buf_init(&b);
	*ret = NULL;
	r = src->read(src->data, file, CHARM_MAX_YAML_BYTES, &b);
	if (r == -ENOENT && missing_ok) {
		r = 0;
		goto out;
	}
	if (r == -ENOENT) {
		errbuf_set(eb, "%s: file not found in %s", file, src->where);
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

/* ======================= the rest of the charm ======================= */

static int check_runnable(struct charm *c, const struct charm_src *src, struct errbuf *eb)
{
	enum charm_src_kind k = src->kind(src->data, "dispatch");

	c->has_dispatch = k == CHARM_SRC_EXEC;
	if (c->has_dispatch || src->any_exec(src->data, "hooks"))
		return 0;
	if (k != CHARM_SRC_NONE)
		errbuf_set(eb, "dispatch: file is not executable (and there are no executable hooks)");
	else
		errbuf_set(eb, "charm \"%s\" has neither an executable \"dispatch\" nor any executable hook under \"hooks/\"",
			   c->name);
	return -EINVAL;
}

/* Reads a small text file, trimmed of surrounding whitespace.  *ret = NULL if missing. */
static int read_small(const struct charm_src *src, const char *file, char **ret, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	size_t start = 0, end;
	int r;

	buf_init(&b);
	*ret = NULL;
	r = src->read(src->data, file, CHARM_MAX_SMALL_FILE, &b);
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

int charm_load(const struct charm_src *src, const char *where, struct charm **ret, struct errbuf *eb)
{
	struct charm *c = xcalloc(1, sizeof(*c));
	json_t *md = NULL, *cfg = NULL, *acts = NULL;
	char *rev = NULL;
	int r;

	c->revision = -1;
	c->dir = xstrdup(where);
	if ((r = load_yaml(src, MD, false, &md, eb)) < 0 || (r = parse_metadata(c, md, eb)) < 0)
		goto fail;
	if ((r = load_yaml(src, CF, true, &cfg, eb)) < 0 || (r = parse_config(c, cfg, eb)) < 0)
		goto fail;
	if ((r = load_yaml(src, AC, true, &acts, eb)) < 0 || (r = parse_actions(c, acts, eb)) < 0)
		goto fail;
	if ((r = check_runnable(c, src, eb)) < 0)
		goto fail;
	if ((r = read_small(src, "revision", &rev, eb)) < 0)
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
	if ((r = read_small(src, "version", &c->version, eb)) < 0)
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

/* ---- a directory as a charm source ---- */

static int dir_read(void *data, const char *rel, size_t max, struct buf *out)
{
	char *path = xasprintf("%s/%s", (const char *)data, rel);
	int r = fs_read_file(path, max, out);

	free(path);
	return r;
}

static enum charm_src_kind dir_kind(void *data, const char *rel)
{
	char *path = xasprintf("%s/%s", (const char *)data, rel);
	struct stat st;
	enum charm_src_kind k = CHARM_SRC_NONE;

	if (lstat(path, &st) == 0) {
		k = CHARM_SRC_OTHER;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			k = (st.st_mode & 0111) ? CHARM_SRC_EXEC : CHARM_SRC_FILE;
	}
	free(path);
	return k;
}

static bool dir_any_exec(void *data, const char *rel)
{
	char *path = xasprintf("%s/%s", (const char *)data, rel);
	DIR *d = opendir(path);
	struct dirent *de;
	bool found = false;

	while (d && !found && (de = readdir(d))) {
		char *sub;

		if (de->d_name[0] == '.')
			continue;
		sub = xasprintf("%s/%s", rel, de->d_name);
		found = dir_kind(data, sub) == CHARM_SRC_EXEC;
		free(sub);
	}
	if (d)
		closedir(d);
	free(path);
	return found;
}

int charm_load_dir(const char *dir, struct charm **ret, struct errbuf *eb)
{
	struct charm_src src = { .read = dir_read, .kind = dir_kind, .any_exec = dir_any_exec,
				 .data = (void *)dir };
	char *where = xasprintf("charm directory %s", dir);
	struct stat st;
	int r;

	src.where = where;
	if (stat(dir, &st) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open charm directory %s: %s", dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		r = -ENOTDIR;
		errbuf_set(eb, "cannot open charm directory %s: not a directory", dir);
	} else {
		r = charm_load(&src, dir, ret, eb);
	}
	free(where);
	return r;
}
