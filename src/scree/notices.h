/* notices.h - Pebble's notices (§19): aggregated occurrences of events that clients wait
 * for (change-update, custom, warning), their storage rules and their JSON forms.
 *
 * A notice is identified by (user, type, key): recording the same triple again counts one
 * more occurrence of the existing notice.  Its last-repeated time only moves when the
 * previous repetition is older than the occurrence's repeat-after, and notices are listed
 * in last-repeated order, so a repeated notice moves to the end of the list.  Every
 * occurrence gets a timestamp strictly later (by at least 1 µs, the resolution clients
 * parse) than the previous one, so "after" filters never lose or repeat a notice.  A
 * notice expires 7 days after it last occurred; at most NOTICES_MAX are kept (the one that
 * occurred longest ago is dropped to make room).
 *
 * The store is pure data with an injected wall clock: no sockets, no files.  The daemon
 * persists it as one section of the state file (notices_to_json / notices_load_json) and
 * hears about every change through struct notices_ops (persist; wake long-polls). */
#ifndef SCREE_NOTICES_H
#define SCREE_NOTICES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define NOTICES_MAX 1000                                     /* notices kept */
#define NOTICE_KEY_MAX 256                                   /* bytes in a custom key */
#define NOTICE_DATA_MAX 4096                                 /* bytes of a custom notice's data JSON */
#define NOTICE_EXPIRE_NS (7ull * 24 * 3600 * 1000000000ull) /* default expire-after */
#define NOTICE_WARNING_REPEAT_NS (24ull * 3600 * 1000000000ull)
#define NOTICE_MIN_STEP_NS 1000ull                           /* successive timestamps differ by >= 1 µs */

enum notice_type {
	NOTICE_CHANGE_UPDATE,
	NOTICE_CUSTOM,
	NOTICE_WARNING,
	NOTICE_TYPE_MAX,
};

struct notice {
	uint64_t n_id;
	bool n_has_uid;          /* false: public (user-id null) */
	uint32_t n_uid;
	enum notice_type n_type;
	const char *n_key;       /* in the notice's own allocation */
	uint64_t n_first_ns;     /* first-occurred */
	uint64_t n_last_ns;      /* last-occurred */
	uint64_t n_repeated_ns;  /* last-repeated */
	int64_t n_occurrences;
	char *n_data;            /* last-data: an object of strings as compact JSON text (jtext.h), or NULL */
	int64_t n_repeat_after_ns;
	int64_t n_expire_after_ns;
};

struct notices_ops {
	/* Something changed: persist soon. */
	void (*dirty)(void *data);
	/* A notice was added or repeated (its last-repeated moved): wake waiters. */
	void (*notified)(void *data, const struct notice *n);
};

struct notices {
	struct notice **ns_v;    /* unordered */
	size_t ns_n;
	uint64_t ns_last_id;
	uint64_t ns_last_ns;     /* newest timestamp handed out */
	uint64_t (*ns_clock)(void); /* wall clock, ns */
	const struct notices_ops *ns_ops;
	void *ns_data;
};

/* What GET /v1/notices selects (§19).  Strings are borrowed. */
struct notice_filter {
	bool nf_all_users;       /* users=all: every notice */
	bool nf_has_uid;         /* else: notices of this uid plus public ones */
	uint32_t nf_uid;         /* (nf_has_uid false and not all: public only) */
	unsigned nf_types;       /* bit mask of (1u << type); 0 = all types */
	const char *const *nf_keys;
	size_t nf_nkeys;         /* 0 = all keys */
	uint64_t nf_after_ns;    /* only last-repeated > this; 0 = no limit */
};

const char *notice_type_name(enum notice_type t);
/* NOTICE_TYPE_MAX for an unknown name. */
enum notice_type notice_type_from_name(const char *s);
/* Whether key is a valid custom notice key: "domain.com/key" form (the regexp of §19) and
 * at most NOTICE_KEY_MAX bytes.  The two failures have different messages, so they are
 * reported separately: -EINVAL (format), -E2BIG (length). */
int notice_check_custom_key(const char *key);

/* clock NULL = the real wall clock.  ops may be NULL. */
void notices_init(struct notices *ns, uint64_t (*clock)(void), const struct notices_ops *ops, void *data);
void notices_done(struct notices *ns);

/* Records an occurrence of (uid, type, key) (§19 AddNotice).  data (an object of strings,
 * or NULL) is copied; repeat_after_ns 0 = always repeat.  Returns 0 and *ret_id, or
 * -EINVAL with eb set for an empty key or a data value that is not a string. */
int notices_add(struct notices *ns, bool has_uid, uint32_t uid, enum notice_type type, const char *key,
		json_t *data, int64_t repeat_after_ns, uint64_t *ret_id, struct errbuf *eb);
/* A warning (public, repeat-after 24h). */
void notices_warn(struct notices *ns, const char *message);

/* The notices matching f that have not expired, in last-repeated order.  Returns a new
 * array of borrowed pointers (free() it; valid until the store changes) and its length. */
struct notice **notices_list(struct notices *ns, const struct notice_filter *f, size_t *ret_n);
bool notice_matches(const struct notice_filter *f, const struct notice *n, uint64_t now_ns);
/* Whether any unexpired notice matches f. */
bool notices_any(struct notices *ns, const struct notice_filter *f);
/* By id (expired ones are not found), or NULL. */
struct notice *notices_find(struct notices *ns, uint64_t id);
/* Drops expired notices. */
void notices_prune(struct notices *ns);
/* The newest last-repeated time of an unexpired warning, 0 if none (for "latest-warning"). */
uint64_t notices_latest_warning(struct notices *ns);

/* The API form (§19), appended to b as compact text (strings as Go's encoding/json writes
 * them), without building a tree: what the API answers with. */
void notice_write_json(struct buf *b, const struct notice *n);
/* The same as a new reference; also what the state file stores. */
json_t *notice_to_json(const struct notice *n);

/* Persistence: {"last-notice-id": N, "last-notice-time": ns, "notices": [...]}.  Loading
 * needs an empty store; expired notices are dropped.  -EINVAL with eb set (the store is
 * left empty) for malformed input. */
json_t *notices_to_json(const struct notices *ns);
int notices_load_json(struct notices *ns, json_t *root, struct errbuf *eb);

#endif
