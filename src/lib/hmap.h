/* hmap.h - a hash map from NUL-terminated string keys to pointers.
 *
 * Chained buckets (a power of two, doubled when the load passes 1); lookups, inserts and
 * deletes are O(1) on average, so code that finds a unit or a hook context per message never
 * scans.  Keys are borrowed: the caller keeps each key alive (usually it lives in the value)
 * until its entry is deleted or the map is cleared.  Values are never freed by the map. */
#ifndef CAIRN_HMAP_H
#define CAIRN_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap_entry {
	struct hmap_entry *next;
	const char *key;
	uint64_t hash;
	void *value;
};

struct hmap {
	struct hmap_entry **buckets;
	size_t n_buckets; /* 0 or a power of two */
	size_t n;         /* entries */
};

#define HMAP_INIT { NULL, 0, 0 }

void hmap_init(struct hmap *m);
/* Frees the entries (not the values) and leaves the map empty. */
void hmap_done(struct hmap *m);

/* The value for key, or NULL. */
void *hmap_get(const struct hmap *m, const char *key);
/* Sets key -> value, replacing (and returning) a previous value, else NULL. */
void *hmap_put(struct hmap *m, const char *key, void *value);
/* Removes key; returns its value or NULL. */
void *hmap_del(struct hmap *m, const char *key);

/* Iteration: for (struct hmap_iter it = hmap_iter(m); hmap_next(&it);) use it.key/it.value.
 * The map must not change during an iteration except through hmap_iter_del(). */
struct hmap_iter {
	struct hmap *m;
	size_t bucket;
	struct hmap_entry *cur, *next;
	const char *key;
	void *value;
};
struct hmap_iter hmap_iter(struct hmap *m);
int hmap_next(struct hmap_iter *it);
/* Deletes the entry the iterator stands on. */
void hmap_iter_del(struct hmap_iter *it);

#endif
