/* table.c - tab-writer style column layout; see table.h. */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gostr.h"

void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
}

void table_done(struct table *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t j = 0; j < t->rows[i].n; j++)
			free(t->rows[i].cells[j]);
		free(t->rows[i].cells);
	}
	free(t->rows);
	table_init(t);
}

void table_align_right(struct table *t, size_t col)
{
	if (col < TABLE_MAX_COLS)
		t->right[col] = true;
}

void table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
	}
	t->rows[t->nrows].cells = xcalloc(TABLE_MAX_COLS, sizeof(char *));
	t->rows[t->nrows].n = 0;
	t->nrows++;
}

void table_cell(struct table *t, const char *s)
{
	struct table_row *r;

	if (!t->nrows)
		table_row(t);
	r = &t->rows[t->nrows - 1];
	if (r->n >= TABLE_MAX_COLS)
		return;
	r->cells[r->n++] = xstrdup(s ? s : "");
}

void table_cellf(struct table *t, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	table_cell(t, buf_str(&b));
	buf_done(&b);
}

static void spaces(struct buf *out, size_t n)
{
	while (n--)
		buf_addc(out, ' ');
}

void table_render(const struct table *t, struct buf *out)
{
	size_t width[TABLE_MAX_COLS] = { 0 };

	for (size_t i = 0; i < t->nrows; i++)
		for (size_t j = 0; j + 1 < t->rows[i].n; j++) {
			size_t w = gostr_width(t->rows[i].cells[j]);

			if (w > width[j])
				width[j] = w;
		}
	for (size_t i = 0; i < t->nrows; i++) {
		const struct table_row *r = &t->rows[i];

		for (size_t j = 0; j < r->n; j++) {
			const char *c = r->cells[j];
			size_t w = gostr_width(c);

			if (j + 1 == r->n) {
				buf_adds(out, c);
			} else if (t->right[j]) {
				spaces(out, width[j] - w);
				buf_adds(out, c);
				spaces(out, TABLE_PADDING);
			} else {
				buf_adds(out, c);
				spaces(out, width[j] - w + TABLE_PADDING);
			}
		}
		buf_addc(out, '\n');
	}
}
