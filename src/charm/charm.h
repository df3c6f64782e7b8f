/* charm.h - loading a charm (a directory or a packed .charm zip), packing and unpacking
 * archives, and installing a charm's files into a unit.
 *
 * The module is shared by both sides of the agent protocol: the controller loads charms to
 * validate a deploy and keeps each revision as an archive named by its SHA-256 digest; the
 * machine agent unpacks the archive it fetched and installs the files into each unit.
 * Files: charm.c (names, loading and validation through a charm_src), charm_zip.c
 * (archives), charm_install.c (installing into a unit), settings.c (config settings).
 *
 * A charm is what operator-cli.md §12 and charm-runtime.md §1, §6 describe: metadata.yaml
 * (required), config.yaml and actions.yaml (optional), and either an executable `dispatch`
 * or executable hooks under hooks/.  charm_load_dir() parses and type-checks the three YAML
 * files and keeps them; every error names the file and the field at fault, e.g.
 * `metadata.yaml: field "name": expected string, got integer`.
 *
 * A .charm file is a zip archive; charm_open() unpacks it into a scratch directory first,
 * refusing entries that would land outside it (absolute paths, `..` components, escaping
 * symlinks) and archives beyond the named limits below, and keeping the executable bits
 * that charmcraft records in the entries' unix modes.
 *
 * charm_valid_app_name() and charm_valid_unit_name() apply the naming rules of
 * operator-cli.md §2 (lib/names.h). */
#ifndef CAIRN_CHARM_H
#define CAIRN_CHARM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/errbuf.h"

#define CHARM_MAX_YAML_BYTES (4u * 1024u * 1024u)       /* metadata/config/actions.yaml */
#define CHARM_MAX_SMALL_FILE 4096u                      /* revision, version files */
#define CHARM_ZIP_MAX_ENTRIES 65536u                    /* entries in a .charm archive */
#define CHARM_ZIP_MAX_BYTES (1024ull * 1024u * 1024u)   /* total uncompressed size */
#define CHARM_MAX_DEPTH 64                              /* directory nesting in a charm */
#define CHARM_MAX_OPTIONS 4096                          /* config options */

enum charm_opt_type {
	CHARM_OPT_STRING,
	CHARM_OPT_INT,
	CHARM_OPT_FLOAT,
	CHARM_OPT_BOOLEAN,
	CHARM_OPT_SECRET,
	_CHARM_OPT_MAX,
};

/* One config.yaml option. */
struct charm_option {
	char *name;
	enum charm_opt_type type;
	json_t *def;       /* typed default; NULL = no default */
	char *description; /* "" when absent */
};

enum charm_role { CHARM_ROLE_REQUIRES, CHARM_ROLE_PROVIDES, CHARM_ROLE_PEERS, _CHARM_ROLE_MAX };

/* One relation endpoint from requires/provides/peers. */
struct charm_endpoint {
	char *name;
	enum charm_role role;
	char *interface;
	int limit;         /* 0 = unlimited */
	bool container_scope; /* scope: container (else global) */
	bool optional;
};

struct charm {
	char *dir;          /* absolute or caller-given path of the unpacked charm */
	char *name;
	char *summary;      /* "" when absent */
	char *description;  /* "" when absent */
	json_t *metadata;   /* the whole metadata.yaml */
	json_t *actions;    /* the whole actions.yaml; {} when absent or empty */
	struct charm_option *options; /* in config.yaml order */
	size_t n_options;
	char **containers;  /* names of metadata.yaml `containers`, in file order */
	size_t n_containers;
	json_t *resources;  /* metadata.yaml `resources`; {} when absent */
	struct charm_endpoint *endpoints; /* requires, then provides, then peers */
	size_t n_endpoints;
	bool subordinate;
	bool has_dispatch;  /* an executable ./dispatch exists */
	int revision;       /* from a `revision` file when present, else -1 */
	char *version;      /* `version` file (trimmed) or NULL */
};

/* Where a charm's files are read from: a directory or an archive (charm_load_dir,
 * charm_load_archive), or anything a caller provides. */
enum charm_src_kind { CHARM_SRC_NONE, CHARM_SRC_FILE, CHARM_SRC_EXEC, CHARM_SRC_OTHER };
struct charm_src {
	/* Reads file rel into out (at most max bytes): 0, -ENOENT, -EFBIG or another -errno. */
	int (*read)(void *data, const char *rel, size_t max, struct buf *out);
	/* What rel is: NONE (absent), FILE, EXEC (an executable regular file) or OTHER. */
	enum charm_src_kind (*kind)(void *data, const char *rel);
	/* Whether the directory rel holds an executable regular file directly inside it. */
	bool (*any_exec)(void *data, const char *rel);
	void *data;
	const char *where; /* named in messages, e.g. "charm directory /x" */
};

/* Loads and validates a charm from src; c->dir becomes a copy of path.  Errors as
 * charm_load_dir. */
int charm_load(const struct charm_src *src, const char *path, struct charm **ret,
	       struct errbuf *eb);

/* Loads the charm in directory dir.  Returns 0 and a new charm in *ret, or -EINVAL (bad
 * charm) / another negative errno (I/O) with eb saying what is wrong and where. */
int charm_load_dir(const char *dir, struct charm **ret, struct errbuf *eb);

/* Opens path: a charm directory (loaded in place; scratch_dir unused, may be NULL) or a
 * .charm zip archive, which is unpacked into scratch_dir first.  scratch_dir must not exist
 * yet or be an empty directory; it is created (with parents) as needed and becomes the
 * charm's dir.  On failure whatever was unpacked is removed again (and scratch_dir too if
 * this call created it).  Errors as
 * charm_load_dir, plus e.g. `charm archive entry "../x" escapes the charm directory`. */
int charm_open(const char *path, const char *scratch_dir, struct charm **ret,
	       struct errbuf *eb);

/* Unpacks the zip archive at path into dst_dir (which must not exist or be empty) with the
 * safety checks described above.  Exposed for tests and tools; charm_open() uses it. */
int charm_unzip(const char *path, const char *dst_dir, struct errbuf *eb);
/* The same with explicit limits instead of CHARM_ZIP_MAX_ENTRIES / CHARM_ZIP_MAX_BYTES. */
int charm_unzip_limited(const char *path, const char *dst_dir, uint64_t max_entries,
			uint64_t max_bytes, struct errbuf *eb);

/* Loads the charm packed in the .charm archive at path without unpacking it (only
 * metadata.yaml, config.yaml, actions.yaml, revision and version are read; the entries'
 * unix modes tell what is executable).  c->dir is the archive's path. */
int charm_load_archive(const char *path, struct charm **ret, struct errbuf *eb);

/* Packs the charm directory dir into a new zip archive at out (replacing it): regular
 * files with their executable bits, directories and symlinks, in sorted order and with
 * fixed timestamps, so the same tree always packs to the same bytes (and digest). */
int charm_pack(const char *dir, const char *out, struct errbuf *eb);

#define CHARM_DIGEST_HEX 65 /* lower-case hex SHA-256 and its NUL */
/* SHA-256 of the file at path as lower-case hex, and its size. */
int charm_digest_file(const char *path, char out[CHARM_DIGEST_HEX], uint64_t *ret_size,
		      struct errbuf *eb);
/* Whether s is a well-formed digest (64 lower-case hex digits). */
bool charm_valid_digest(const char *s);

/* Puts the files of the charm tree src_dir into a unit's charm directory dst_dir (created as
 * needed): files are copied atomically with their modes, symlinks re-created.  When
 * refreshing, old_src_dir is the tree of the charm installed so far: paths that it has and
 * src_dir lacks are removed from dst_dir (directories only when empty).  Paths in neither
 * tree (files the charm wrote itself, e.g. `.unit-state.db`) are never touched. */
int charm_install_files(const char *src_dir, const char *dst_dir, const char *old_src_dir,
			struct errbuf *eb);

/* Frees c and everything it owns; NULL is fine. */
void charm_free(struct charm *c);

/* The option called name, or NULL.  Borrowed from c. */
const struct charm_option *charm_find_option(const struct charm *c, const char *name);

/* "string", "int", "float", "boolean", "secret"; charm_opt_type_from_name returns -1 for
 * an unknown name. */
const char *charm_opt_type_name(enum charm_opt_type t);
int charm_opt_type_from_name(const char *s);
/* "requires", "provides", "peers". */
const char *charm_role_name(enum charm_role r);

/* names_valid_application() and names_valid_unit() of lib/names.h (also the rule for charm
 * names); false for NULL. */
bool charm_valid_app_name(const char *s);
bool charm_valid_unit_name(const char *s);

#endif
