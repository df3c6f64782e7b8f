/* jtext.h - JSON values kept as compact text.
 *
 * A jansson tree costs a dozen allocations for a small object (the object, its hash
 * table, a pair per member, the values), about 300 bytes for {"exit-code":0}; kept for a
 * thousand retained changes or notices that is most of a daemon's heap, and the many small
 * blocks fragment it.  Data that is stored long and read rarely (a task's API data, a
 * notice's last data) is therefore kept as its compact JSON text: one allocation, written
 * into answers as it is and parsed only when a tree is really needed. */
#ifndef CAIRN_JTEXT_H
#define CAIRN_JTEXT_H

#include <jansson.h>

/* The compact text of v (borrowed), to free with free(); NULL when v is NULL. */
char *jtext_dump(const json_t *v);
/* The value of text (a new reference), or NULL when text is NULL or not JSON. */
json_t *jtext_parse(const char *text);

#endif
