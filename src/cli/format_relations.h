/* format_relations.h - the relations section of `cairn status --relations` (alias
 * --integrations; operator-cli.md §8.1):
 *
 *   Integration provider  Requirer     Interface  Type     Message
 *   mysql:db              wordpress:db mysql      regular
 *   mysql:cluster         mysql:cluster mysql-ha  peer     joining
 *
 * rows are the controller's "relation-rows" (docs/protocol.md §1): {"provider", "requirer",
 * "interface", "type", "status", "message"?}.  Rows are sorted by provider, then requirer;
 * the Message column shows the status when it is not "joined" (and " - message" after it). */
#ifndef CAIRN_CLI_FORMAT_RELATIONS_H
#define CAIRN_CLI_FORMAT_RELATIONS_H

#include <jansson.h>

#include "lib/buf.h"

/* The key of the status document that carries the rows (not shown in JSON/YAML). */
#define FORMAT_RELATIONS_KEY "relation-rows"

/* Appends the section (header and rows) when rows is a non-empty array; nothing otherwise. */
void format_relations_section(json_t *rows, struct buf *out);

#endif
