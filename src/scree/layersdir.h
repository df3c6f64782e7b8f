/* layersdir.h - reading $PEBBLE/layers (spec pebble-api.md §3).
 *
 * Files are NNN-label.yaml (order N*1000, label "label") and NNN-dir.d/MMM-sub.yaml
 * (order N*1000+M, label "dir/sub"), processed in name order.  Names must match
 * ^([0-9]{3})-([a-z](?:-?[a-z0-9]){2,})(\.yaml|\.d)$; other entries that do not end in
 * .yaml/.d are ignored. */
#ifndef SCREE_LAYERSDIR_H
#define SCREE_LAYERSDIR_H

#include <stddef.h>

#include "lib/errbuf.h"
#include "plan.h"

/* Checks one directory entry name.  Returns 1 and fills order (0..999) and label (copied
 * into a buffer of labn bytes) when it matches with the given suffix (".yaml" or ".d"),
 * 0 when the name does not end in .yaml/.d (ignore it), -EINVAL with
 * `invalid layer filename: "x" (must look like "123-some-label.yaml")` otherwise.
 * *is_dir is set to whether the suffix was ".d". */
int layersdir_parse_name(const char *name, int *order, char *label, size_t labn, bool *is_dir,
			 struct errbuf *eb);

/* Reads every layer under dir (which is the layers directory itself, e.g.
 * "$PEBBLE/layers").  A missing directory yields zero layers.  On success *ret_layers is a
 * new array of n parsed layers in order (free with layersdir_free).  Errors: -EINVAL with
 * a filename, duplicate-order, duplicate-label or layer parse message; -errno with
 * "cannot read layers directory: ..." / "cannot read layer %q: ..." on I/O errors. */
int layersdir_read(const char *dir, struct plan_layer ***ret_layers, size_t *ret_n,
		   struct errbuf *eb);
void layersdir_free(struct plan_layer **layers, size_t n);

/* layersdir_read + plan_from_layers: the plan the daemon starts with. */
int layersdir_load_plan(const char *dir, struct plan **ret, struct errbuf *eb);

#endif
