/* test-cli-argv.c - unit tests for the CLI's argument handling: the gnuflag-style parser,
 * Juju's naming rules, Go-style quoting and the config-source helpers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/argv.h"
#include "cli/cfgsrc.h"
#include "cli/gostr.h"
#include "lib/gofmt.h"
#include "lib/names.h"
#include "lib/test.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_interspersed_options(void)
{
	char *argv[] = { "deploy", "./hello", "-n", "3", "app", "--config", "a=1",
			 "--config=b=2", "--force" };
	int64_t n = 1;
	bool force = false;
	struct argv_list config, pos;
	const struct argv_opt opts[] = {
		{ "num-units", 'n', ARGV_INT, &n, NULL },
		{ "config", 0, ARGV_LIST, &config, NULL },
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;

	argv_list_init(&config);
	argv_list_init(&pos);
	ASSERT_EQ(argv_parse(opts, ARGC(argv), argv, 1, &pos, &eb), 0);
	ASSERT_EQ(n, 3);
	ASSERT_TRUE(force);
	ASSERT_EQ(pos.n, 2);
	ASSERT_STREQ(pos.v[0], "./hello");
	ASSERT_STREQ(pos.v[1], "app");
	ASSERT_EQ(config.n, 2);
	ASSERT_STREQ(config.v[0], "a=1");
	ASSERT_STREQ(config.v[1], "b=2");
	argv_list_done(&config);
	argv_list_done(&pos);
}

static void test_value_forms(void)
{
	char *argv[] = { "x", "--num-units=4", "-n7", "-n=9" };
	int64_t n = 0;
	bool seen = false;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "num-units", 'n', ARGV_INT, &n, &seen },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;

	argv_list_init(&pos);
	ASSERT_EQ(argv_parse(opts, 2, argv, 1, &pos, &eb), 0);
	ASSERT_EQ(n, 4);
	ASSERT_TRUE(seen);
	ASSERT_EQ(argv_parse(opts, 3, argv, 1, &pos, &eb), 0);
	ASSERT_EQ(n, 7);
	ASSERT_EQ(argv_parse(opts, 4, argv, 1, &pos, &eb), 0);
	ASSERT_EQ(n, 9);
	ASSERT_EQ(pos.n, 0);
	argv_list_done(&pos);
}

static void test_unknown_option_message(void)
{
	char *a1[] = { "status", "--x" };
	char *a2[] = { "status", "--bogus=1" };
	char *a3[] = { "status", "-q" };
	const struct argv_opt opts[] = {
		{ NULL, 0, 0, NULL, NULL },
	};
	struct argv_list pos;
	struct errbuf eb;

	argv_list_init(&pos);
	ASSERT_EQ(argv_parse(opts, 2, a1, 1, &pos, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "option provided but not defined: --x");
	ASSERT_EQ(argv_parse(opts, 2, a2, 1, &pos, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "option provided but not defined: --bogus");
	ASSERT_EQ(argv_parse(opts, 2, a3, 1, &pos, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "option provided but not defined: -q");
	argv_list_done(&pos);
}

static void test_missing_and_bad_values(void)
{
	char *a1[] = { "config", "app", "--reset" };
	char *a2[] = { "add-unit", "-n", "abc" };
	char *a3[] = { "add-unit", "--force=maybe" };
	int64_t n = 1;
	bool force = false;
	struct argv_list reset, pos;
	const struct argv_opt opts[] = {
		{ "reset", 0, ARGV_LIST, &reset, NULL },
		{ "num-units", 'n', ARGV_INT, &n, NULL },
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;

	argv_list_init(&reset);
	argv_list_init(&pos);
	ASSERT_EQ(argv_parse(opts, 3, a1, 1, &pos, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "option needs an argument: --reset");
	ASSERT_EQ(argv_parse(opts, 3, a2, 1, &pos, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg,
		     "invalid value \"abc\" for option -n: strconv.ParseInt: parsing \"abc\": invalid syntax");
	ASSERT_EQ(argv_parse(opts, 2, a3, 1, &pos, &eb), -EINVAL);
	ASSERT_CONTAINS(eb.msg, "invalid value \"maybe\" for option --force");
	argv_list_done(&reset);
	argv_list_done(&pos);
}

static void test_double_dash_and_bool_false(void)
{
	char *argv[] = { "x", "--force=false", "--", "--not-an-option", "-" };
	bool force = true;
	struct argv_list pos;
	const struct argv_opt opts[] = {
		{ "force", 0, ARGV_BOOL, &force, NULL },
		{ NULL, 0, 0, NULL, NULL },
	};
	struct errbuf eb;

	argv_list_init(&pos);
	ASSERT_EQ(argv_parse(opts, ARGC(argv), argv, 1, &pos, &eb), 0);
	ASSERT_TRUE(!force);
	ASSERT_EQ(pos.n, 2);
	ASSERT_STREQ(pos.v[0], "--not-an-option");
	ASSERT_STREQ(pos.v[1], "-");
	argv_list_done(&pos);
}

static void test_help_detection(void)
{
	char *a1[] = { "deploy", "x", "--help" };
	char *a2[] = { "deploy", "--", "-h" };

	ASSERT_TRUE(argv_wants_help(3, a1, 1));
	ASSERT_TRUE(!argv_wants_help(3, a2, 1));
}

static void test_unrecognized_args_message(void)
{
	const char *extra[] = { "a", "b c", "q\"" };
	struct errbuf eb;

	ASSERT_EQ(argv_unrecognized(extra, 3, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "unrecognized args: [\"a\" \"b c\" \"q\\\"\"]");
}

static void test_application_names(void)
{
	ASSERT_TRUE(names_valid_application("hello"));
	ASSERT_TRUE(names_valid_application("custom-app"));
	ASSERT_TRUE(names_valid_application("app2-scat-23skidoo"));
	ASSERT_TRUE(names_valid_application("a"));
	ASSERT_TRUE(!names_valid_application(""));
	ASSERT_TRUE(!names_valid_application("myAppName"));
	ASSERT_TRUE(!names_valid_application("custom--app"));
	ASSERT_TRUE(!names_valid_application("app2-scat-23"));
	ASSERT_TRUE(!names_valid_application("2app"));
	ASSERT_TRUE(!names_valid_application("app-"));
	ASSERT_TRUE(!names_valid_application("-app"));
	ASSERT_TRUE(!names_valid_application("app_x"));
	ASSERT_TRUE(!names_valid_application("app/0"));
}

static void test_unit_names(void)
{
	ASSERT_TRUE(names_valid_unit("hello/0"));
	ASSERT_TRUE(names_valid_unit("hello/10"));
	ASSERT_TRUE(names_valid_unit("custom-app/7"));
	ASSERT_TRUE(!names_valid_unit("mysql/01"));
	ASSERT_TRUE(!names_valid_unit("hello"));
	ASSERT_TRUE(!names_valid_unit("hello/"));
	ASSERT_TRUE(!names_valid_unit("hello/x"));
	ASSERT_TRUE(!names_valid_unit("hello/leader"));
	ASSERT_TRUE(!names_valid_unit("Hello/0"));
	ASSERT_TRUE(!names_valid_unit("/0"));
	ASSERT_TRUE(!names_valid_unit("hello/0/1"));
}

static void test_go_quote(void)
{
	char *q;

	q = gostr_quoted("plain");
	ASSERT_STREQ(q, "\"plain\"");
	free(q);
	q = gostr_quoted("tab\tnl\n\"bs\\");
	ASSERT_STREQ(q, "\"tab\\tnl\\n\\\"bs\\\\\"");
	free(q);
	q = gostr_quoted("caf\xc3\xa9 \x01\xff");
	ASSERT_STREQ(q, "\"caf\xc3\xa9 \\x01\\xff\"");
	free(q);
}

static void test_go_values(void)
{
	struct buf b = BUF_INIT;
	json_t *v;

	buf_init(&b);
#define CHECK_VALUE(json, want)                                                     \
	do {                                                                        \
		buf_reset(&b);                                                      \
		v = json_loads(json, JSON_DECODE_ANY, NULL);                        \
		gofmt_value(&b, v);                                                 \
		json_decref(v);                                                     \
		ASSERT_STREQ(buf_str(&b), want);                                    \
	} while (0)
	CHECK_VALUE("\"hi there\"", "hi there");
	CHECK_VALUE("true", "true");
	CHECK_VALUE("false", "false");
	CHECK_VALUE("8080", "8080");
	CHECK_VALUE("-3", "-3");
	CHECK_VALUE("0.1", "0.1");
	CHECK_VALUE("1.5", "1.5");
	CHECK_VALUE("2.0", "2");
	CHECK_VALUE("1e21", "1e+21");
	CHECK_VALUE("0.00001", "1e-05");
	CHECK_VALUE("null", "<nil>");
	buf_done(&b);
}

static void test_json_compact_reals(void)
{
	json_t *v = json_loads("{\"a\": 0.1, \"b\": [1.25, 3], \"c\": \"x/y\"}", 0, NULL);
	char *s = gostr_json_compact(v);

	ASSERT_STREQ(s, "{\"a\":0.1,\"b\":[1.25,3],\"c\":\"x/y\"}");
	free(s);
	json_decref(v);
}

static void test_abs_path(void)
{
	char *p;

	p = gostr_abs_path("/a/./b/../c//d/");
	ASSERT_STREQ(p, "/a/c/d");
	free(p);
	p = gostr_abs_path("/..");
	ASSERT_STREQ(p, "/");
	free(p);
	if (chdir("/tmp") == 0) {
		p = gostr_abs_path("./x/../charm");
		ASSERT_STREQ(p, "/tmp/charm");
		free(p);
	}
}

static void test_split_pair(void)
{
	struct errbuf eb;
	const char *val;
	char *key;

	ASSERT_EQ(cfgsrc_split_pair("a=b=c", &key, &val, &eb), 0);
	ASSERT_STREQ(key, "a");
	ASSERT_STREQ(val, "b=c");
	free(key);
	ASSERT_EQ(cfgsrc_split_pair("empty=", &key, &val, &eb), 0);
	ASSERT_STREQ(val, "");
	free(key);
	ASSERT_EQ(cfgsrc_split_pair("=bar", &key, &val, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "expected \"key=value\", got \"=bar\"");
}

static void test_read_value_from_file(void)
{
	char dir[] = "/tmp/cairn-test-argv-XXXXXX";
	char path[128], *val = NULL, arg[160];
	struct errbuf eb;
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/v.txt", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs("line one\nline two\n", f);
	fclose(f);
	snprintf(arg, sizeof(arg), "@%s", path);
	ASSERT_EQ(cfgsrc_read_value("greeting", arg, &val, &eb), 0);
	ASSERT_STREQ(val, "line one\nline two\n");
	free(val);
	ASSERT_EQ(cfgsrc_read_value("greeting", "plain", &val, &eb), 0);
	ASSERT_STREQ(val, "plain");
	free(val);

	snprintf(arg, sizeof(arg), "@%s/missing.txt", dir);
	ASSERT_TRUE(cfgsrc_read_value("greeting", arg, &val, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot read option from file \"");
	ASSERT_CONTAINS(eb.msg, "missing.txt\": stat ");
	ASSERT_CONTAINS(eb.msg, ": no such file or directory");

	f = fopen(path, "w");
	fputs("bad \xff byte", f);
	fclose(f);
	snprintf(arg, sizeof(arg), "@%s", path);
	ASSERT_TRUE(cfgsrc_read_value("greeting", arg, &val, &eb) < 0);
	ASSERT_STREQ(eb.msg, "value for option \"greeting\" contains non-UTF-8 sequences");
	unlink(path);
	rmdir(dir);
}

static void test_config_flags_to_sources(void)
{
	char dir[] = "/tmp/cairn-test-cfg-XXXXXX";
	char path[128];
	struct argv_list flags;
	struct errbuf eb;
	json_t *arr = NULL;
	char *s;
	FILE *f;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	f = fopen(path, "w");
	ASSERT_TRUE(f != NULL);
	fputs("hello:\n  greeting: hi\n  port: 80\n", f);
	fclose(f);
	argv_list_init(&flags);
	argv_list_add(&flags, "a=1");
	argv_list_add(&flags, "b=two");
	argv_list_add(&flags, path);
	argv_list_add(&flags, "a=3");
	ASSERT_EQ(cfgsrc_check_flags(&flags, &eb), 0);
	ASSERT_EQ(cfgsrc_from_flags(&flags, &arr, &eb), 0);
	s = json_dumps(json_array_get(arr, 0), JSON_COMPACT);
	ASSERT_STREQ(s, "{\"set\":{\"a\":\"1\",\"b\":\"two\"}}");
	free(s);
	s = json_dumps(json_object_get(json_array_get(arr, 1), "file"), JSON_COMPACT);
	ASSERT_STREQ(s, "{\"hello\":{\"greeting\":\"hi\",\"port\":80}}");
	free(s);
	s = json_dumps(json_array_get(arr, 2), JSON_COMPACT);
	ASSERT_STREQ(s, "{\"set\":{\"a\":\"3\"}}");
	free(s);
	ASSERT_EQ(json_array_size(arr), 3);
	json_decref(arr);
	argv_list_done(&flags);

	argv_list_init(&flags);
	argv_list_add(&flags, "=x");
	ASSERT_EQ(cfgsrc_check_flags(&flags, &eb), -EINVAL);
	ASSERT_STREQ(eb.msg, "expected \"key=value\", got \"=x\"");
	argv_list_done(&flags);

	argv_list_init(&flags);
	snprintf(path, sizeof(path), "%s/nope.yaml", dir);
	argv_list_add(&flags, path);
	ASSERT_TRUE(cfgsrc_from_flags(&flags, &arr, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot read config file");
	ASSERT_CONTAINS(eb.msg, "no such file or directory");
	argv_list_done(&flags);

	snprintf(path, sizeof(path), "%s/bad.yaml", dir);
	f = fopen(path, "w");
	fputs("a: [1, 2\n", f);
	fclose(f);
	argv_list_init(&flags);
	argv_list_add(&flags, path);
	ASSERT_TRUE(cfgsrc_from_flags(&flags, &arr, &eb) < 0);
	ASSERT_CONTAINS(eb.msg, "cannot parse config file");
	argv_list_done(&flags);
	unlink(path);
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	RUN(test_interspersed_options);
	RUN(test_value_forms);
	RUN(test_unknown_option_message);
	RUN(test_missing_and_bad_values);
	RUN(test_double_dash_and_bool_false);
	RUN(test_help_detection);
	RUN(test_unrecognized_args_message);
	RUN(test_application_names);
	RUN(test_unit_names);
	RUN(test_go_quote);
	RUN(test_go_values);
	RUN(test_json_compact_reals);
	RUN(test_abs_path);
	RUN(test_split_pair);
	RUN(test_read_value_from_file);
	RUN(test_config_flags_to_sources);
	return test_summary();
}
