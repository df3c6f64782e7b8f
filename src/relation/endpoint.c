/* endpoint.c - endpoint inference and add-relation checks; see endpoint.h. */
#include "relation/endpoint.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REL_MAX_ENDPOINTS 1024 /* endpoints of one application considered */

static const char *const role_names[_REL_ROLE_MAX] = {
	[REL_REQUIRER] = "requirer",
	[REL_PROVIDER] = "provider",
	[REL_PEER] = "peer",
};

const char *rel_role_name(enum rel_role r)
{
	return r >= 0 && r < _REL_ROLE_MAX ? role_names[r] : "";
}

bool rel_endpoint_implicit(const struct rel_endpoint *ep)
{
	return ep->role == REL_PROVIDER && !strcmp(ep->name, REL_IMPLICIT_NAME) &&
	       !strcmp(ep->interface, REL_IMPLICIT_NAME);
}

static enum rel_role counterpart(enum rel_role r)
{
	return r == REL_REQUIRER ? REL_PROVIDER : r == REL_PROVIDER ? REL_REQUIRER : REL_PEER;
}

bool rel_endpoint_relates(const struct rel_endpoint *a, const struct rel_endpoint *b)
{
	return strcmp(a->app, b->app) != 0 && !strcmp(a->interface, b->interface) &&
	       a->role != REL_PEER && counterpart(a->role) == b->role;
}

static int ep_cmp(const struct rel_endpoint *a, const struct rel_endpoint *b)
{
	int r;

	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if ((r = strcmp(a->app, b->app)))
		return r;
	return strcmp(a->name, b->name);
}

void rel_sort(struct rel_endpoint eps[2])
{
	if (ep_cmp(&eps[0], &eps[1]) > 0) {
		struct rel_endpoint t = eps[0];

		eps[0] = eps[1];
		eps[1] = t;
	}
}

void rel_key(const struct rel_endpoint *eps, size_t n, struct buf *out)
{
	struct rel_endpoint e[2];

	if (n == 1) {
		buf_addf(out, "%s:%s", eps[0].app, eps[0].name);
		return;
	}
	e[0] = eps[0];
	e[1] = eps[1];
	rel_sort(e);
	buf_addf(out, "%s:%s %s:%s", e[0].app, e[0].name, e[1].app, e[1].name);
}

/* The endpoints a name can mean, after filter: all of the app's (plus the implicit one), or
 * just the one named.  *ret is a new array the caller frees. */
struct app_info {
	bool subordinate, alive;
};

static int name_endpoints(const struct rel_model *m, const char *name, bool peers,
			  struct rel_endpoint **ret, size_t *ret_n, struct app_info *info,
			  struct errbuf *eb)
{
	const char *colon = strchr(name, ':'), *rel = NULL, *app = NULL;
	char appbuf[256];
	size_t appsz = sizeof(appbuf);
	const struct rel_endpoint *eps = NULL;
	struct rel_endpoint *out;
	size_t n = 0, k = 0;
	int r;

	if (colon) {
		if (colon == name || !colon[1]) {
			errbuf_set(eb, "invalid endpoint \"%s\"", name);
			return -EINVAL;
		}
		snprintf(appbuf, appsz, "%.*s", (int)(colon - name), name);
		rel = colon + 1;
	} else {
		snprintf(appbuf, appsz, "%s", name);
	}
	r = m->app(m->data, appbuf, &app, &eps, &n, &info->subordinate, &info->alive);
	if (r < 0) {
		errbuf_set(eb, "application \"%s\" not found", appbuf);
		return -ENOENT;
	}
	if (n > REL_MAX_ENDPOINTS)
		n = REL_MAX_ENDPOINTS;
	out = xcalloc(n + 2, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out[k] = eps[i];
		out[k].app = app;
		k++;
	}
	out[k++] = (struct rel_endpoint){ .app = app, .name = REL_IMPLICIT_NAME,
					  .interface = REL_IMPLICIT_NAME, .role = REL_PROVIDER };
	if (rel) {
		size_t j;

		for (j = 0; j < k && strcmp(out[j].name, rel); j++)
			;
		if (j == k) {
			free(out);
			errbuf_set(eb, "application \"%s\" has no \"%s\" relation", appbuf, rel);
			return -EINVAL;
		}
		out[0] = out[j];
		k = 1;
	}
	/* Keep only peers (one name) or only non-peers (two names). */
	n = 0;
	for (size_t i = 0; i < k; i++)
		if ((out[i].role == REL_PEER) == peers)
			out[n++] = out[i];
	*ret = out;
	*ret_n = n;
	return 0;
}

int rel_infer(const struct rel_model *m, const char *const *names, size_t n,
	      struct rel_endpoint ret[2], size_t *ret_n, struct errbuf *eb)
{
	struct rel_endpoint *a = NULL, *b = NULL, (*cand)[2] = NULL;
	struct app_info ia, ib;
	size_t na = 0, nb = 0, nc = 0, width = n;
	int r = -EINVAL;

	if (n != 1 && n != 2) {
		errbuf_set(eb, "cannot relate %zu endpoints", n);
		return -EINVAL;
	}
	if ((r = name_endpoints(m, names[0], n == 1, &a, &na, &ia, eb)) < 0)
		goto out;
	if (n == 2 &&
	    (r = name_endpoints(m, names[1], false, &b, &nb, &ib, eb)) < 0)
		goto out;
	r = -EINVAL;
	cand = xcalloc(n == 1 ? na + 1 : na * nb + 1, sizeof(*cand));
	if (n == 1) {
		for (size_t i = 0; i < na; i++)
			cand[nc++][0] = a[i];
	} else {
		for (size_t i = 0; i < na; i++)
			for (size_t j = 0; j < nb; j++) {
				bool container = a[i].container || b[j].container;

				if (!rel_endpoint_relates(&a[i], &b[j]))
					continue;
				if (container && !ia.subordinate && !ib.subordinate)
					continue;
				cand[nc][0] = a[i];
				cand[nc][1] = b[j];
				rel_sort(cand[nc]);
				nc++;
			}
	}
	if (nc == 0) {
		errbuf_set(eb, "no relations found");
		goto out;
	}
	size_t pick = 0;

	if (nc > 1) {
		/* Ambiguity is resolved by discarding candidates with an implicit endpoint. */
		size_t kept = 0;

		for (size_t i = 0; i < nc; i++) {
			bool implicit = false;

			for (size_t e = 0; e < width; e++)
				implicit |= rel_endpoint_implicit(&cand[i][e]);
			if (!implicit) {
				kept++;
				pick = i;
			}
		}
		if (kept != 1) {
			struct buf msg = BUF_INIT, *keys = xcalloc(nc, sizeof(*keys));

			/* Juju sorts the quoted keys as strings. */
			for (size_t i = 0; i < nc; i++) {
				buf_init(&keys[i]);
				buf_addc(&keys[i], '"');
				rel_key(cand[i], width, &keys[i]);
				buf_addc(&keys[i], '"');
			}
			for (size_t i = 1; i < nc; i++)
				for (size_t j = i; j > 0 && strcmp(keys[j - 1].data, keys[j].data) > 0; j--) {
					struct buf t = keys[j];

					keys[j] = keys[j - 1];
					keys[j - 1] = t;
				}
			buf_init(&msg);
			buf_adds(&msg, "ambiguous relation: \"");
			for (size_t i = 0; i < n; i++)
				buf_addf(&msg, "%s%s", i ? " " : "", names[i]);
			buf_adds(&msg, "\" could refer to ");
			for (size_t i = 0; i < nc; i++) {
				buf_addf(&msg, "%s%s", i ? "; " : "", keys[i].data);
				buf_done(&keys[i]);
			}
			errbuf_set(eb, "%s", buf_str(&msg));
			buf_done(&msg);
			free(keys);
			goto out;
		}
	}
	for (size_t e = 0; e < width; e++)
		ret[e] = cand[pick][e];
	*ret_n = width;
	r = 0;
out:
	free(a);
	free(b);
	free(cand);
	return r;
}

int rel_check_add(const struct rel_model *m, const struct rel_endpoint eps[2], struct errbuf *eb)
{
	struct buf key = BUF_INIT;
	bool container = eps[0].container || eps[1].container;
	int subordinates = 0, r = 0;

	buf_init(&key);
	rel_key(eps, 2, &key);
	if (!rel_endpoint_relates(&eps[0], &eps[1])) {
		errbuf_set(eb, "cannot add relation \"%s\": endpoints do not relate", key.data);
		r = -EINVAL;
		goto out;
	}
	if (m->exists(m->data, key.data)) {
		errbuf_set(eb, "cannot add relation \"%s\": relation %s already exists", key.data,
			   key.data);
		r = -EEXIST;
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		const struct rel_endpoint *list = NULL;
		const char *name = NULL;
		size_t cnt = 0;
		bool sub = false, alive = false;

		if (m->app(m->data, eps[i].app, &name, &list, &cnt, &sub, &alive) < 0 || !alive) {
			errbuf_set(eb, "cannot add relation \"%s\": application \"%s\" is not alive",
				   key.data, eps[i].app);
			r = -EINVAL;
			goto out;
		}
		subordinates += sub;
	}
	for (int i = 0; i < 2; i++) {
		if (eps[i].limit > 0 && m->count(m->data, eps[i].app, eps[i].name) >= eps[i].limit) {
			errbuf_set(eb, "cannot add relation \"%s\": establishing a new relation for "
				   "%s:%s would exceed its maximum relation limit of %d",
				   key.data, eps[i].app, eps[i].name, eps[i].limit);
			r = -EDQUOT;
			goto out;
		}
	}
	if (container && subordinates < 1) {
		errbuf_set(eb, "cannot add relation \"%s\": container scoped relation requires at "
			   "least one subordinate application", key.data);
		r = -EINVAL;
	}
out:
	buf_done(&key);
	return r;
}
