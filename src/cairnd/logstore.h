/* logstore.h - the model's log (debug-log): records appended to $CAIRN_HOME/logs/model.log as
 * JSON lines, the newest LOGSTORE_RING kept in memory, and followers told of each new record.
 *
 * A record: entity tag ("unit-hello-0", "controller"), wall time, level, module, message.
 * The file is rotated to model.log.1 past LOGSTORE_MAX_BYTES. */
#ifndef CAIRN_LOGSTORE_H
#define CAIRN_LOGSTORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"

#define LOGSTORE_RING 4096
#define LOGSTORE_MAX_BYTES (64u * 1024u * 1024u)
#define LOGSTORE_MSG_MAX 131072
#define LOGSTORE_WARM_BYTES (1024u * 1024u) /* file tail read at start-up to refill the ring */

struct logstore;
struct logstore_follower;

struct log_record {
	const char *entity;
	uint64_t time_ns;
	const char *level;
	const char *module;
	const char *message;
};

int logstore_open(const char *dir, struct logstore **ret);
void logstore_close(struct logstore *ls);
void logstore_append(struct logstore *ls, const struct log_record *rec);

/* Formats a record as Juju's debug-log prints it: "unit-hello-0: 14:02:11 INFO module msg". */
void logstore_format(const struct log_record *rec, struct buf *out);

/* Calls cb for the last n records (n < 0: every record in the file, i.e. --replay). */
void logstore_tail(struct logstore *ls, long n, void (*cb)(const struct log_record *, void *),
		   void *data);

/* Followers receive every record appended after they were added. */
struct logstore_follower *logstore_follow(struct logstore *ls,
					  void (*cb)(const struct log_record *, void *), void *data);
void logstore_unfollow(struct logstore *ls, struct logstore_follower *f);

#endif
