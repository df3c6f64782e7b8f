/* table.h - column layout as Juju's tab writer prints it (minwidth 0, padding 2, spaces).
 *
 * Rows are added cell by cell.  When rendered, every cell except the last of its row is
 * padded to its column's width (the widest non-last cell of that column, in UTF-8 code
 * points) plus two spaces; the last cell of a row is written as is, so a row whose last
 * cell is empty ends in the padding of the cell before it, exactly as Go's tabwriter does.
 * Right-aligned columns (Juju's SetColumnAlignRight, used for Scale and Rev) put the fill
 * before the text and keep the two-space gap after it.  One table is one section; sections
 * are separated by a blank line by the caller. */
#ifndef CAIRN_CLI_TABLE_H
#define CAIRN_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"

#define TABLE_PADDING 2
#define TABLE_MAX_COLS 32

struct table_row {
	char **cells; /* owned */
	size_t n;
};

struct table {
	struct table_row *rows;
	size_t nrows, cap;
	bool right[TABLE_MAX_COLS];
};

void table_init(struct table *t);
void table_done(struct table *t);
/* Right-aligns column col (0-based). */
void table_align_right(struct table *t, size_t col);
/* Starts a new row; the following table_cell calls append to it. */
void table_row(struct table *t);
/* Appends a copy of s (NULL = empty) to the current row; cells beyond TABLE_MAX_COLS are
 * dropped. */
void table_cell(struct table *t, const char *s);
void table_cellf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends the rendered rows, each ending in '\n'. */
void table_render(const struct table *t, struct buf *out);

#endif
