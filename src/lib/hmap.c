/* hmap.c - string-keyed hash map; see hmap.h. */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* FNV-1a, 64 bit. */
static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

void hmap_init(struct hmap *m)
{
	m->buckets = NULL;
	m->n_buckets = 0;
	m->n = 0;
}

void hmap_done(struct hmap *m)
{
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct hmap_entry *e = m->buckets[i];

		while (e) {
			struct hmap_entry *n = e->next;

			free(e);
			e = n;
		}
	}
	free(m->buckets);
	hmap_init(m);
}

static struct hmap_entry **slot(const struct hmap *m, const char *key, uint64_t h)
{
	struct hmap_entry **pp = &m->buckets[h & (m->n_buckets - 1)];

	while (*pp && ((*pp)->hash != h || strcmp((*pp)->key, key)))
		pp = &(*pp)->next;
	return pp;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	struct hmap_entry **pp;

	if (!m->n_buckets || !key)
		return NULL;
	pp = slot(m, key, hash_str(key));
	return *pp ? (*pp)->value : NULL;
}

static void grow(struct hmap *m)
{
	size_t nb = m->n_buckets ? m->n_buckets * 2 : 16;
	struct hmap_entry **b = xcalloc(nb, sizeof(*b));

	for (size_t i = 0; i < m->n_buckets; i++) {
		struct hmap_entry *e = m->buckets[i];

		while (e) {
			struct hmap_entry *n = e->next;

			e->next = b[e->hash & (nb - 1)];
			b[e->hash & (nb - 1)] = e;
			e = n;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
}

void *hmap_put(struct hmap *m, const char *key, void *value)
{
	uint64_t h = hash_str(key);
	struct hmap_entry **pp, *e;

	if (m->n >= m->n_buckets)
		grow(m);
	pp = slot(m, key, h);
	if (*pp) {
		void *old = (*pp)->value;

		(*pp)->value = value;
		(*pp)->key = key;
		return old;
	}
	e = xmalloc(sizeof(*e));
	e->next = NULL;
	e->key = key;
	e->hash = h;
	e->value = value;
	*pp = e;
	m->n++;
	return NULL;
}

void *hmap_del(struct hmap *m, const char *key)
{
	struct hmap_entry **pp, *e;
	void *v;

	if (!m->n_buckets || !key)
		return NULL;
	pp = slot(m, key, hash_str(key));
	e = *pp;
	if (!e)
		return NULL;
	*pp = e->next;
	v = e->value;
	free(e);
	m->n--;
	return v;
}

struct hmap_iter hmap_iter(struct hmap *m)
{
	struct hmap_iter it = { .m = m, .bucket = 0, .cur = NULL, .next = NULL };

	return it;
}

int hmap_next(struct hmap_iter *it)
{
	struct hmap *m = it->m;

	it->cur = it->next;
	while (!it->cur) {
		if (it->bucket >= m->n_buckets)
			return 0;
		it->cur = m->buckets[it->bucket++];
	}
	it->next = it->cur->next;
	it->key = it->cur->key;
	it->value = it->cur->value;
	return 1;
}

void hmap_iter_del(struct hmap_iter *it)
{
	struct hmap *m = it->m;
	struct hmap_entry **pp;

	if (!it->cur)
		return;
	pp = &m->buckets[it->cur->hash & (m->n_buckets - 1)];
	while (*pp && *pp != it->cur)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = it->cur->next;
		free(it->cur);
		m->n--;
	}
	it->cur = NULL;
}
