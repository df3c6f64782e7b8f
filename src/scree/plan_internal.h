/* plan_internal.h - helpers shared by the plan model's own files (layer.c, plan.c,
 * plan_yaml.c, plan_order.c, layersdir.c).  Not for use outside the model. */
#ifndef SCREE_PLAN_INTERNAL_H
#define SCREE_PLAN_INTERNAL_H

#include <stdarg.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "plan.h"

/* Go-flavoured formatting for user-facing messages: %q quotes a C string as Go's
 * strconv.Quote does, %g prints a double as Go's %g (shortest representation), %s, %d (int),
 * %lld (long long), %zu and %% as in printf. */
void pl_bfmt(struct buf *b, const char *fmt, ...);
void pl_vbfmt(struct buf *b, const char *fmt, va_list ap);
/* errbuf_set with the formatting above.  Returns -EINVAL for `return pl_errf(...)`. */
int pl_errf(struct errbuf *eb, const char *fmt, ...);
/* Appends s quoted as Go's strconv.Quote. */
void pl_quote(struct buf *b, const char *s);
/* Go strconv.FormatFloat(v, 'g', -1, 64). */
void pl_fmt_float(struct buf *b, double v);

/* String lists and maps. */
void pl_strlist_push(struct plan_strlist *l, const char *s);
void pl_strlist_extend(struct plan_strlist *dst, const struct plan_strlist *src);
void pl_strlist_dup(struct plan_strlist *dst, const struct plan_strlist *src);
void pl_strlist_done(struct plan_strlist *l);
bool pl_strlist_eq(const struct plan_strlist *a, const struct plan_strlist *b);
void pl_strmap_set(struct plan_strmap *m, const char *key, const char *val);
void pl_strmap_merge(struct plan_strmap *dst, const struct plan_strmap *src);
void pl_strmap_dup(struct plan_strmap *dst, const struct plan_strmap *src);
bool pl_strmap_eq(const struct plan_strmap *a, const struct plan_strmap *b);
bool pl_str_eq(const char *a, const char *b); /* NULL-safe */
char *pl_strdup_or_null(const char *s);     /* NULL or "" -> NULL */
void pl_set_str(char **dst, const char *src); /* frees the old value */

/* Entries. */
struct plan_service *pl_service_new(const char *name);
void pl_service_merge(struct plan_service *dst, const struct plan_service *src);
struct plan_check *pl_check_new(const char *name);
void pl_check_merge(struct plan_check *dst, const struct plan_check *src);
struct plan_log_target *pl_log_target_new(const char *name);
struct plan_log_target *pl_log_target_dup(const struct plan_log_target *t);
void pl_log_target_free(struct plan_log_target *t);
void pl_log_target_merge(struct plan_log_target *dst, const struct plan_log_target *src);
struct plan_workload *pl_workload_new(const char *name);
struct plan_workload *pl_workload_dup(const struct plan_workload *w);
void pl_workload_free(struct plan_workload *w);
void pl_workload_merge(struct plan_workload *dst, const struct plan_workload *src);
void pl_sections_done(struct plan_sections *s);
void pl_sections_dup(struct plan_sections *dst, const struct plan_sections *src);
/* Sorts each section array by name. */
void pl_sections_sort(struct plan_sections *s);

/* osutil.NormalizeUidGid: resolves user/group names (NSS lookups) and checks that they
 * agree with the ids.  0, or -EINVAL with e.g. "user: unknown user bob",
 * "must specify user, not just group". */
int pl_normalize_ids(const struct plan_opt_int *uid, const struct plan_opt_int *gid,
		     const char *user, const char *group, struct errbuf *eb);

/* The per-layer validation of one service's command, as command_parse() with the
 * Pebble context; 0 or -EINVAL with eb set. */
int pl_check_service_command(const char *name, const char *command, struct errbuf *eb);

#endif
