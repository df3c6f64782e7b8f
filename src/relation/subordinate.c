/* subordinate.c - subordinate unit planning; see subordinate.h. */
#include "relation/subordinate.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

/* Whether unit belongs to application app ("app/N"). */
static bool unit_of(const char *unit, const char *app)
{
	size_t n = strlen(app);

	return unit && !strncmp(unit, app, n) && unit[n] == '/';
}

void sub_plan(const struct sub_principal *p, size_t np, const struct sub_unit *s, size_t ns,
	      bool related, const char *principal_app, struct sub_plan *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->create = xcalloc(np + 1, sizeof(*ret->create));
	ret->kill = xcalloc(ns + 1, sizeof(*ret->kill));
	for (size_t i = 0; i < ns; i++) {
		const struct sub_principal *pp = NULL;

		if (!s[i].alive || !unit_of(s[i].principal, principal_app))
			continue;
		for (size_t j = 0; j < np; j++)
			if (!strcmp(p[j].unit, s[i].principal))
				pp = &p[j];
		if (!related || !pp || !pp->alive)
			ret->kill[ret->n_kill++] = i;
	}
	if (!related)
		return;
	for (size_t j = 0; j < np; j++) {
		bool have = false;

		if (!p[j].alive)
			continue;
		for (size_t i = 0; i < ns; i++)
			have |= s[i].principal && !strcmp(s[i].principal, p[j].unit);
		if (!have)
			ret->create[ret->n_create++] = j;
	}
}

void sub_plan_done(struct sub_plan *plan)
{
	free(plan->create);
	free(plan->kill);
	memset(plan, 0, sizeof(*plan));
}
