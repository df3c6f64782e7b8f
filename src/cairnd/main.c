/* main.c - cairnd: the controller daemon (model, API, unit agents) in one event loop.
 *
 *   cairnd [--foreground] [--daemon] [--ready-fd N]
 *
 * $CAIRN_HOME (default ~/.local/share/cairn) holds state.db, the charm store, unit
 * directories, logs and the sockets.  --daemon detaches (log to $CAIRN_HOME/cairnd.log);
 * --ready-fd N gets one byte once the API socket listens, so a CLI that started the
 * controller can wait for it without polling.  Exit codes: 0 after a shutdown request or
 * SIGTERM/SIGINT, 1 when it cannot start (e.g. another controller already runs). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairnd/controller.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/msg.h"

static char *default_home(void)
{
	const char *h = getenv("CAIRN_HOME");
	const char *home = getenv("HOME");

	if (h && *h)
		return xstrdup(h);
	return xasprintf("%s/.local/share/cairn", home && *home ? home : "/root");
}

static void on_stop_signal(struct loop *l, int signo, void *data)
{
	struct controller *c = data;

	(void)signo;
	c->stopping = true;
	loop_stop(l);
}

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cairnd [--foreground] [--daemon] [--ready-fd N]\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct controller c;
	struct errbuf eb;
	char exe[PATH_MAX];
	bool daemonize = false;
	int ready_fd = -1, opt, r, rc = 1;
	char *sock = NULL;
	ssize_t n;

	memset(&c, 0, sizeof(c));
	while ((opt = getopt_long(argc, argv, "fdr:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			daemonize = false;
			break;
		case 'd':
			daemonize = true;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "ERROR invalid --ready-fd value \"%s\"\n", optarg);
				return 2;
			}
			ready_fd = (int)v;
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ERROR unrecognized args: \"%s\"\n", argv[optind]);
		return 2;
	}
	log_set_prefix("cairnd");
	c.home = default_home();
	if (fs_mkdir_p(c.home, 0700) < 0) {
		fprintf(stderr, "ERROR cannot create %s: %s\n", c.home, strerror(errno));
		return 1;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "ERROR cannot find my own executable\n");
		return 1;
	}
	exe[n] = '\0';
	c.bin_dir = xstrdup(dirname(exe));
	c.tools_dir = xasprintf("%s/tools", c.bin_dir);
	c.scree_path = xasprintf("%s/scree", c.bin_dir);
	c.time_scale = 1.0;
	if (getenv("CAIRN_TEST_TIME_SCALE")) {
		double s = strtod(getenv("CAIRN_TEST_TIME_SCALE"), NULL);

		if (s > 0 && s <= 1)
			c.time_scale = s;
	}
	if (daemonize) {
		char *logp = xasprintf("%s/cairnd.log", c.home);
		int lfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		pid_t pid;

		free(logp);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid > 0)
			_exit(0); /* the parent's job is done; the ready byte comes from the child */
		setsid();
		if (nfd >= 0)
			dup2(nfd, 0);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		if (chdir("/") < 0)
			return 1;
	}
	raise_nofile();
	umask(022);
	if (loop_new(&c.l) < 0) {
		log_error("cannot create event loop");
		return 1;
	}
	sock = xasprintf("%s/cairnd.sock", c.home);
	{
		/* Refuse to start twice: the socket answers when a controller is alive. */
		int probe = msg_connect_unix(sock);

		if (probe >= 0) {
			close(probe);
			fprintf(stderr, "ERROR a controller is already running (socket %s)\n", sock);
			goto out;
		}
	}
	{
		char *logdir = xasprintf("%s/logs", c.home);

		r = logstore_open(logdir, &c.logs);
		free(logdir);
		if (r < 0) {
			log_error("cannot open the model log: %s", strerror(-r));
			goto out;
		}
	}
	r = model_open(c.home, &c.m, &eb);
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	{
		struct agent_backend be = ctl_backend_template;
		struct agent_config ac = {
			.home = c.home, .tools_dir = c.tools_dir, .scree_path = c.scree_path,
			.model_name = c.m->name,
			.model_uuid = c.m->uuid, .max_parallel = 0,
		};

		if (getenv("CAIRN_MAX_PARALLEL_HOOKS"))
			ac.max_parallel = (unsigned)strtoul(getenv("CAIRN_MAX_PARALLEL_HOOKS"), NULL, 10);
		be.data = &c;
		r = agent_new(c.l, &ac, &be, &c.agent, &eb);
		if (r < 0) {
			log_error("%s", eb.msg);
			goto out;
		}
	}
	ctl_apply_model_config(&c);
	ctl_start_agents(&c);
	r = api_new(&c, sock, &c.api, &eb);
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	loop_add_signal(c.l, SIGTERM, on_stop_signal, &c);
	loop_add_signal(c.l, SIGINT, on_stop_signal, &c);
	ctl_log(&c, "controller", "INFO", "cairn.controller", "controller started (pid %d)", (int)getpid());
	log_info("controller listening on %s", sock);
	if (ready_fd >= 0) {
		if (write(ready_fd, "R", 1) < 0)
			log_warn("cannot signal readiness: %s", strerror(errno));
		close(ready_fd);
	}
	r = loop_run(c.l);
	/* Let the last answers (e.g. to shutdown) go out before the sockets close. */
	loop_run_once(c.l, 0);
	rc = r < 0 ? 1 : 0;
	log_info("controller stopping");
out:
	api_free(c.api);
	agent_free(c.agent);
	model_close(c.m);
	logstore_close(c.logs);
	loop_free(c.l);
	free(sock);
	free(c.home);
	free(c.bin_dir);
	free(c.tools_dir);
	free(c.scree_path);
	return rc;
}
