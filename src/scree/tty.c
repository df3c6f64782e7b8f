/* tty.c - pseudo-terminals, window sizes and raw mode; see tty.h. */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/gofmt.h"

int tty_open_pty(bool set_owner, uid_t uid, gid_t gid, int *ret_master, int *ret_slave, struct errbuf *eb)
{
	char msg[128], name[64];
	int master, slave, r;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (master < 0) {
		r = -errno;
		errbuf_set(eb, "cannot open pty: %s", gofmt_strerror(errno, msg, sizeof(msg)));
		return r;
	}
	if (unlockpt(master) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot unlock pty: %s", gofmt_strerror(errno, msg, sizeof(msg)));
		close(master);
		return r;
	}
	/* TIOCGPTPEER opens the slave without a path lookup (Linux 4.13); else by name. */
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		if (ptsname_r(master, name, sizeof(name)) != 0 ||
		    (slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
			r = -errno;
			errbuf_set(eb, "cannot open pty slave: %s", gofmt_strerror(errno, msg, sizeof(msg)));
			close(master);
			return r;
		}
	}
	if (set_owner && fchown(slave, uid, gid) < 0) {
		r = -errno;
		errbuf_set(eb, "cannot chown pty: %s", gofmt_strerror(errno, msg, sizeof(msg)));
		close(slave);
		close(master);
		return r;
	}
	*ret_master = master;
	*ret_slave = slave;
	return 0;
}

int tty_set_size(int fd, int width, int height)
{
	struct winsize ws;

	memset(&ws, 0, sizeof(ws));
	ws.ws_col = (unsigned short)width;
	ws.ws_row = (unsigned short)height;
	return ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0;
}

int tty_get_size(int fd, int *ret_width, int *ret_height)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	*ret_width = ws.ws_col;
	*ret_height = ws.ws_row;
	return 0;
}

int tty_make_raw(int fd, struct termios *saved)
{
	struct termios t;

	if (tcgetattr(fd, &t) < 0)
		return -errno;
	*saved = t;
	cfmakeraw(&t);
	return tcsetattr(fd, TCSANOW, &t) < 0 ? -errno : 0;
}

void tty_restore(int fd, const struct termios *saved)
{
	tcsetattr(fd, TCSANOW, saved);
}
