/* store_walmark.c - the fingerprint of a WAL-mode database's last commit; see store_walmark.h. */
#include "sdk/store_walmark.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define DB_HEADER_SIZE 100
#define WAL_HEADER_SIZE 32
#define WAL_FRAME_HEADER_SIZE 24
#define WAL_MAGIC_LE 0x377f0682u /* checksums in little-endian order */
#define WAL_MAGIC_BE 0x377f0683u /* ... in big-endian order */
#define WAL_VERSION 3007000u

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static bool read_exact(int fd, void *buf, size_t n, off_t off)
{
	return pread(fd, buf, n, off) == (ssize_t)n;
}

/* The main file's change counter, when its header says WAL mode (read and write format
 * versions 2).  0 or -1. */
static int db_header(const char *db_path, uint32_t *ret_counter)
{
	unsigned char h[DB_HEADER_SIZE];
	int fd = open(db_path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return -1;
	ok = read_exact(fd, h, sizeof(h), 0);
	close(fd);
	if (!ok || memcmp(h, "SQLite format 3", 16) || h[18] != 2 || h[19] != 2)
		return -1;
	*ret_counter = be32(h + 24);
	return 0;
}

/* Reads the mark for `frames` frames from the open log; with next_free, also fails when a
 * frame of the current cycle (or a torn piece of one) follows them. */
static int wal_frames(int fd, uint32_t frames, bool next_free, struct walmark *m)
{
	unsigned char h[WAL_HEADER_SIZE], f[WAL_FRAME_HEADER_SIZE];
	uint32_t page_size;
	uint64_t frame_size;
	ssize_t n;

	if (frames == 0 || !read_exact(fd, h, sizeof(h), 0))
		return -1;
	page_size = be32(h + 8);
	if ((be32(h) != WAL_MAGIC_LE && be32(h) != WAL_MAGIC_BE) || be32(h + 4) != WAL_VERSION ||
	    page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)))
		return -1;
	m->ckpt_seq = be32(h + 12);
	m->salt1 = be32(h + 16);
	m->salt2 = be32(h + 20);
	m->frames = frames;
	frame_size = WAL_FRAME_HEADER_SIZE + (uint64_t)page_size;
	/* The last frame of the commit: this cycle's salts, and a commit frame (it carries the
	 * database's size in pages). */
	if (!read_exact(fd, f, sizeof(f), (off_t)(WAL_HEADER_SIZE + (frames - 1) * frame_size)) ||
	    be32(f + 8) != m->salt1 || be32(f + 12) != m->salt2 || be32(f + 4) == 0)
		return -1;
	m->cksum1 = be32(f + 16);
	m->cksum2 = be32(f + 20);
	if (!next_free)
		return 0;
	n = pread(fd, f, sizeof(f), (off_t)(WAL_HEADER_SIZE + frames * frame_size));
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(f))
		return -1;
	return be32(f + 8) == m->salt1 && be32(f + 12) == m->salt2 ? -1 : 0;
}

static int mark_of(const char *db_path, uint32_t frames, bool next_free, struct walmark *ret)
{
	char wal[4096];
	struct walmark m;
	int fd, r;

	if ((size_t)snprintf(wal, sizeof(wal), "%s-wal", db_path) >= sizeof(wal) ||
	    db_header(db_path, &m.db_counter) < 0)
		return -1;
	fd = open(wal, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = wal_frames(fd, frames, next_free, &m);
	close(fd);
	if (r == 0)
		*ret = m;
	return r;
}

int walmark_read(const char *db_path, uint32_t frames, struct walmark *ret)
{
	return mark_of(db_path, frames, false, ret);
}

bool walmark_current(const char *db_path, const struct walmark *mark)
{
	struct walmark now;

	if (mark_of(db_path, mark->frames, true, &now) < 0)
		return false;
	return now.db_counter == mark->db_counter && now.ckpt_seq == mark->ckpt_seq && now.salt1 == mark->salt1 &&
	       now.salt2 == mark->salt2 && now.cksum1 == mark->cksum1 && now.cksum2 == mark->cksum2;
}

void walmark_format(const struct walmark *m, char *buf)
{
	snprintf(buf, WALMARK_TEXT_MAX, "wal %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %" PRIu32
		 " %08" PRIx32 " %08" PRIx32,
		 m->db_counter, m->ckpt_seq, m->salt1, m->salt2, m->frames, m->cksum1, m->cksum2);
}

int walmark_parse(const char *text, struct walmark *ret)
{
	struct walmark m;
	int used = -1;

	if (sscanf(text, "wal %8" SCNx32 " %8" SCNx32 " %8" SCNx32 " %8" SCNx32 " %10" SCNu32 " %8" SCNx32
		   " %8" SCNx32 "%n",
		   &m.db_counter, &m.ckpt_seq, &m.salt1, &m.salt2, &m.frames, &m.cksum1, &m.cksum2, &used) != 7 ||
	    used < 0 || m.frames == 0)
		return -1;
	*ret = m;
	return used;
}
