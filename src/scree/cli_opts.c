/* cli_opts.c - go-flags-compatible option parsing; see cli_opts.h. */
#include "cli_opts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

struct parse {
	const struct cli_spec *spec;
	int argc, i;
	char **argv;
	struct errbuf *eb;
};

static void strv_add(struct cli_strv *v, const char *s)
{
	v->v = xrealloc(v->v, (v->n + 1) * sizeof(*v->v));
	v->v[v->n++] = s;
}

void cli_strv_done(struct cli_strv *v)
{
	free(v->v);
	v->v = NULL;
	v->n = 0;
}

void cli_groups_done(struct cli_groups *g)
{
	for (size_t i = 0; i < g->n; i++)
		cli_strv_done(&g->g[i]);
	free(g->g);
	g->g = NULL;
	g->n = 0;
}

/* go-flags Option.String(): "-n, --name", "-n" or "--name". */
static const char *opt_str(const struct cli_opt *o, char *out, size_t n)
{
	if (o->shortname && o->longname)
		snprintf(out, n, "-%c, --%s", o->shortname, o->longname);
	else if (o->shortname)
		snprintf(out, n, "-%c", o->shortname);
	else
		snprintf(out, n, "--%s", o->longname ? o->longname : "");
	return out;
}

static const struct cli_opt *find_long(const struct cli_spec *spec, const char *name, size_t len)
{
	for (const struct cli_opt *o = spec->opts; o && (o->shortname || o->longname); o++)
		if (o->longname && strlen(o->longname) == len && strncmp(o->longname, name, len) == 0)
			return o;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_spec *spec, char c)
{
	for (const struct cli_opt *o = spec->opts; o && (o->shortname || o->longname); o++)
		if (o->shortname == c)
			return o;
	return NULL;
}

/* go-flags argumentIsOption: "-x..." or "--x...", but not "-", "--" or "---x". */
static bool looks_like_option(const char *a)
{
	size_t n = strlen(a);

	return (n > 1 && a[0] == '-' && a[1] != '-') || (n > 2 && a[0] == '-' && a[1] == '-' && a[2] != '-');
}

static bool opt_takes_arg(const struct cli_opt *o)
{
	return o->type != CLI_OPT_BOOL;
}

/* Applies option o.  value: an argument attached with '=' or concatenated (-nVALUE), or
 * NULL; canarg: whether the next argv element may be consumed. */
static int apply(struct parse *p, const struct cli_opt *o, const char *value, bool canarg, bool *seen)
{
	char name[128];

	seen[o - p->spec->opts] = true;
	if (o->type == CLI_OPT_BOOL) {
		if (value) {
			errbuf_set(p->eb, "bool flag `%s' cannot have an argument", opt_str(o, name, sizeof(name)));
			return -EINVAL;
		}
		*(bool *)o->dest = true;
		return 0;
	}
	if (o->type == CLI_OPT_TERMINATED) {
		struct cli_groups *g = o->dest;
		struct cli_strv *grp;

		if (!value && !(canarg && p->i < p->argc)) {
			errbuf_set(p->eb, "expected argument for flag `%s'", opt_str(o, name, sizeof(name)));
			return -EINVAL;
		}
		g->g = xrealloc(g->g, (g->n + 1) * sizeof(*g->g));
		grp = &g->g[g->n++];
		memset(grp, 0, sizeof(*grp));
		if (value)
			strv_add(grp, value);
		/* Everything up to the terminator belongs to the group, options included. */
		while (p->i < p->argc) {
			const char *a = p->argv[p->i++];

			if (o->terminator && strcmp(a, o->terminator) == 0)
				break;
			strv_add(grp, a);
		}
		return 0;
	}
	if (!value) {
		const char *next;

		if (!canarg || p->i >= p->argc) {
			errbuf_set(p->eb, "expected argument for flag `%s'", opt_str(o, name, sizeof(name)));
			return -EINVAL;
		}
		next = p->argv[p->i];
		if (looks_like_option(next)) {
			errbuf_set(p->eb, "expected argument for flag `%s', but got option `%s'",
				   opt_str(o, name, sizeof(name)), next);
			return -EINVAL;
		}
		if (strcmp(next, "--") == 0) {
			errbuf_set(p->eb, "expected argument for flag `%s', but got double dash `--'",
				   opt_str(o, name, sizeof(name)));
			return -EINVAL;
		}
		value = next;
		p->i++;
	}
	if (o->type == CLI_OPT_LIST)
		strv_add(o->dest, value);
	else
		*(const char **)o->dest = value;
	return 0;
}

static int help(const struct cli_spec *spec)
{
	printf("Usage:\n  %s\n", spec->usage ? spec->usage : "pebble");
	fflush(stdout);
	return CLI_OPTS_HELP;
}

/* --name[=value] */
static int parse_long(struct parse *p, const char *a, bool *seen)
{
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_opt *o = find_long(p->spec, name, len);

	if (!o) {
		if (len == 4 && strncmp(name, "help", 4) == 0)
			return help(p->spec);
		errbuf_set(p->eb, "unknown flag `%.*s'", (int)len, name);
		return -EINVAL;
	}
	return apply(p, o, eq ? eq + 1 : NULL, true, seen);
}

/* -abc, -nVALUE, -n=VALUE */
static int parse_short(struct parse *p, const char *a, bool *seen)
{
	const char *s = a + 1, *value = NULL;
	const struct cli_opt *first = find_short(p->spec, s[0]);
	size_t n;
	int rv;

	if (s[1] == '=') {
		value = s + 2;
		n = 1;
	} else if (s[1] && first && opt_takes_arg(first)) {
		value = s + 1; /* -nVALUE: the rest is the first option's argument */
		n = 1;
	} else {
		n = strlen(s);
	}
	for (size_t k = 0; k < n; k++) {
		const struct cli_opt *o = find_short(p->spec, s[k]);

		if (!o) {
			if (s[k] == 'h')
				return help(p->spec);
			errbuf_set(p->eb, "unknown flag `%c'", s[k]);
			return -EINVAL;
		}
		/* Only the last letter of a bundle may take the next argument; only the
		 * first may have an attached one. */
		rv = apply(p, o, k == 0 ? value : NULL, k + 1 == n, seen);
		if (rv != 0)
			return rv;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "the required flag `--from' was not specified" (names sorted, as go-flags sorts them). */
static int check_required_flags(struct parse *p, const bool *seen)
{
	char names[16][128];
	const char *sorted[16];
	size_t n = 0;
	struct buf b = BUF_INIT;

	for (const struct cli_opt *o = p->spec->opts; o && (o->shortname || o->longname) && n < 16; o++) {
		if (!o->required || seen[o - p->spec->opts])
			continue;
		names[n][0] = '`';
		opt_str(o, names[n] + 1, sizeof(names[n]) - 2);
		strcat(names[n], "'");
		sorted[n] = names[n];
		n++;
	}
	if (n == 0)
		return 0;
	qsort(sorted, n, sizeof(*sorted), cmp_str);
	buf_init(&b);
	for (size_t i = 0; i + 1 < n; i++)
		buf_addf(&b, "%s%s", i ? ", " : "", sorted[i]);
	if (n == 1)
		errbuf_set(p->eb, "the required flag %s was not specified", sorted[0]);
	else
		errbuf_set(p->eb, "the required flags %s and %s were not specified", b.data, sorted[n - 1]);
	buf_done(&b);
	return -EINVAL;
}

/* Assigns the positionals in order, then reports missing required ones and extras. */
static int assign_positionals(struct parse *p, const char **pos, size_t npos)
{
	const struct cli_arg *args = p->spec->args;
	struct buf missing = BUF_INIT, last = BUF_INIT;
	size_t k = 0, nmissing = 0;
	int rv = 0;

	buf_init(&missing);
	buf_init(&last);
	for (const struct cli_arg *a = args; a && a->name; a++) {
		size_t got = 0;

		if (a->type == CLI_ARG_REST) {
			for (; k < npos; k++, got++)
				strv_add(a->dest, pos[k]);
			if (got < a->required) {
				if (nmissing++)
					buf_addf(&missing, "%s%s", missing.len ? ", " : "", last.data);
				buf_reset(&last);
				if (a->required > 1)
					buf_addf(&last, "`%s (at least %u arguments, but got only %zu)`", a->name,
						 a->required, got);
				else
					buf_addf(&last, "`%s (at least %u argument)`", a->name, a->required);
			}
			continue;
		}
		if (k < npos) {
			*(const char **)a->dest = pos[k++];
		} else if (a->required) {
			if (nmissing++)
				buf_addf(&missing, "%s%s", missing.len ? ", " : "", last.data);
			buf_reset(&last);
			buf_addf(&last, "`%s`", a->name);
		}
	}
	if (nmissing == 1) {
		errbuf_set(p->eb, "the required argument %s was not provided", last.data);
		rv = -EINVAL;
	} else if (nmissing > 1) {
		errbuf_set(p->eb, "the required arguments %s and %s were not provided", missing.data, last.data);
		rv = -EINVAL;
	} else if (k < npos) {
		errbuf_set(p->eb, "too many arguments for command");
		rv = -EINVAL;
	}
	buf_done(&missing);
	buf_done(&last);
	return rv;
}

int cli_opts_parse(const struct cli_spec *spec, int argc, char **argv, struct errbuf *eb)
{
	struct parse p = { spec, argc, 0, argv, eb };
	size_t nopts = 0, npos = 0;
	const char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	bool *seen, rest = false;
	int rv = 0;

	for (const struct cli_opt *o = spec->opts; o && (o->shortname || o->longname); o++)
		nopts++;
	seen = xcalloc(nopts + 1, sizeof(*seen));
	while (p.i < argc) {
		const char *a = argv[p.i++];

		if (rest) {
			pos[npos++] = a;
		} else if (strcmp(a, "--") == 0) {
			rest = true;
		} else if (a[0] != '-' || a[1] == '\0') {
			pos[npos++] = a;
			rest = spec->pass_after_non_option;
		} else {
			rv = a[1] == '-' ? parse_long(&p, a, seen) : parse_short(&p, a, seen);
			if (rv != 0)
				goto out;
		}
	}
	rv = check_required_flags(&p, seen);
	if (rv == 0)
		rv = assign_positionals(&p, pos, npos);
out:
	free(seen);
	free(pos);
	return rv;
}
