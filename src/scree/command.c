/* command.c - shell-style splitting and the [ ... ] default-arguments group (§2.3).
 *
 * The splitter follows the lexer Pebble uses (x-go strutil/shlex): words are separated by
 * space, tab, CR and LF; '...' quotes literally; "..." quotes with backslash escaping any
 * next character; a backslash outside quotes escapes the next character; a '#' that starts
 * a word begins a comment running to the end of the line. */
#include "command.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum cmd_state { CMD_START, CMD_WORD, CMD_ESC, CMD_DQ, CMD_DQ_ESC, CMD_SQ, CMD_COMMENT };

static bool cmd_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int cmd_push(char ***v, size_t *n, struct buf *w, struct errbuf *eb)
{
	if (*n >= COMMAND_MAX_ARGS) {
		errbuf_set(eb, "too many arguments (more than %d)", COMMAND_MAX_ARGS);
		return -E2BIG;
	}
	*v = xrealloc(*v, (*n + 2) * sizeof(**v));
	(*v)[(*n)++] = xstrndup(buf_str(w), w->len);
	(*v)[*n] = NULL;
	buf_reset(w);
	return 0;
}

void command_argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int command_split(const char *s, char ***ret_argv, size_t *ret_n, struct errbuf *eb)
{
	enum cmd_state st = CMD_START;
	struct buf w = BUF_INIT;
	char **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	int r = 0;

	for (;; s++) {
		char c = *s;

		switch (st) {
		case CMD_START:
			if (!c)
				goto done;
			if (cmd_space(c))
				break;
			if (c == '"')
				st = CMD_DQ;
			else if (c == '\'')
				st = CMD_SQ;
			else if (c == '\\')
				st = CMD_ESC;
			else if (c == '#')
				st = CMD_COMMENT;
			else {
				buf_addc(&w, c);
				st = CMD_WORD;
			}
			break;
		case CMD_WORD:
			if (!c || cmd_space(c)) {
				r = cmd_push(&v, &n, &w, eb);
				if (r < 0 || !c)
					goto done;
				st = CMD_START;
			} else if (c == '"') {
				st = CMD_DQ;
			} else if (c == '\'') {
				st = CMD_SQ;
			} else if (c == '\\') {
				st = CMD_ESC;
			} else {
				buf_addc(&w, c);
			}
			break;
		case CMD_ESC:
		case CMD_DQ_ESC:
			if (!c) {
				errbuf_set(eb, "EOF found after escape character");
				r = -EINVAL;
				goto done;
			}
			buf_addc(&w, c);
			st = st == CMD_ESC ? CMD_WORD : CMD_DQ;
			break;
		case CMD_DQ:
			if (!c) {
				errbuf_set(eb, "EOF found when expecting closing quote");
				r = -EINVAL;
				goto done;
			}
			if (c == '"')
				st = CMD_WORD;
			else if (c == '\\')
				st = CMD_DQ_ESC;
			else
				buf_addc(&w, c);
			break;
		case CMD_SQ:
			if (!c) {
				errbuf_set(eb, "EOF found when expecting closing quote");
				r = -EINVAL;
				goto done;
			}
			if (c == '\'')
				st = CMD_WORD;
			else
				buf_addc(&w, c);
			break;
		case CMD_COMMENT:
			if (!c)
				goto done;
			if (c == '\n')
				st = CMD_START;
			break;
		}
	}
done:
	buf_done(&w);
	if (r < 0) {
		command_argv_free(v);
		return r;
	}
	*ret_argv = v;
	if (ret_n)
		*ret_n = n;
	return 0;
}

void command_done(struct command *c)
{
	command_argv_free(c->base);
	command_argv_free(c->extra);
	memset(c, 0, sizeof(*c));
}

int command_parse(const char *cmdline, struct command *ret, struct errbuf *eb)
{
	char **args = NULL;
	size_t n = 0, i;
	struct command c;
	bool in_group = false, got_group = false;
	int r;

	r = command_split(cmdline ? cmdline : "", &args, &n, eb);
	if (r < 0)
		return r;
	memset(&c, 0, sizeof(c));
	c.base = xcalloc(n + 1, sizeof(char *));
	c.extra = xcalloc(n + 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		const char *a = args[i];

		if (in_group) {
			if (strcmp(a, "[") == 0) {
				errbuf_set(eb, "cannot nest [ ... ] groups");
				goto fail;
			}
			if (strcmp(a, "]") == 0) {
				in_group = false;
				continue;
			}
			c.extra[c.n_extra++] = xstrdup(a);
			continue;
		}
		if (got_group) {
			errbuf_set(eb, "cannot have any arguments after [ ... ] group");
			goto fail;
		}
		if (strcmp(a, "[") == 0) {
			if (i == 0) {
				errbuf_set(eb, "cannot start command with [ ... ] group");
				goto fail;
			}
			in_group = got_group = true;
			continue;
		}
		if (strcmp(a, "]") == 0) {
			errbuf_set(eb, "cannot have ] outside of [ ... ] group");
			goto fail;
		}
		c.base[c.n_base++] = xstrdup(a);
	}
	/* An unterminated "[" group is accepted, as Pebble does: its words are defaults. */
	c.has_group = got_group;
	command_argv_free(args);
	*ret = c;
	return 0;
fail:
	command_argv_free(args);
	command_done(&c);
	return -EINVAL;
}

int command_argv(const char *cmdline, char *const *args, size_t n_args, bool use_args,
		 char ***ret_argv, size_t *ret_n, struct errbuf *eb)
{
	struct command c;
	char **v;
	size_t n = 0, i;
	int r;

	r = command_parse(cmdline, &c, eb);
	if (r < 0)
		return r;
	if (c.n_base == 0) {
		command_done(&c);
		errbuf_set(eb, "empty command");
		return -EINVAL;
	}
	v = xcalloc(c.n_base + (use_args ? n_args : c.n_extra) + 1, sizeof(*v));
	for (i = 0; i < c.n_base; i++)
		v[n++] = xstrdup(c.base[i]);
	if (use_args) {
		for (i = 0; i < n_args; i++)
			v[n++] = xstrdup(args[i]);
	} else {
		for (i = 0; i < c.n_extra; i++)
			v[n++] = xstrdup(c.extra[i]);
	}
	v[n] = NULL;
	command_done(&c);
	*ret_argv = v;
	if (ret_n)
		*ret_n = n;
	return 0;
}

/* Python's shlex.quote rule, as x-go's shlex.Join uses: words made only of
 * [A-Za-z0-9_@%+=:,./-] stay bare. */
void command_quote(struct buf *out, const char *word)
{
	const char *p;
	bool safe = *word != '\0';

	for (p = word; *p && safe; p++) {
		char c = *p;

		safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       strchr("_@%+=:,./-", c) != NULL;
	}
	if (safe) {
		buf_adds(out, word);
		return;
	}
	buf_addc(out, '\'');
	for (p = word; *p; p++) {
		if (*p == '\'')
			buf_adds(out, "'\"'\"'");
		else
			buf_addc(out, *p);
	}
	buf_addc(out, '\'');
}

char *command_join(char *const *base, size_t n_base, char *const *extra, size_t n_extra,
		   bool with_group)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "");
	for (i = 0; i < n_base; i++) {
		if (i)
			buf_addc(&b, ' ');
		command_quote(&b, base[i]);
	}
	if (with_group) {
		buf_adds(&b, " [");
		for (i = 0; i < n_extra; i++) {
			buf_addc(&b, ' ');
			command_quote(&b, extra[i]);
		}
		buf_adds(&b, " ]");
	}
	return buf_detach(&b);
}
