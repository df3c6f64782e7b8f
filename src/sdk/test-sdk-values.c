/* test-sdk-values.c - typed values, and the event table (dispatch path -> kind and name). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cairn/charm.h"
#include "lib/test.h"
#include "sdk/event_table.h"
#include "sdk/meta.h"

static void test_scalars(void)
{
	struct cairn_value *v;
	const char *s;
	int64_t i;
	double d;
	bool b;

	v = cairn_value_int(42);
	ASSERT_EQ(cairn_value_kind(v), CAIRN_VALUE_INT);
	ASSERT_EQ(cairn_value_get_int(v, &i), 0);
	ASSERT_EQ(i, 42);
	ASSERT_EQ(cairn_value_get_double(v, &d), 0); /* an int reads as a double */
	ASSERT_TRUE(d == 42.0);
	ASSERT_EQ(cairn_value_get_string(v, &s), -EDOM);
	ASSERT_EQ(cairn_value_get_bool(v, &b), -EDOM);
	cairn_value_free(v);
	v = cairn_value_double(2.5);
	ASSERT_EQ(cairn_value_get_int(v, &i), -EDOM);
	cairn_value_free(v);
	ASSERT_TRUE(cairn_value_double(NAN) == NULL);
	ASSERT_TRUE(cairn_value_string("\xff\xfe") == NULL);
	ASSERT_TRUE(cairn_value_string(NULL) == NULL);
	v = cairn_value_bool(true);
	ASSERT_EQ(cairn_value_get_bool(v, &b), 0);
	ASSERT_TRUE(b);
	cairn_value_free(v);
	ASSERT_EQ(cairn_value_kind(NULL), CAIRN_VALUE_NULL);
	ASSERT_STREQ(cairn_value_kind_name(CAIRN_VALUE_MAP), "map");
	v = cairn_value_int(1);
	ASSERT_TRUE(!cairn_value_equal(v, NULL));
	ASSERT_TRUE(cairn_value_equal(NULL, NULL));
	cairn_value_free(v);
}

static void test_maps_and_lists(void)
{
	struct cairn_value *m = cairn_value_map(), *l = cairn_value_list(), *c, *v;
	struct cairn_error err;
	const char *k, *s;
	void *it = NULL;
	int64_t i;
	int n = 0;

	ASSERT_EQ(cairn_map_set_string(m, "b", "two"), 0);
	ASSERT_EQ(cairn_map_set_int(m, "a", 1), 0);
	ASSERT_EQ(cairn_list_append(l, cairn_value_string("x")), 0);
	ASSERT_EQ(cairn_list_append(l, cairn_value_null()), 0);
	ASSERT_EQ(cairn_map_set(m, "l", l), 0);
	ASSERT_EQ(cairn_value_size(m), 3);
	ASSERT_EQ(cairn_value_size(cairn_map_get(m, "l")), 2);
	ASSERT_EQ(cairn_value_kind(cairn_list_at(cairn_map_get(m, "l"), 1)), CAIRN_VALUE_NULL);
	ASSERT_TRUE(cairn_list_at(cairn_map_get(m, "l"), 2) == NULL);
	/* Insertion order. */
	while ((k = cairn_map_next(m, &it, &v))) {
		ASSERT_STREQ(k, n == 0 ? "b" : n == 1 ? "a" : "l");
		n++;
	}
	ASSERT_EQ(n, 3);
	ASSERT_EQ(cairn_map_set_default(m, "a", cairn_value_int(9)), 0);
	ASSERT_EQ(cairn_map_int(m, "a", 0, &i, &err), 0);
	ASSERT_EQ(i, 1);
	ASSERT_EQ(cairn_map_set_default(m, "c", cairn_value_int(9)), 1);
	ASSERT_EQ(cairn_map_string(m, "a", NULL, &s, &err), -EDOM);
	ASSERT_EQ(err.kind, CAIRN_ERR_TYPE);
	ASSERT_STREQ(err.message, "\"a\" is a int, not a string");
	ASSERT_EQ(cairn_map_string(m, "missing", "dflt", &s, &err), 0);
	ASSERT_STREQ(s, "dflt");
	ASSERT_EQ(cairn_map_int(l, "x", 0, &i, &err), -EINVAL); /* not a map (l is owned by m now) */
	ASSERT_EQ(cairn_map_delete(m, "c"), 0);
	ASSERT_EQ(cairn_map_delete(m, "c"), -ENOENT);
	ASSERT_EQ(cairn_map_set(m, "k", NULL), -EINVAL);
	ASSERT_EQ(cairn_map_set(m, "\xff", cairn_value_int(1)), -EINVAL);
	ASSERT_EQ(cairn_list_append(m, cairn_value_int(1)), -EINVAL);
	c = cairn_value_copy(m);
	ASSERT_TRUE(cairn_value_equal(c, m));
	cairn_map_set_bool(c, "a", true);
	ASSERT_TRUE(!cairn_value_equal(c, m));
	cairn_value_free(c);
	{
		char *j = cairn_value_to_json(m);

		ASSERT_STREQ(j, "{\"b\":\"two\",\"a\":1,\"l\":[\"x\",null]}");
		ASSERT_EQ(cairn_value_from_json(j, &c, &err), 0);
		ASSERT_TRUE(cairn_value_equal(c, m));
		cairn_value_free(c);
		free(j);
	}
	ASSERT_EQ(cairn_value_from_json("{\"a\":", &c, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "invalid JSON at line 1");
	cairn_value_free(m);
}

static const char *const META =
	"name: t\nrequires:\n  db: {}\n  my-db: {}\nprovides:\n  web-relation: {}\npeers:\n  p: {}\n"
	"storage:\n  data: {}\ncontainers:\n  web: {}\n  my-app: {}\n";

static void check_path(const struct meta *m, const char *path, int want_r, enum cairn_event_kind want_kind,
		       const char *want_name)
{
	enum cairn_event_kind k = _CAIRN_EVENT_MAX;
	const char *n = "unset";
	int r = event_parse_path(m, path, &k, &n);

	if (r != want_r || (r == 0 && (k != want_kind || ((n == NULL) != (want_name == NULL)) ||
				      (n && strcmp(n, want_name)))))
		TFAIL("%s: got r=%d kind=%d name=%s", path, r, (int)k, n ? n : "(null)");
}

static void test_dispatch_paths(void)
{
	struct meta m;
	char buf[128];

	ASSERT_EQ(meta_load_text(&m, META, NULL, "backup: {}\nre-index: {}\n", NULL), 0);
	check_path(&m, "hooks/install", 0, CAIRN_EVENT_INSTALL, NULL);
	check_path(&m, "hooks/leader-settings-changed", 0, CAIRN_EVENT_LEADER_SETTINGS_CHANGED, NULL);
	check_path(&m, "hooks/secret-rotate", 0, CAIRN_EVENT_SECRET_ROTATE, NULL);
	check_path(&m, "hooks/db-relation-changed", 0, CAIRN_EVENT_RELATION_CHANGED, "db");
	check_path(&m, "hooks/my-db-relation-broken", 0, CAIRN_EVENT_RELATION_BROKEN, "my-db");
	/* An endpoint whose own name ends like a suffix. */
	check_path(&m, "hooks/web-relation-relation-joined", 0, CAIRN_EVENT_RELATION_JOINED, "web-relation");
	check_path(&m, "hooks/p-relation-created", 0, CAIRN_EVENT_RELATION_CREATED, "p");
	check_path(&m, "hooks/data-storage-detaching", 0, CAIRN_EVENT_STORAGE_DETACHING, "data");
	check_path(&m, "hooks/web-pebble-ready", 0, CAIRN_EVENT_PEBBLE_READY, "web");
	check_path(&m, "hooks/my-app-pebble-custom-notice", 0, CAIRN_EVENT_PEBBLE_CUSTOM_NOTICE, "my-app");
	check_path(&m, "hooks/web-pebble-check-recovered", 0, CAIRN_EVENT_PEBBLE_CHECK_RECOVERED, "web");
	check_path(&m, "actions/re-index", 0, CAIRN_EVENT_ACTION, "re-index");
	/* Not declared, or not an event at all. */
	check_path(&m, "hooks/other-relation-joined", -ENOENT, 0, NULL);
	check_path(&m, "hooks/-relation-joined", -ENOENT, 0, NULL);
	check_path(&m, "hooks/data-pebble-ready", -ENOENT, 0, NULL); /* data is a storage */
	check_path(&m, "hooks/collect-app-status", -ENOENT, 0, NULL); /* framework only */
	check_path(&m, "hooks/meter-status-changed", -ENOENT, 0, NULL);
	check_path(&m, "actions/restore", -ENOENT, 0, NULL);
	check_path(&m, "install", -EINVAL, 0, NULL);
	ASSERT_TRUE(event_hook_restricted("collect-metrics"));
	ASSERT_TRUE(event_hook_restricted("meter-status-changed"));
	ASSERT_TRUE(!event_hook_restricted("install"));
	ASSERT_EQ(event_ops_name(CAIRN_EVENT_RELATION_CHANGED, "my-db", buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "my_db_relation_changed");
	ASSERT_EQ(event_ops_name(CAIRN_EVENT_ACTION, "re-index", buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "re_index_action");
	ASSERT_EQ(event_hook_name(CAIRN_EVENT_INSTALL, "x", buf, sizeof(buf)), -EINVAL);
	ASSERT_EQ(event_hook_name(CAIRN_EVENT_PEBBLE_READY, NULL, buf, sizeof(buf)), -EINVAL);
	ASSERT_STREQ(cairn_event_kind_name(CAIRN_EVENT_STORAGE_ATTACHED), "-storage-attached");
	ASSERT_TRUE(cairn_event_kind_name(_CAIRN_EVENT_MAX) == NULL);
	ASSERT_TRUE(cairn_event_kind_is_dynamic(CAIRN_EVENT_ACTION));
	ASSERT_TRUE(!cairn_event_kind_is_dynamic(CAIRN_EVENT_COLLECT_UNIT_STATUS));
	meta_done(&m);
}

static void test_bad_metadata(void)
{
	struct meta m;
	struct cairn_error err;

	ASSERT_EQ(meta_load_text(&m, "summary: no name\n", NULL, NULL, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "\"name\" must be a non-empty string");
	ASSERT_EQ(meta_load_text(&m, "name: x\nrequires: [a, b]\n", NULL, NULL, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "\"requires\" must be a mapping");
	ASSERT_EQ(meta_load_text(&m, "name: x\nrequires: {a: {}}\npeers: {a: {}}\n", NULL, NULL, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "declared twice");
	ASSERT_EQ(meta_load_text(&m, "name: x\n  bad: [\n", NULL, NULL, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "cannot parse metadata.yaml");
	ASSERT_EQ(meta_load_text(&m, "name: x\n", "options: [1]\n", NULL, &err), -EINVAL);
	ASSERT_EQ(meta_load_text(&m, "name: x\n", NULL, "- a\n", &err), -EINVAL);
	ASSERT_EQ(meta_load_dir(&m, "/nonexistent-charm-dir", true, &err), -ENOENT);
	ASSERT_CONTAINS(err.message, "cannot read /nonexistent-charm-dir/metadata.yaml");
	ASSERT_EQ(meta_load_text(&m, "name: x\n", "options:\n", "", &err), 0);
	meta_done(&m);
}

static void test_paths_doubles_and_error_names(void)
{
	struct cairn_value *m = NULL;
	struct cairn_error err;
	const char *s;
	double d;

	ASSERT_EQ(cairn_value_from_json("{\"a\":{\"b\":{\"c\":\"v\"},\"n\":2},\"x.y\":1,\"s\":\"t\"}", &m, &err), 0);
	ASSERT_EQ(cairn_value_get_string(cairn_map_get_path(m, "a.b.c"), &s), 0);
	ASSERT_STREQ(s, "v");
	ASSERT_EQ(cairn_value_kind(cairn_map_get_path(m, "a.b")), CAIRN_VALUE_MAP);
	ASSERT_TRUE(cairn_map_get_path(m, "a") == cairn_map_get(m, "a"));
	ASSERT_TRUE(cairn_map_get_path(m, "a.nope") == NULL);
	ASSERT_TRUE(cairn_map_get_path(m, "a.n.deeper") == NULL); /* through a scalar */
	ASSERT_TRUE(cairn_map_get_path(m, "s.t") == NULL);
	ASSERT_TRUE(cairn_map_get_path(m, "x.y") == NULL);         /* dots always split */
	ASSERT_TRUE(cairn_map_get_path(m, "a.") == NULL);
	ASSERT_TRUE(cairn_map_get_path(m, "") == NULL);
	ASSERT_TRUE(cairn_map_get_path(m, NULL) == NULL);
	ASSERT_TRUE(cairn_map_get_path(NULL, "a") == NULL);
	/* Doubles: an int reads as a double, a string does not; absent or null is def. */
	ASSERT_EQ(cairn_map_double(cairn_map_get(m, "a"), "n", 0.5, &d, &err), 0);
	ASSERT_TRUE(d == 2.0);
	ASSERT_EQ(cairn_map_double(m, "nope", 0.5, &d, &err), 0);
	ASSERT_TRUE(d == 0.5);
	ASSERT_EQ(cairn_map_set(m, "z", cairn_value_null()), 0);
	ASSERT_EQ(cairn_map_double(m, "z", 1.25, &d, &err), 0);
	ASSERT_TRUE(d == 1.25);
	ASSERT_EQ(cairn_map_set_double(m, "r", 0.125), 0);
	ASSERT_EQ(cairn_map_double(m, "r", 0, &d, &err), 0);
	ASSERT_TRUE(d == 0.125);
	d = 9;
	ASSERT_EQ(cairn_map_double(m, "s", 0, &d, &err), -EDOM);
	ASSERT_EQ(err.kind, CAIRN_ERR_TYPE);
	ASSERT_STREQ(err.message, "\"s\" is a string, not a double");
	ASSERT_TRUE(d == 9); /* untouched on error */
	ASSERT_EQ(cairn_map_double(cairn_map_get(m, "s"), "k", 0, &d, &err), -EINVAL);
	cairn_value_free(m);
	/* Every kind has its name. */
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_NONE), "none");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_INVALID), "invalid");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_NOT_FOUND), "not-found");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_TYPE), "type");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_MODEL), "model");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_CONNECTION), "connection");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_PROTOCOL), "protocol");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_API), "api");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_PATH), "path");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_CHANGE), "change");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_TIMEOUT), "timeout");
	ASSERT_STREQ(cairn_error_kind_name(CAIRN_ERR_STORE), "store");
	ASSERT_TRUE(cairn_error_kind_name(_CAIRN_ERR_MAX) != NULL);
	ASSERT_TRUE(cairn_error_kind_name((enum cairn_error_kind)-1) != NULL);
}

int main(void)
{
	RUN(test_scalars);
	RUN(test_maps_and_lists);
	RUN(test_dispatch_paths);
	RUN(test_bad_metadata);
	RUN(test_paths_doubles_and_error_names);
	return test_summary();
}
