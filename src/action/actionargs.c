/* actionargs.c - dotted action keys; see actionargs.h. */
#include "action/actionargs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "action/actionspec.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/yamljson.h"

static const char *const reserved_keys[] = { "stdout", "stdout-encoding", "stderr",
					     "stderr-encoding" };

bool actionargs_reserved(const char *key)
{
	for (size_t i = 0; i < sizeof(reserved_keys) / sizeof(reserved_keys[0]); i++)
		if (!strcmp(key, reserved_keys[i]))
			return true;
	return false;
}

void actionargs_done(struct actionarg *a)
{
	for (size_t i = 0; i < a->n_keys; i++)
		free(a->keys[i]);
	free(a->value);
	memset(a, 0, sizeof(*a));
}

static void set_quoted(struct errbuf *eb, const char *pre, const char *s, const char *post)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	buf_adds(&b, pre);
	gofmt_quote(&b, s, strlen(s), GOFMT_QUOTE_GO);
	buf_adds(&b, post);
	errbuf_set(eb, "%s", buf_str(&b));
	buf_done(&b);
}

int actionargs_parse(const char *arg, enum actionargs_kind kind, struct actionarg *ret,
		     struct errbuf *eb)
{
	struct actionarg a = { .n_keys = 0 };
	const char *eq = strchr(arg, '='), *p = arg;

	if (!eq) {
		set_quoted(eb, "argument ", arg,
			   kind == ACTIONARGS_RUN ? " must be of the form key.key.key...=value"
						  : " must be of the form key...=value");
		return -EINVAL;
	}
	for (;;) {
		size_t n = strcspn(p, ".=");
		char *key;

		if (p + n > eq)
			n = (size_t)(eq - p);
		key = xstrndup(p, n);
		if (!actionspec_valid_name(key)) {
			set_quoted(eb, "key ", key,
				   kind == ACTIONARGS_RUN
					   ? " must start and end with lowercase alphanumeric, and "
					     "contain only lowercase alphanumeric and hyphens"
					   : " must start and end with lowercase alphanumeric, and "
					     "contain only lowercase alphanumeric, hyphens and periods");
			free(key);
			goto fail;
		}
		if (kind == ACTIONARGS_SET && actionargs_reserved(key)) {
			errbuf_set(eb, "cannot set reserved action key \"%s\"", key);
			free(key);
			goto fail;
		}
		if (a.n_keys == ACTIONARGS_MAX_KEYS) {
			errbuf_set(eb, "key \"%.*s\" has more than %d parts", (int)(eq - arg), arg,
				   ACTIONARGS_MAX_KEYS);
			free(key);
			goto fail;
		}
		a.keys[a.n_keys++] = key;
		p += n;
		if (p == eq)
			break;
		p++; /* the '.' */
	}
	a.value = xstrdup(eq + 1);
	*ret = a;
	return 0;
fail:
	actionargs_done(&a);
	return -EINVAL;
}

void actionargs_insert(json_t *target, char *const *keys, size_t n, json_t *value)
{
	json_t *next = target;

	for (size_t i = 0; i < n; i++) {
		json_t *have;

		if (i == n - 1) {
			json_object_set(next, keys[i], value);
			break;
		}
		have = json_object_get(next, keys[i]);
		if (!json_is_object(have)) {
			have = json_object();
			json_object_set_new(next, keys[i], have);
		}
		next = have;
	}
}

json_t *actionargs_lookup(json_t *params, const char *dotted)
{
	json_t *cur = params;
	const char *p = dotted;

	for (;;) {
		size_t n = strcspn(p, ".");
		char *key = xstrndup(p, n);
		json_t *v = json_is_object(cur) ? json_object_get(cur, key) : NULL;

		free(key);
		if (!v)
			return NULL;
		cur = v;
		if (!p[n])
			return cur;
		p += n + 1;
	}
}

/* yaml.v2's resolve table for booleans (YAML 1.1). */
static const char *const true_words[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
					  "true", "True", "TRUE" };
static const char *const false_words[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF",
					   "false", "False", "FALSE" };

int actionargs_yaml_value(const char *s, json_t **ret, struct errbuf *eb)
{
	json_t *v = NULL;

	for (size_t i = 0; i < sizeof(true_words) / sizeof(true_words[0]); i++) {
		if (!strcmp(s, true_words[i])) {
			*ret = json_true();
			return 0;
		}
		if (!strcmp(s, false_words[i])) {
			*ret = json_false();
			return 0;
		}
	}
	if (yaml_to_json(s, strlen(s), &v, eb) < 0)
		return -EINVAL;
	*ret = v;
	return 0;
}
