/* meta.c - charm metadata; see meta.h. */
#include "sdk/meta.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/fsutil.h"
#include "lib/yamljson.h"
#include "sdk/error.h"

/* The metadata.yaml sections that declare names. */
static const struct {
	const char *section;
	enum meta_family family;
	enum meta_role role;
} md_sections[] = {
	{ "requires", META_RELATION, META_ROLE_REQUIRES },
	{ "provides", META_RELATION, META_ROLE_PROVIDES },
	{ "peers", META_RELATION, META_ROLE_PEERS },
	{ "storage", META_STORAGE, META_ROLE_REQUIRES },
	{ "containers", META_CONTAINER, META_ROLE_REQUIRES },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parses one file's text; NULL/empty text yields an empty mapping. */
static int parse(const char *file, const char *text, json_t **ret, struct cairn_error *err)
{
	struct errbuf eb;
	json_t *j = NULL;

	if (!text) {
		*ret = json_object();
		return 0;
	}
	errbuf_clear(&eb);
	if (yaml_to_json(text, strlen(text), &j, &eb) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse %s: %s", file, eb.msg);
	if (json_is_null(j)) {
		json_decref(j);
		j = json_object();
	}
	if (!json_is_object(j)) {
		json_decref(j);
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse %s: not a mapping", file);
	}
	*ret = j;
	return 0;
}

/* Adds the keys of section (a mapping or absent) to family. */
static int add_names(struct meta *m, enum meta_family family, json_t *s, const char *section,
		     enum meta_role role, const char *file, struct cairn_error *err)
{
	json_t *v;
	struct meta_names *n = &m->names[family];
	const char *k;

	if (!s || json_is_null(s))
		return 0;
	if (!json_is_object(s))
		return sdk_err(err, CAIRN_ERR_INVALID, "%s: \"%s\" must be a mapping", file, section);
	json_object_foreach(s, k, v) {
		if (!*k)
			return sdk_err(err, CAIRN_ERR_INVALID, "%s: empty name in \"%s\"", file, section);
		for (size_t i = 0; i < n->n; i++)
			if (!strcmp(n->v[i], k))
				return sdk_err(err, CAIRN_ERR_INVALID, "%s: \"%s\" is declared twice", file, k);
		n->v = xrealloc(n->v, (n->n + 1) * sizeof(char *));
		n->v[n->n] = xstrdup(k);
		if (family == META_RELATION) {
			m->roles = xrealloc(m->roles, (n->n + 1) * sizeof(*m->roles));
			m->roles[n->n] = role;
		}
		n->n++;
	}
	return 0;
}

/* Sorts a family's names, keeping roles parallel for relations. */
static void sort_names(struct meta *m, enum meta_family family)
{
	struct meta_names *n = &m->names[family];

	if (n->n == 0)
		return;
	if (family != META_RELATION) {
		qsort(n->v, n->n, sizeof(char *), cmp_str);
		return;
	}
	/* Insertion sort: endpoints are few, and roles must move with their names. */
	for (size_t i = 1; i < n->n; i++)
		for (size_t j = i; j > 0 && strcmp(n->v[j - 1], n->v[j]) > 0; j--) {
			char *t = n->v[j];
			enum meta_role r = m->roles[j];

			n->v[j] = n->v[j - 1];
			m->roles[j] = m->roles[j - 1];
			n->v[j - 1] = t;
			m->roles[j - 1] = r;
		}
}

int meta_load_text(struct meta *m, const char *metadata, const char *config, const char *actions,
		   struct cairn_error *err)
{
	json_t *md = NULL, *cfg = NULL, *opts;
	const char *name;
	int r;

	memset(m, 0, sizeof(*m));
	if (!metadata)
		return sdk_err(err, CAIRN_ERR_INVALID, "no metadata.yaml");
	r = parse("metadata.yaml", metadata, &md, err);
	if (r < 0)
		goto fail;
	name = json_string_value(json_object_get(md, "name"));
	if (!name || !*name) {
		r = sdk_err(err, CAIRN_ERR_INVALID, "metadata.yaml: \"name\" must be a non-empty string");
		goto fail;
	}
	m->name = xstrdup(name);
	for (size_t i = 0; i < sizeof(md_sections) / sizeof(md_sections[0]); i++) {
		r = add_names(m, md_sections[i].family, json_object_get(md, md_sections[i].section),
			      md_sections[i].section, md_sections[i].role, "metadata.yaml", err);
		if (r < 0)
			goto fail;
	}
	r = parse("actions.yaml", actions, &m->actions, err);
	if (r < 0)
		goto fail;
	if ((r = add_names(m, META_ACTION, m->actions, "actions", 0, "actions.yaml", err)) < 0)
		goto fail;
	r = parse("config.yaml", config, &cfg, err);
	if (r < 0)
		goto fail;
	opts = json_object_get(cfg, "options");
	if (opts && !json_is_null(opts) && !json_is_object(opts)) {
		r = sdk_err(err, CAIRN_ERR_INVALID, "config.yaml: \"options\" must be a mapping");
		goto fail;
	}
	m->options = json_is_object(opts) ? json_incref(opts) : json_object();
	for (int f = 0; f < _META_FAMILY_MAX; f++)
		sort_names(m, (enum meta_family)f);
	json_decref(md);
	json_decref(cfg);
	return 0;
fail:
	json_decref(md);
	json_decref(cfg);
	meta_done(m);
	return r;
}

static int read_opt(const char *dir, const char *file, bool required, char **ret, struct cairn_error *err)
{
	struct buf b = BUF_INIT;
	char *path = xasprintf("%s/%s", dir, file);
	int r;

	buf_init(&b);
	r = fs_read_file(path, META_MAX_FILE, &b);
	free(path);
	if (r == -ENOENT && !required) {
		buf_done(&b);
		*ret = NULL;
		return 0;
	}
	if (r < 0) {
		buf_done(&b);
		return sdk_err(err, CAIRN_ERR_NOT_FOUND, "cannot read %s/%s: %s", dir, file,
			       r == -EFBIG ? "file too large" : strerror(-r));
	}
	*ret = buf_detach(&b);
	return 0;
}

int meta_read_files(const char *dir, bool with_config, char **ret_md, char **ret_cfg, char **ret_act,
		    struct cairn_error *err)
{
	char *md = NULL, *cfg = NULL, *act = NULL;
	int r;

	if ((r = read_opt(dir, "metadata.yaml", true, &md, err)) < 0 ||
	    (with_config && (r = read_opt(dir, "config.yaml", false, &cfg, err)) < 0) ||
	    (r = read_opt(dir, "actions.yaml", false, &act, err)) < 0) {
		free(md);
		free(cfg);
		return r;
	}
	*ret_md = md;
	*ret_cfg = cfg;
	*ret_act = act;
	return 0;
}

int meta_load_dir(struct meta *m, const char *dir, bool with_config, struct cairn_error *err)
{
	char *md = NULL, *cfg = NULL, *act = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	r = meta_read_files(dir, with_config, &md, &cfg, &act, err);
	if (r < 0)
		return r;
	r = meta_load_text(m, md, cfg, act, err);
	free(md);
	free(cfg);
	free(act);
	return r;
}

void meta_done(struct meta *m)
{
	if (!m)
		return;
	free(m->name);
	for (int f = 0; f < _META_FAMILY_MAX; f++) {
		for (size_t i = 0; i < m->names[f].n; i++)
			free(m->names[f].v[i]);
		free(m->names[f].v);
	}
	free(m->roles);
	json_decref(m->options);
	json_decref(m->actions);
	memset(m, 0, sizeof(*m));
}

const char *meta_find(const struct meta *m, enum meta_family family, const char *s, size_t len)
{
	const struct meta_names *n;

	if ((unsigned)family >= _META_FAMILY_MAX)
		return NULL;
	n = &m->names[family];
	for (size_t i = 0; i < n->n; i++)
		if (strlen(n->v[i]) == len && !memcmp(n->v[i], s, len))
			return n->v[i];
	return NULL;
}

const char *meta_has(const struct meta *m, enum meta_family family, const char *name)
{
	return name ? meta_find(m, family, name, strlen(name)) : NULL;
}

enum meta_role meta_role(const struct meta *m, const char *endpoint)
{
	const struct meta_names *n = &m->names[META_RELATION];

	for (size_t i = 0; i < n->n; i++)
		if (!strcmp(n->v[i], endpoint))
			return m->roles[i];
	return META_ROLE_REQUIRES;
}
