/* meta.h - what the SDK reads from a charm's metadata.yaml, config.yaml and actions.yaml.
 *
 * The names in metadata decide which dynamic events exist (charm-runtime.md §5, §6): relation
 * endpoints (requires/provides/peers), storage, containers, and the actions of actions.yaml.
 * config.yaml's options are kept for the harness (defaults and types); a dispatch reads
 * values from config-get, never from the file.  Parsing refuses malformed YAML and entries
 * of the wrong shape with a message naming the file and the entry. */
#ifndef CAIRN_SDK_META_H
#define CAIRN_SDK_META_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cairn/charm.h"

#define META_MAX_FILE (1024u * 1024u) /* bytes in one of the three files */

enum meta_family {
	META_NONE,
	META_RELATION,
	META_STORAGE,
	META_CONTAINER,
	META_ACTION,
	_META_FAMILY_MAX
};

enum meta_role {
	META_ROLE_REQUIRES,
	META_ROLE_PROVIDES,
	META_ROLE_PEERS,
};

struct meta_names {
	char **v; /* sorted, unique */
	size_t n;
};

struct meta {
	char *name;                            /* metadata.yaml name */
	struct meta_names names[_META_FAMILY_MAX];
	enum meta_role *roles;                 /* parallel to names[META_RELATION] */
	json_t *options;                       /* config.yaml options: {name: {type, default, ...}} */
	json_t *actions;                       /* actions.yaml: {name: {params, ...}} */
};

/* Reads metadata.yaml (required) and actions.yaml from dir, and config.yaml too when
 * with_config (a dispatch never needs it: values come from config-get).  On failure m is
 * left empty. */
int meta_load_dir(struct meta *m, const char *dir, bool with_config, struct cairn_error *err);
/* Reads the texts of metadata.yaml (required), config.yaml when with_config, and actions.yaml
 * from dir: *ret_md, *ret_cfg, *ret_act (caller frees; NULL for an absent optional file). */
int meta_read_files(const char *dir, bool with_config, char **ret_md, char **ret_cfg, char **ret_act,
		    struct cairn_error *err);
/* From text; config and actions may be NULL. */
int meta_load_text(struct meta *m, const char *metadata, const char *config, const char *actions,
		   struct cairn_error *err);
void meta_done(struct meta *m);

/* The declared name equal to the first len bytes of s in family (borrowed), or NULL. */
const char *meta_find(const struct meta *m, enum meta_family family, const char *s, size_t len);
/* As meta_find for a NUL-terminated name. */
const char *meta_has(const struct meta *m, enum meta_family family, const char *name);
/* The role of a declared relation endpoint. */
enum meta_role meta_role(const struct meta *m, const char *endpoint);

#endif
