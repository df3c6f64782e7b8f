/* test-command.c - shell-style splitting, the [ ... ] group and its errors (§2.3). */
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/command.h"

static char *join_argv(char **v)
{
	struct buf b = BUF_INIT;
	size_t i;

	buf_adds(&b, "");
	for (i = 0; v[i]; i++) {
		if (i)
			buf_addc(&b, '|');
		buf_adds(&b, v[i]);
	}
	return buf_detach(&b);
}

static void check_split(const char *in, const char *want)
{
	char **v = NULL;
	struct errbuf eb;
	char *got;
	int r = command_split(in, &v, NULL, &eb);

	if (r < 0)
		TFAIL("split %s failed: %s", in, eb.msg);
	got = join_argv(v);
	if (strcmp(got, want) != 0) {
		printf("split(%s) = %s, want %s\n", in, got, want);
		test_cur_failed = 1;
	}
	free(got);
	command_argv_free(v);
}

static void test_split_quotes(void)
{
	check_split("echo hello world", "echo|hello|world");
	check_split("  cmd   arg1 \"arg2 arg3\" ", "cmd|arg1|arg2 arg3");
	check_split("a 'b c' d", "a|b c|d");
	check_split("a\\ b", "a b");
	check_split("\"a\\\"b\" 'c\\d'", "a\"b|c\\d");
	check_split("x''y \"\"", "xy|");
	check_split("a\tb\nc", "a|b|c");
	check_split("echo #comment here\nnext", "echo|next");
	check_split("echo a#b", "echo|a#b");
	check_split("", "");
}

static void test_split_errors(void)
{
	char **v = NULL;
	struct errbuf eb;

	ASSERT_TRUE(command_split("foo '", &v, NULL, &eb) < 0);
	ASSERT_STREQ(eb.msg, "EOF found when expecting closing quote");
	ASSERT_TRUE(command_split("foo \"bar", &v, NULL, &eb) < 0);
	ASSERT_STREQ(eb.msg, "EOF found when expecting closing quote");
	ASSERT_TRUE(command_split("foo \\", &v, NULL, &eb) < 0);
	ASSERT_STREQ(eb.msg, "EOF found after escape character");
	ASSERT_TRUE(command_split("foo \"a\\", &v, NULL, &eb) < 0);
	ASSERT_STREQ(eb.msg, "EOF found after escape character");
}

static void test_parse_group(void)
{
	struct command c;
	struct errbuf eb;

	ASSERT_EQ(command_parse("cmd -v [ --foo bar -e \"x [ y ] z\" ]", &c, &eb), 0);
	ASSERT_EQ(c.n_base, 2);
	ASSERT_STREQ(c.base[0], "cmd");
	ASSERT_STREQ(c.base[1], "-v");
	ASSERT_EQ(c.n_extra, 4);
	ASSERT_STREQ(c.extra[3], "x [ y ] z");
	ASSERT_TRUE(c.has_group);
	command_done(&c);

	ASSERT_EQ(command_parse("/usr/bin/d --db=/x", &c, &eb), 0);
	ASSERT_EQ(c.n_base, 2);
	ASSERT_EQ(c.n_extra, 0);
	ASSERT_TRUE(!c.has_group);
	command_done(&c);
}

static void test_parse_errors(void)
{
	struct command c;
	struct errbuf eb;

	ASSERT_TRUE(command_parse("cmd -v [ foo [ --bar ] ]", &c, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot nest [ ... ] groups");
	ASSERT_TRUE(command_parse("cmd -v [ --foo ] bar", &c, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot have any arguments after [ ... ] group");
	ASSERT_TRUE(command_parse("[ cmd ]", &c, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot start command with [ ... ] group");
	ASSERT_TRUE(command_parse("cmd -v ] foo", &c, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot have ] outside of [ ... ] group");
	ASSERT_TRUE(command_parse("cmd 'x", &c, &eb) < 0);
	ASSERT_STREQ(eb.msg, "EOF found when expecting closing quote");
}

static void test_argv(void)
{
	char **v = NULL;
	char *args[] = { "--port", "9090" };
	struct errbuf eb;
	size_t n;
	char *s;

	ASSERT_EQ(command_argv("/usr/bin/d --db=/x [ --port 8080 ]", NULL, 0, false, &v, &n, &eb), 0);
	ASSERT_EQ(n, 4);
	s = join_argv(v);
	ASSERT_STREQ(s, "/usr/bin/d|--db=/x|--port|8080");
	free(s);
	command_argv_free(v);

	ASSERT_EQ(command_argv("/usr/bin/d --db=/x [ --port 8080 ]", args, 2, true, &v, &n, &eb), 0);
	s = join_argv(v);
	ASSERT_STREQ(s, "/usr/bin/d|--db=/x|--port|9090");
	free(s);
	command_argv_free(v);

	/* --args with no values drops the defaults. */
	ASSERT_EQ(command_argv("d [ a ]", NULL, 0, true, &v, &n, &eb), 0);
	ASSERT_EQ(n, 1);
	command_argv_free(v);

	ASSERT_TRUE(command_argv("", NULL, 0, false, &v, &n, &eb) < 0);
	ASSERT_STREQ(eb.msg, "empty command");
	ASSERT_TRUE(command_argv("cmd ] x", NULL, 0, false, &v, &n, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot have ] outside of [ ... ] group");
}

static void test_join_roundtrip(void)
{
	char *base[] = { "/bin/echo", "it's", "" };
	char *extra[] = { "a b", "$HOME", "x=1" };
	char **v = NULL;
	struct errbuf eb;
	struct command c;
	char *s = command_join(base, 3, extra, 3, true);

	ASSERT_STREQ(s, "/bin/echo 'it'\"'\"'s' '' [ 'a b' '$HOME' x=1 ]");
	ASSERT_EQ(command_parse(s, &c, &eb), 0);
	ASSERT_EQ(c.n_base, 3);
	ASSERT_STREQ(c.base[1], "it's");
	ASSERT_STREQ(c.base[2], "");
	ASSERT_EQ(c.n_extra, 3);
	ASSERT_STREQ(c.extra[1], "$HOME");
	command_done(&c);
	free(s);
	s = command_join(base, 1, NULL, 0, false);
	ASSERT_STREQ(s, "/bin/echo");
	free(s);
	(void)v;
}

int main(void)
{
	RUN(test_split_quotes);
	RUN(test_split_errors);
	RUN(test_parse_group);
	RUN(test_parse_errors);
	RUN(test_argv);
	RUN(test_join_roundtrip);
	return test_summary();
}
