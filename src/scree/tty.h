/* tty.h - terminals for exec (§16): pseudo-terminal pairs for the daemon (a terminal exec
 * gets a real pty), window sizes, and raw mode for the CLI's `exec -t`. */
#ifndef SCREE_TTY_H
#define SCREE_TTY_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "lib/errbuf.h"

/* Opens a new pty pair.  The master is non-blocking, both are CLOEXEC and neither becomes
 * the caller's controlling terminal; with set_owner the slave is chowned to uid:gid (the
 * user the command runs as, as upstream's OpenPty).  Returns 0 with the fds, or a negative
 * errno with eb set. */
int tty_open_pty(bool set_owner, uid_t uid, gid_t gid, int *ret_master, int *ret_slave, struct errbuf *eb);

/* Window size of a terminal (TIOCSWINSZ / TIOCGWINSZ).  0 or a negative errno. */
int tty_set_size(int fd, int width, int height);
int tty_get_size(int fd, int *ret_width, int *ret_height);

/* Puts fd into raw mode (cfmakeraw), saving the previous settings into *saved for
 * tty_restore().  0 or a negative errno. */
int tty_make_raw(int fd, struct termios *saved);
void tty_restore(int fd, const struct termios *saved);

#endif
