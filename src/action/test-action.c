/* test-action.c - unit tests for actions.yaml specs, parameter validation (Juju's own test
 * vectors and texts), defaults, dotted keys and the task state machine. */
#include <stdlib.h>
#include <string.h>

#include "action/actionargs.h"
#include "action/actionspec.h"
#include "action/operation.h"
#include "lib/gofmt.h"
#include "lib/test.h"
#include "lib/yamljson.h"

static json_t *yaml(const char *text)
{
	struct errbuf eb;
	json_t *v = NULL;

	if (yaml_to_json(text, strlen(text), &v, &eb) < 0) {
		printf("bad test yaml: %s\n", eb.msg);
		return NULL;
	}
	return v;
}

static json_t *js(const char *text)
{
	return json_loads(text, JSON_DECODE_ANY, NULL);
}

static const char snapshot_yaml[] =
	"snapshot:\n"
	"  description: Take a snapshot of the database.\n"
	"  params:\n"
	"    outfile:\n"
	"      description: The file to write out to.\n"
	"      type: string\n"
	"    quality:\n"
	"      description: Compression quality\n"
	"      type: integer\n"
	"      minimum: 0\n"
	"      maximum: 9\n"
	"      default: 5\n"
	"    file:\n"
	"      type: object\n"
	"      properties:\n"
	"        kind: {type: string, enum: [xz, gz], default: gz}\n"
	"        level: {type: number, exclusiveMinimum: true, minimum: 0}\n"
	"    tags: {type: array, items: {type: string}, minItems: 1}\n"
	"    force: {type: boolean}\n"
	"  required: [outfile]\n"
	"open:\n"
	"  additionalProperties: true\n"
	"noop:\n";

static struct action_specs *load(const char *text)
{
	struct action_specs *s = NULL;
	struct errbuf eb;
	json_t *v = yaml(text);

	if (actionspec_parse(v, &s, &eb) < 0)
		printf("parse failed: %s\n", eb.msg);
	json_decref(v);
	return s;
}

static void expect_invalid(const struct action_spec *a, const char *params, const char *msg)
{
	struct errbuf eb;
	json_t *p = js(params);
	int r = actionspec_validate(a, p, &eb);

	json_decref(p);
	if (r == 0)
		printf("expected failure for %s\n", params);
	else if (strcmp(eb.msg, msg))
		printf("got  %s\nwant %s\n", eb.msg, msg);
	test_cur_failed |= r == 0 || strcmp(eb.msg, msg) != 0;
}

static void test_parse(void)
{
	struct action_specs *s = load(snapshot_yaml);
	const struct action_spec *a;

	ASSERT_TRUE(s);
	ASSERT_EQ(s->n, 3);
	ASSERT_STREQ(s->v[0].name, "noop"); /* sorted */
	a = actionspec_find(s, "snapshot");
	ASSERT_TRUE(a);
	ASSERT_STREQ(a->description, "Take a snapshot of the database.");
	ASSERT_STREQ(json_string_value(json_object_get(a->schema, "title")), "snapshot");
	ASSERT_TRUE(json_is_false(json_object_get(a->schema, "additionalProperties")));
	a = actionspec_find(s, "noop");
	ASSERT_STREQ(a->description, "No description");
	ASSERT_TRUE(actionspec_find(s, "missing") == NULL);
	actionspec_free(s);

	s = NULL;
	{
		struct errbuf eb;

		ASSERT_TRUE(actionspec_parse(NULL, &s, &eb) == 0);
		ASSERT_EQ(s->n, 0);
		actionspec_free(s);
	}
}

static void expect_parse_error(const char *text, const char *msg)
{
	struct action_specs *s = NULL;
	struct errbuf eb;
	json_t *v = yaml(text);
	int r = actionspec_parse(v, &s, &eb);

	json_decref(v);
	if (r == 0) {
		actionspec_free(s);
		printf("expected parse failure: %s\n", text);
		test_cur_failed = 1;
		return;
	}
	if (!strstr(eb.msg, msg)) {
		printf("got  %s\nwant %s\n", eb.msg, msg);
		test_cur_failed = 1;
	}
}

static void test_parse_errors(void)
{
	expect_parse_error("Snapshot:\n  description: x\n", "bad action name Snapshot");
	expect_parse_error("snap_shot: {}\n", "bad action name snap_shot");
	expect_parse_error("juju-run: {}\n", "cannot use action name juju-run: juju- prefix is reserved");
	expect_parse_error("a:\n  required: outfile\n",
			   "value for schema key \"required\" must be a YAML list");
	expect_parse_error("a:\n  description: [1]\n",
			   "value for schema key \"description\" must be a string");
	expect_parse_error("a:\n  parallel: maybe\n", "value for schema key \"parallel\" must be a bool");
	expect_parse_error("a:\n  params: [1, 2]\n", "params failed to parse as a map");
	expect_parse_error("a:\n  params:\n    x: {$ref: '#/y'}\n",
			   "schema key \"$ref\" not compatible with this version of juju");
	expect_parse_error("a:\n  params:\n    x: {type: wibble}\n",
			   "invalid params schema for action schema a: property \"x\": type \"wibble\"");
	expect_parse_error("[1, 2]\n", "expected a map");
}

static void test_validate_juju_vectors(void)
{
	struct action_specs *s = load(snapshot_yaml);
	const struct action_spec *a = actionspec_find(s, "snapshot"), *noop = actionspec_find(s, "noop");
	struct errbuf eb;
	json_t *p;

	ASSERT_TRUE(a && noop);
	p = js("{\"outfile\": \"out.bz2\", \"quality\": 5}");
	ASSERT_EQ(actionspec_validate(a, p, &eb), 0);
	json_decref(p);
	/* 5.0 is an integer to JSON schema. */
	p = js("{\"outfile\": \"out.bz2\", \"quality\": 5.0}");
	ASSERT_EQ(actionspec_validate(a, p, &eb), 0);
	json_decref(p);
	ASSERT_EQ(actionspec_validate(noop, NULL, &eb), 0);

	expect_invalid(a, "{\"outfile\": 5}",
		       "validation failed: (root).outfile : must be of type string, given 5");
	expect_invalid(a, "{\"outfile\": \"foo.bz\", \"bar\": \"foo\"}",
		       "validation failed: (root) : additional property \"bar\" is not allowed, given "
		       "{\"bar\":\"foo\",\"outfile\":\"foo.bz\"}");
	expect_invalid(a, "{\"quality\": 5}",
		       "validation failed: (root) : \"outfile\" property is missing and required, "
		       "given {\"quality\":5}");
	expect_invalid(a, "{\"outfile\": \"out-2014-06-12.bz2\", \"quality\": \"two\"}",
		       "validation failed: (root).quality : must be of type integer, given \"two\"");
	expect_invalid(noop, "{\"oufile\": 5}",
		       "validation failed: (root) : additional property \"oufile\" is not allowed, "
		       "given {\"oufile\":5}");
	/* Several problems, joined with "; ". */
	expect_invalid(a, "{\"quality\": 10, \"x\": 1}",
		       "validation failed: (root) : \"outfile\" property is missing and required, "
		       "given {\"quality\":10,\"x\":1}; (root) : additional property \"x\" is not "
		       "allowed, given {\"quality\":10,\"x\":1}; (root).quality : must be lower than "
		       "or equal to 9, given 10");
	expect_invalid(a, "{\"outfile\": \"o\", \"quality\": -1}",
		       "validation failed: (root).quality : must be greater than or equal to 0, given -1");
	expect_invalid(a, "{\"outfile\": \"o\", \"file\": {\"kind\": \"zip\"}}",
		       "validation failed: (root).file.kind : must match one of the enum values "
		       "[\"xz\",\"gz\"], given \"zip\"");
	expect_invalid(a, "{\"outfile\": \"o\", \"file\": {\"level\": 0}}",
		       "validation failed: (root).file.level : must be greater than 0, given 0");
	expect_invalid(a, "{\"outfile\": \"o\", \"tags\": []}",
		       "validation failed: (root).tags : array must have at least 1 items, given []");
	expect_invalid(a, "{\"outfile\": \"o\", \"tags\": [\"a\", 2]}",
		       "validation failed: (root).tags.1 : must be of type string, given 2");
	expect_invalid(a, "{\"outfile\": \"o\", \"force\": \"yes\"}",
		       "validation failed: (root).force : must be of type boolean, given \"yes\"");
	/* additionalProperties: true lets anything through. */
	p = js("{\"anything\": [1, {\"a\": null}]}");
	ASSERT_EQ(actionspec_validate(actionspec_find(s, "open"), p, &eb), 0);
	json_decref(p);
	actionspec_free(s);
}

static void test_defaults(void)
{
	struct action_specs *s = load(snapshot_yaml);
	const struct action_spec *a = actionspec_find(s, "snapshot");
	json_t *p = js("{\"outfile\": \"o\", \"file\": {}}"), *d;
	struct buf b = BUF_INIT;

	d = actionspec_with_defaults(a, p);
	buf_init(&b);
	gofmt_json(&b, d);
	ASSERT_STREQ(buf_str(&b), "{\"file\":{\"kind\":\"gz\"},\"outfile\":\"o\",\"quality\":5}");
	/* The caller's object is untouched. */
	ASSERT_EQ(json_object_size(p), 2);
	json_decref(d);
	json_decref(p);
	d = actionspec_with_defaults(a, NULL);
	buf_reset(&b);
	gofmt_json(&b, d);
	ASSERT_STREQ(buf_str(&b), "{\"quality\":5}");
	json_decref(d);
	buf_done(&b);
	actionspec_free(s);
}

static void test_names(void)
{
	ASSERT_TRUE(actionspec_valid_name("backup"));
	ASSERT_TRUE(actionspec_valid_name("get-password"));
	ASSERT_TRUE(actionspec_valid_name("a1"));
	ASSERT_TRUE(actionspec_valid_name("0"));
	ASSERT_TRUE(!actionspec_valid_name("-a"));
	ASSERT_TRUE(!actionspec_valid_name("a-"));
	ASSERT_TRUE(!actionspec_valid_name("A"));
	ASSERT_TRUE(!actionspec_valid_name("a.b"));
	ASSERT_TRUE(!actionspec_valid_name(""));
	ASSERT_TRUE(!actionspec_valid_name(NULL));
}

static void test_args(void)
{
	struct actionarg a;
	struct errbuf eb;
	json_t *t = json_object(), *v;
	struct buf b = BUF_INIT;

	ASSERT_EQ(actionargs_parse("file.kind=xz", ACTIONARGS_RUN, &a, &eb), 0);
	ASSERT_EQ(a.n_keys, 2);
	ASSERT_STREQ(a.keys[1], "kind");
	ASSERT_STREQ(a.value, "xz");
	v = json_string(a.value);
	actionargs_insert(t, a.keys, a.n_keys, v);
	json_decref(v);
	actionargs_done(&a);
	ASSERT_EQ(actionargs_parse("out=a=b", ACTIONARGS_RUN, &a, &eb), 0);
	ASSERT_STREQ(a.value, "a=b");
	v = json_string(a.value);
	actionargs_insert(t, a.keys, a.n_keys, v);
	json_decref(v);
	actionargs_done(&a);
	/* A scalar on the way is replaced by a map, as addValueToMap does. */
	ASSERT_EQ(actionargs_parse("out.x=1", ACTIONARGS_RUN, &a, &eb), 0);
	v = json_integer(1);
	actionargs_insert(t, a.keys, a.n_keys, v);
	json_decref(v);
	actionargs_done(&a);
	buf_init(&b);
	gofmt_json(&b, t);
	ASSERT_STREQ(buf_str(&b), "{\"file\":{\"kind\":\"xz\"},\"out\":{\"x\":1}}");
	buf_done(&b);
	ASSERT_TRUE(json_is_string(actionargs_lookup(t, "file.kind")));
	ASSERT_TRUE(actionargs_lookup(t, "file.nope") == NULL);
	ASSERT_TRUE(actionargs_lookup(t, "file.kind.deeper") == NULL);
	json_decref(t);

	ASSERT_TRUE(actionargs_parse("nokey", ACTIONARGS_RUN, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "argument \"nokey\" must be of the form key.key.key...=value");
	ASSERT_TRUE(actionargs_parse("nokey", ACTIONARGS_SET, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "argument \"nokey\" must be of the form key...=value");
	ASSERT_TRUE(actionargs_parse("Foo=1", ACTIONARGS_RUN, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "key \"Foo\" must start and end with lowercase alphanumeric, and "
			     "contain only lowercase alphanumeric and hyphens");
	ASSERT_TRUE(actionargs_parse("a..b=1", ACTIONARGS_SET, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "key \"\" must start and end with lowercase alphanumeric, and contain "
			     "only lowercase alphanumeric, hyphens and periods");
	ASSERT_TRUE(actionargs_parse("stdout=x", ACTIONARGS_SET, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot set reserved action key \"stdout\"");
	ASSERT_TRUE(actionargs_parse("a.stderr-encoding=x", ACTIONARGS_SET, &a, &eb) < 0);
	ASSERT_STREQ(eb.msg, "cannot set reserved action key \"stderr-encoding\"");
	/* `run` may pass a parameter called stdout. */
	ASSERT_EQ(actionargs_parse("stdout=x", ACTIONARGS_RUN, &a, &eb), 0);
	actionargs_done(&a);
}

static void test_yaml_values(void)
{
	struct errbuf eb;
	json_t *v;

	ASSERT_EQ(actionargs_yaml_value("y", &v, &eb), 0);
	ASSERT_TRUE(json_is_true(v));
	ASSERT_EQ(actionargs_yaml_value("off", &v, &eb), 0);
	ASSERT_TRUE(json_is_false(v));
	ASSERT_EQ(actionargs_yaml_value("1000", &v, &eb), 0);
	ASSERT_EQ(json_integer_value(v), 1000);
	json_decref(v);
	ASSERT_EQ(actionargs_yaml_value("[1,2]", &v, &eb), 0);
	ASSERT_EQ(json_array_size(v), 2);
	json_decref(v);
	ASSERT_EQ(actionargs_yaml_value("my string", &v, &eb), 0);
	ASSERT_STREQ(json_string_value(v), "my string");
	json_decref(v);
	ASSERT_EQ(actionargs_yaml_value("", &v, &eb), 0);
	ASSERT_TRUE(json_is_null(v));
	ASSERT_TRUE(actionargs_yaml_value("a: b: c", &v, &eb) < 0);
}

static void test_task_states(void)
{
	enum task_status t[3];

	ASSERT_STREQ(task_status_name(TASK_ABORTING), "aborting");
	ASSERT_EQ(task_status_from_name("cancelled"), TASK_CANCELLED);
	ASSERT_EQ(task_status_from_name("bogus"), _TASK_STATUS_INVALID);
	ASSERT_TRUE(task_status_can(TASK_PENDING, TASK_RUNNING));
	ASSERT_TRUE(task_status_can(TASK_RUNNING, TASK_FAILED));
	ASSERT_TRUE(task_status_can(TASK_ABORTING, TASK_ABORTED));
	ASSERT_TRUE(!task_status_can(TASK_COMPLETED, TASK_RUNNING));
	ASSERT_TRUE(!task_status_can(TASK_PENDING, TASK_COMPLETED));
	ASSERT_TRUE(!task_status_can(TASK_CANCELLED, TASK_RUNNING));
	for (int s = 0; s < _TASK_STATUS_MAX; s++)
		for (int to = 0; to < _TASK_STATUS_MAX; to++)
			if (task_status_final((enum task_status)s))
				ASSERT_TRUE(!task_status_can((enum task_status)s, (enum task_status)to));
	ASSERT_EQ(task_status_cancel(TASK_PENDING), TASK_CANCELLED);
	ASSERT_EQ(task_status_cancel(TASK_RUNNING), TASK_ABORTING);
	ASSERT_EQ(task_status_cancel(TASK_COMPLETED), TASK_COMPLETED);

	ASSERT_EQ(operation_status(t, 0), TASK_PENDING);
	t[0] = TASK_PENDING, t[1] = TASK_PENDING;
	ASSERT_EQ(operation_status(t, 2), TASK_PENDING);
	t[0] = TASK_RUNNING;
	ASSERT_EQ(operation_status(t, 2), TASK_RUNNING);
	t[0] = TASK_COMPLETED;
	ASSERT_EQ(operation_status(t, 2), TASK_RUNNING);
	t[1] = TASK_COMPLETED;
	ASSERT_EQ(operation_status(t, 2), TASK_COMPLETED);
	t[1] = TASK_FAILED, t[2] = TASK_CANCELLED;
	ASSERT_EQ(operation_status(t, 3), TASK_FAILED);
	t[0] = TASK_ERROR;
	ASSERT_EQ(operation_status(t, 3), TASK_ERROR);
	t[0] = TASK_ABORTED, t[1] = TASK_COMPLETED, t[2] = TASK_COMPLETED;
	ASSERT_EQ(operation_status(t, 3), TASK_ABORTED);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_errors);
	RUN(test_validate_juju_vectors);
	RUN(test_defaults);
	RUN(test_names);
	RUN(test_args);
	RUN(test_yaml_values);
	RUN(test_task_states);
	return test_summary();
}
