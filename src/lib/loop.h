/* loop.h - the one event loop of each daemon: epoll + signalfd + timerfd + pidfd.
 *
 * One thread, one loop.  File descriptors are watched with loop_io; timers live in a min-heap
 * behind a single timerfd armed at the nearest deadline; signals arrive through a signalfd
 * (the caller's signals are blocked by loop_new); children are pinned with a pidfd and reaped
 * by the loop itself, which owns *all* waiting: it is safe to use in a child subreaper, where
 * orphans are handed to the orphan callback (or silently reaped).
 *
 * Handles (loop_io, loop_timer) are owned by the caller and freed with their _free function,
 * which may be called from inside any callback, including the handle's own. */
#ifndef CAIRN_LOOP_H
#define CAIRN_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;
struct loop_io;
struct loop_timer;

typedef void (*loop_io_cb)(struct loop_io *io, int fd, uint32_t events, void *data);
typedef void (*loop_timer_cb)(struct loop_timer *t, void *data);
/* wstatus has waitpid(2) form: use WIFEXITED/WEXITSTATUS/WIFSIGNALED/WTERMSIG. */
typedef void (*loop_child_cb)(struct loop *l, pid_t pid, int wstatus, void *data);
typedef void (*loop_signal_cb)(struct loop *l, int signo, void *data);
typedef void (*loop_defer_cb)(void *data);

/* Creates a loop.  Blocks SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT and SIGPIPE is ignored;
 * the first five are delivered through the loop's signalfd. */
int loop_new(struct loop **ret);
void loop_free(struct loop *l);

/* Runs until loop_stop() is called.  Returns 0, or a negative errno on a fatal epoll error. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);
/* Runs one iteration, waiting at most timeout_ms (-1 = until something happens). */
int loop_run_once(struct loop *l, int timeout_ms);

/* Monotonic clock in milliseconds and nanoseconds; wall clock in nanoseconds. */
uint64_t loop_now_ms(void);
uint64_t loop_now_ns(void);
uint64_t loop_wall_ns(void);

/* I/O watches.  events are EPOLLIN/EPOLLOUT/...; the fd is not owned by the watch. */
struct loop_io *loop_io_new(struct loop *l, int fd, uint32_t events, loop_io_cb cb, void *data);
int loop_io_set_events(struct loop_io *io, uint32_t events);
void loop_io_free(struct loop_io *io);

/* Timers.  A new timer is disarmed; arm it with an absolute monotonic deadline or a delay. */
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_cb cb, void *data);
void loop_timer_arm_at(struct loop_timer *t, uint64_t deadline_ms);
void loop_timer_arm_in(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_disarm(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);
uint64_t loop_timer_deadline(const struct loop_timer *t);
void loop_timer_free(struct loop_timer *t);

/* Signals: one callback per signal number; replaces any earlier one.  The signal must be one
 * of those blocked by loop_new or is blocked here. */
int loop_add_signal(struct loop *l, int signo, loop_signal_cb cb, void *data);

/* Children.  Registers pid (already forked) with its pidfd (ownership passes to the loop; -1
 * when pidfds are unavailable).  cb fires once, after the loop has reaped the child. */
int loop_add_child(struct loop *l, pid_t pid, int pidfd, loop_child_cb cb, void *data);
/* Forgets a child without reaping it (its exit then counts as an orphan's). */
void loop_forget_child(struct loop *l, pid_t pid);
/* Sends sig to a registered child through its pidfd (or kill(2) without one).  With
 * group=true the signal goes to the child's process group instead. */
int loop_kill_child(struct loop *l, pid_t pid, int sig, bool group);
/* Called for every reaped process the loop did not know (subreaper orphans). */
void loop_set_orphan_cb(struct loop *l, loop_child_cb cb, void *data);

/* Runs cb at the end of the current iteration (before waiting again). */
void loop_defer(struct loop *l, loop_defer_cb cb, void *data);
/* Runs the deferred callbacks queued now (and those they queue, a few rounds deep): for a
 * daemon's shutdown, before it frees what they point to - loop_free() would run them after. */
void loop_run_deferred(struct loop *l);

/* Opens a pidfd for pid, or -1 (errno set) when the kernel lacks pidfd_open. */
int loop_pidfd_open(pid_t pid);

#endif
