/* test-layersdir.c - reading $PEBBLE/layers: naming rules, orders, labels, errors (§3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/fsutil.h"
#include "lib/test.h"
#include "scree/layersdir.h"

static char tmpl[64];

static const char *mkroot(void)
{
	snprintf(tmpl, sizeof(tmpl), "/tmp/test-layersdir-XXXXXX");
	return mkdtemp(tmpl);
}

static void put(const char *root, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void dir(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	mkdir(path, 0755);
}

static const char *read_err(const char *root)
{
	static struct errbuf eb; /* read right after the call */
	struct plan_layer **layers = NULL;
	size_t n = 0;

	if (layersdir_read(root, &layers, &n, &eb) == 0) {
		layersdir_free(layers, n);
		return NULL;
	}
	return eb.msg;
}

static void test_parse_name(void)
{
	int order;
	char label[64];
	bool is_dir;
	struct errbuf eb;

	ASSERT_EQ(layersdir_parse_name("001-foo.yaml", &order, label, sizeof(label), &is_dir, &eb), 1);
	ASSERT_EQ(order, 1);
	ASSERT_STREQ(label, "foo");
	ASSERT_TRUE(!is_dir);
	ASSERT_EQ(layersdir_parse_name("123-some-label.d", &order, label, sizeof(label), &is_dir, &eb), 1);
	ASSERT_EQ(order, 123);
	ASSERT_STREQ(label, "some-label");
	ASSERT_TRUE(is_dir);
	ASSERT_EQ(layersdir_parse_name("README.md", &order, label, sizeof(label), &is_dir, &eb), 0);
	ASSERT_EQ(layersdir_parse_name("001-foo.yml", &order, label, sizeof(label), &is_dir, &eb), 0);
	{
		static const char *const bad[] = { "1-foo.yaml",    "001-FOO.yaml", "001-ab.yaml",
						   "001-foo-.yaml", "001--foo.yaml", "001-1ab.yaml",
						   "001foo.yaml",   "0001-foo.yaml", "001-fo_o.yaml",
						   ".yaml",	    "001-foo.bar.yaml" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			char want[128];

			if (layersdir_parse_name(bad[i], &order, label, sizeof(label), &is_dir, &eb) != -EINVAL) {
				printf("accepted %s\n", bad[i]);
				test_cur_failed = 1;
				continue;
			}
			snprintf(want, sizeof(want),
				 "invalid layer filename: \"%s\" (must look like \"123-some-label.yaml\")", bad[i]);
			ASSERT_STREQ(eb.msg, want);
		}
	}
	ASSERT_EQ(layersdir_parse_name("001-a-b-c.yaml", &order, label, sizeof(label), &is_dir, &eb), 1);
	ASSERT_EQ(layersdir_parse_name("999-a12.yaml", &order, label, sizeof(label), &is_dir, &eb), 1);
	ASSERT_EQ(order, 999);
}

static void test_read_tree(void)
{
	const char *root = mkroot();
	struct plan_layer **layers = NULL;
	size_t n = 0;
	struct errbuf eb;
	struct plan *p = NULL;

	ASSERT_TRUE(root != NULL);
	put(root, "001-foo.yaml", "services:\n  a: {override: replace, command: a}\n");
	dir(root, "002-bar.d");
	put(root, "002-bar.d/001-aaa.yaml", "services:\n  a: {override: merge, environment: {X: '1'}}\n");
	put(root, "002-bar.d/002-bbb.yaml", "summary: bbb\n");
	put(root, "002-bar.d/notes.txt", "ignored");
	put(root, "003-baz.yaml", "summary: last\n");
	put(root, "README", "ignored");
	ASSERT_EQ(layersdir_read(root, &layers, &n, &eb), 0);
	ASSERT_EQ(n, 4);
	ASSERT_STREQ(layers[0]->label, "foo");
	ASSERT_EQ(layers[0]->order, 1000);
	ASSERT_STREQ(layers[1]->label, "bar/aaa");
	ASSERT_EQ(layers[1]->order, 2001);
	ASSERT_STREQ(layers[2]->label, "bar/bbb");
	ASSERT_EQ(layers[2]->order, 2002);
	ASSERT_STREQ(layers[3]->label, "baz");
	ASSERT_EQ(layers[3]->order, 3000);
	layersdir_free(layers, n);
	ASSERT_EQ(layersdir_load_plan(root, &p, &eb), 0);
	ASSERT_STREQ(p->summary, "last");
	ASSERT_STREQ(plan_strmap_get(&plan_find_service(&p->s, "a")->environment, "X"), "1");
	plan_free(p);
	fs_rm_rf(root);
}

static void test_missing_and_empty(void)
{
	const char *root = mkroot();
	char missing[128];
	struct plan *p = NULL;
	struct errbuf eb;
	struct buf b = BUF_INIT;

	snprintf(missing, sizeof(missing), "%s/nope", root);
	ASSERT_EQ(layersdir_load_plan(missing, &p, &eb), 0);
	ASSERT_EQ(p->n_layers, 0);
	plan_render_yaml(p, &b);
	ASSERT_STREQ(buf_str(&b), "{}\n");
	plan_free(p);
	ASSERT_EQ(layersdir_load_plan(root, &p, &eb), 0);
	ASSERT_EQ(p->n_layers, 0);
	plan_free(p);
	buf_done(&b);
	fs_rm_rf(root);
}

static void test_naming_errors(void)
{
	const char *root = mkroot();
	char sub[128];

	put(root, "01-foo.yaml", "summary: x\n");
	ASSERT_STREQ(read_err(root),
		     "invalid layer filename: \"01-foo.yaml\" (must look like \"123-some-label.yaml\")");
	fs_rm_rf(root);

	root = mkroot();
	dir(root, "01-foo.d");
	ASSERT_STREQ(read_err(root),
		     "invalid layer sub-directory name: \"01-foo.d\" (must look like \"123-some-label.d\")");
	fs_rm_rf(root);

	root = mkroot();
	put(root, "001-bar.yaml", "summary: ignore");
	put(root, "001-foo.yaml", "summary: ignore");
	ASSERT_STREQ(read_err(root),
		     "invalid layer filename: \"001-foo.yaml\" not unique (have \"001-bar.yaml\" already)");
	fs_rm_rf(root);

	root = mkroot();
	put(root, "001-foo.yaml", "summary: ignore");
	put(root, "002-foo.yaml", "summary: ignore");
	ASSERT_STREQ(read_err(root),
		     "invalid layer filename: \"002-foo.yaml\" not unique (have \"001-foo.yaml\" already)");
	fs_rm_rf(root);

	root = mkroot();
	dir(root, "001-foo.d");
	snprintf(sub, sizeof(sub), "001-foo.d/001-sub.d");
	dir(root, sub);
	ASSERT_STREQ(read_err(root), "cannot have a layers sub-directory at this level");
	fs_rm_rf(root);

	/* A bad layer inside a sub-directory names its full label. */
	root = mkroot();
	dir(root, "001-foo.d");
	put(root, "001-foo.d/001-bar.yaml", "bogus: 1\n");
	ASSERT_STREQ(read_err(root), "cannot parse layer \"foo/bar\": unknown section \"bogus\"");
	fs_rm_rf(root);

	/* Layers from disk are combined and validated like any other. */
	root = mkroot();
	put(root, "001-foo.yaml", "services:\n  a: {command: x}\n");
	{
		struct plan *p = NULL;
		struct errbuf eb;

		ASSERT_TRUE(layersdir_load_plan(root, &p, &eb) < 0);
		ASSERT_STREQ(eb.msg, "layer \"foo\" must define \"override\" for service \"a\"");
	}
	fs_rm_rf(root);
}

int main(void)
{
	RUN(test_parse_name);
	RUN(test_read_tree);
	RUN(test_missing_and_empty);
	RUN(test_naming_errors);
	return test_summary();
}
