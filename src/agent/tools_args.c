/* tools_args.c - gnuflag-compatible argv parsing for the hook tools; see tools_args.h. */
#include "agent/tools_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/gofmt.h"
#include "lib/strnum.h"

/* Finds the option one of whose spellings is name[0..len). */
static const struct targ_opt *find_opt(const struct targ_opt *opts, int nopts, const char *name,
				       size_t len)
{
	for (int i = 0; i < nopts; i++) {
		const char *p = opts[i].names;

		while (*p) {
			size_t n = strcspn(p, "|");

			if (n == len && !memcmp(p, name, len))
				return &opts[i];
			p += n;
			if (*p == '|')
				p++;
		}
	}
	return NULL;
}

void targ_quote(struct buf *out, const char *s)
{
	gofmt_quote(out, s, strlen(s), GOFMT_QUOTE_GO_BYTES);
}

void targ_unrecognized(struct errbuf *eb, char **args, int n)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, "unrecognized args: [");
	for (int i = 0; i < n; i++) {
		if (i)
			buf_addc(&b, ' ');
		targ_quote(&b, args[i]);
	}
	buf_addc(&b, ']');
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
}

/* Juju prints an option as it was named: "--name" for long names, "-n" for one rune. */
static void set_opt_error(struct errbuf *eb, const char *what, const char *name, size_t len)
{
	errbuf_set(eb, "%s: %s%.*s", what, len > 1 ? "--" : "-", (int)len, name);
}

/* Applies a value to opt.  has_value is false for a bare boolean. */
static int apply(const struct targ_opt *opt, const char *name, size_t len, const char *value,
		 bool has_value, struct errbuf *eb)
{
	if (opt->kind == TARG_BOOL) {
		bool v = true;

		if (has_value && strnum_bool(value, &v) < 0) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			buf_adds(&b, "invalid value ");
			targ_quote(&b, value);
			buf_addf(&b, " for option %s%.*s: strconv.ParseBool: parsing ",
				 len > 1 ? "--" : "-", (int)len, name);
			targ_quote(&b, value);
			buf_adds(&b, ": invalid syntax");
			errbuf_set(eb, "%s", buf_str(&b));
			buf_done(&b);
			return -EINVAL;
		}
		*opt->flag = v;
		return 0;
	}
	*opt->value = value;
	return 0;
}

/* Length of the UTF-8 sequence starting at p (1 for anything malformed). */
static size_t rune_len(const char *p)
{
	unsigned char c = (unsigned char)*p;
	size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;

	for (size_t i = 1; i < n; i++)
		if (((unsigned char)p[i] >> 6) != 2)
			return 1;
	return n;
}

static bool is_help(const char *name, size_t len)
{
	return (len == 1 && *name == 'h') || (len == 4 && !memcmp(name, "help", 4));
}

int targ_parse(const struct targ_opt *opts, int nopts, int argc, char **argv, char ***ret_pos,
	       int *ret_npos, struct errbuf *eb)
{
	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, i = 0, r = -EINVAL;

	while (i < argc) {
		const char *a = argv[i++];
		const struct targ_opt *opt;

		if (a[0] != '-' || a[1] == '\0') {
			pos[npos++] = (char *)a;
			continue;
		}
		if (!strcmp(a, "--")) {
			while (i < argc)
				pos[npos++] = argv[i++];
			break;
		}

		const char *body = a[1] == '-' ? a + 2 : a + 1;
		const char *eq = strchr(body, '=');
		size_t len = eq ? (size_t)(eq - body) : strlen(body);
		bool long_form = a[1] == '-';

		/* Leniency: "-format json" names a long option as a whole word. */
		if (!long_form && len > 1 && find_opt(opts, nopts, body, len))
			long_form = true;

		if (long_form) {
			if (len == 0) {
				struct buf b = BUF_INIT;

				buf_init(&b);
				buf_adds(&b, "empty option in argument ");
				targ_quote(&b, a);
				errbuf_set(eb, "%s", buf_str(&b));
				buf_done(&b);
				goto fail;
			}
			opt = find_opt(opts, nopts, body, len);
			if (!opt) {
				if (is_help(body, len)) {
					r = TARG_HELP;
					goto fail;
				}
				set_opt_error(eb, "option provided but not defined", body, len);
				goto fail;
			}
			if (eq) {
				if (apply(opt, body, len, eq + 1, true, eb) < 0)
					goto fail;
			} else if (opt->kind == TARG_BOOL) {
				apply(opt, body, len, NULL, false, eb);
			} else if (i < argc) {
				apply(opt, body, len, argv[i++], true, eb);
			} else {
				set_opt_error(eb, "option needs an argument", body, len);
				goto fail;
			}
			continue;
		}

		/* A cluster of single-rune options: "-ab", "-lDEBUG", "-o" "file". */
		const char *p = a + 1;

		while (*p) {
			size_t n = rune_len(p);
			const char *rest = p + n;

			opt = find_opt(opts, nopts, p, n);
			if (!opt) {
				if (is_help(p, n)) {
					r = TARG_HELP;
					goto fail;
				}
				set_opt_error(eb, "option provided but not defined", p, n);
				goto fail;
			}
			if (opt->kind == TARG_BOOL && *rest != '=') {
				apply(opt, p, n, NULL, false, eb);
				p = rest;
				continue;
			}
			if (*rest) {
				/* The value follows the rune ("-lDEBUG"; leniently "-l=DEBUG"). */
				if (apply(opt, p, n, *rest == '=' ? rest + 1 : rest, true, eb) < 0)
					goto fail;
			} else if (i < argc) {
				apply(opt, p, n, argv[i++], true, eb);
			} else {
				set_opt_error(eb, "option needs an argument", p, n);
				goto fail;
			}
			break;
		}
	}
	pos[npos] = NULL;
	*ret_pos = pos;
	*ret_npos = npos;
	return TARG_OK;
fail:
	free(pos);
	return r;
}

static int cmp_opt(const void *a, const void *b)
{
	const struct targ_opt *const *x = a, *const *y = b;

	return strcmp((*x)->names, (*y)->names);
}

void targ_help(const struct targ_opt *opts, int nopts, struct buf *out)
{
	const struct targ_opt **sorted = xcalloc((size_t)nopts + 1, sizeof(*sorted));

	for (int i = 0; i < nopts; i++)
		sorted[i] = &opts[i];
	qsort(sorted, (size_t)nopts, sizeof(*sorted), cmp_opt);
	for (int i = 0; i < nopts; i++) {
		const struct targ_opt *o = sorted[i];
		const char *p = o->names;
		bool first = true;

		while (*p) {
			size_t n = strcspn(p, "|");

			buf_addf(out, "%s%s%.*s", first ? "" : ", ", n > 1 ? "--" : "-", (int)n, p);
			first = false;
			p += n;
			if (*p == '|')
				p++;
		}
		if (o->kind == TARG_STRING && !o->custom) {
			buf_adds(out, " (= ");
			targ_quote(out, o->defval ? o->defval : "");
			buf_adds(out, ")\n");
		} else {
			buf_addf(out, "  (= %s)\n", o->defval ? o->defval : "false");
		}
		buf_addf(out, "    %s\n", o->usage ? o->usage : "");
	}
	free(sorted);
}
