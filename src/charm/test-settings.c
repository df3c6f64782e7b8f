/* test-settings.c - unit tests for settings.c: parsing, coercion, applying config sources,
 * effective/described settings, hashing and rebasing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "charm/charm.h"
#include "charm/settings.h"
#include "lib/buf.h"
#include "lib/test.h"

#define FULL CAIRND_TESTDATA "/full"

static struct charm *load_full(void)
{
	struct errbuf eb = { "" };
	struct charm *c = NULL;

	if (charm_load_dir(FULL, &c, &eb) < 0) {
		printf("cannot load %s: %s\n", FULL, eb.msg);
		abort();
	}
	return c;
}

static json_t *J(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);

	if (!v) {
		printf("bad test JSON %s: %s\n", text, err.text);
		abort();
	}
	return v;
}

/* Compact sorted JSON text of v (caller frees). */
static char *S(json_t *v)
{
	return v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : xstrdup("NULL");
}

static struct charm_option opt(const char *name, enum charm_opt_type t)
{
	struct charm_option o = { (char *)name, t, NULL, (char *)"" };

	return o;
}

/* Parses raw for an option of type t named name; returns the result as text, or
 * "ERR:<message>". */
static char *parse(const char *name, enum charm_opt_type t, const char *raw)
{
	struct charm_option o = opt(name, t);
	struct errbuf eb = { "" };
	json_t *v = (json_t *)1;
	char *s;

	if (settings_parse_string(&o, raw, &v, &eb) < 0)
		return xasprintf("ERR:%s", eb.msg);
	s = S(v);
	json_decref(v);
	return s;
}

#define CHECK_PARSE(name, type, raw, want)                                      \
	do {                                                                    \
		char *_got = parse(name, type, raw);                            \
		int _ok = strcmp(_got, want) == 0;                              \
		if (!_ok) {                                                     \
			printf("FAIL %s:%d: parse %s %s -> %s, want %s\n",        \
			       __FILE__, __LINE__, name, raw, _got, want);        \
			test_cur_failed = 1;                                    \
		}                                                               \
		free(_got);                                                     \
		if (!_ok)                                                       \
			return;                                                 \
	} while (0)

static void test_parse_int(void)
{
	CHECK_PARSE("port", CHARM_OPT_INT, "8080", "8080");
	CHECK_PARSE("port", CHARM_OPT_INT, "-5", "-5");
	CHECK_PARSE("port", CHARM_OPT_INT, "+7", "7");
	CHECK_PARSE("port", CHARM_OPT_INT, "9223372036854775807", "9223372036854775807");
	CHECK_PARSE("port", CHARM_OPT_INT, "", "NULL");
	CHECK_PARSE("port", CHARM_OPT_INT, "abc", "ERR:option \"port\" expected int, got \"abc\"");
	CHECK_PARSE("port", CHARM_OPT_INT, "1.5", "ERR:option \"port\" expected int, got \"1.5\"");
	CHECK_PARSE("port", CHARM_OPT_INT, " 1", "ERR:option \"port\" expected int, got \" 1\"");
	CHECK_PARSE("port", CHARM_OPT_INT, "0x10", "ERR:option \"port\" expected int, got \"0x10\"");
	CHECK_PARSE("port", CHARM_OPT_INT, "9223372036854775808",
		    "ERR:option \"port\" expected int, got \"9223372036854775808\"");
}

static void test_parse_float(void)
{
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "1.5", "1.5");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "-2", "-2.0");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "1e3", "1000.0");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "", "NULL");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "x", "ERR:option \"ratio\" expected float, got \"x\"");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, " 1", "ERR:option \"ratio\" expected float, got \" 1\"");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "1e999", "ERR:option \"ratio\" expected float, got \"1e999\"");
	CHECK_PARSE("ratio", CHARM_OPT_FLOAT, "inf", "ERR:option \"ratio\" expected float, got \"inf\"");
}

static void test_parse_bool(void)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < 6; i++) {
		CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, t[i], "true");
		CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, f[i], "false");
	}
	CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, "", "NULL");
	CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, "yes", "ERR:option \"debug\" expected boolean, got \"yes\"");
	CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, "tRUE", "ERR:option \"debug\" expected boolean, got \"tRUE\"");
	CHECK_PARSE("debug", CHARM_OPT_BOOLEAN, "2", "ERR:option \"debug\" expected boolean, got \"2\"");
}

static void test_parse_string(void)
{
	CHECK_PARSE("name", CHARM_OPT_STRING, "hello world", "\"hello world\"");
	CHECK_PARSE("name", CHARM_OPT_STRING, "123", "\"123\"");
	CHECK_PARSE("name", CHARM_OPT_STRING, "", "NULL");
	CHECK_PARSE("creds", CHARM_OPT_SECRET, "secret:abc", "\"secret:abc\"");
	/* Go %#v quoting of the offending value and of the option name. */
	CHECK_PARSE("port", CHARM_OPT_INT, "a\"b\\c\n\t\x01\x7f\xc3\xa9",
		    "ERR:option \"port\" expected int, got \"a\\\"b\\\\c\\n\\t\\x01\\x7fé\"");
	CHECK_PARSE("port", CHARM_OPT_INT, "\xff", "ERR:option \"port\" expected int, got \"\\xff\"");
	CHECK_PARSE("we\"ird", CHARM_OPT_INT, "x", "ERR:option \"we\\\"ird\" expected int, got \"x\"");
}

static void check_repr(json_t *v, const char *want)
{
	char out[128];

	settings_go_repr(v, out, sizeof(out));
	json_decref(v);
	if (strcmp(out, want)) {
		printf("FAIL repr %s, want %s\n", out, want);
		test_cur_failed = 1;
	}
}

static void test_go_repr(void)
{
	check_repr(json_real(1.5), "1.5");
	check_repr(json_real(2.0), "2");
	check_repr(json_real(-3.25), "-3.25");
	check_repr(json_real(100000.0), "100000");
	check_repr(json_real(1e6), "1e+06");
	check_repr(json_real(1234567.0), "1.234567e+06");
	check_repr(json_real(0.0001), "0.0001");
	check_repr(json_real(0.00001), "1e-05");
	check_repr(json_real(0.1), "0.1");
	check_repr(json_real(1e21), "1e+21");
	check_repr(json_real(0), "0");
	check_repr(json_integer(-42), "-42");
	check_repr(json_true(), "true");
	check_repr(json_null(), "<nil>");
	check_repr(json_string("x y"), "\"x y\"");
	check_repr(J("[1, \"a\"]"), "[]interface {}{1, \"a\"}");
	check_repr(J("{\"a\": 1}"), "map[string]interface {}{\"a\":1}");
}

static char *coerce(const char *name, enum charm_opt_type t, json_t *v)
{
	struct charm_option o = opt(name, t);
	struct errbuf eb = { "" };
	json_t *out = NULL;
	char *s;

	if (settings_coerce(&o, v, &out, &eb) < 0)
		s = xasprintf("ERR:%s", eb.msg);
	else
		s = S(out);
	json_decref(out);
	json_decref(v);
	return s;
}

#define CHECK_COERCE(name, type, v, want)                                       \
	do {                                                                    \
		char *_got = coerce(name, type, v);                             \
		int _ok = strcmp(_got, want) == 0;                              \
		if (!_ok) {                                                     \
			printf("FAIL %s:%d: coerce -> %s, want %s\n", __FILE__,   \
			       __LINE__, _got, want);                           \
			test_cur_failed = 1;                                    \
		}                                                               \
		free(_got);                                                     \
		if (!_ok)                                                       \
			return;                                                 \
	} while (0)

static void test_coerce(void)
{
	CHECK_COERCE("port", CHARM_OPT_INT, json_integer(5), "5");
	CHECK_COERCE("port", CHARM_OPT_INT, json_real(2.0), "2");
	CHECK_COERCE("port", CHARM_OPT_INT, json_string("42"), "42");
	CHECK_COERCE("port", CHARM_OPT_INT, json_string(""), "NULL");
	CHECK_COERCE("port", CHARM_OPT_INT, json_null(), "NULL");
	CHECK_COERCE("port", CHARM_OPT_INT, json_real(1.5), "ERR:option \"port\" expected int, got 1.5");
	CHECK_COERCE("port", CHARM_OPT_INT, json_true(), "ERR:option \"port\" expected int, got true");
	CHECK_COERCE("port", CHARM_OPT_INT, json_real(1e19), "ERR:option \"port\" expected int, got 1e+19");
	CHECK_COERCE("ratio", CHARM_OPT_FLOAT, json_integer(3), "3.0");
	CHECK_COERCE("ratio", CHARM_OPT_FLOAT, json_real(0.25), "0.25");
	CHECK_COERCE("ratio", CHARM_OPT_FLOAT, json_string("0.5"), "0.5");
	CHECK_COERCE("ratio", CHARM_OPT_FLOAT, json_false(), "ERR:option \"ratio\" expected float, got false");
	CHECK_COERCE("debug", CHARM_OPT_BOOLEAN, json_true(), "true");
	CHECK_COERCE("debug", CHARM_OPT_BOOLEAN, json_string("F"), "false");
	CHECK_COERCE("debug", CHARM_OPT_BOOLEAN, json_integer(1), "ERR:option \"debug\" expected boolean, got 1");
	CHECK_COERCE("name", CHARM_OPT_STRING, json_string("x"), "\"x\"");
	CHECK_COERCE("name", CHARM_OPT_STRING, json_integer(5), "ERR:option \"name\" expected string, got 5");
	CHECK_COERCE("name", CHARM_OPT_STRING, J("[\"a\"]"),
		     "ERR:option \"name\" expected string, got []interface {}{\"a\"}");
	CHECK_COERCE("creds", CHARM_OPT_SECRET, json_real(1.5), "ERR:option \"creds\" expected secret, got 1.5");
}

/* Applies sources (JSON text) to user (JSON text); returns the result text or ERR:msg. */
static char *apply(struct charm *c, const char *user_text, const char *sources_text)
{
	json_t *user = J(user_text), *src = J(sources_text), *out = NULL;
	char *before = S(user), *after, *s;
	struct errbuf eb = { "" };

	if (settings_apply(c, "wiki", user, src, &out, &eb) < 0) {
		s = xasprintf("ERR:%s", eb.msg);
		if (out) {
			free(s);
			s = xasprintf("ERR: out was written");
		}
	} else {
		s = S(out);
	}
	after = S(user);
	if (strcmp(before, after)) { /* the input is never modified */
		free(s);
		s = xasprintf("ERR: input modified to %s", after);
	}
	free(before);
	free(after);
	json_decref(user);
	json_decref(src);
	json_decref(out);
	return s;
}

#define CHECK_APPLY(c, user, src, want)                                         \
	do {                                                                    \
		char *_got = apply(c, user, src);                               \
		int _ok = strcmp(_got, want) == 0;                              \
		if (!_ok) {                                                     \
			printf("FAIL %s:%d: apply -> %s\n  want %s\n", __FILE__,  \
			       __LINE__, _got, want);                           \
			test_cur_failed = 1;                                    \
		}                                                               \
		free(_got);                                                     \
		if (!_ok)                                                       \
			goto out;                                               \
	} while (0)

static void test_apply_last_wins(void)
{
	struct charm *c = load_full();

	CHECK_APPLY(c, "{}", "[]", "{}");
	CHECK_APPLY(c, "{}", "[{\"set\": {\"port\": \"1\", \"debug\": \"true\"}}]",
		    "{\"debug\":true,\"port\":1}");
	/* set, then file, then set again: the last occurrence of each key wins. */
	CHECK_APPLY(c, "{}",
		    "[{\"set\": {\"port\": \"1\", \"name\": \"a\"}},"
		    " {\"file\": {\"wiki\": {\"port\": 2, \"ratio\": 3}, \"other\": {\"port\": 9}}, \"path\": \"c.yaml\"},"
		    " {\"set\": {\"name\": \"b\"}}]",
		    "{\"name\":\"b\",\"port\":2,\"ratio\":3.0}");
	CHECK_APPLY(c, "{}",
		    "[{\"file\": {\"wiki\": {\"port\": \"3\"}}}, {\"set\": {\"port\": \"4\"}}]",
		    "{\"port\":4}");
	/* reset, and the empty value, return keys to their defaults. */
	CHECK_APPLY(c, "{\"port\": 5, \"name\": \"x\", \"debug\": true}",
		    "[{\"reset\": [\"port\"]}, {\"set\": {\"name\": \"\"}}]", "{\"debug\":true}");
	CHECK_APPLY(c, "{\"port\": 5}", "[{\"reset\": [\"port\"]}, {\"set\": {\"port\": \"6\"}}]",
		    "{\"port\":6}");
	CHECK_APPLY(c, "{\"port\": 5}", "[{\"set\": {\"port\": \"6\"}}, {\"reset\": [\"port\"]}]", "{}");
	/* A null in a file unsets too; a null application entry changes nothing. */
	CHECK_APPLY(c, "{\"port\": 5, \"name\": \"x\"}", "[{\"file\": {\"wiki\": {\"port\": null}}}]",
		    "{\"name\":\"x\"}");
	CHECK_APPLY(c, "{\"port\": 5}", "[{\"file\": {\"wiki\": null}}]", "{\"port\":5}");
	/* Strings in a file are parsed like command-line values. */
	CHECK_APPLY(c, "{}", "[{\"file\": {\"wiki\": {\"debug\": \"T\", \"scale\": \"0.5\", \"creds\": \"secret:x\"}}}]",
		    "{\"creds\":\"secret:x\",\"debug\":true,\"scale\":0.5}");
out:
	charm_free(c);
}

static void test_apply_errors(void)
{
	struct charm *c = load_full();
	const char *user = "{\"port\": 5}";

	/* Each error leaves user as it was and writes no result, even after earlier sources
	 * applied fine (all-or-nothing). */
	CHECK_APPLY(c, user, "[{\"set\": {\"port\": \"6\"}}, {\"set\": {\"bogus\": \"1\"}}]",
		    "ERR:unknown option \"bogus\"");
	CHECK_APPLY(c, user, "[{\"set\": {\"port\": \"abc\"}}]",
		    "ERR:option \"port\" expected int, got \"abc\"");
	CHECK_APPLY(c, user, "[{\"set\": {\"port\": \"7\"}}, {\"file\": {\"other-app\": {\"port\": 1}}, \"path\": \"x.yaml\"}]",
		    "ERR:no settings found for \"wiki\"");
	CHECK_APPLY(c, user, "[{\"file\": {\"wiki\": {\"nope\": 1}}}]", "ERR:unknown option \"nope\"");
	CHECK_APPLY(c, user, "[{\"file\": {\"wiki\": {\"port\": 1.5}}}]",
		    "ERR:option \"port\" expected int, got 1.5");
	CHECK_APPLY(c, user, "[{\"file\": {\"wiki\": {\"debug\": \"maybe\"}}}]",
		    "ERR:option \"debug\" expected boolean, got \"maybe\"");
	CHECK_APPLY(c, user, "[{\"file\": {\"wiki\": [1]}}]",
		    "ERR:invalid settings: expected a map of options for \"wiki\"");
	CHECK_APPLY(c, user, "[{\"file\": [1]}]", "ERR:no settings found for \"wiki\"");
	CHECK_APPLY(c, user, "[{\"reset\": [\"port\", \"bogus\"]}]", "ERR:unknown option \"bogus\"");
	CHECK_APPLY(c, user, "[{\"reset\": \"port\"}]", "ERR:invalid config source: \"reset\" must be a list");
	CHECK_APPLY(c, user, "[{\"reset\": [1]}]",
		    "ERR:invalid config source: \"reset\" entries must be strings");
	CHECK_APPLY(c, user, "[{\"set\": {\"port\": 6}}]",
		    "ERR:invalid config source: value is not a string for option \"port\"");
	CHECK_APPLY(c, user, "[{\"set\": [1]}]", "ERR:invalid config source: \"set\" must be an object");
	CHECK_APPLY(c, user, "[{\"frob\": 1}]",
		    "ERR:invalid config source 1: expected \"set\", \"file\" or \"reset\"");
	CHECK_APPLY(c, user, "[5]", "ERR:invalid config source 1: expected an object");
	CHECK_APPLY(c, user, "{}", "ERR:invalid config sources: expected a list");
out:
	charm_free(c);
}

static void test_effective(void)
{
	struct charm *c = load_full();
	json_t *user = J("{\"port\": 9000, \"ratio\": 0.5}");
	json_t *eff = settings_effective(c, user);
	char *s = S(eff), *keys = NULL;
	struct buf b = BUF_INIT;
	const char *k;
	json_t *v;

	/* ratio appears once set; creds (no default) does not; title's "" default does. */
	ASSERT_STREQ(s, "{\"debug\":false,\"name\":\"Wiki\",\"port\":9000,\"ratio\":0.5,\"scale\":2.0,\"title\":\"\"}");
	buf_init(&b);
	json_object_foreach(eff, k, v) buf_addf(&b, "%s,", k);
	keys = buf_detach(&b);
	ASSERT_STREQ(keys, "port,name,ratio,scale,debug,title,"); /* charm order */
	free(keys);
	free(s);
	json_decref(eff);
	eff = settings_effective(c, NULL);
	s = S(eff);
	ASSERT_STREQ(s, "{\"debug\":false,\"name\":\"Wiki\",\"port\":8080,\"scale\":2.0,\"title\":\"\"}");
	free(s);
	json_decref(eff);
	json_decref(user);
	charm_free(c);
}

static void test_describe(void)
{
	struct charm *c = load_full();
	json_t *user = J("{\"port\": 9000, \"creds\": \"secret:abc\"}");
	json_t *d = settings_describe(c, user);
	char *s = json_dumps(d, JSON_COMPACT); /* insertion order, as printed */

	ASSERT_STREQ(s,
		     "{\"creds\":{\"source\":\"user\",\"type\":\"secret\",\"value\":\"secret:abc\"},"
		     "\"debug\":{\"default\":false,\"source\":\"default\",\"type\":\"boolean\",\"value\":false},"
		     "\"name\":{\"default\":\"Wiki\",\"source\":\"default\",\"type\":\"string\",\"value\":\"Wiki\"},"
		     "\"port\":{\"default\":8080,\"description\":\"TCP port to listen on\",\"source\":\"user\",\"type\":\"int\",\"value\":9000},"
		     "\"ratio\":{\"description\":\"A ratio without a default\",\"source\":\"unset\",\"type\":\"float\"},"
		     "\"scale\":{\"default\":2.0,\"source\":\"default\",\"type\":\"float\",\"value\":2.0},"
		     "\"title\":{\"default\":\"\",\"description\":\"No type, so a string\",\"source\":\"default\",\"type\":\"string\",\"value\":\"\"}}");
	free(s);
	json_decref(d);
	json_decref(user);
	charm_free(c);
}

static void test_hash(void)
{
	json_t *a = J("{\"port\": 1, \"name\": \"x\", \"debug\": true}");
	json_t *b = J("{\"debug\": true, \"name\": \"x\", \"port\": 1}");
	json_t *c = J("{\"debug\": true, \"name\": \"x\", \"port\": 2}");
	json_t *e = json_object();
	char ha[65], hb[65], hc[65], he[65];

	settings_hash(a, ha);
	settings_hash(b, hb);
	settings_hash(c, hc);
	settings_hash(e, he);
	ASSERT_EQ(strlen(ha), 64);
	ASSERT_STREQ(ha, hb);
	ASSERT_TRUE(strcmp(ha, hc) != 0);
	/* sha256("{}") */
	ASSERT_STREQ(he, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(e);
}

static void test_rebase(void)
{
	struct charm_option opts[] = {
		opt("port", CHARM_OPT_STRING), /* was int: an int does not fit a string */
		opt("name", CHARM_OPT_STRING),
		opt("ratio", CHARM_OPT_INT),   /* was float: 2.0 fits, 0.5 would not */
		opt("scale", CHARM_OPT_INT),
		opt("debug", CHARM_OPT_BOOLEAN),
	};
	struct charm nc = { .options = opts, .n_options = 5 };
	json_t *user = J("{\"port\": 9000, \"name\": \"n\", \"ratio\": 2.0, \"scale\": 0.5,"
			 " \"debug\": true, \"removed\": 1}");
	json_t *out = settings_rebase(&nc, user);
	char *s = S(out);

	ASSERT_STREQ(s, "{\"debug\":true,\"name\":\"n\",\"ratio\":2}");
	free(s);
	json_decref(out);
	out = settings_rebase(&nc, NULL);
	ASSERT_TRUE(json_is_object(out) && json_object_size(out) == 0);
	json_decref(out);
	json_decref(user);
}

int main(void)
{
	RUN(test_parse_int);
	RUN(test_parse_float);
	RUN(test_parse_bool);
	RUN(test_parse_string);
	RUN(test_go_repr);
	RUN(test_coerce);
	RUN(test_apply_last_wins);
	RUN(test_apply_errors);
	RUN(test_effective);
	RUN(test_describe);
	RUN(test_hash);
	RUN(test_rebase);
	return test_summary();
}
