/* Unit tests for lib/jsonw: the text equals jansson's compact dump of the same values in the
 * same order - nesting, commas, empty containers, every escape, UTF-8 - for hand-made and
 * random documents; misuse aborts instead of writing bad JSON. */
#include "lib/jsonw.h"
#include "lib/test.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes v with the writer (objects in their iteration order, which jansson keeps). */
static void write_value(struct jsonw *w, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jsonw_obj(w);
		json_object_foreach(v, k, x) {
			jsonw_key(w, k);
			write_value(w, x);
		}
		jsonw_end(w);
		break;
	case JSON_ARRAY:
		jsonw_arr(w);
		json_array_foreach(v, i, x)
			write_value(w, x);
		jsonw_end(w);
		break;
	case JSON_STRING:
		jsonw_str(w, json_string_value(v));
		break;
	case JSON_INTEGER:
		jsonw_int(w, json_integer_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		jsonw_bool(w, json_is_true(v));
		break;
	default:
		jsonw_null(w);
		break;
	}
}

static bool same_as_jansson(json_t *v)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	bool ok;

	buf_init(&b);
	jsonw_init(&w, &b);
	write_value(&w, v);
	ok = want && !strcmp(buf_str(&b), want);
	if (!ok)
		printf("# got  %s\n# want %s\n", buf_str(&b), want ? want : "(null)");
	free(want);
	buf_done(&b);
	return ok;
}

static void test_documents(void)
{
	const char *docs[] = {
		"{}", "[]", "{\"a\":[]}", "[[],{},[{}]]", "{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":true}",
		"{\"s\":\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f / \\u00e9\\u2603 \\ud83d\\ude00\"}",
		"[-9223372036854775807,0,9007199254740993]", "\"top\"", "{\"\":\"\",\"k\\n\":\"v\"}",
	};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *v = json_loads(docs[i], JSON_DECODE_ANY, NULL);

		ASSERT_TRUE(v != NULL);
		ASSERT_TRUE(same_as_jansson(v));
		json_decref(v);
	}
}

static json_t *random_value(unsigned *seed, int depth)
{
	static const char *const strs[] = { "", "a", "é", "\"", "\\", "\n\t", "\x01", "x/y",
					    "unit/0", "☃", "\x7f" };
	int kind = rand_r(seed) % (depth > 4 ? 4 : 6);

	switch (kind) {
	case 0: return json_string(strs[rand_r(seed) % 11]);
	case 1: return json_integer((json_int_t)rand_r(seed) - RAND_MAX / 2);
	case 2: return json_boolean(rand_r(seed) % 2);
	case 3: return json_null();
	case 4: {
		json_t *a = json_array();
		int n = rand_r(seed) % 4;

		for (int i = 0; i < n; i++)
			json_array_append_new(a, random_value(seed, depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		int n = rand_r(seed) % 4;

		for (int i = 0; i < n; i++) {
			char k[16];

			snprintf(k, sizeof(k), "k%d%s", i, strs[rand_r(seed) % 11]);
			json_object_set_new(o, k, random_value(seed, depth + 1));
		}
		return o;
	}
	}
}

static void test_random(void)
{
	unsigned seed = 7;

	for (int i = 0; i < 2000; i++) {
		json_t *v = random_value(&seed, 0);

		ASSERT_TRUE(same_as_jansson(v));
		json_decref(v);
	}
}

static void test_helpers(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;
	json_t *ports = json_pack("[s, s]", "80/tcp", "443/tcp");

	buf_init(&b);
	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_kstr(&w, "name", "web/0");
	jsonw_kstr(&w, "gone", NULL);
	jsonw_kint(&w, "n", 42);
	jsonw_kbool(&w, "leader", true);
	jsonw_key(&w, "ports");
	jsonw_json(&w, ports);
	jsonw_end(&w);
	ASSERT_STREQ(buf_str(&b),
		     "{\"name\":\"web/0\",\"gone\":null,\"n\":42,\"leader\":true,\"ports\":[\"80/tcp\",\"443/tcp\"]}");
	json_decref(ports);
	buf_done(&b);
}

/* Misuse is a bug in the caller: it aborts rather than writing broken JSON. */
static bool aborts(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		signal(SIGABRT, SIG_DFL);
		fn();
		_exit(0);
	}
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void key_in_array(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_arr(&w);
	jsonw_key(&w, "x");
}

static void end_after_key(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	jsonw_obj(&w);
	jsonw_key(&w, "x");
	jsonw_end(&w);
}

static void too_deep(void)
{
	struct buf b = BUF_INIT;
	struct jsonw w;

	jsonw_init(&w, &b);
	for (int i = 0; i < JSONW_MAX_DEPTH + 1; i++)
		jsonw_arr(&w);
}

static void test_misuse(void)
{
	ASSERT_TRUE(aborts(key_in_array));
	ASSERT_TRUE(aborts(end_after_key));
	ASSERT_TRUE(aborts(too_deep));
}

int main(void)
{
	RUN(test_documents);
	RUN(test_random);
	RUN(test_helpers);
	RUN(test_misuse);
	return test_summary();
}
