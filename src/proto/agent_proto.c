/* agent_proto.c - message tables, encoding and validation; see agent_proto.h.
 *
 * Every message type is a table of fields (name, kind, offset in struct proto_msg, limits),
 * and one generic decoder and one generic encoder walk the tables, as the scree plan model
 * does: adding a field to the protocol is one table row. */
#include "proto/agent_proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/names.h"

enum pf_kind {
	PF_STR,  /* const char *: a string of at most max bytes */
	PF_INT,  /* int64_t from min to max */
	PF_BOOL, /* bool */
	PF_JSON, /* json_t *: checked by the field's check function */
};

#define PF_OPT 1u      /* may be absent (pointer fields: NULL) */
#define PF_NONEMPTY 2u /* strings: not "" */

struct pfield {
	const char *name;
	enum pf_kind kind;
	size_t off;
	unsigned flags;
	int64_t min, max;
	/* Extra check of a string or JSON value; fills eb with what is wrong (no field name). */
	int (*check)(const struct pfield *f, json_t *v, struct errbuf *eb);
	const char *const *values; /* strings: the allowed values (NULL-terminated) */
};

/* ---- value checks ---- */

static int check_unit(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	(void)f;
	if (!names_valid_unit(json_string_value(v)))
		return errbuf_set(eb, "invalid unit name \"%.*s\"", PROTO_NAME_MAX, json_string_value(v));
	return 0;
}

/* An IPv4 or IPv6 address in its text form. */
static int check_ip(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	unsigned char bin[sizeof(struct in6_addr)];
	const char *s = json_string_value(v);

	(void)f;
	if (inet_pton(AF_INET, s, bin) != 1 && inet_pton(AF_INET6, s, bin) != 1)
		return errbuf_set(eb, "invalid IP address \"%.*s\"", 64, s);
	return 0;
}

static int check_app(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	(void)f;
	if (!names_valid_application(json_string_value(v)))
		return errbuf_set(eb, "invalid application name \"%.*s\"", PROTO_NAME_MAX,
				  json_string_value(v));
	return 0;
}

/* A unit name, or "" (nobody). */
static int check_unit_or_empty(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	return json_string_length(v) ? check_unit(f, v, eb) : 0;
}

static int check_machine(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *s = json_string_value(v);
	size_t n = strlen(s);

	(void)f;
	if (!n || n > 9 || (s[0] == '0' && n > 1) || strspn(s, "0123456789") != n)
		return errbuf_set(eb, "invalid machine id \"%.*s\"", PROTO_NAME_MAX, s);
	return 0;
}

static int check_hook(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *s = json_string_value(v);

	(void)f;
	if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s))
		return errbuf_set(eb, "invalid hook name \"%.*s\"", PROTO_HOOK_MAX, s);
	return 0;
}

static int check_digest(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *s = json_string_value(v);

	(void)f;
	if (strlen(s) != 64 || strspn(s, "0123456789abcdef") != 64)
		return errbuf_set(eb, "not a SHA-256 digest");
	return 0;
}

static int check_hex(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *s = json_string_value(v);

	(void)f;
	if (strspn(s, "0123456789abcdef") != strlen(s))
		return errbuf_set(eb, "expected lower-case hex digits");
	return 0;
}

static int check_object(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	(void)f;
	if (!json_is_object(v))
		return errbuf_set(eb, "expected an object");
	return 0;
}

/* An array of at most f->max strings of at most f->min... bytes each (min holds the per-item
 * length limit), each passing item_check when given. */
static int check_strings(const struct pfield *f, json_t *v, struct errbuf *eb,
			 int (*item_check)(const struct pfield *, json_t *, struct errbuf *))
{
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return errbuf_set(eb, "expected an array");
	if ((int64_t)json_array_size(v) > f->max)
		return errbuf_set(eb, "more than %lld entries", (long long)f->max);
	json_array_foreach(v, i, x) {
		if (!json_is_string(x))
			return errbuf_set(eb, "entry %zu: expected a string", i);
		if ((int64_t)json_string_length(x) > f->min || !json_string_length(x))
			return errbuf_set(eb, "entry %zu: expected 1 to %lld bytes", i, (long long)f->min);
		if (item_check && item_check(f, x, eb) < 0) {
			errbuf_wrap(eb, "entry %zu", i);
			return -1;
		}
	}
	return 0;
}

static int check_string_list(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	return check_strings(f, v, eb, NULL);
}

static int check_unit_list(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	return check_strings(f, v, eb, check_unit);
}

static int check_state(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *k;
	json_t *x;

	(void)f;
	if (!json_is_object(v))
		return errbuf_set(eb, "expected an object");
	if (json_object_size(v) > PROTO_STATE_KEYS_MAX)
		return errbuf_set(eb, "more than %d keys", PROTO_STATE_KEYS_MAX);
	json_object_foreach(v, k, x) {
		if (strlen(k) > PROTO_STATE_KEY_MAX || !*k)
			return errbuf_set(eb, "key of %zu bytes (1 to %d allowed)", strlen(k),
					  PROTO_STATE_KEY_MAX);
		if (!json_is_string(x))
			return errbuf_set(eb, "key \"%s\": expected a string", k);
		if (json_string_length(x) > PROTO_STATE_VALUE_MAX)
			return errbuf_set(eb, "key \"%s\": value longer than %u bytes", k,
					  PROTO_STATE_VALUE_MAX);
	}
	return 0;
}

static bool in_values(const char *s, const char *const *values)
{
	for (size_t i = 0; values[i]; i++)
		if (!strcmp(s, values[i]))
			return true;
	return false;
}

/* A list of at most f->max objects, each with an integer "id" from 0 (the relation changes
 * of a commit, the relations of a goal: deeper checks belong to their readers). */
static int check_id_objects(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	size_t i;
	json_t *x;

	if (!json_is_array(v))
		return errbuf_set(eb, "expected an array");
	if ((int64_t)json_array_size(v) > f->max)
		return errbuf_set(eb, "more than %lld entries", (long long)f->max);
	json_array_foreach(v, i, x) {
		json_t *id = json_object_get(x, "id");

		if (!json_is_object(x) || !json_is_integer(id) || json_integer_value(id) < 0 ||
		    json_integer_value(id) > PROTO_SEQ_MAX)
			return errbuf_set(eb, "entry %zu: expected an object with an integer \"id\"", i);
	}
	return 0;
}

static const char *const relation_scopes[] = { "enter", "leave", NULL };

/* commit-hook's relation changes: [{"id", "scope"?, "unit-bag"?, "app-bag"?}]. */
static int check_relation_changes(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	size_t i;
	json_t *x;

	if (check_id_objects(f, v, eb) < 0)
		return -1;
	json_array_foreach(v, i, x) {
		json_t *scope = json_object_get(x, "scope");
		static const char *const bags[] = { "unit-bag", "app-bag" };

		if (scope && (!json_is_string(scope) || !in_values(json_string_value(scope), relation_scopes)))
			return errbuf_set(eb, "entry %zu: field \"scope\": expected \"enter\" or \"leave\"", i);
		for (size_t k = 0; k < 2; k++) {
			json_t *bag = json_object_get(x, bags[k]);

			if (bag && check_state(f, bag, eb) < 0) {
				errbuf_wrap(eb, "entry %zu: field \"%s\"", i, bags[k]);
				return -1;
			}
		}
	}
	return 0;
}

static const char *const task_states[] = { "pending", "running", "aborting", NULL };
static const char *const task_kinds[] = { "action", "exec", NULL };

/* unit-goal's tasks: [{"id", "name", "params", "status", "kind"}]. */
static int check_tasks(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	size_t i;
	json_t *x;

	if (check_id_objects(f, v, eb) < 0)
		return -1;
	json_array_foreach(v, i, x) {
		json_t *name = json_object_get(x, "name"), *st = json_object_get(x, "status");
		json_t *kind = json_object_get(x, "kind");

		if (!json_is_string(name) || !json_string_length(name) ||
		    json_string_length(name) > PROTO_HOOK_MAX)
			return errbuf_set(eb, "entry %zu: field \"name\": expected 1 to %d bytes", i,
					  PROTO_HOOK_MAX);
		if (!json_is_object(json_object_get(x, "params")))
			return errbuf_set(eb, "entry %zu: field \"params\": expected an object", i);
		if (!json_is_string(st) || !in_values(json_string_value(st), task_states))
			return errbuf_set(eb, "entry %zu: field \"status\": expected pending, running or aborting", i);
		if (!json_is_string(kind) || !in_values(json_string_value(kind), task_kinds))
			return errbuf_set(eb, "entry %zu: field \"kind\": expected action or exec", i);
	}
	return 0;
}

/* An action's results: an object of at most PROTO_RESULTS_MAX bytes of JSON. */
static int check_results(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	char *s;
	size_t n;

	(void)f;
	if (!json_is_object(v))
		return errbuf_set(eb, "expected an object");
	s = json_dumps(v, JSON_COMPACT);
	n = s ? strlen(s) : 0;
	free(s);
	if (n > PROTO_RESULTS_MAX)
		return errbuf_set(eb, "%zu bytes, more than %u", n, PROTO_RESULTS_MAX);
	return 0;
}

static const char *const log_levels[] = { "TRACE", "DEBUG", "INFO", "WARNING", "ERROR",
					   "CRITICAL", NULL };

static int check_log_records(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	size_t i;
	json_t *r;

	(void)f;
	if (!json_is_array(v))
		return errbuf_set(eb, "expected an array");
	if (json_array_size(v) > PROTO_LOG_BATCH_MAX)
		return errbuf_set(eb, "more than %d records", PROTO_LOG_BATCH_MAX);
	json_array_foreach(v, i, r) {
		json_t *unit = json_object_get(r, "unit"), *time = json_object_get(r, "time");
		json_t *level = json_object_get(r, "level"), *module = json_object_get(r, "module");
		json_t *message = json_object_get(r, "message");

		if (!json_is_object(r))
			return errbuf_set(eb, "record %zu: expected an object", i);
		if (!json_is_string(unit) || (json_string_length(unit) && !names_valid_unit(json_string_value(unit))))
			return errbuf_set(eb, "record %zu: field \"unit\": expected a unit name or \"\"", i);
		if (!json_is_integer(time) || json_integer_value(time) < 0)
			return errbuf_set(eb, "record %zu: field \"time\": expected a non-negative integer", i);
		if (!json_is_string(level) || !in_values(json_string_value(level), log_levels))
			return errbuf_set(eb, "record %zu: field \"level\": expected one of TRACE DEBUG INFO WARNING ERROR CRITICAL", i);
		if (!json_is_string(module) || json_string_length(module) > PROTO_NAME_MAX + PROTO_HOOK_MAX + 32)
			return errbuf_set(eb, "record %zu: field \"module\": expected a short string", i);
		if (!json_is_string(message) || json_string_length(message) > PROTO_TEXT_MAX)
			return errbuf_set(eb, "record %zu: field \"message\": expected a string of at most %u bytes",
					  i, PROTO_TEXT_MAX);
	}
	return 0;
}

static int check_workload_status(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	(void)f;
	if (!json_is_object(v) || !json_is_string(json_object_get(v, "status")) ||
	    !json_is_string(json_object_get(v, "message")) ||
	    json_string_length(json_object_get(v, "message")) > PROTO_TEXT_MAX)
		return errbuf_set(eb, "expected {\"status\": string, \"message\": string, ...}");
	return 0;
}

static int check_b64(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	struct buf b = BUF_INIT;
	int r;

	(void)f;
	buf_init(&b);
	r = proto_b64_decode(json_string_value(v), PROTO_CHUNK_MAX, &b);
	buf_done(&b);
	if (r < 0)
		return errbuf_set(eb, "not base64 of at most %u bytes", PROTO_CHUNK_MAX);
	return 0;
}

static bool is_hex64(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* "sha256:<64 hex>" */
static bool is_image_digest(const char *s)
{
	return s && !strncmp(s, "sha256:", 7) && is_hex64(s + 7);
}

/* A metadata name (resource, container, storage): 1 to PROTO_NAME_MAX bytes, no '/', no
 * control characters (the charm loader restricts them no further). */
static bool is_meta_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!n || n > PROTO_NAME_MAX || strchr(s, '/'))
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static int check_resources(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *k;
	json_t *r;

	(void)f;
	if (!json_is_object(v))
		return errbuf_set(eb, "expected an object");
	if (json_object_size(v) > PROTO_RESOURCES_MAX)
		return errbuf_set(eb, "more than %d resources", PROTO_RESOURCES_MAX);
	json_object_foreach(v, k, r) {
		const char *type = json_string_value(json_object_get(r, "type"));
		json_t *rev = json_object_get(r, "revision"), *size = json_object_get(r, "size");
		json_t *fn = json_object_get(r, "filename");

		if (!is_meta_name(k))
			return errbuf_set(eb, "invalid resource name \"%.64s\"", k);
		if (!json_is_object(r))
			return errbuf_set(eb, "resource \"%s\": expected an object", k);
		if (!type || (strcmp(type, "oci-image") && strcmp(type, "file")))
			return errbuf_set(eb, "resource \"%s\": field \"type\": expected \"oci-image\" or \"file\"", k);
		if (!json_is_integer(rev) || json_integer_value(rev) < 0 || json_integer_value(rev) > (1LL << 31))
			return errbuf_set(eb, "resource \"%s\": field \"revision\": expected an integer from 0 to %lld",
					  k, 1LL << 31);
		if (!json_is_integer(size) || json_integer_value(size) < 0 || json_integer_value(size) > (1LL << 42))
			return errbuf_set(eb, "resource \"%s\": field \"size\": expected an integer from 0 to %lld", k,
					  1LL << 42);
		if (!is_hex64(json_string_value(json_object_get(r, "fingerprint"))))
			return errbuf_set(eb, "resource \"%s\": field \"fingerprint\": not a SHA-256 digest", k);
		if (!strcmp(type, "oci-image") && !is_image_digest(json_string_value(json_object_get(r, "image"))))
			return errbuf_set(eb, "resource \"%s\": field \"image\": expected \"sha256:\" and 64 hex digits", k);
		if (fn && (!json_is_string(fn) || !json_string_length(fn) || json_string_length(fn) > PROTO_PATH_MAX ||
			   strchr(json_string_value(fn), '/') || !strcmp(json_string_value(fn), ".") ||
			   !strcmp(json_string_value(fn), "..")))
			return errbuf_set(eb, "resource \"%s\": field \"filename\": expected a file name", k);
	}
	return 0;
}

static int check_container_specs(const struct pfield *f, json_t *v, struct errbuf *eb)
{
	const char *k;
	json_t *c;

	(void)f;
	if (!json_is_object(v))
		return errbuf_set(eb, "expected an object");
	if (json_object_size(v) > PROTO_CONTAINERS_MAX)
		return errbuf_set(eb, "more than %d containers", PROTO_CONTAINERS_MAX);
	json_object_foreach(v, k, c) {
		json_t *res = json_object_get(c, "resource"), *mounts = json_object_get(c, "mounts"), *m;
		size_t i;

		if (!is_meta_name(k))
			return errbuf_set(eb, "invalid container name \"%.64s\"", k);
		if (!json_is_object(c))
			return errbuf_set(eb, "container \"%s\": expected an object", k);
		if (res && !is_meta_name(json_string_value(res)))
			return errbuf_set(eb, "container \"%s\": field \"resource\": expected a resource name", k);
		if (mounts && !json_is_array(mounts))
			return errbuf_set(eb, "container \"%s\": field \"mounts\": expected an array", k);
		if (json_array_size(mounts) > PROTO_MOUNTS_MAX)
			return errbuf_set(eb, "container \"%s\": more than %d mounts", k, PROTO_MOUNTS_MAX);
		json_array_foreach(mounts, i, m) {
			const char *loc = json_string_value(json_object_get(m, "location"));

			if (!is_meta_name(json_string_value(json_object_get(m, "storage"))))
				return errbuf_set(eb, "container \"%s\": mount %zu: field \"storage\": expected a storage name",
						  k, i);
			if (!loc || loc[0] != '/' || strlen(loc) > PROTO_PATH_MAX)
				return errbuf_set(eb, "container \"%s\": mount %zu: field \"location\": expected an absolute path",
						  k, i);
		}
	}
	return 0;
}

/* ---- the tables ---- */

static const char *const status_kinds[] = { "workload", "agent", "application", NULL };
static const char *const progress_states[] = { "idle", "busy", "error", NULL };
static const char *const resolve_modes[] = { "", "retry-hooks", "no-hooks", NULL };

#define O(t, f) offsetof(struct proto_msg, u.t.f)
#define SEQ(t) { "seq", PF_INT, O(t, seq), 0, 1, PROTO_SEQ_MAX, NULL, NULL }
#define UNIT(t) { "unit", PF_STR, O(t, unit), PF_NONEMPTY, 0, PROTO_NAME_MAX, check_unit, NULL }
#define ID(t) { "id", PF_INT, O(t, id), 0, 0, PROTO_SEQ_MAX, NULL, NULL }
#define ADDRS(t) { "addresses", PF_JSON, O(t, addresses), 0, 64, PROTO_ADDRESSES_MAX, check_string_list, NULL }
#define END { NULL, 0, 0, 0, 0, 0, NULL, NULL }

static const struct pfield f_hello[] = {
	{ "version", PF_INT, O(hello, version), 0, 1, 1000000, NULL, NULL },
	{ "machine", PF_STR, O(hello, machine), PF_NONEMPTY, 0, PROTO_NAME_MAX, check_machine, NULL },
	{ "password", PF_STR, O(hello, password), PF_NONEMPTY, 0, PROTO_SECRET_MAX, NULL, NULL },
	{ "agent-version", PF_STR, O(hello, agent_version), 0, 0, PROTO_NAME_MAX, NULL, NULL },
	{ "pid", PF_INT, O(hello, pid), 0, 0, 1LL << 31, NULL, NULL },
	{ "hostname", PF_STR, O(hello, hostname), 0, 0, 255, NULL, NULL },
	ADDRS(hello),
	END,
};
static const struct pfield f_join[] = {
	{ "version", PF_INT, O(join, version), 0, 1, 1000000, NULL, NULL },
	{ "token", PF_STR, O(join, token), PF_NONEMPTY, 0, PROTO_SECRET_MAX, check_hex, NULL },
	{ "hostname", PF_STR, O(join, hostname), 0, 0, 255, NULL, NULL },
	ADDRS(join),
	END,
};
static const struct pfield f_save_journal[] = {
	UNIT(save_journal),
	SEQ(save_journal),
	{ "journal", PF_JSON, O(save_journal, journal), 0, 0, 0, check_object, NULL },
	END,
};
static const struct pfield f_commit_hook[] = {
	UNIT(commit_hook),
	SEQ(commit_hook),
	{ "hook", PF_STR, O(commit_hook, hook), PF_NONEMPTY, 0, PROTO_HOOK_MAX, check_hook, NULL },
	{ "journal", PF_JSON, O(commit_hook, journal), 0, 0, 0, check_object, NULL },
	{ "state", PF_JSON, O(commit_hook, state), PF_OPT, 0, 0, check_state, NULL },
	{ "ports", PF_JSON, O(commit_hook, ports), PF_OPT, 32, PROTO_PORTS_MAX, check_string_list, NULL },
	{ "app-version", PF_STR, O(commit_hook, app_version), PF_OPT, 0, 4096, NULL, NULL },
	{ "relations", PF_JSON, O(commit_hook, relations), PF_OPT, 0, PROTO_RELATIONS_MAX, check_relation_changes, NULL },
	{ "leader-settings", PF_JSON, O(commit_hook, leader_settings), PF_OPT, 0, 0, check_state, NULL },
	END,
};
static const struct pfield f_status_set[] = {
	UNIT(status_set),
	SEQ(status_set),
	{ "kind", PF_STR, O(status_set, kind), 0, 0, 32, NULL, status_kinds },
	{ "status", PF_STR, O(status_set, status), PF_NONEMPTY, 0, 32, NULL, NULL },
	{ "message", PF_STR, O(status_set, message), 0, 0, PROTO_TEXT_MAX, NULL, NULL },
	{ "data", PF_JSON, O(status_set, data), PF_OPT, 0, 0, check_object, NULL },
	{ "by-charm", PF_BOOL, O(status_set, by_charm), 0, 0, 0, NULL, NULL },
	END,
};
static const struct pfield f_status_get[] = {
	ID(status_get),
	UNIT(status_get),
	{ "application", PF_BOOL, O(status_get, application), 0, 0, 0, NULL, NULL },
	{ "goal-state", PF_BOOL, O(status_get, goal_state), PF_OPT, 0, 0, NULL, NULL },
	END,
};
static const char *const task_results[] = { "completed", "failed", "aborted", NULL };
static const struct pfield f_action_started[] = {
	UNIT(action_started),
	SEQ(action_started),
	{ "task", PF_INT, O(action_started, task), 0, 1, PROTO_SEQ_MAX, NULL, NULL },
	END,
};
static const struct pfield f_action_log[] = {
	UNIT(action_log),
	SEQ(action_log),
	{ "task", PF_INT, O(action_log, task), 0, 1, PROTO_SEQ_MAX, NULL, NULL },
	{ "time", PF_INT, O(action_log, time_ns), 0, 0, INT64_MAX, NULL, NULL },
	{ "message", PF_STR, O(action_log, message), 0, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_action_result[] = {
	UNIT(action_result),
	SEQ(action_result),
	{ "task", PF_INT, O(action_result, task), 0, 1, PROTO_SEQ_MAX, NULL, NULL },
	{ "status", PF_STR, O(action_result, status), 0, 0, 16, NULL, task_results },
	{ "message", PF_STR, O(action_result, message), 0, 0, PROTO_TEXT_MAX, NULL, NULL },
	{ "results", PF_JSON, O(action_result, results), 0, 0, 0, check_results, NULL },
	{ "relations", PF_JSON, O(action_result, relations), PF_OPT, 0, PROTO_RELATIONS_MAX, check_relation_changes, NULL },
	{ "state", PF_JSON, O(action_result, state), PF_OPT, 0, 0, check_state, NULL },
	{ "ports", PF_JSON, O(action_result, ports), PF_OPT, 32, PROTO_PORTS_MAX, check_string_list, NULL },
	{ "leader-settings", PF_JSON, O(action_result, leader_settings), PF_OPT, 0, 0, check_state, NULL },
	END,
};
static const struct pfield f_log[] = {
	{ "records", PF_JSON, O(log, records), 0, 0, 0, check_log_records, NULL },
	END,
};
static const struct pfield f_hook_ran[] = {
	UNIT(hook_ran),
	SEQ(hook_ran),
	{ "hook", PF_STR, O(hook_ran, hook), PF_NONEMPTY, 0, PROTO_HOOK_MAX, check_hook, NULL },
	{ "start", PF_INT, O(hook_ran, start_ns), 0, 0, INT64_MAX, NULL, NULL },
	{ "duration", PF_INT, O(hook_ran, duration_ns), 0, 0, INT64_MAX, NULL, NULL },
	{ "code", PF_INT, O(hook_ran, code), 0, 0, 255, NULL, NULL },
	END,
};
static const struct pfield f_unit_dead[] = {
	UNIT(unit_dead),
	SEQ(unit_dead),
	END,
};
static const struct pfield f_progress[] = {
	UNIT(progress),
	{ "gen", PF_INT, O(progress, gen), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "state", PF_STR, O(progress, state), 0, 0, 16, NULL, progress_states },
	{ "settled", PF_BOOL, O(progress, settled), 0, 0, 0, NULL, NULL },
	{ "address", PF_STR, O(progress, address), PF_OPT | PF_NONEMPTY, 0, 64, check_ip, NULL },
	END,
};
static const struct pfield f_ping[] = {
	ID(ping),
	{ "stats", PF_JSON, O(ping, stats), PF_OPT, 0, 0, check_object, NULL },
	END,
};
static const struct pfield f_charm_get[] = {
	{ "digest", PF_STR, O(charm_get, digest), 0, 0, 64, check_digest, NULL },
	{ "offset", PF_INT, O(charm_get, offset), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "length", PF_INT, O(charm_get, length), 0, 1, PROTO_CHUNK_MAX, NULL, NULL },
	END,
};
static const struct pfield f_resource_get[] = {
	{ "digest", PF_STR, O(resource_get, digest), 0, 0, 64, check_digest, NULL },
	{ "offset", PF_INT, O(resource_get, offset), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "length", PF_INT, O(resource_get, length), 0, 1, PROTO_CHUNK_MAX, NULL, NULL },
	END,
};
static const struct pfield f_empty[] = {
	END,
};
static const struct pfield f_welcome[] = {
	{ "machine", PF_STR, O(welcome, machine), PF_NONEMPTY, 0, PROTO_NAME_MAX, check_machine, NULL },
	{ "lease-ms", PF_INT, O(welcome, lease_ms), 0, 100, 86400000, NULL, NULL },
	{ "model-name", PF_STR, O(welcome, model_name), PF_NONEMPTY, 0, PROTO_NAME_MAX, NULL, NULL },
	{ "model-uuid", PF_STR, O(welcome, model_uuid), PF_NONEMPTY, 0, 64, NULL, NULL },
	{ "units", PF_JSON, O(welcome, units), 0, PROTO_NAME_MAX, PROTO_UNITS_MAX, check_unit_list, NULL },
	{ "api-addresses", PF_JSON, O(welcome, api_addresses), PF_OPT, 300, 16, check_string_list, NULL },
	END,
};
static const struct pfield f_joined[] = {
	{ "machine", PF_STR, O(joined, machine), PF_NONEMPTY, 0, PROTO_NAME_MAX, check_machine, NULL },
	{ "password", PF_STR, O(joined, password), PF_NONEMPTY, 0, PROTO_SECRET_MAX, NULL, NULL },
	{ "ca-cert", PF_STR, O(joined, ca_cert), PF_NONEMPTY, 0, PROTO_CERT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_refused[] = {
	{ "error", PF_STR, O(refused, error), 0, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_model_config[] = {
	{ "update-status-ms", PF_INT, O(model_config, update_status_ms), 0, 1, 86400000LL * 365, NULL, NULL },
	{ "retry-hooks", PF_BOOL, O(model_config, retry_hooks), 0, 0, 0, NULL, NULL },
	{ "hook-timeout-ms", PF_INT, O(model_config, hook_timeout_ms), 0, 0, 86400000LL * 365, NULL, NULL },
	END,
};
static const struct pfield f_app_goal[] = {
	{ "app", PF_STR, O(app_goal, app), PF_NONEMPTY, 0, PROTO_NAME_MAX, check_app, NULL },
	{ "gen", PF_INT, O(app_goal, gen), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "charm-rev", PF_INT, O(app_goal, charm_rev), 0, 0, 1LL << 31, NULL, NULL },
	{ "charm-digest", PF_STR, O(app_goal, charm_digest), 0, 0, 64, check_digest, NULL },
	{ "charm-size", PF_INT, O(app_goal, charm_size), 0, 1, 1LL << 40, NULL, NULL },
	{ "config", PF_JSON, O(app_goal, config), 0, 0, 0, check_object, NULL },
	{ "config-hash", PF_STR, O(app_goal, config_hash), PF_NONEMPTY, 0, 64, check_hex, NULL },
	{ "leader", PF_STR, O(app_goal, leader), 0, 0, PROTO_NAME_MAX, check_unit_or_empty, NULL },
	{ "leader-gen", PF_INT, O(app_goal, leader_gen), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "containers", PF_JSON, O(app_goal, containers), 0, 64, PROTO_CONTAINERS_MAX, check_string_list, NULL },
	{ "charm-modified", PF_INT, O(app_goal, charm_modified), PF_OPT, 0, 1LL << 40, NULL, NULL },
	{ "resources", PF_JSON, O(app_goal, resources), PF_OPT, 0, 0, check_resources, NULL },
	{ "container-specs", PF_JSON, O(app_goal, container_specs), PF_OPT, 0, 0, check_container_specs, NULL },
	{ "leader-settings", PF_JSON, O(app_goal, leader_settings), PF_OPT, 0, 0, check_state, NULL },
	{ "dying", PF_BOOL, O(app_goal, dying), PF_OPT, 0, 0, NULL, NULL },
	END,
};
static const struct pfield f_unit_goal[] = {
	UNIT(unit_goal),
	{ "gen", PF_INT, O(unit_goal, gen), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "alive", PF_BOOL, O(unit_goal, alive), 0, 0, 0, NULL, NULL },
	{ "state", PF_JSON, O(unit_goal, state), 0, 0, 0, check_state, NULL },
	{ "ports", PF_JSON, O(unit_goal, ports), 0, 32, PROTO_PORTS_MAX, check_string_list, NULL },
	{ "resolve-gen", PF_INT, O(unit_goal, resolve_gen), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "resolve-mode", PF_STR, O(unit_goal, resolve_mode), 0, 0, 16, NULL, resolve_modes },
	{ "journal", PF_JSON, O(unit_goal, journal), PF_OPT, 0, 0, check_object, NULL },
	{ "workload-status", PF_JSON, O(unit_goal, workload_status), PF_OPT, 0, 0, check_workload_status, NULL },
	{ "relations", PF_JSON, O(unit_goal, relations), PF_OPT, 0, PROTO_RELATIONS_MAX, check_id_objects, NULL },
	{ "actions", PF_JSON, O(unit_goal, actions), PF_OPT, 0, PROTO_ACTIONS_MAX, check_tasks, NULL },
	{ "principal", PF_STR, O(unit_goal, principal), PF_OPT, 0, PROTO_NAME_MAX, check_unit, NULL },
	END,
};
static const struct pfield f_unit_removed[] = {
	UNIT(unit_removed),
	END,
};
static const struct pfield f_ack[] = {
	UNIT(ack),
	SEQ(ack),
	END,
};
static const struct pfield f_nack[] = {
	UNIT(nack),
	SEQ(nack),
	{ "error", PF_STR, O(nack, error), 0, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_status_result[] = {
	ID(status_result),
	{ "result", PF_JSON, O(status_result, result), PF_OPT, 0, 0, check_object, NULL },
	{ "error", PF_STR, O(status_result, error), PF_OPT, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_pong[] = {
	ID(pong),
	END,
};
static const struct pfield f_charm_chunk[] = {
	{ "digest", PF_STR, O(charm_chunk, digest), 0, 0, 64, check_digest, NULL },
	{ "offset", PF_INT, O(charm_chunk, offset), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "size", PF_INT, O(charm_chunk, size), 0, 0, 1LL << 40, NULL, NULL },
	{ "data", PF_STR, O(charm_chunk, data), 0, 0, (PROTO_CHUNK_MAX / 3 + 1) * 4, check_b64, NULL },
	{ "error", PF_STR, O(charm_chunk, error), PF_OPT, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};
static const struct pfield f_resource_chunk[] = {
	{ "digest", PF_STR, O(resource_chunk, digest), 0, 0, 64, check_digest, NULL },
	{ "offset", PF_INT, O(resource_chunk, offset), 0, 0, PROTO_SEQ_MAX, NULL, NULL },
	{ "size", PF_INT, O(resource_chunk, size), 0, 0, 1LL << 42, NULL, NULL },
	{ "data", PF_STR, O(resource_chunk, data), 0, 0, (PROTO_CHUNK_MAX / 3 + 1) * 4, check_b64, NULL },
	{ "error", PF_STR, O(resource_chunk, error), PF_OPT, 0, PROTO_TEXT_MAX, NULL, NULL },
	END,
};

static const struct ptype {
	const char *name;
	enum proto_dir dir;
	const struct pfield *fields;
} types[_PROTO_TYPE_MAX] = {
	[PROTO_HELLO] = { "hello", PROTO_TO_CONTROLLER, f_hello },
	[PROTO_JOIN] = { "join", PROTO_TO_CONTROLLER, f_join },
	[PROTO_SAVE_JOURNAL] = { "save-journal", PROTO_TO_CONTROLLER, f_save_journal },
	[PROTO_COMMIT_HOOK] = { "commit-hook", PROTO_TO_CONTROLLER, f_commit_hook },
	[PROTO_STATUS_SET] = { "status-set", PROTO_TO_CONTROLLER, f_status_set },
	[PROTO_STATUS_GET] = { "status-get", PROTO_TO_CONTROLLER, f_status_get },
	[PROTO_LOG] = { "log", PROTO_TO_CONTROLLER, f_log },
	[PROTO_HOOK_RAN] = { "hook-ran", PROTO_TO_CONTROLLER, f_hook_ran },
	[PROTO_UNIT_DEAD] = { "unit-dead", PROTO_TO_CONTROLLER, f_unit_dead },
	[PROTO_PROGRESS] = { "progress", PROTO_TO_CONTROLLER, f_progress },
	[PROTO_PING] = { "ping", PROTO_TO_CONTROLLER, f_ping },
	[PROTO_CHARM_GET] = { "charm-get", PROTO_TO_CONTROLLER, f_charm_get },
	[PROTO_TEARDOWN_DONE] = { "teardown-done", PROTO_TO_CONTROLLER, f_empty },
	[PROTO_RESOURCE_GET] = { "resource-get", PROTO_TO_CONTROLLER, f_resource_get },
	[PROTO_ACTION_STARTED] = { "action-started", PROTO_TO_CONTROLLER, f_action_started },
	[PROTO_ACTION_LOG] = { "action-log", PROTO_TO_CONTROLLER, f_action_log },
	[PROTO_ACTION_RESULT] = { "action-result", PROTO_TO_CONTROLLER, f_action_result },
	[PROTO_WELCOME] = { "welcome", PROTO_TO_AGENT, f_welcome },
	[PROTO_JOINED] = { "joined", PROTO_TO_AGENT, f_joined },
	[PROTO_REFUSED] = { "refused", PROTO_TO_AGENT, f_refused },
	[PROTO_MODEL_CONFIG] = { "model-config", PROTO_TO_AGENT, f_model_config },
	[PROTO_APP_GOAL] = { "app-goal", PROTO_TO_AGENT, f_app_goal },
	[PROTO_UNIT_GOAL] = { "unit-goal", PROTO_TO_AGENT, f_unit_goal },
	[PROTO_UNIT_REMOVED] = { "unit-removed", PROTO_TO_AGENT, f_unit_removed },
	[PROTO_ACK] = { "ack", PROTO_TO_AGENT, f_ack },
	[PROTO_NACK] = { "nack", PROTO_TO_AGENT, f_nack },
	[PROTO_STATUS_RESULT] = { "status-result", PROTO_TO_AGENT, f_status_result },
	[PROTO_PONG] = { "pong", PROTO_TO_AGENT, f_pong },
	[PROTO_CHARM_CHUNK] = { "charm-chunk", PROTO_TO_AGENT, f_charm_chunk },
	[PROTO_TEARDOWN] = { "teardown", PROTO_TO_AGENT, f_empty },
	[PROTO_RESOURCE_CHUNK] = { "resource-chunk", PROTO_TO_AGENT, f_resource_chunk },
};

int64_t *proto_sequenced(struct proto_msg *m, const char **ret_unit)
{
#define SEQUENCED(T, f) case T: *ret_unit = m->u.f.unit; return &m->u.f.seq
	switch (m->type) {
	SEQUENCED(PROTO_SAVE_JOURNAL, save_journal);
	SEQUENCED(PROTO_COMMIT_HOOK, commit_hook);
	SEQUENCED(PROTO_STATUS_SET, status_set);
	SEQUENCED(PROTO_HOOK_RAN, hook_ran);
	SEQUENCED(PROTO_UNIT_DEAD, unit_dead);
	SEQUENCED(PROTO_ACTION_STARTED, action_started);
	SEQUENCED(PROTO_ACTION_LOG, action_log);
	SEQUENCED(PROTO_ACTION_RESULT, action_result);
	default:
		*ret_unit = NULL;
		return NULL;
	}
#undef SEQUENCED
}

const char *proto_type_name(enum proto_type t)
{
	return (unsigned)t < _PROTO_TYPE_MAX ? types[t].name : "invalid";
}

enum proto_type proto_type_from_name(const char *name)
{
	for (int i = 0; name && i < _PROTO_TYPE_MAX; i++)
		if (!strcmp(types[i].name, name))
			return (enum proto_type)i;
	return _PROTO_TYPE_INVALID;
}

enum proto_dir proto_type_dir(enum proto_type t)
{
	return types[t].dir;
}

void proto_msg_init(struct proto_msg *m, enum proto_type t)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
}

void proto_msg_done(struct proto_msg *m)
{
	if (!m)
		return;
	json_decref(m->frame);
	m->frame = NULL;
}

/* ---- decoding ---- */

static int decode_field(const struct pfield *f, json_t *v, struct proto_msg *m, struct errbuf *eb)
{
	char *p = (char *)m + f->off;

	switch (f->kind) {
	case PF_STR:
		if (!json_is_string(v))
			return errbuf_set(eb, "expected a string");
		if ((int64_t)json_string_length(v) > f->max)
			return errbuf_set(eb, "longer than %lld bytes", (long long)f->max);
		if ((f->flags & PF_NONEMPTY) && !json_string_length(v))
			return errbuf_set(eb, "must not be empty");
		if (strlen(json_string_value(v)) != json_string_length(v))
			return errbuf_set(eb, "contains a NUL byte");
		if (f->values && !in_values(json_string_value(v), f->values)) {
			struct buf b = BUF_INIT;

			buf_init(&b);
			for (size_t i = 0; f->values[i]; i++)
				buf_addf(&b, "%s\"%s\"", i ? ", " : "", f->values[i]);
			errbuf_set(eb, "\"%.64s\" is not one of %s", json_string_value(v), b.data);
			buf_done(&b);
			return -1;
		}
		if (f->check && f->check(f, v, eb) < 0)
			return -1;
		*(const char **)p = json_string_value(v);
		return 0;
	case PF_INT:
		if (!json_is_integer(v) || json_integer_value(v) < f->min || json_integer_value(v) > f->max)
			return errbuf_set(eb, "expected an integer from %lld to %lld", (long long)f->min,
					  (long long)f->max);
		*(int64_t *)p = json_integer_value(v);
		return 0;
	case PF_BOOL:
		if (!json_is_boolean(v))
			return errbuf_set(eb, "expected true or false");
		*(bool *)p = json_is_true(v);
		return 0;
	case PF_JSON:
		if (f->check && f->check(f, v, eb) < 0)
			return -1;
		*(json_t **)p = v;
		return 0;
	}
	return errbuf_set(eb, "unknown field kind");
}

int proto_decode(json_t *obj, enum proto_dir dir, struct proto_msg *ret, struct errbuf *eb)
{
	const char *tname = json_string_value(json_object_get(obj, "type"));
	enum proto_type t;
	struct proto_msg m;

	if (!json_is_object(obj)) {
		errbuf_set(eb, "malformed message: not a JSON object");
		return -EPROTO;
	}
	if (!tname) {
		errbuf_set(eb, "malformed message: no \"type\"");
		return -EPROTO;
	}
	t = proto_type_from_name(tname);
	if (t == _PROTO_TYPE_INVALID) {
		errbuf_set(eb, "unknown message type \"%.64s\"", tname);
		return -EPROTO;
	}
	if (types[t].dir != dir) {
		errbuf_set(eb, "message \"%s\" is not sent %s", tname,
			   dir == PROTO_TO_CONTROLLER ? "by an agent" : "by the controller");
		return -EPROTO;
	}
	proto_msg_init(&m, t);
	for (const struct pfield *f = types[t].fields; f->name; f++) {
		json_t *v = json_object_get(obj, f->name);

		if (!v || json_is_null(v)) {
			if (f->flags & PF_OPT)
				continue;
			errbuf_set(eb, "%s: field \"%s\" is missing", tname, f->name);
			return -EPROTO;
		}
		if (decode_field(f, v, &m, eb) < 0) {
			errbuf_wrap(eb, "%s: field \"%s\"", tname, f->name);
			return -EPROTO;
		}
	}
	m.frame = json_incref(obj);
	*ret = m;
	return 0;
}

/* ---- encoding ---- */

json_t *proto_encode(const struct proto_msg *m)
{
	json_t *o = json_object();

	json_object_set_new(o, "type", json_string(types[m->type].name));
	for (const struct pfield *f = types[m->type].fields; f->name; f++) {
		const char *p = (const char *)m + f->off;
		json_t *v = NULL;

		switch (f->kind) {
		case PF_STR: {
			const char *s = *(const char *const *)p;

			if (!s && (f->flags & PF_OPT))
				continue;
			v = json_string(s ? s : "");
			break;
		}
		case PF_INT:
			v = json_integer(*(const int64_t *)p);
			break;
		case PF_BOOL:
			v = json_boolean(*(const bool *)p);
			break;
		case PF_JSON: {
			json_t *j = *(json_t *const *)p;

			if (!j && (f->flags & PF_OPT))
				continue;
			v = j ? json_incref(j) : json_null();
			break;
		}
		}
		/* A string that is not valid UTF-8 cannot travel: send it empty rather than drop
		 * the message (the decoder on the other side then names the field). */
		json_object_set_new(o, f->name, v ? v : json_string(""));
	}
	return o;
}

int proto_frame(const struct proto_msg *m, struct buf *out, struct errbuf *eb)
{
	json_t *o = proto_encode(m);
	char *s = json_dumps(o, JSON_COMPACT);
	size_t n = s ? strlen(s) : 0;
	unsigned char hdr[4];

	json_decref(o);
	if (!s || n > PROTO_FRAME_MAX) {
		errbuf_set(eb, "%s message of %zu bytes exceeds the limit of %u", types[m->type].name, n,
			   PROTO_FRAME_MAX);
		free(s);
		return -EMSGSIZE;
	}
	hdr[0] = (unsigned char)(n >> 24);
	hdr[1] = (unsigned char)(n >> 16);
	hdr[2] = (unsigned char)(n >> 8);
	hdr[3] = (unsigned char)n;
	buf_add(out, hdr, 4);
	buf_add(out, s, n);
	free(s);
	return 0;
}

int proto_next_frame(struct buf *in, json_t **ret, struct errbuf *eb)
{
	const unsigned char *h = (const unsigned char *)in->data;
	json_error_t je;
	uint32_t n;
	json_t *v;

	if (in->len < 4)
		return 0;
	n = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
	if (n > PROTO_FRAME_MAX) {
		errbuf_set(eb, "frame of %u bytes exceeds the limit of %u", n, PROTO_FRAME_MAX);
		return -EPROTO;
	}
	if (in->len - 4 < n)
		return 0;
	v = json_loadb(in->data + 4, n, JSON_REJECT_DUPLICATES, &je);
	buf_consume(in, 4 + (size_t)n);
	if (!v) {
		errbuf_set(eb, "malformed message: %s", je.text);
		return -EPROTO;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		errbuf_set(eb, "malformed message: not a JSON object");
		return -EPROTO;
	}
	*ret = v;
	return 1;
}

/* ---- base64 ---- */

void proto_b64_encode(const void *data, size_t n, struct buf *out)
{
	size_t need = 4 * ((n + 2) / 3);
	int w;

	buf_grow(out, need + 1);
	w = EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)n);
	out->len += (size_t)w;
	out->data[out->len] = '\0';
}

int proto_b64_decode(const char *s, size_t max, struct buf *out)
{
	size_t n = strlen(s), pad = 0;
	int w;

	if (n % 4)
		return -EINVAL;
	if (n / 4 * 3 > max + 2)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			  c == '+' || c == '/' || (c == '=' && i >= n - 2);

		if (!ok || (pad && c != '='))
			return -EINVAL;
		pad += c == '=';
	}
	buf_grow(out, n / 4 * 3 + 1);
	w = EVP_DecodeBlock((unsigned char *)out->data + out->len, (const unsigned char *)s, (int)n);
	if (w < 0 || (size_t)w < pad)
		return -EINVAL;
	w -= (int)pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	if ((size_t)w > max)
		return -EINVAL;
	out->len += (size_t)w;
	out->data[out->len] = '\0';
	return 0;
}
