/* Unit tests for gopath: the results of Go's path.Clean, Dir, Base, Join and Match for the
 * inputs of Go's own test tables, plus the paths the files API builds. */
#include "lib/gopath.h"
#include "lib/test.h"

#include <errno.h>
#include <stdlib.h>

static char *last;

static const char *keep(char *s)
{
	free(last);
	last = s;
	return s;
}

static void test_clean(void)
{
	static const char *const cases[][2] = {
		{ "", "." }, { "abc", "abc" }, { "abc/def", "abc/def" }, { "a/b/c", "a/b/c" },
		{ ".", "." }, { "..", ".." }, { "../..", "../.." }, { "../../abc", "../../abc" },
		{ "/abc", "/abc" }, { "/", "/" }, { "abc/", "abc" }, { "abc/def/", "abc/def" },
		{ "a/b/c/", "a/b/c" }, { "./", "." }, { "../", ".." }, { "../../", "../.." },
		{ "/abc/", "/abc" }, { "abc//def//ghi", "abc/def/ghi" }, { "//abc", "/abc" },
		{ "///abc", "/abc" }, { "//abc//", "/abc" }, { "abc//", "abc" },
		{ "abc/./def", "abc/def" }, { "/./abc/def", "/abc/def" }, { "abc/.", "abc" },
		{ "abc/def/ghi/../jkl", "abc/def/jkl" }, { "abc/def/../ghi/../jkl", "abc/jkl" },
		{ "abc/def/..", "abc" }, { "abc/def/../..", "." }, { "/abc/def/../..", "/" },
		{ "abc/def/../../..", ".." }, { "/abc/def/../../..", "/" },
		{ "abc/def/../../../ghi/jkl/../../../mno", "../../mno" },
		{ "abc/./../def", "def" }, { "abc//./../def", "def" },
		{ "abc/../../././../def", "../../def" }, { "/..", "/" }, { "/../a/..b/.c", "/a/..b/.c" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ASSERT_STREQ(keep(gopath_clean(cases[i][0])), cases[i][1]);
}

static void test_dir_base_join(void)
{
	ASSERT_STREQ(keep(gopath_dir("/a/b")), "/a");
	ASSERT_STREQ(keep(gopath_dir("/a/b/")), "/a/b");
	ASSERT_STREQ(keep(gopath_dir("/a")), "/");
	ASSERT_STREQ(keep(gopath_dir("/")), "/");
	ASSERT_STREQ(keep(gopath_dir("x")), ".");
	ASSERT_STREQ(keep(gopath_dir("")), ".");
	ASSERT_STREQ(keep(gopath_dir("/tmp/x/../y")), "/tmp");
	ASSERT_STREQ(keep(gopath_dir("//a//b")), "/a");
	ASSERT_STREQ(keep(gopath_base("/a/b")), "b");
	ASSERT_STREQ(keep(gopath_base("/a/b/")), "b");
	ASSERT_STREQ(keep(gopath_base("/a/b//")), "b");
	ASSERT_STREQ(keep(gopath_base("/")), "/");
	ASSERT_STREQ(keep(gopath_base("///")), "/");
	ASSERT_STREQ(keep(gopath_base("")), ".");
	ASSERT_STREQ(keep(gopath_base("x")), "x");
	ASSERT_STREQ(keep(gopath_base("/a/..")), "..");
	ASSERT_STREQ(keep(gopath_join("/", "/")), "/");
	ASSERT_STREQ(keep(gopath_join("/a/b/", "c")), "/a/b/c");
	ASSERT_STREQ(keep(gopath_join("/a", "../c")), "/c");
	ASSERT_STREQ(keep(gopath_join("", "")), "");
	ASSERT_STREQ(keep(gopath_join("", "a/")), "a");
	ASSERT_STREQ(keep(gopath_join("a/", "")), "a");
	ASSERT_STREQ(keep(gopath_join("/d", "name with \"quotes\"")), "/d/name with \"quotes\"");
	ASSERT_TRUE(gopath_is_abs("/x"));
	ASSERT_TRUE(!gopath_is_abs("x"));
	ASSERT_TRUE(!gopath_is_abs(""));
}

static void test_match(void)
{
	static const struct {
		const char *pattern, *name;
		int want; /* 1, 0, or -EINVAL */
	} cases[] = {
		{ "abc", "abc", 1 }, { "*", "abc", 1 }, { "*c", "abc", 1 }, { "a*", "a", 1 },
		{ "a*", "abc", 1 }, { "a*", "ab/c", 0 }, { "a*/b", "abc/b", 1 }, { "a*/b", "a/c/b", 0 },
		{ "a*b*c*d*e*/f", "axbxcxdxe/f", 1 }, { "a*b*c*d*e*/f", "axbxcxdxexxx/f", 1 },
		{ "a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0 }, { "a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0 },
		{ "a*b?c*x", "abxbbxdbxebxczzx", 1 }, { "a*b?c*x", "abxbbxdbxebxczzy", 0 },
		{ "ab[c]", "abc", 1 }, { "ab[b-d]", "abc", 1 }, { "ab[e-g]", "abc", 0 },
		{ "ab[^c]", "abc", 0 }, { "ab[^b-d]", "abc", 0 }, { "ab[^e-g]", "abc", 1 },
		{ "a\\*b", "a*b", 1 }, { "a\\*b", "ab", 0 }, { "a?b", "a\xe2\x98\xba" "b", 1 },
		{ "a[^a]b", "a\xe2\x98\xba" "b", 1 }, { "a???b", "a\xe2\x98\xba" "b", 0 },
		{ "a[^a][^a][^a]b", "a\xe2\x98\xba" "b", 0 }, { "[a-\xce\xb6]*", "\xce\xb1", 1 },
		{ "*[a-\xce\xb6]", "A", 0 }, { "a?b", "a/b", 0 }, { "a*b", "a/b", 0 },
		{ "[\\]a]", "]", 1 }, { "[\\-]", "-", 1 }, { "[x\\-]", "x", 1 }, { "[x\\-]", "-", 1 },
		{ "[x\\-]", "z", 0 }, { "[\\-x]", "x", 1 }, { "[\\-x]", "-", 1 }, { "[\\-x]", "a", 0 },
		{ "[]a]", "]", -EINVAL }, { "[-]", "-", -EINVAL }, { "[x-]", "x", -EINVAL },
		{ "[x-]", "-", -EINVAL }, { "[x-]", "z", -EINVAL }, { "[-x]", "x", -EINVAL },
		{ "[-x]", "-", -EINVAL }, { "[-x]", "a", -EINVAL }, { "\\", "a", -EINVAL },
		{ "[a-b-c]", "a", -EINVAL }, { "[", "a", -EINVAL }, { "[^", "a", -EINVAL },
		{ "[^bc", "a", -EINVAL }, { "a[", "a", -EINVAL }, { "a[", "ab", -EINVAL },
		{ "a[", "x", -EINVAL }, { "a/b[", "x", -EINVAL }, { "*x", "xxx", 1 },
		{ "*.txt", "one.txt", 1 }, { "*.txt", "foo", 0 }, { "", "", 1 }, { "", "a", 0 },
		{ "*", "", 1 }, { "?", "", 0 }, { "[\xff]", "a", -EINVAL }, { "?", "\xff", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = gopath_match(cases[i].pattern, cases[i].name);

		if (r != cases[i].want)
			TFAIL("match(\"%s\", \"%s\") = %d, want %d", cases[i].pattern, cases[i].name, r,
			      cases[i].want);
	}
}

int main(void)
{
	RUN(test_clean);
	RUN(test_dir_base_join);
	RUN(test_match);
	free(last);
	return test_summary();
}
