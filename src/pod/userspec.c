/* userspec.c - image User resolution; see userspec.h. */
#include "userspec.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/strnum.h"

#define USERSPEC_ID_MAX 2147483647  /* ids above 2^31-1 are refused, as runc does */
#define USERSPEC_FIELDS 7

/* Splits one colon-separated line (not NUL-terminated) into at most max fields, in place in
 * a private copy.  Returns the number of fields. */
static size_t split_line(const char *line, size_t len, char *copy, size_t cap, char **f, size_t max)
{
	size_t n = 0;

	if (len >= cap)
		len = cap - 1;
	memcpy(copy, line, len);
	copy[len] = '\0';
	f[n++] = copy;
	for (char *p = copy; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

/* Calls fn for each non-comment line of text; stops when fn returns non-zero. */
static int each_line(const char *text, int (*fn)(char **f, size_t n, void *data), void *data)
{
	char copy[1024];
	char *f[USERSPEC_FIELDS];

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len && p[0] != '#') {
			size_t n = split_line(p, len, copy, sizeof(copy), f, USERSPEC_FIELDS);
			int r = fn(f, n, data);

			if (r)
				return r;
		}
		p = nl ? nl + 1 : p + len;
	}
	return 0;
}

static bool parse_id(const char *s, uint32_t *ret)
{
	int64_t v;

	if (!*s || strnum_i64(s, 0, USERSPEC_ID_MAX, &v) < 0)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static bool is_numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

struct pw_find {
	const char *name; /* by name, or */
	uint32_t uid;     /* by uid when name is NULL */
	bool found;
	uint32_t out_uid, out_gid;
	char home[USERSPEC_HOME_MAX];
	char pw_name[USERSPEC_HOME_MAX];
};

static int pw_match(char **f, size_t n, void *data)
{
	struct pw_find *q = data;
	uint32_t uid, gid;

	if (n < 4 || !parse_id(f[2], &uid) || !parse_id(f[3], &gid))
		return 0; /* malformed lines are skipped, as libc does */
	if (q->name ? strcmp(f[0], q->name) != 0 : uid != q->uid)
		return 0;
	q->found = true;
	q->out_uid = uid;
	q->out_gid = gid;
	snprintf(q->home, sizeof(q->home), "%s", n >= 6 && f[5][0] ? f[5] : "/");
	snprintf(q->pw_name, sizeof(q->pw_name), "%s", f[0]);
	return 1;
}

struct gr_find {
	const char *name;
	bool found;
	uint32_t gid;
};

static int gr_match(char **f, size_t n, void *data)
{
	struct gr_find *q = data;
	uint32_t gid;

	if (n < 3 || !parse_id(f[2], &gid) || strcmp(f[0], q->name) != 0)
		return 0;
	q->found = true;
	q->gid = gid;
	return 1;
}

struct gr_members {
	const char *user;
	struct userspec_ids *ids;
};

static void add_group(struct userspec_ids *ids, gid_t g)
{
	for (size_t i = 0; i < ids->n_groups; i++)
		if (ids->groups[i] == g)
			return;
	if (ids->n_groups < USERSPEC_GROUPS_MAX)
		ids->groups[ids->n_groups++] = g;
}

static int gr_member(char **f, size_t n, void *data)
{
	struct gr_members *q = data;
	uint32_t gid;

	if (n < 4 || !parse_id(f[2], &gid))
		return 0;
	for (char *m = f[3]; *m;) {
		char *comma = strchr(m, ',');
		size_t len = comma ? (size_t)(comma - m) : strlen(m);

		if (len == strlen(q->user) && strncmp(m, q->user, len) == 0)
			add_group(q->ids, gid);
		m += len + (comma ? 1 : 0);
	}
	return 0;
}

int userspec_resolve(const char *user, const char *passwd, const char *group, struct userspec_ids *ret,
		     struct errbuf *eb)
{
	struct userspec_ids ids;
	char upart[USERSPEC_HOME_MAX], gpart[USERSPEC_HOME_MAX];
	const char *colon;
	bool have_group;
	struct pw_find pw;

	memset(&ids, 0, sizeof(ids));
	snprintf(ids.home, sizeof(ids.home), "/");
	if (!user)
		user = "";
	if (strlen(user) >= sizeof(upart))
		return errbuf_set(eb, "user \"%.40s...\" is too long", user), -EINVAL;
	colon = strchr(user, ':');
	have_group = colon != NULL;
	snprintf(upart, sizeof(upart), "%.*s", (int)(colon ? (size_t)(colon - user) : strlen(user)), user);
	snprintf(gpart, sizeof(gpart), "%s", colon ? colon + 1 : "");
	if (have_group && (!*gpart || strchr(gpart, ':')))
		return errbuf_set(eb, "user \"%s\": malformed group part", user), -EINVAL;
	if (!*upart)
		snprintf(upart, sizeof(upart), "%s", have_group ? "" : "root");
	if (!*upart && have_group)
		return errbuf_set(eb, "user \"%s\": no user part", user), -EINVAL;

	memset(&pw, 0, sizeof(pw));
	if (is_numeric(upart)) {
		uint32_t uid;

		if (!parse_id(upart, &uid))
			return errbuf_set(eb, "user \"%s\": uid out of range", user), -EINVAL;
		pw.uid = uid;
		each_line(passwd, pw_match, &pw);
		ids.uid = uid;
		if (pw.found) {
			ids.gid = pw.out_gid;
			snprintf(ids.home, sizeof(ids.home), "%s", pw.home);
		}
	} else {
		pw.name = upart;
		each_line(passwd, pw_match, &pw);
		if (!pw.found) {
			/* Root needs no entry: an image without /etc/passwd runs as 0:0. */
			if (strcmp(upart, "root") != 0)
				return errbuf_set(eb, "unable to find user %s: no matching entries in passwd file",
						  upart),
				       -ENOENT;
		} else {
			ids.uid = pw.out_uid;
			ids.gid = pw.out_gid;
			snprintf(ids.home, sizeof(ids.home), "%s", pw.home);
		}
	}
	if (have_group) {
		if (is_numeric(gpart)) {
			uint32_t gid;

			if (!parse_id(gpart, &gid))
				return errbuf_set(eb, "user \"%s\": gid out of range", user), -EINVAL;
			ids.gid = gid;
		} else {
			struct gr_find gr = { .name = gpart };

			each_line(group, gr_match, &gr);
			if (!gr.found)
				return errbuf_set(eb, "unable to find group %s: no matching entries in group file",
						  gpart),
				       -ENOENT;
			ids.gid = gr.gid;
		}
	}
	add_group(&ids, ids.gid);
	if (pw.found) {
		struct gr_members m = { .user = pw.pw_name, .ids = &ids };

		each_line(group, gr_member, &m);
	}
	*ret = ids;
	return 0;
}
