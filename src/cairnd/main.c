/* main.c - cairnd: the controller daemon (model, API, agent server) in one event loop.
 *
 *   cairnd [--foreground] [--daemon] [--ready-fd N] [--config KEY=VALUE]...
 *
 * $CAIRN_HOME (default ~/.local/share/cairn) holds state.db, the charm store, the TLS
 * certificates, logs and the sockets; it is also the home of machine 0's agent, which cairnd
 * starts and supervises (supervise.h).  --config sets controller config (ctlcfg.h), kept for
 * later starts.  --daemon detaches (log to $CAIRN_HOME/cairnd.log); --ready-fd N gets one byte
 * once the API socket listens, so a CLI that started the controller can wait for it without
 * polling.
 *
 * SIGTERM/SIGINT stop the controller and its machine agent in an orderly way (running hooks
 * are queued again; workloads keep running).  A SIGKILL leaves the agent running: it goes on
 * with its hooks and the next cairnd adopts it.  The `shutdown` request (kill-controller)
 * destroys everything deployed and the controller's state.  Exit codes: 0 after a stop, 1
 * when it cannot start (e.g. another controller already runs), 2 for bad arguments. */
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

#include "cairnd/agents.h"
#include "cairnd/ctl_rel.h"
#include "cairnd/controller.h"
#include "cairnd/resstore.h"
#include "cairnd/supervise.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "lib/msg.h"
#include "proto/tls.h"

void ctl_destroy_finish(struct controller *c);

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
	fprintf(f, "usage: cairnd [--foreground] [--daemon] [--ready-fd N] [--config KEY=VALUE]...\n");
}

static void sup_log(void *data, const char *level, const char *msg)
{
	struct controller *c = data;

	ctl_log(c, "controller", level, "cairn.supervisor", "%s", msg);
	log_info("%s", msg);
}

/* Machine 0's agent needs a credential and the controller's socket: agent.conf, 0600. */
static int local_agent_conf(struct controller *c, const char *sock, struct errbuf *eb)
{
	char *dir = xasprintf("%s/agents/machine-0", c->home), *path = xasprintf("%s/agent.conf", dir);
	struct model_machine *mc = model_find_machine(c->m, 0);
	char password[65];
	json_t *conf;
	char *text;
	int r = 0;

	if (mc->password_hash && access(path, R_OK) == 0)
		goto out;
	r = fs_mkdir_p(dir, 0700);
	if (r == 0)
		r = agents_new_credential(c, mc, password, eb);
	if (r < 0)
		goto out;
	conf = json_pack("{s:s, s:s, s:s+}", "machine", "0", "password", password, "controller", "unix:", sock);
	text = json_dumps(conf, JSON_INDENT(2));
	r = fs_write_atomic(path, text, strlen(text), 0600);
	if (r < 0)
		errbuf_set(eb, "cannot write %s: %s", path, strerror(-r));
	free(text);
	json_decref(conf);
out:
	free(dir);
	free(path);
	return r;
}

/* Parses the command line into *daemonize, *ready_fd and cfgs (controller config, checked).
 * Returns -1 to go on, else the exit code (usage printed). */
static int parse_args(int argc, char **argv, bool *daemonize, int *ready_fd, json_t *cfgs)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct errbuf eb;
	int opt;

	while ((opt = getopt_long(argc, argv, "fdr:c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f':
			*daemonize = false;
			break;
		case 'd':
			*daemonize = true;
			break;
		case 'r': {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > INT_MAX) {
				fprintf(stderr, "ERROR invalid --ready-fd value \"%s\"\n", optarg);
				return 2;
			}
			*ready_fd = (int)v;
			break;
		}
		case 'c': {
			const char *eq = strchr(optarg, '=');
			char *key;

			if (!eq || eq == optarg) {
				fprintf(stderr, "ERROR invalid --config value \"%s\": expected KEY=VALUE\n", optarg);
				return 2;
			}
			key = xstrndup(optarg, (size_t)(eq - optarg));
			if (ctlcfg_check(key, eq + 1, &eb) < 0) {
				fprintf(stderr, "ERROR %s\n", eb.msg);
				free(key);
				return 2;
			}
			json_object_set_new(cfgs, key, json_string(eq + 1));
			free(key);
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
	return -1;
}

int main(int argc, char **argv)
{
	struct controller c;
	struct errbuf eb;
	char exe[PATH_MAX];
	bool daemonize = false;
	int ready_fd = -1, r, rc = 1;
	char *sock = NULL, *agent_sock = NULL, *tls_dir = NULL, *agent_bin = NULL;
	json_t *cfgs = json_object();
	ssize_t n;

	memset(&c, 0, sizeof(c));
	r = parse_args(argc, argv, &daemonize, &ready_fd, cfgs);
	if (r >= 0) {
		json_decref(cfgs);
		return r;
	}
	log_set_prefix("cairnd");
	c.home = default_home();
	if (fs_mkdir_p(c.home, 0700) < 0) {
		fprintf(stderr, "ERROR cannot create %s: %s\n", c.home, strerror(errno));
		goto out;
	}
	{
		/* A home that existed already (a mount point, say) is made private too. */
		struct stat st;

		if (stat(c.home, &st) == 0 && (st.st_mode & 077) && st.st_uid == geteuid())
			chmod(c.home, 0700);
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		fprintf(stderr, "ERROR cannot find my own executable\n");
		goto out;
	}
	exe[n] = '\0';
	c.bin_dir = xstrdup(dirname(exe));
	agent_bin = xasprintf("%s/cairn-agent", c.bin_dir);
	if (daemonize) {
		char *logp = xasprintf("%s/cairnd.log", c.home);
		int lfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		int nfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		pid_t pid;

		free(logp);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			goto out;
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
			goto out;
	}
	raise_nofile();
	/* Everything the controller writes is its own: the model (credential hashes, config),
	 * charms, logs, keys.  Machine 0's agent sets its own umask for hooks. */
	umask(077);
	signal(SIGPIPE, SIG_IGN);
	if (loop_new(&c.l) < 0) {
		log_error("cannot create event loop");
		goto out;
	}
	sock = xasprintf("%s/cairnd.sock", c.home);
	agent_sock = xasprintf("%s/agent-api.sock", c.home);
	tls_dir = xasprintf("%s/tls", c.home);
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
	if (r == 0) {
		model_checkpoints_off_loop(c.m, c.l);
		r = ctl_stores_open(&c, &eb);
	}
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	{
		const char *k;
		json_t *v;

		json_object_foreach(cfgs, k, v) {
			if (model_ctlcfg_set(c.m, k, json_string_value(v), &eb) < 0) {
				log_error("%s", eb.msg);
				goto out;
			}
		}
	}
	ctlcfg_read(c.m, &c.cfg);
	/* The CA and the server certificate agents on other machines check. */
	if (tls_bootstrap(tls_dir, &eb) < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	/* Fresh goal generations: whatever an agent reported before this start is older. */
	for (size_t i = 0; i < c.m->n_apps; i++) {
		c.m->apps[i]->gen = model_next_gen(c.m);
		for (size_t k = 0; k < c.m->apps[i]->n_units; k++)
			c.m->apps[i]->units[k]->gen = model_next_gen(c.m);
	}
	r = resstore_new(c.l, c.home, &c.res, &eb);
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	resstore_gc(c.res, c.m);
	r = agents_new(&c, agent_sock, tls_dir, &c.agents, &eb);
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	if (local_agent_conf(&c, agent_sock, &eb) < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
	for (size_t i = 0; i < c.m->n_apps; i++)
		ctl_ensure_leader(&c, c.m->apps[i], false);
	r = supervise_start(c.l, c.home, agent_bin, sup_log, &c, &c.sup, &eb);
	if (r < 0) {
		log_error("%s", eb.msg);
		goto out;
	}
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
	/* An orderly stop takes machine 0's agent down with it (its hooks run again on the next
	 * start, its workloads keep running); a destroyed controller's agent is gone already. */
	supervise_stop(c.sup, 30000);
	api_free(c.api);
	agents_free(c.agents);
	resstore_free(c.res);
	ctl_stores_close(&c);
	model_close(c.m);
	logstore_close(c.logs);
	loop_free(c.l);
	ctl_destroy_finish(&c);
	json_decref(cfgs);
	free(sock);
	free(agent_sock);
	free(tls_dir);
	free(agent_bin);
	free(c.home);
	free(c.bin_dir);
	return rc;
}
