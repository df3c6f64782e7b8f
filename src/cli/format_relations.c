/* format_relations.c - the status relations section; see format_relations.h. */
#include "format_relations.h"

#include <stdlib.h>
#include <string.h>

#include "table.h"

static const char *s_at(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int row_cmp(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int r = strcmp(s_at(x, "provider"), s_at(y, "provider"));

	return r ? r : strcmp(s_at(x, "requirer"), s_at(y, "requirer"));
}

void format_relations_section(json_t *rows, struct buf *out)
{
	size_t n = json_array_size(rows), i;
	json_t **v;
	struct table t;

	if (!n)
		return;
	v = calloc(n, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(rows, i);
	qsort(v, n, sizeof(*v), row_cmp);
	table_init(&t);
	table_row(&t);
	table_cell(&t, "Integration provider");
	table_cell(&t, "Requirer");
	table_cell(&t, "Interface");
	table_cell(&t, "Type");
	table_cell(&t, "Message");
	for (i = 0; i < n; i++) {
		const char *st = s_at(v[i], "status"), *msg = s_at(v[i], "message");

		table_row(&t);
		table_cell(&t, s_at(v[i], "provider"));
		table_cell(&t, s_at(v[i], "requirer"));
		table_cell(&t, s_at(v[i], "interface"));
		table_cell(&t, s_at(v[i], "type"));
		if (strcmp(st, "joined") && *st) {
			if (*msg)
				table_cellf(&t, "%s - %s", st, msg);
			else
				table_cell(&t, st);
		} else {
			table_cell(&t, "");
		}
	}
	table_render(&t, out);
	table_done(&t);
	free(v);
}
