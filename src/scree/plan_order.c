/* plan_order.c - start/stop ordering and lanes (§8), following Pebble's order(),
 * tarjanSort() and createLanes(): the set is closed over `requires` (start) or reverse
 * `requires` (stop), edges come from after/before (swapped for stop), strongly connected
 * components larger than one service are before/after loops, and services are then
 * dealt into lanes that keep each service with its requirements. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plan_internal.h"

struct ord_list {
	size_t *v;
	size_t n, cap;
};

static void ord_push(struct ord_list *l, size_t x)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = x;
}

static long ord_index(const struct plan *p, const char *name)
{
	size_t i;

	return pl_named_search((void *const *)p->s.services, p->s.n_services, name, &i) ? (long)i
											 : -1;
}

void plan_lanes_done(struct plan_lanes *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		pl_strlist_done(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Tarjan's strongly connected components, iteratively (a long requires chain must not
 * exhaust the C stack).  Roots are tried in index order, i.e. sorted by name as Pebble
 * does.  On success `order` holds the services in output order.  On a loop, eb names the
 * services of the first multi-service component. */
static int ord_tarjan(const struct plan *p, const bool *in_set, const struct ord_list *succ,
		      struct ord_list *order, struct errbuf *eb)
{
	size_t n = p->s.n_services, counter = 0, root;
	long *index = xmalloc((n + 1) * sizeof(long)), *low = xmalloc((n + 1) * sizeof(long));
	bool *on_stack = xcalloc(n + 1, sizeof(bool));
	struct ord_list stack = { 0 }, frames = { 0 }, pos = { 0 }, scc = { 0 };
	int r = 0;
	size_t i;

	for (i = 0; i < n; i++)
		index[i] = -1;
	for (root = 0; root < n && r == 0; root++) {
		if (!in_set[root] || index[root] >= 0)
			continue;
		index[root] = low[root] = (long)counter++;
		ord_push(&stack, root);
		on_stack[root] = true;
		ord_push(&frames, root);
		ord_push(&pos, 0);
		while (frames.n > 0) {
			size_t v = frames.v[frames.n - 1];
			size_t *ip = &pos.v[pos.n - 1];

			if (*ip < succ[v].n) {
				size_t w = succ[v].v[(*ip)++];

				if (index[w] < 0) {
					index[w] = low[w] = (long)counter++;
					ord_push(&stack, w);
					on_stack[w] = true;
					ord_push(&frames, w);
					ord_push(&pos, 0);
				} else if (on_stack[w] && index[w] < low[v]) {
					low[v] = index[w];
				}
				continue;
			}
			frames.n--;
			pos.n--;
			if (low[v] == index[v]) {
				scc.n = 0;
				for (;;) {
					size_t w = stack.v[--stack.n];

					on_stack[w] = false;
					ord_push(&scc, w);
					if (w == v)
						break;
				}
				if (scc.n > 1 && r == 0) {
					struct buf b = BUF_INIT;
					size_t j, k;

					/* Indices sort like names: sort the component by index. */
					for (j = 1; j < scc.n; j++) {
						size_t x = scc.v[j];

						for (k = j; k > 0 && scc.v[k - 1] > x; k--)
							scc.v[k] = scc.v[k - 1];
						scc.v[k] = x;
					}
					buf_adds(&b, "services in before/after loop: ");
					for (j = 0; j < scc.n; j++) {
						if (j)
							buf_adds(&b, ", ");
						buf_adds(&b, p->s.services[scc.v[j]]->name);
					}
					errbuf_set(eb, "%s", buf_str(&b));
					buf_done(&b);
					r = -EINVAL;
				}
				if (scc.n == 1)
					ord_push(order, v);
			}
			if (frames.n > 0) {
				size_t u = frames.v[frames.n - 1];

				if (low[v] < low[u])
					low[u] = low[v];
			}
		}
	}
	free(index);
	free(low);
	free(on_stack);
	free(stack.v);
	free(frames.v);
	free(pos.v);
	free(scc.v);
	return r;
}

static int ord_order(const struct plan *p, char *const *names, size_t n_names, bool stop,
		     struct ord_list *order, struct errbuf *eb)
{
	size_t n = p->s.n_services, i, j;
	struct ord_list *pred = NULL, *succ = xcalloc(n + 1, sizeof(*succ));
	struct ord_list pending = { 0 };
	bool *in_set = xcalloc(n + 1, sizeof(bool));
	int r = 0;

	if (stop) {
		pred = xcalloc(n + 1, sizeof(*pred));
		for (i = 0; i < n; i++) {
			const struct plan_strlist *req = &p->s.services[i]->requires;

			for (j = 0; j < req->n; j++) {
				long k = ord_index(p, req->v[j]);

				if (k >= 0)
					ord_push(&pred[k], i);
			}
		}
	}
	/* Collect the set: names plus requires (start) or plus requirers (stop). */
	for (i = 0; i < n_names; i++) {
		long k = ord_index(p, names[i]);

		if (k < 0) {
			r = pl_errf(eb, "service %q does not exist", names[i]);
			goto out;
		}
		ord_push(&pending, (size_t)k);
	}
	for (i = 0; i < pending.n; i++) {
		size_t k = pending.v[i];

		if (in_set[k])
			continue;
		in_set[k] = true;
		if (stop) {
			for (j = 0; j < pred[k].n; j++)
				ord_push(&pending, pred[k].v[j]);
		} else {
			const struct plan_strlist *req = &p->s.services[k]->requires;

			for (j = 0; j < req->n; j++) {
				long x = ord_index(p, req->v[j]);

				if (x < 0) {
					r = pl_errf(eb, "service %q does not exist", req->v[j]);
					goto out;
				}
				ord_push(&pending, (size_t)x);
			}
		}
	}
	/* Successor edges among the set: "after" targets run first. */
	for (i = 0; i < n; i++) {
		const struct plan_service *s = p->s.services[i];
		const struct plan_strlist *after = stop ? &s->before : &s->after;
		const struct plan_strlist *before = stop ? &s->after : &s->before;

		if (!in_set[i])
			continue;
		for (j = 0; j < after->n; j++) {
			long x = ord_index(p, after->v[j]);

			if (x >= 0 && in_set[x])
				ord_push(&succ[i], (size_t)x);
		}
		for (j = 0; j < before->n; j++) {
			long x = ord_index(p, before->v[j]);

			if (x >= 0 && in_set[x])
				ord_push(&succ[x], i);
		}
	}
	r = ord_tarjan(p, in_set, succ, order, eb);
out:
	for (i = 0; i < n; i++) {
		free(succ[i].v);
		if (pred)
			free(pred[i].v);
	}
	free(succ);
	free(pred);
	free(pending.v);
	free(in_set);
	return r;
}

/* Pebble's createLanes(): a service joins the lane it was already mapped to, else the lane
 * of its first mapped requirement, else the lane after the one last used; its requirements
 * are then mapped to that lane as well. */
static void ord_lanes(const struct plan *p, const struct ord_list *order, struct plan_lanes *ret)
{
	size_t n = p->s.n_services, i, j;
	long *lane_of = xmalloc((n + 1) * sizeof(long));
	long lane = -1, max_lane = 0;

	for (i = 0; i < n; i++)
		lane_of[i] = -1;
	for (i = 0; i < order->n; i++) {
		size_t k = order->v[i];
		const struct plan_strlist *req = &p->s.services[k]->requires;
		long l = lane_of[k];

		if (l < 0) {
			for (j = 0; j < req->n && l < 0; j++) {
				long x = ord_index(p, req->v[j]);

				if (x >= 0 && lane_of[x] >= 0)
					l = lane_of[x];
			}
		}
		if (l < 0)
			l = lane + 1;
		lane_of[k] = l;
		for (j = 0; j < req->n; j++) {
			long x = ord_index(p, req->v[j]);

			if (x >= 0)
				lane_of[x] = l;
		}
		lane = l;
		if (l > max_lane)
			max_lane = l;
	}
	memset(ret, 0, sizeof(*ret));
	if (order->n > 0) {
		struct plan_lanes all;

		all.n = (size_t)max_lane + 1;
		all.v = xcalloc(all.n, sizeof(*all.v));
		for (i = 0; i < order->n; i++)
			pl_strlist_push(&all.v[lane_of[order->v[i]]],
					p->s.services[order->v[i]]->name);
		/* A lane emptied by a later remapping carries no work: drop it. */
		ret->v = xcalloc(all.n, sizeof(*ret->v));
		for (i = 0; i < all.n; i++) {
			if (all.v[i].n)
				ret->v[ret->n++] = all.v[i];
		}
		free(all.v);
	}
	free(lane_of);
}

static int ord_run(const struct plan *p, char *const *names, size_t n, bool stop,
		   struct plan_lanes *ret, struct errbuf *eb)
{
	struct ord_list order = { 0 };
	int r = ord_order(p, names, n, stop, &order, eb);

	if (r == 0)
		ord_lanes(p, &order, ret);
	free(order.v);
	return r;
}

int plan_start_order(const struct plan *p, char *const *names, size_t n, struct plan_lanes *ret,
		     struct errbuf *eb)
{
	return ord_run(p, names, n, false, ret, eb);
}

int plan_stop_order(const struct plan *p, char *const *names, size_t n, struct plan_lanes *ret,
		    struct errbuf *eb)
{
	return ord_run(p, names, n, true, ret, eb);
}
