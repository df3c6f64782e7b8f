/* Unit tests for gofmt: UTF-8 decoding, the quoting styles, the float styles, %#v, %v and
 * encoding/json strings, pinned to the texts Go prints. */
#include "lib/gofmt.h"
#include "lib/names.h"
#include "lib/test.h"

#include <math.h>
#include <stdlib.h>

/* Renders with one of the functions below into a static buffer the CHECK macros compare. */
static struct buf out = BUF_INIT;

static const char *quote(const char *s, size_t n, enum gofmt_quote style)
{
	buf_reset(&out);
	gofmt_quote(&out, s, n, style);
	return buf_str(&out);
}

#define Q(s, style) quote(s, sizeof(s) - 1, style)

static const char *flt(double d, enum gofmt_float style)
{
	buf_reset(&out);
	gofmt_float(&out, d, style);
	return buf_str(&out);
}

static const char *repr_of(json_t *v)
{
	buf_reset(&out);
	gofmt_repr(&out, v);
	json_decref(v);
	return buf_str(&out);
}

static const char *value_of(const char *json)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);

	buf_reset(&out);
	gofmt_value(&out, v);
	json_decref(v);
	return buf_str(&out);
}

static const char *jstr(const char *s, size_t n)
{
	buf_reset(&out);
	gofmt_json_string(&out, s, n);
	return buf_str(&out);
}

#define J(s) jstr(s, sizeof(s) - 1)

static void test_utf8_decode(void)
{
	uint32_t cp = 0;

	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
	ASSERT_EQ(cp, 'A');
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
	ASSERT_EQ(cp, 0xe9);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3);
	ASSERT_EQ(cp, 0x20ac);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	ASSERT_EQ(cp, 0x1f600);
	cp = 7;
	/* Cut short by n, bad continuation, overlong, surrogate, above U+10FFFF, stray bytes. */
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xe2\x82\xac", 2, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xc3(", 2, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xc0\xaf", 2, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
	ASSERT_EQ(gofmt_utf8_decode((const unsigned char *)"\xff", 1, &cp), 0);
	ASSERT_EQ(cp, 7);
}

static void test_quote_go(void)
{
	ASSERT_STREQ(Q("", GOFMT_QUOTE_GO), "\"\"");
	ASSERT_STREQ(Q("plain text", GOFMT_QUOTE_GO), "\"plain text\"");
	ASSERT_STREQ(Q("a\"b\\c", GOFMT_QUOTE_GO), "\"a\\\"b\\\\c\"");
	ASSERT_STREQ(Q("\a\b\f\n\r\t\v", GOFMT_QUOTE_GO), "\"\\a\\b\\f\\n\\r\\t\\v\"");
	ASSERT_STREQ(Q("\x01\x1f\x7f", GOFMT_QUOTE_GO), "\"\\x01\\x1f\\x7f\"");
	/* An embedded NUL is part of the string. */
	ASSERT_STREQ(Q("a\0b", GOFMT_QUOTE_GO), "\"a\\x00b\"");
	/* Printable UTF-8 is kept; invalid bytes are \x escaped one by one. */
	ASSERT_STREQ(Q("caf\xc3\xa9 \xe2\x82\xac", GOFMT_QUOTE_GO), "\"caf\xc3\xa9 \xe2\x82\xac\"");
	ASSERT_STREQ(Q("\xff\xc3", GOFMT_QUOTE_GO), "\"\\xff\\xc3\"");
	/* Unprintable code points: C1 control, soft hyphen, zero-width space, BOM. */
	ASSERT_STREQ(Q("\xc2\x85\xc2\xad\xe2\x80\x8b\xef\xbb\xbf", GOFMT_QUOTE_GO),
		     "\"\\u0085\\u00ad\\u200b\\ufeff\"");
	ASSERT_STREQ(Q("\xf0\x9f\x98\x80", GOFMT_QUOTE_GO), "\"\xf0\x9f\x98\x80\"");
}

static void test_quote_variants(void)
{
	/* GO_C1: only C1 controls are escaped among non-ASCII code points. */
	ASSERT_STREQ(Q("\xc2\x85\xc2\xad\xe2\x80\x8b", GOFMT_QUOTE_GO_C1),
		     "\"\\u0085\xc2\xad\xe2\x80\x8b\"");
	ASSERT_STREQ(Q("tab\tnl\n\"bs\\", GOFMT_QUOTE_GO_C1), "\"tab\\tnl\\n\\\"bs\\\\\"");
	ASSERT_STREQ(Q("caf\xc3\xa9 \x01\xff", GOFMT_QUOTE_GO_C1), "\"caf\xc3\xa9 \\x01\\xff\"");
	/* GO_BYTES: Go's ASCII escapes, every byte >= 0x80 as is (valid or not). */
	ASSERT_STREQ(Q("\a\v\x01\x7f\"\\", GOFMT_QUOTE_GO_BYTES), "\"\\a\\v\\x01\\x7f\\\"\\\\\"");
	ASSERT_STREQ(Q("\xc2\x85\xff", GOFMT_QUOTE_GO_BYTES), "\"\xc2\x85\xff\"");
	/* YAML: only \" \\ \n \t \r by name; \a and friends are \x escaped. */
	ASSERT_STREQ(Q("a\"b\\c\n\t\r", GOFMT_QUOTE_YAML), "\"a\\\"b\\\\c\\n\\t\\r\"");
	ASSERT_STREQ(Q("\a\b\f\v\x7f", GOFMT_QUOTE_YAML), "\"\\x07\\x08\\x0c\\x0b\\x7f\"");
	ASSERT_STREQ(Q("\xc2\x85\xff", GOFMT_QUOTE_YAML), "\"\xc2\x85\xff\"");
}

static void test_float_g(void)
{
	ASSERT_STREQ(flt(1.5, GOFMT_FLOAT_G), "1.5");
	ASSERT_STREQ(flt(2.0, GOFMT_FLOAT_G), "2");
	ASSERT_STREQ(flt(-3.25, GOFMT_FLOAT_G), "-3.25");
	ASSERT_STREQ(flt(100000.0, GOFMT_FLOAT_G), "100000");
	ASSERT_STREQ(flt(1e6, GOFMT_FLOAT_G), "1e+06");
	ASSERT_STREQ(flt(1234567.0, GOFMT_FLOAT_G), "1.234567e+06");
	ASSERT_STREQ(flt(0.0001, GOFMT_FLOAT_G), "0.0001");
	ASSERT_STREQ(flt(0.00001, GOFMT_FLOAT_G), "1e-05");
	ASSERT_STREQ(flt(-1.5e-300, GOFMT_FLOAT_G), "-1.5e-300");
	ASSERT_STREQ(flt(0.1, GOFMT_FLOAT_G), "0.1");
	ASSERT_STREQ(flt(1.0 / 3.0, GOFMT_FLOAT_G), "0.3333333333333333");
	ASSERT_STREQ(flt(1e21, GOFMT_FLOAT_G), "1e+21");
	ASSERT_STREQ(flt(0.0, GOFMT_FLOAT_G), "0");
	ASSERT_STREQ(flt(-0.0, GOFMT_FLOAT_G), "-0");
	ASSERT_STREQ(flt(NAN, GOFMT_FLOAT_G), "NaN");
	ASSERT_STREQ(flt(INFINITY, GOFMT_FLOAT_G), "+Inf");
	ASSERT_STREQ(flt(-INFINITY, GOFMT_FLOAT_G), "-Inf");
}

static void test_float_g21(void)
{
	ASSERT_STREQ(flt(0.1, GOFMT_FLOAT_G21), "0.1");
	ASSERT_STREQ(flt(2.0, GOFMT_FLOAT_G21), "2");
	ASSERT_STREQ(flt(1e6, GOFMT_FLOAT_G21), "1000000");
	ASSERT_STREQ(flt(123456.75, GOFMT_FLOAT_G21), "123456.75");
	ASSERT_STREQ(flt(1e20, GOFMT_FLOAT_G21), "100000000000000000000");
	/* Beyond 2^53 the exact binary value is printed (see GOFMT_FLOAT_G21). */
	ASSERT_STREQ(flt(1152921504606846976.0, GOFMT_FLOAT_G21), "1152921504606846976");
	ASSERT_STREQ(flt(1e21, GOFMT_FLOAT_G21), "1e+21");
	ASSERT_STREQ(flt(0.00001, GOFMT_FLOAT_G21), "1e-05");
	ASSERT_STREQ(flt(-0.000123, GOFMT_FLOAT_G21), "-0.000123");
	ASSERT_STREQ(flt(NAN, GOFMT_FLOAT_G21), "NaN");
}

static void test_float_json(void)
{
	ASSERT_STREQ(flt(0.1, GOFMT_FLOAT_JSON), "0.1");
	ASSERT_STREQ(flt(3.0, GOFMT_FLOAT_JSON), "3");
	ASSERT_STREQ(flt(-2.25, GOFMT_FLOAT_JSON), "-2.25");
	ASSERT_STREQ(flt(123456789.0, GOFMT_FLOAT_JSON), "123456789");
	ASSERT_STREQ(flt(1e20, GOFMT_FLOAT_JSON), "100000000000000000000");
	ASSERT_STREQ(flt(1152921504606846976.0, GOFMT_FLOAT_JSON), "1152921504606847000");
	ASSERT_STREQ(flt(1e21, GOFMT_FLOAT_JSON), "1e+21");
	ASSERT_STREQ(flt(1e-7, GOFMT_FLOAT_JSON), "1e-7");
	ASSERT_STREQ(flt(-2.5e-7, GOFMT_FLOAT_JSON), "-2.5e-7");
	ASSERT_STREQ(flt(0.000001, GOFMT_FLOAT_JSON), "0.000001");
	ASSERT_STREQ(flt(0.0, GOFMT_FLOAT_JSON), "0");
	ASSERT_STREQ(flt(NAN, GOFMT_FLOAT_JSON), "null");
	ASSERT_STREQ(flt(-INFINITY, GOFMT_FLOAT_JSON), "null");
}

static void test_repr(void)
{
	json_t *deep = json_loads("[[[[[[[[[[1]]]]]]]]]]", 0, NULL);

	ASSERT_STREQ(repr_of(json_real(1e6)), "1e+06");
	ASSERT_STREQ(repr_of(json_integer(-42)), "-42");
	ASSERT_STREQ(repr_of(json_true()), "true");
	ASSERT_STREQ(repr_of(json_false()), "false");
	ASSERT_STREQ(repr_of(json_null()), "<nil>");
	ASSERT_STREQ(repr_of(NULL), "<nil>");
	ASSERT_STREQ(repr_of(json_stringn("a\0\xc2\xad", 4)), "\"a\\x00\\u00ad\"");
	ASSERT_STREQ(repr_of(json_loads("[1, \"a\", 2.5]", 0, NULL)),
		     "[]interface {}{1, \"a\", 2.5}");
	ASSERT_STREQ(repr_of(json_loads("{\"a\": 1, \"b\\\"\": [true]}", 0, NULL)),
		     "map[string]interface {}{\"a\":1, \"b\\\"\":[]interface {}{true}}");
	ASSERT_STREQ(repr_of(json_array()), "[]interface {}{}");
	/* Nesting deeper than GOFMT_REPR_MAX_DEPTH is cut off, not followed. */
	ASSERT_CONTAINS(repr_of(deep), "{...}");
}

static void test_value(void)
{
	ASSERT_STREQ(value_of("\"hi \\\"there\\\"\""), "hi \"there\"");
	ASSERT_STREQ(value_of("true"), "true");
	ASSERT_STREQ(value_of("false"), "false");
	ASSERT_STREQ(value_of("8080"), "8080");
	ASSERT_STREQ(value_of("-3"), "-3");
	ASSERT_STREQ(value_of("1.5"), "1.5");
	ASSERT_STREQ(value_of("1e6"), "1000000");
	ASSERT_STREQ(value_of("1e21"), "1e+21");
	ASSERT_STREQ(value_of("null"), "<nil>");
	ASSERT_STREQ(value_of("[1,\"a\"]"), "[1,\"a\"]");
	ASSERT_STREQ(value_of("{\"k\": {}}"), "{\"k\":{}}");
}

static void test_json_string(void)
{
	ASSERT_STREQ(J("plain"), "\"plain\"");
	ASSERT_STREQ(J("\"\\\n\r\t\b\f"), "\"\\\"\\\\\\n\\r\\t\\b\\f\"");
	ASSERT_STREQ(J("\x01\x1f"), "\"\\u0001\\u001f\"");
	ASSERT_STREQ(J("a\0b"), "\"a\\u0000b\"");
	ASSERT_STREQ(J("<a&b>"), "\"\\u003ca\\u0026b\\u003e\"");
	/* DEL and printable UTF-8 are kept; U+2028/2029 escaped; bad bytes become U+FFFD. */
	ASSERT_STREQ(J("\x7f\xc3\xa9"), "\"\x7f\xc3\xa9\"");
	ASSERT_STREQ(J("a\xe2\x80\xa8z\xe2\x80\xa9"), "\"a\\u2028z\\u2029\"");
	ASSERT_STREQ(J("ok\xff!\xe2\x82"), "\"ok\\ufffd!\\ufffd\\ufffd\"");
	/* SetEscapeHTML(false): < > & as is, everything else the same. */
	buf_reset(&out);
	gofmt_json_string_nohtml(&out, "<a&b>\n\x01", 7);
	ASSERT_STREQ(buf_str(&out), "\"<a&b>\\n\\u0001\"");
}

static void test_names(void)
{
	ASSERT_TRUE(names_valid_application("hello"));
	ASSERT_TRUE(names_valid_application("app2-scat-23skidoo"));
	ASSERT_TRUE(!names_valid_application(NULL));
	ASSERT_TRUE(!names_valid_application(""));
	ASSERT_TRUE(!names_valid_application("app2-scat-23"));
	ASSERT_TRUE(!names_valid_application("custom--app"));
	ASSERT_TRUE(!names_valid_application("app-"));
	ASSERT_TRUE(!names_valid_application("App"));
	ASSERT_TRUE(names_valid_unit("hello/0"));
	ASSERT_TRUE(names_valid_unit("custom-app/123"));
	ASSERT_TRUE(!names_valid_unit(NULL));
	ASSERT_TRUE(!names_valid_unit("hello/01"));
	ASSERT_TRUE(!names_valid_unit("hello/"));
	ASSERT_TRUE(!names_valid_unit("hello"));
	ASSERT_TRUE(!names_valid_unit("/0"));
	ASSERT_TRUE(!names_valid_unit("a/b/0"));
	ASSERT_TRUE(!names_valid_unit("hello/0/1"));
	ASSERT_TRUE(!names_valid_unit("hello/-1"));
}

static void test_rfc3339_local(void)
{
	char out[64];

	setenv("TZ", "UTC", 1);
	tzset();
	ASSERT_STREQ(gofmt_rfc3339_local(1700000000, out, sizeof(out)), "2023-11-14T22:13:20Z");
	setenv("TZ", "XYZ-5:30", 1);
	tzset();
	ASSERT_STREQ(gofmt_rfc3339_local(1700000000, out, sizeof(out)), "2023-11-15T03:43:20+05:30");
	setenv("TZ", "ABC+3", 1);
	tzset();
	ASSERT_STREQ(gofmt_rfc3339_local(1700000000, out, sizeof(out)), "2023-11-14T19:13:20-03:00");
	unsetenv("TZ");
	tzset();
}

int main(void)
{
	buf_init(&out);
	RUN(test_utf8_decode);
	RUN(test_quote_go);
	RUN(test_quote_variants);
	RUN(test_float_g);
	RUN(test_float_g21);
	RUN(test_float_json);
	RUN(test_repr);
	RUN(test_value);
	RUN(test_json_string);
	RUN(test_names);
	buf_done(&out);
	RUN(test_rfc3339_local);
	return test_summary();
}
