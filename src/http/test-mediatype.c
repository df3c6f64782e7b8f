/* Unit tests for mediatype: the results of Go's mime.ParseMediaType for the inputs of its
 * own tests (RFC 2231 and greenbytes tc2231 cases among them) and for what Pebble clients
 * send (ops quotes the boundary). */
#include "http/mediatype.h"
#include "lib/buf.h"
#include "lib/test.h"

#include <errno.h>

/* Renders a parse as "type|k=v|k=v" (parameters sorted as given) or "ERR type|message". */
static char rendered[1024];

static const char *parse(const char *v)
{
	struct mediatype mt;
	const char *err = NULL;
	struct buf b = BUF_INIT;
	int r = mediatype_parse(v, &mt, &err);

	buf_init(&b);
	if (r < 0)
		buf_addf(&b, "ERR %s|%s", mt.type, err);
	else
		buf_adds(&b, mt.type);
	for (size_t i = 0; i < mt.n_params; i++)
		buf_addf(&b, "|%s=%s", mt.params[i].name, mt.params[i].value);
	snprintf(rendered, sizeof(rendered), "%s", b.data);
	buf_done(&b);
	mediatype_done(&mt);
	return rendered;
}

static void test_types(void)
{
	ASSERT_STREQ(parse("multipart/form-data; boundary=\"0123456789abcdef0123456789abcdef\""),
		     "multipart/form-data|boundary=0123456789abcdef0123456789abcdef");
	ASSERT_STREQ(parse("multipart/form-data; boundary=01234567890123456789012345678901"),
		     "multipart/form-data|boundary=01234567890123456789012345678901");
	ASSERT_STREQ(parse("Multipart/Form-Data;Boundary=X"), "multipart/form-data|boundary=X");
	ASSERT_STREQ(parse("application/json"), "application/json");
	ASSERT_STREQ(parse("  application/json  "), "application/json");
	ASSERT_STREQ(parse("application/json; charset=utf-8"), "application/json|charset=utf-8");
	ASSERT_STREQ(parse("multipart/form-data"), "multipart/form-data");
	ASSERT_STREQ(parse("text/foo"), "text/foo");
	ASSERT_STREQ(parse(""), "ERR |mime: no media type");
	ASSERT_STREQ(parse(";a=b"), "ERR |mime: no media type");
	ASSERT_STREQ(parse("x y"), "ERR |mime: expected slash after first token");
	ASSERT_STREQ(parse("x/"), "ERR |mime: expected token after slash");
	ASSERT_STREQ(parse("x/y/z"), "ERR |mime: unexpected content after media subtype");
	ASSERT_STREQ(parse("\xc3\xa4/b"), "ERR |mime: no media type");
	ASSERT_STREQ(parse("text/plain\xc2\xa0"), "text/plain");
}

static void test_dispositions(void)
{
	ASSERT_STREQ(parse("form-data; name=\"foo\""), "form-data|name=foo");
	ASSERT_STREQ(parse(" form-data ; name=foo"), "form-data|name=foo");
	ASSERT_STREQ(parse("FORM-DATA;name=\"foo\""), "form-data|name=foo");
	ASSERT_STREQ(parse("form-data; key=value;  blah=\"value\";name=\"foo\" "),
		     "form-data|key=value|blah=value|name=foo");
	ASSERT_STREQ(parse("foo; key=val1; key=the-key-appears-again-which-is-bogus"),
		     "ERR |mime: duplicate parameter name");
	ASSERT_STREQ(parse("foo; key=val1; key=val1"), "foo|key=val1");
	/* The file names ops sends: quotes escaped with a backslash. */
	ASSERT_STREQ(parse("form-data; name=\"files\"; filename=\"/tmp/a \\\"b\\\".txt\""),
		     "form-data|name=files|filename=/tmp/a \"b\".txt");
	ASSERT_STREQ(parse("attachment; filename=\"f\\oo.html\""), "attachment|filename=f\\oo.html");
	ASSERT_STREQ(parse("attachment; filename=\"\\\"quoting\\\" tested.html\""),
		     "attachment|filename=\"quoting\" tested.html");
	ASSERT_STREQ(parse("attachment; filename=\"Here's a semicolon;.html\""),
		     "attachment|filename=Here's a semicolon;.html");
	ASSERT_STREQ(parse("attachment; foo=\"\\\"\\\\\";filename=\"foo.html\""),
		     "attachment|foo=\"\\|filename=foo.html");
	ASSERT_STREQ(parse("attachment; filename=foo.html ;"), "attachment|filename=foo.html");
	ASSERT_STREQ(parse("attachment; filename=foo.html ; "), "attachment|filename=foo.html");
	ASSERT_STREQ(parse("attachment; filename=\"foo-%41.html\""), "attachment|filename=foo-%41.html");
	ASSERT_STREQ(parse("form-data; name=\"\""), "form-data|name=");
	ASSERT_STREQ(parse("form-data; name=\"a\xff\x01\""), "form-data|name=a\xff\x01");
}

static void test_rfc2231(void)
{
	ASSERT_STREQ(parse("application/x-stuff; title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"),
		     "application/x-stuff|title=This is ***fun***");
	ASSERT_STREQ(parse("message/external-body; access-type=URL; URL*0=\"ftp://\";"
			   "URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\""),
		     "message/external-body|access-type=URL|url=ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar");
	ASSERT_STREQ(parse("application/x-stuff; title*0*=us-ascii'en'This%20is%20even%20more%20; "
			   "title*1*=%2A%2A%2Afun%2A%2A%2A%20; title*2=\"isn't it!\""),
		     "application/x-stuff|title=This is even more ***fun*** isn't it!");
	ASSERT_STREQ(parse("attachment; filename*=UTF-8''foo-%c3%a4.html"), "attachment|filename=foo-\xc3\xa4.html");
	ASSERT_STREQ(parse("attachment; filename*=''foo-%c3%a4-%e2%82%ac.html"), "attachment");
	ASSERT_STREQ(parse("attachment; filename*=iso-8859-1''foo-%E4.html"), "attachment");
	ASSERT_STREQ(parse("attachment; filename*0=\"foo.\"; filename*1=\"html\""), "attachment|filename=foo.html");
	ASSERT_STREQ(parse("attachment; filename*0*=UTF-8''foo-%c3%a4; filename*1=\".html\""),
		     "attachment|filename=foo-\xc3\xa4.html");
	ASSERT_STREQ(parse("attachment; filename*1=\"bar\"; filename*2=\"baz\""), "attachment");
	ASSERT_STREQ(parse("attachment; filename=foo; filename*=UTF-8''bar"), "attachment|filename=bar");
}

static void test_bad_params(void)
{
	/* A bad parameter keeps the type and drops every parameter. */
	ASSERT_STREQ(parse("form-data; name=\"foo\"; filename="), "ERR form-data|mime: invalid media parameter");
	ASSERT_STREQ(parse("bogus ;========="), "ERR bogus|mime: invalid media parameter");
	ASSERT_STREQ(parse("form-data; name=\"unterminated"), "ERR form-data|mime: invalid media parameter");
	ASSERT_STREQ(parse("form-data; name=\"a\rb\""), "ERR form-data|mime: invalid media parameter");
	ASSERT_STREQ(parse("form-data; name"), "ERR form-data|mime: invalid media parameter");
	ASSERT_STREQ(parse("form-data; name=a b"), "ERR form-data|mime: invalid media parameter");
	ASSERT_STREQ(parse("form-data; ; name=a"), "ERR form-data|mime: invalid media parameter");
	{
		struct buf b = BUF_INIT;

		buf_init(&b);
		buf_adds(&b, "x/y");
		for (int i = 0; i <= MEDIATYPE_MAX_PARAMS; i++)
			buf_addf(&b, "; p%d=v", i);
		ASSERT_STREQ(parse(b.data), "ERR x/y|mime: invalid media parameter");
		buf_done(&b);
	}
}

static void test_escape_quotes(void)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	mediatype_escape_quotes(&b, "/tmp/a \"b\" \\c");
	ASSERT_STREQ(b.data, "/tmp/a \\\"b\\\" \\\\c");
	buf_done(&b);
}

int main(void)
{
	RUN(test_types);
	RUN(test_dispositions);
	RUN(test_rfc2231);
	RUN(test_bad_params);
	RUN(test_escape_quotes);
	return test_summary();
}
