/* layersdir.c - reading $PEBBLE/layers (§3): NNN-label.yaml files and NNN-dir.d
 * sub-directories of MMM-label.yaml files, in name order. */
#include "layersdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "plan_internal.h"

#define LAYERSDIR_MAX_ENTRIES 1000

struct ld_entry {
	char *name;
	int order;
	char label[PLAN_LABEL_MAX];
	bool is_dir;
};

static bool ld_ends_with(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && strcmp(s + a - b, sfx) == 0;
}

/* ^[a-z](?:-?[a-z0-9]){2,}$ */
static bool ld_label_ok(const char *s, size_t n)
{
	size_t i, groups = 0;

	if (n == 0 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; i < n;) {
		if (s[i] == '-')
			i++;
		if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
		i++;
		groups++;
	}
	return groups >= 2;
}

int layersdir_parse_name(const char *name, int *order, char *label, size_t labn, bool *is_dir,
			 struct errbuf *eb)
{
	size_t n = strlen(name), stem;
	bool d;

	if (ld_ends_with(name, ".yaml"))
		d = false;
	else if (ld_ends_with(name, ".d"))
		d = true;
	else
		return 0;
	stem = n - (d ? 2 : 5);
	if (stem < 4 || !(name[0] >= '0' && name[0] <= '9') || !(name[1] >= '0' && name[1] <= '9') ||
	    !(name[2] >= '0' && name[2] <= '9') || name[3] != '-' ||
	    !ld_label_ok(name + 4, stem - 4) || stem - 4 >= labn) {
		pl_errf(eb, "invalid layer filename: %q (must look like \"123-some-label.yaml\")", name);
		return -EINVAL;
	}
	*order = (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
	memcpy(label, name + 4, stem - 4);
	label[stem - 4] = '\0';
	*is_dir = d;
	return 1;
}

static int ld_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ld_entry *)a)->name, ((const struct ld_entry *)b)->name);
}

static void ld_entries_free(struct ld_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* configLayerEntries: the valid entries of one directory level, sorted by name. */
static int ld_entries(const char *dir, bool dir_ok, struct ld_entry **ret, size_t *ret_n,
		      struct errbuf *eb)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct ld_entry *v = NULL;
	size_t n = 0, i, j;
	int r = 0;

	if (!d) {
		r = -errno;
		pl_errf(eb, "cannot read layers directory: open %s: %s", dir, strerror(errno));
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		char *path;
		struct stat st;
		bool is_dir_name;
		struct ld_entry e;

		if (!ld_ends_with(de->d_name, ".yaml") && !ld_ends_with(de->d_name, ".d"))
			continue;
		if (n >= LAYERSDIR_MAX_ENTRIES) {
			pl_errf(eb, "cannot read layers directory: more than %d entries in %s",
				LAYERSDIR_MAX_ENTRIES, dir);
			r = -E2BIG;
			goto out;
		}
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) < 0) {
			r = -errno;
			pl_errf(eb, "stat %s: %s", path, strerror(errno));
			free(path);
			goto out;
		}
		free(path);
		memset(&e, 0, sizeof(e));
		r = layersdir_parse_name(de->d_name, &e.order, e.label, sizeof(e.label), &is_dir_name,
					 eb);
		if (r < 0) {
			if (S_ISDIR(st.st_mode))
				pl_errf(eb,
					"invalid layer sub-directory name: %q (must look like \"123-some-label.d\")",
					de->d_name);
			goto out;
		}
		r = 0;
		if (S_ISDIR(st.st_mode) && !dir_ok) {
			pl_errf(eb, "cannot have a layers sub-directory at this level");
			r = -EINVAL;
			goto out;
		}
		e.name = xstrdup(de->d_name);
		e.is_dir = S_ISDIR(st.st_mode);
		v = xrealloc(v, (n + 1) * sizeof(*v));
		v[n++] = e;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), ld_cmp);
	/* Duplicate orders or labels, reported against the earlier name. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (v[j].order == v[i].order || strcmp(v[j].label, v[i].label) == 0) {
				char have[PLAN_LABEL_MAX + 16];

				if (v[j].order == v[i].order)
					snprintf(have, sizeof(have), "%03d-%s.yaml", v[i].order, v[j].label);
				else
					snprintf(have, sizeof(have), "%03d-%s.yaml", v[j].order, v[i].label);
				pl_errf(eb, "invalid layer filename: %q not unique (have %q already)",
					v[i].name, have);
				r = -EINVAL;
				goto out;
			}
		}
	}
out:
	closedir(d);
	if (r < 0) {
		ld_entries_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int ld_load(const char *path, const char *label, int order, struct plan_layer **ret,
		   struct errbuf *eb)
{
	struct buf data = BUF_INIT;
	int r;

	r = fs_read_file(path, PLAN_MAX_LAYER_BYTES, &data);
	if (r < 0) {
		if (r == -EFBIG)
			pl_errf(eb, "cannot read layer file: %s is larger than %d bytes", path,
				PLAN_MAX_LAYER_BYTES);
		else
			pl_errf(eb, "cannot read layer file: open %s: %s", path, strerror(-r));
		buf_done(&data);
		return r;
	}
	r = plan_layer_parse(label, order, buf_str(&data), data.len, ret, eb);
	buf_done(&data);
	return r;
}

void layersdir_free(struct plan_layer **layers, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		plan_layer_free(layers[i]);
	free(layers);
}

int layersdir_read(const char *dir, struct plan_layer ***ret_layers, size_t *ret_n,
		   struct errbuf *eb)
{
	struct ld_entry *l1 = NULL, *l2 = NULL;
	size_t n1 = 0, n2 = 0, i, j, n = 0;
	struct plan_layer **layers = NULL;
	struct stat st;
	int r = 0;

	if (stat(dir, &st) < 0 && errno == ENOENT) {
		*ret_layers = xcalloc(1, sizeof(**ret_layers));
		*ret_n = 0;
		return 0;
	}
	r = ld_entries(dir, true, &l1, &n1, eb);
	if (r < 0)
		return r;
	for (i = 0; i < n1 && r == 0; i++) {
		char *p1 = xasprintf("%s/%s", dir, l1[i].name);

		if (l1[i].is_dir) {
			r = ld_entries(p1, false, &l2, &n2, eb);
			for (j = 0; j < n2 && r == 0; j++) {
				char *p2 = xasprintf("%s/%s", p1, l2[j].name);
				char *label = xasprintf("%s/%s", l1[i].label, l2[j].label);

				layers = xrealloc(layers, (n + 1) * sizeof(*layers));
				r = ld_load(p2, label, l1[i].order * 1000 + l2[j].order, &layers[n], eb);
				if (r == 0)
					n++;
				free(p2);
				free(label);
			}
			if (r == 0 || l2)
				ld_entries_free(l2, n2);
			l2 = NULL;
			n2 = 0;
		} else {
			layers = xrealloc(layers, (n + 1) * sizeof(*layers));
			r = ld_load(p1, l1[i].label, l1[i].order * 1000, &layers[n], eb);
			if (r == 0)
				n++;
		}
		free(p1);
	}
	ld_entries_free(l1, n1);
	if (r < 0) {
		layersdir_free(layers, n);
		return r;
	}
	if (!layers)
		layers = xcalloc(1, sizeof(*layers));
	*ret_layers = layers;
	*ret_n = n;
	return 0;
}

int layersdir_load_plan(const char *dir, struct plan **ret, struct errbuf *eb)
{
	struct plan_layer **layers = NULL;
	size_t n = 0;
	int r;

	r = layersdir_read(dir, &layers, &n, eb);
	if (r < 0)
		return r;
	r = plan_from_layers(layers, n, ret, eb);
	layersdir_free(layers, n);
	return r;
}
