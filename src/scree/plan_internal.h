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

/* ======================= Field tables =======================
 *
 * Each entry struct (and each check sub-object) is described once by a table of its
 * fields in YAML output order; free, copy, merge, compare (plan.c), decode (layer.c) and
 * render (plan_yaml.c) walk the table instead of repeating the field list. */

enum pl_ftype {
	PL_T_STR,      /* char *, NULL = unset; merge: replace when set */
	PL_T_LIST,     /* struct plan_strlist; merge: append */
	PL_T_MAP,      /* struct plan_strmap; merge: by key */
	PL_T_OPT_INT,  /* struct plan_opt_int; merge: replace when set */
	PL_T_OPT_DUR,  /* struct plan_opt_dur */
	PL_T_OPT_F64,  /* struct plan_opt_f64 */
	PL_T_INT,      /* int64_t, 0 = unset */
	PL_T_OVERRIDE, /* enum plan_override: copied and compared, never merged */
	PL_T_ENUM,     /* an enum with 0 = unset; aux: its names (const char *const *) */
	PL_T_SUB,      /* pointer to a sub-object, NULL = absent; aux: its struct pl_fields */
	PL_T_RAW,      /* char *: only freed and copied (bookkeeping, not part of the YAML) */
};

/* Rendered even when unset (a Go field without omitempty). */
#define PL_F_ALWAYS 1u

struct pl_field {
	const char *key; /* YAML key */
	enum pl_ftype type;
	size_t off;
	unsigned flags;
	const char *go_type;    /* type named in decode errors; NULL = the default for type */
	const char *go_valtype; /* PL_T_MAP: the values' type; NULL = "string" */
	const void *aux;
};

struct pl_fields {
	const struct pl_field *v;
	size_t n;
	size_t size; /* sizeof the described struct */
};

/* Generic operations on an object described by f.  For entries, the struct starts with
 * `char *name` (not in the table), which free/dup/eq handle too when named is set. */
void *pl_obj_new(const struct pl_fields *f, const char *name);
void pl_obj_free(const struct pl_fields *f, void *obj, bool named);
void *pl_obj_dup(const struct pl_fields *f, const void *obj, bool named);
void pl_obj_merge(const struct pl_fields *f, void *dst, const void *src);
bool pl_obj_eq(const struct pl_fields *f, const void *a, const void *b, bool named);
/* The field's storage inside obj. */
void *pl_field_ptr(const struct pl_field *fl, void *obj);
const void *pl_field_cptr(const struct pl_field *fl, const void *obj);

/* The four named-entry sections of struct plan_sections, in plan_sections order. */
enum pl_sec { PL_SEC_SERVICES, PL_SEC_CHECKS, PL_SEC_LOG_TARGETS, PL_SEC_WORKLOADS, _PL_SEC_MAX };

struct pl_section {
	const char *key;  /* YAML section name */
	const char *what; /* entry kind in override errors: "service", "log target" */
	size_t arr_off;   /* offsetof(struct plan_sections, <array>) */
	size_t n_off;     /* offsetof(struct plan_sections, <count>) */
	size_t override_off; /* offsetof(entry struct, override) */
	const struct pl_fields *fields;
};

extern const struct pl_section pl_section_defs[_PL_SEC_MAX];

void ***pl_sec_arr(struct plan_sections *s, const struct pl_section *sec);
size_t *pl_sec_n(struct plan_sections *s, const struct pl_section *sec);
void *const *pl_sec_carr(const struct plan_sections *s, const struct pl_section *sec);
size_t pl_sec_cn(const struct plan_sections *s, const struct pl_section *sec);

/* Binary search of a name-sorted array of entries (each starting with `char *name`):
 * true and *pos = its index when found, else false and *pos = where it would go. */
bool pl_named_search(void *const *arr, size_t n, const char *name, size_t *pos);

/* Sections. */
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
