/* notices.c - the notice store; see notices.h. */
#include "notices.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "change.h"
#include "lib/buf.h"
#include "lib/gofmt.h"
#include "lib/jtext.h"
#include "lib/strnum.h"

static const char *const type_names[NOTICE_TYPE_MAX] = {
	[NOTICE_CHANGE_UPDATE] = "change-update",
	[NOTICE_CUSTOM] = "custom",
	[NOTICE_WARNING] = "warning",
};

const char *notice_type_name(enum notice_type t)
{
	return (unsigned)t < NOTICE_TYPE_MAX ? type_names[t] : "";
}

enum notice_type notice_type_from_name(const char *s)
{
	for (int i = 0; i < NOTICE_TYPE_MAX; i++)
		if (s && strcmp(s, type_names[i]) == 0)
			return (enum notice_type)i;
	return NOTICE_TYPE_MAX;
}

/* Upstream's customKeyRegexp (api_notices.go), compiled once. */
#define CUSTOM_KEY_RE "^[a-z0-9]+(-[a-z0-9]+)*(\\.[a-z0-9]+(-[a-z0-9]+)*)+(/[a-z0-9]+(-[a-z0-9]+)*)+$"

int notice_check_custom_key(const char *key)
{
	static regex_t re;
	static bool compiled;

	if (!compiled) {
		if (regcomp(&re, CUSTOM_KEY_RE, REG_EXTENDED | REG_NOSUB) != 0)
			return -EINVAL;
		compiled = true;
	}
	if (!key || regexec(&re, key, 0, NULL, 0) != 0)
		return -EINVAL;
	if (strlen(key) > NOTICE_KEY_MAX)
		return -E2BIG;
	return 0;
}

static uint64_t real_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void notices_init(struct notices *ns, uint64_t (*clock)(void), const struct notices_ops *ops, void *data)
{
	memset(ns, 0, sizeof(*ns));
	ns->ns_clock = clock ? clock : real_clock;
	ns->ns_ops = ops;
	ns->ns_data = data;
}

/* A zeroed notice with its key in the same allocation (a thousand are kept). */
static struct notice *notice_alloc(const char *key)
{
	size_t k = strlen(key) + 1;
	struct notice *n = xcalloc(1, sizeof(*n) + k);

	n->n_key = memcpy(n + 1, key, k);
	return n;
}

static void notice_free(struct notice *n)
{
	if (!n)
		return;
	free(n->n_data);
	free(n);
}

void notices_done(struct notices *ns)
{
	for (size_t i = 0; i < ns->ns_n; i++)
		notice_free(ns->ns_v[i]);
	free(ns->ns_v);
	ns->ns_v = NULL;
	ns->ns_n = 0;
}

static void dirty(struct notices *ns)
{
	if (ns->ns_ops && ns->ns_ops->dirty)
		ns->ns_ops->dirty(ns->ns_data);
}

static bool expired(const struct notice *n, uint64_t now)
{
	uint64_t exp = n->n_expire_after_ns > 0 ? (uint64_t)n->n_expire_after_ns : NOTICE_EXPIRE_NS;

	return n->n_last_ns + exp < now;
}

static void remove_at(struct notices *ns, size_t i)
{
	notice_free(ns->ns_v[i]);
	ns->ns_v[i] = ns->ns_v[--ns->ns_n];
}

void notices_prune(struct notices *ns)
{
	uint64_t now = ns->ns_clock();
	bool any = false;

	for (size_t i = 0; i < ns->ns_n;) {
		if (expired(ns->ns_v[i], now)) {
			remove_at(ns, i);
			any = true;
		} else {
			i++;
		}
	}
	if (any)
		dirty(ns);
}

/* The next occurrence time: now, but strictly after (by NOTICE_MIN_STEP_NS) the previous
 * one even if the wall clock stands still or steps back. */
static uint64_t next_time(struct notices *ns)
{
	uint64_t now = ns->ns_clock();

	if (ns->ns_last_ns && now < ns->ns_last_ns + NOTICE_MIN_STEP_NS)
		now = ns->ns_last_ns + NOTICE_MIN_STEP_NS;
	ns->ns_last_ns = now;
	return now;
}

static struct notice *find_key(struct notices *ns, bool has_uid, uint32_t uid, enum notice_type type,
			       const char *key)
{
	for (size_t i = 0; i < ns->ns_n; i++) {
		struct notice *n = ns->ns_v[i];

		if (n->n_has_uid == has_uid && (!has_uid || n->n_uid == uid) && n->n_type == type &&
		    strcmp(n->n_key, key) == 0)
			return n;
	}
	return NULL;
}

/* Makes room for one more notice: expired ones go first, then the one that occurred
 * longest ago. */
static void make_room(struct notices *ns)
{
	size_t oldest = 0;

	if (ns->ns_n < NOTICES_MAX)
		return;
	notices_prune(ns);
	if (ns->ns_n < NOTICES_MAX)
		return;
	for (size_t i = 1; i < ns->ns_n; i++)
		if (ns->ns_v[i]->n_last_ns < ns->ns_v[oldest]->n_last_ns)
			oldest = i;
	remove_at(ns, oldest);
}

static int check_data(json_t *data, struct errbuf *eb)
{
	const char *k;
	json_t *v;

	if (!data || json_is_null(data))
		return 0;
	if (!json_is_object(data))
		return errbuf_set(eb, "notice data must be an object of strings"), -EINVAL;
	json_object_foreach(data, k, v) {
		if (!json_is_string(v))
			return errbuf_set(eb, "notice data value for %s must be a string", k), -EINVAL;
	}
	return 0;
}

int notices_add(struct notices *ns, bool has_uid, uint32_t uid, enum notice_type type, const char *key,
		json_t *data, int64_t repeat_after_ns, uint64_t *ret_id, struct errbuf *eb)
{
	struct notice *n;
	uint64_t now;
	bool repeated = false;

	if ((unsigned)type >= NOTICE_TYPE_MAX)
		return errbuf_set(eb, "internal error: attempted to add notice with invalid type"), -EINVAL;
	if (!key || !*key)
		return errbuf_set(eb, "internal error: attempted to add %s notice with invalid key \"\"",
				  notice_type_name(type)), -EINVAL;
	if (check_data(data, eb) < 0)
		return -EINVAL;
	n = find_key(ns, has_uid, uid, type, key);
	if (n && expired(n, ns->ns_clock())) {
		/* An expired notice is forgotten: this occurrence starts a new one. */
		for (size_t i = 0; i < ns->ns_n; i++)
			if (ns->ns_v[i] == n)
				remove_at(ns, i);
		n = NULL;
	}
	now = next_time(ns);
	if (!n) {
		make_room(ns);
		n = notice_alloc(key);
		n->n_id = ++ns->ns_last_id;
		n->n_has_uid = has_uid;
		n->n_uid = has_uid ? uid : 0;
		n->n_type = type;
		n->n_first_ns = now;
		n->n_repeated_ns = now;
		n->n_occurrences = 1;
		n->n_expire_after_ns = (int64_t)NOTICE_EXPIRE_NS;
		ns->ns_v = xrealloc(ns->ns_v, (ns->ns_n + 1) * sizeof(*ns->ns_v));
		ns->ns_v[ns->ns_n++] = n;
		repeated = true;
	} else {
		n->n_occurrences++;
		if (repeat_after_ns <= 0 || now > n->n_repeated_ns + (uint64_t)repeat_after_ns) {
			n->n_repeated_ns = now;
			repeated = true;
		}
	}
	n->n_last_ns = now;
	free(n->n_data);
	n->n_data = data && json_is_object(data) && json_object_size(data) ? jtext_dump(data) : NULL;
	n->n_repeat_after_ns = repeat_after_ns > 0 ? repeat_after_ns : 0;
	dirty(ns);
	if (repeated && ns->ns_ops && ns->ns_ops->notified)
		ns->ns_ops->notified(ns->ns_data, n);
	if (ret_id)
		*ret_id = n->n_id;
	return 0;
}

void notices_warn(struct notices *ns, const char *message)
{
	struct errbuf eb;

	notices_add(ns, false, 0, NOTICE_WARNING, message, NULL, (int64_t)NOTICE_WARNING_REPEAT_NS, NULL, &eb);
}

bool notice_matches(const struct notice_filter *f, const struct notice *n, uint64_t now_ns)
{
	if (expired(n, now_ns))
		return false;
	if (!f)
		return true;
	if (!f->nf_all_users && n->n_has_uid && !(f->nf_has_uid && f->nf_uid == n->n_uid))
		return false;
	if (f->nf_types && !(f->nf_types & (1u << n->n_type)))
		return false;
	if (f->nf_nkeys) {
		bool found = false;

		for (size_t i = 0; i < f->nf_nkeys && !found; i++)
			found = strcmp(f->nf_keys[i], n->n_key) == 0;
		if (!found)
			return false;
	}
	if (f->nf_after_ns && n->n_repeated_ns <= f->nf_after_ns)
		return false;
	return true;
}

static int by_repeated(const void *a, const void *b)
{
	const struct notice *x = *(const struct notice *const *)a, *y = *(const struct notice *const *)b;

	if (x->n_repeated_ns != y->n_repeated_ns)
		return x->n_repeated_ns < y->n_repeated_ns ? -1 : 1;
	return x->n_id < y->n_id ? -1 : x->n_id > y->n_id;
}

struct notice **notices_list(struct notices *ns, const struct notice_filter *f, size_t *ret_n)
{
	struct notice **out = xcalloc(ns->ns_n + 1, sizeof(*out));
	uint64_t now = ns->ns_clock();
	size_t n = 0;

	for (size_t i = 0; i < ns->ns_n; i++)
		if (notice_matches(f, ns->ns_v[i], now))
			out[n++] = ns->ns_v[i];
	qsort(out, n, sizeof(*out), by_repeated);
	*ret_n = n;
	return out;
}

bool notices_any(struct notices *ns, const struct notice_filter *f)
{
	uint64_t now = ns->ns_clock();

	for (size_t i = 0; i < ns->ns_n; i++)
		if (notice_matches(f, ns->ns_v[i], now))
			return true;
	return false;
}

struct notice *notices_find(struct notices *ns, uint64_t id)
{
	uint64_t now = ns->ns_clock();

	for (size_t i = 0; i < ns->ns_n; i++)
		if (ns->ns_v[i]->n_id == id && !expired(ns->ns_v[i], now))
			return ns->ns_v[i];
	return NULL;
}

uint64_t notices_latest_warning(struct notices *ns)
{
	uint64_t now = ns->ns_clock(), latest = 0;

	for (size_t i = 0; i < ns->ns_n; i++) {
		const struct notice *n = ns->ns_v[i];

		if (n->n_type == NOTICE_WARNING && !expired(n, now) && n->n_repeated_ns > latest)
			latest = n->n_repeated_ns;
	}
	return latest;
}

static void put_time(struct buf *b, const char *key, uint64_t ns)
{
	char ts[64];

	chg_fmt_time(ns, ts, sizeof(ts));
	buf_addf(b, ",\"%s\":\"%s\"", key, ts);
}

static void put_dur(struct buf *b, const char *key, int64_t ns)
{
	char d[64];

	strnum_fmt_duration(ns, d, sizeof(d));
	buf_addf(b, ",\"%s\":\"%s\"", key, d);
}

void notice_write_json(struct buf *b, const struct notice *n)
{
	buf_addf(b, "{\"id\":\"%llu\",\"user-id\":", (unsigned long long)n->n_id);
	if (n->n_has_uid)
		buf_addf(b, "%u", (unsigned)n->n_uid);
	else
		buf_adds(b, "null");
	buf_addf(b, ",\"type\":\"%s\",\"key\":", notice_type_name(n->n_type));
	gofmt_json_string(b, n->n_key, strlen(n->n_key));
	put_time(b, "first-occurred", n->n_first_ns);
	put_time(b, "last-occurred", n->n_last_ns);
	put_time(b, "last-repeated", n->n_repeated_ns);
	buf_addf(b, ",\"occurrences\":%lld", (long long)n->n_occurrences);
	if (n->n_data)
		buf_addf(b, ",\"last-data\":%s", n->n_data);
	if (n->n_repeat_after_ns)
		put_dur(b, "repeat-after", n->n_repeat_after_ns);
	if (n->n_expire_after_ns)
		put_dur(b, "expire-after", n->n_expire_after_ns);
	buf_addc(b, '}');
}

json_t *notice_to_json(const struct notice *n)
{
	struct buf b = BUF_INIT;
	json_t *v;

	buf_init(&b);
	notice_write_json(&b, n);
	v = json_loadb(b.data, b.len, 0, NULL);
	buf_done(&b);
	return v;
}

json_t *notices_to_json(const struct notices *ns)
{
	json_t *root = json_object(), *arr = json_array();

	json_object_set_new(root, "last-notice-id", json_integer((json_int_t)ns->ns_last_id));
	json_object_set_new(root, "last-notice-time", json_integer((json_int_t)ns->ns_last_ns));
	for (size_t i = 0; i < ns->ns_n; i++)
		json_array_append_new(arr, notice_to_json(ns->ns_v[i]));
	json_object_set_new(root, "notices", arr);
	return root;
}

static int get_time(json_t *o, const char *key, uint64_t *ret)
{
	int64_t v;

	if (strnum_rfc3339(json_string_value(json_object_get(o, key)), &v) < 0 || v < 0)
		return -EINVAL;
	*ret = (uint64_t)v;
	return 0;
}

static int get_dur(json_t *o, const char *key, int64_t *ret)
{
	json_t *v = json_object_get(o, key);

	*ret = 0;
	if (!v)
		return 0;
	if (!json_is_string(v) || strnum_duration(json_string_value(v), ret) < 0 || *ret < 0)
		return -EINVAL;
	return 0;
}

/* One notice from its JSON form; NULL with eb set when malformed. */
static struct notice *notice_from_json(json_t *o, size_t idx, struct errbuf *eb)
{
	const char *key = json_string_value(json_object_get(o, "key"));
	struct notice *n;
	json_t *uid = json_object_get(o, "user-id"), *data = json_object_get(o, "last-data");
	int64_t id;

	if (!key || !*key) {
		errbuf_set(eb, "notice %zu is malformed", idx);
		return NULL;
	}
	n = notice_alloc(key);

	if (strnum_i64(json_string_value(json_object_get(o, "id")), 1, INT64_MAX, &id) < 0)
		goto bad;
	n->n_id = (uint64_t)id;
	if (json_is_integer(uid) && json_integer_value(uid) >= 0 && json_integer_value(uid) <= UINT32_MAX) {
		n->n_has_uid = true;
		n->n_uid = (uint32_t)json_integer_value(uid);
	} else if (uid && !json_is_null(uid)) {
		goto bad;
	}
	n->n_type = notice_type_from_name(json_string_value(json_object_get(o, "type")));
	if (n->n_type == NOTICE_TYPE_MAX)
		goto bad;
	if (get_time(o, "first-occurred", &n->n_first_ns) < 0 || get_time(o, "last-occurred", &n->n_last_ns) < 0 ||
	    get_time(o, "last-repeated", &n->n_repeated_ns) < 0 ||
	    !json_is_integer(json_object_get(o, "occurrences")) ||
	    get_dur(o, "repeat-after", &n->n_repeat_after_ns) < 0 ||
	    get_dur(o, "expire-after", &n->n_expire_after_ns) < 0)
		goto bad;
	n->n_occurrences = json_integer_value(json_object_get(o, "occurrences"));
	if (data && !json_is_null(data)) {
		struct errbuf ignored;

		if (check_data(data, &ignored) < 0)
			goto bad;
		n->n_data = json_object_size(data) ? jtext_dump(data) : NULL;
	}
	return n;
bad:
	errbuf_set(eb, "notice %zu is malformed", idx);
	notice_free(n);
	return NULL;
}

int notices_load_json(struct notices *ns, json_t *root, struct errbuf *eb)
{
	json_t *arr, *o;
	uint64_t now = ns->ns_clock();
	size_t i;

	if (!json_is_object(root))
		return errbuf_set(eb, "notices state is not an object"), -EINVAL;
	arr = json_object_get(root, "notices");
	if (arr && !json_is_array(arr))
		return errbuf_set(eb, "\"notices\" is not a list"), -EINVAL;
	if (json_is_integer(json_object_get(root, "last-notice-id")))
		ns->ns_last_id = (uint64_t)json_integer_value(json_object_get(root, "last-notice-id"));
	if (json_is_integer(json_object_get(root, "last-notice-time")))
		ns->ns_last_ns = (uint64_t)json_integer_value(json_object_get(root, "last-notice-time"));
	json_array_foreach(arr, i, o) {
		struct notice *n = notice_from_json(o, i, eb);

		if (!n) {
			notices_done(ns);
			ns->ns_last_id = ns->ns_last_ns = 0;
			return -EINVAL;
		}
		if (n->n_id > ns->ns_last_id)
			ns->ns_last_id = n->n_id;
		if (n->n_last_ns > ns->ns_last_ns)
			ns->ns_last_ns = n->n_last_ns;
		if (n->n_repeated_ns > ns->ns_last_ns)
			ns->ns_last_ns = n->n_repeated_ns;
		if (expired(n, now) || ns->ns_n >= NOTICES_MAX) {
			notice_free(n);
			continue;
		}
		ns->ns_v = xrealloc(ns->ns_v, (ns->ns_n + 1) * sizeof(*ns->ns_v));
		ns->ns_v[ns->ns_n++] = n;
	}
	return 0;
}
