/* main.c - cairn-agent, the machine agent.
 *
 *   cairn-agent run [--home DIR] [--max-parallel-hooks N]
 *   cairn-agent join HOST:PORT TOKEN [--home DIR]
 *
 * run: the agent of the machine enlisted in DIR (default /var/lib/cairn; the controller's own
 * machine uses $CAIRN_HOME): it reads DIR/agents/machine-<N>/agent.conf (the controller's
 * address, the machine's credential and, for TCP, the controller's CA certificate), keeps its
 * store and charm cache beside it, serves the hook tools on DIR/agent.sock and runs the units
 * the controller places on machine N.  One agent per DIR (a lock); its pid is in agent.pid.
 *
 * join: enlists this host with the one-time TOKEN that `cairn add-machine` printed (it carries
 * the controller's CA fingerprint, checked before the token is sent), writes agent.conf with
 * the credential the controller returns, and becomes `cairn-agent run` for that machine.
 *
 * Units whose containers have oci-image resources run as pods (pods.h) under <machine dir>/pods;
 * the static scree injected into their containers is $CAIRN_CONTAINER_PEBBLE, or the scree
 * beside this binary (which must then be statically linked).  The agent is a child subreaper:
 * container inits, which runc leaves behind, are reparented to it and reaped by its loop.
 *
 * Signals: SIGTERM/SIGINT stop the agent in an orderly way (running hooks are queued again,
 * containers keep running for the next agent); SIGHUP makes it reconnect now.  Exit codes:
 * 0 stopped (or torn down by kill-controller), 1 cannot start, 2 usage, 3 refused by the
 * controller (wrong or revoked credential). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/agent.h"
#include "agent/netinfo.h"
#include "agent/agent_io_real.h"
#include "agent/toolsrv.h"
#include "lib/buf.h"
#include "lib/fsutil.h"
#include "lib/log.h"
#include "proto/proto_conn.h"
#include "proto/tls.h"

#define EXIT_START 1
#define EXIT_USAGE 2
#define EXIT_REFUSED 3
#define DEFAULT_HOME "/var/lib/cairn"
#define JOIN_TIMEOUT_MS 30000

static void usage(FILE *f)
{
	fprintf(f, "usage: cairn-agent run [--home DIR] [--max-parallel-hooks N]\n"
		   "       cairn-agent join HOST:PORT TOKEN [--home DIR]\n");
}

static char *self_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	return xstrdup(dirname(exe));
}

/* The host's addresses other than loopback and link-local, IPv4 first. */
static json_t *host_addresses(void)
{
	struct ifaddrs *ifs = NULL;
	json_t *v4 = json_array(), *v6 = json_array();

	if (getifaddrs(&ifs) == 0) {
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			char buf[INET6_ADDRSTRLEN];

			if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP))
				continue;
			if (i->ifa_addr->sa_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, buf, sizeof(buf));
				json_array_append_new(v4, json_string(buf));
			} else if (i->ifa_addr->sa_family == AF_INET6) {
				struct in6_addr *a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;

				if (IN6_IS_ADDR_LINKLOCAL(a))
					continue;
				inet_ntop(AF_INET6, a, buf, sizeof(buf));
				json_array_append_new(v6, json_string(buf));
			}
		}
		freeifaddrs(ifs);
	}
	json_array_extend(v4, v6);
	json_decref(v6);
	while (json_array_size(v4) > PROTO_ADDRESSES_MAX)
		json_array_remove(v4, PROTO_ADDRESSES_MAX);
	return v4;
}

/* Finds home/agents/machine-<N>/agent.conf; returns the machine directory or NULL. */
static char *find_machine_dir(const char *home)
{
	char *agents = xasprintf("%s/agents", home), *found = NULL;
	DIR *d = opendir(agents);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *conf;

		if (strncmp(de->d_name, "machine-", 8))
			continue;
		conf = xasprintf("%s/%s/agent.conf", agents, de->d_name);
		if (access(conf, R_OK) == 0 && !found)
			found = xasprintf("%s/%s", agents, de->d_name);
		free(conf);
	}
	if (d)
		closedir(d);
	free(agents);
	return found;
}

/* ---- run ---- */

struct run {
	struct loop *l;
	int rc;
	bool torn_down;
};

static void on_stop_signal(struct loop *l, int signo, void *data)
{
	(void)signo;
	(void)data;
	loop_stop(l);
}

static void on_hup(struct loop *l, int signo, void *data)
{
	struct agent_real *r = data;

	(void)l;
	(void)signo;
	link_reconnect_now(r->link);
}

static void on_refused(void *data, const char *why)
{
	struct run *run = data;

	fprintf(stderr, "ERROR the controller refused this agent: %s\n", why);
	run->rc = EXIT_REFUSED;
	loop_stop(run->l);
}

static void on_torn_down(void *data)
{
	struct run *run = data;

	run->torn_down = true;
	loop_stop(run->l);
}

static struct hook_ctx *lookup_ctx(void *data, const char *id)
{
	struct agent_real *r = data;

	return r->agent ? agent_find_context(r->agent, id) : NULL;
}

static int cmd_run(const char *home, unsigned max_parallel)
{
	struct agent_real real;
	struct agent_io io;
	struct run run = { .rc = 0 };
	struct errbuf eb;
	struct buf conf = BUF_INIT;
	json_t *cj = NULL, *addrs = NULL;
	struct toolsrv *tools = NULL;
	char *mdir = NULL, *bin = NULL, *p = NULL, *tools_dir = NULL, *scree = NULL, *sock = NULL;
	char *pebble = NULL;
	char host[256] = "";
	int lockfd = -1, r;
	struct link_cbs lcbs = agent_real_link_cbs;

	memset(&real, 0, sizeof(real));
	buf_init(&conf);
	mdir = find_machine_dir(home);
	if (!mdir) {
		fprintf(stderr, "ERROR %s holds no enlisted machine (run `cairn-agent join` first)\n", home);
		run.rc = EXIT_START;
		goto out;
	}
	p = xasprintf("%s/agent.conf", mdir);
	if (fs_read_file(p, 1 << 20, &conf) < 0 || !(cj = json_loads(conf.data, 0, NULL)) ||
	    !json_is_string(json_object_get(cj, "machine")) ||
	    !json_is_string(json_object_get(cj, "password")) ||
	    !json_is_string(json_object_get(cj, "controller"))) {
		fprintf(stderr, "ERROR %s is missing or malformed\n", p);
		run.rc = EXIT_START;
		goto out;
	}
	free(p);
	/* One agent per machine directory. */
	p = xasprintf("%s/agent.lock", mdir);
	lockfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0 || flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "ERROR another agent runs for %s\n", mdir);
		run.rc = EXIT_START;
		goto out;
	}
	free(p);
	p = xasprintf("%s/agent.pid", mdir);
	{
		char pid[32];
		int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

		fs_write_atomic(p, pid, (size_t)n, 0644);
	}
	bin = self_dir();
	tools_dir = xasprintf("%s/tools", bin ? bin : ".");
	scree = xasprintf("%s/scree", bin ? bin : ".");
	sock = xasprintf("%s/agent.sock", home);
	agent_kill_leftover_hooks(sock);
	gethostname(host, sizeof(host) - 1);
	addrs = host_addresses();
	if (loop_new(&real.l) < 0) {
		fprintf(stderr, "ERROR cannot create the event loop\n");
		run.rc = EXIT_START;
		goto out;
	}
	run.l = real.l;
	{
		char *db = xasprintf("%s/agent.db", mdir), *cache = xasprintf("%s/charm-cache", mdir);

		r = store_open(db, real.l, &real.store, &eb);
		if (r == 0)
			r = charmcache_new(real.l, cache, NULL, NULL,
					   &real.cache, &eb);
		free(db);
		free(cache);
		if (r < 0) {
			fprintf(stderr, "ERROR %s\n", eb.msg);
			run.rc = EXIT_START;
			goto out;
		}
	}
	agent_io_real(&real, &io);
	charmcache_set_send(real.cache, io.send, &real);
	/* Pods: the inits of their containers are reparented here (runc run --detach exits). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	real.fetcher = fetcher_new(real.l, io.send, &real);
	{
		const char *env = getenv("CAIRN_CONTAINER_PEBBLE");
		struct pods_opts po = { .machine_dir = mdir, .fetcher = real.fetcher };

		pebble = env && *env ? xstrdup(env) : xstrdup(scree);
		po.scree_path = pebble;
		real.pods = pods_new(real.l, &po);
	}
	r = toolsrv_new(real.l, sock, lookup_ctx, &real, &tools, &eb);
	if (r < 0) {
		fprintf(stderr, "ERROR %s\n", eb.msg);
		run.rc = EXIT_START;
		goto out;
	}
	{
		json_t *net = netinfo_from_host();
		struct agent_config ac = {
			.home = home, .network = net,
			.machine = json_string_value(json_object_get(cj, "machine")),
			.password = json_string_value(json_object_get(cj, "password")),
			.tools_dir = tools_dir, .scree_path = scree, .socket_path = sock,
			.hostname = host, .addresses = addrs, .max_parallel = max_parallel,
			.refused = on_refused, .torn_down = on_torn_down, .cb_data = &run,
		};

		r = agent_new(&ac, &io, &real.agent, &eb);
		json_decref(net);
		if (r < 0) {
			fprintf(stderr, "ERROR %s\n", eb.msg);
			run.rc = EXIT_START;
			goto out;
		}
	}
	lcbs.data = &real;
	r = link_new(real.l, json_string_value(json_object_get(cj, "controller")),
		     json_string_value(json_object_get(cj, "ca-cert")), &lcbs, &real.link, &eb);
	if (r < 0) {
		fprintf(stderr, "ERROR %s\n", eb.msg);
		run.rc = EXIT_START;
		goto out;
	}
	loop_add_signal(real.l, SIGTERM, on_stop_signal, &run);
	loop_add_signal(real.l, SIGINT, on_stop_signal, &run);
	loop_add_signal(real.l, SIGHUP, on_hup, &real);
	log_info("machine %s agent running (pid %d)", json_string_value(json_object_get(cj, "machine")),
		 (int)getpid());
	loop_run(real.l);
	/* What the last iteration deferred (store writes, progress, installs) runs while its
	 * owners still exist. */
	loop_run_deferred(real.l);
	link_flush(real.link, 2000);
	if (run.torn_down)
		workload_wait_destroyed(10000);
out:
	agent_free(real.agent);
	real.agent = NULL;
	if (real.l) /* NULL when the agent could not start */
		loop_run_deferred(real.l);
	pods_free(real.pods);
	fetcher_free(real.fetcher);
	toolsrv_free(tools);
	link_free(real.link);
	charmcache_free(real.cache);
	if (run.torn_down && real.store) {
		/* kill-controller: the machine is no longer enlisted anywhere. */
		store_close(real.store);
		real.store = NULL;
		fs_rm_rf(mdir);
		log_info("torn down");
	}
	store_close(real.store);
	loop_free(real.l);
	if (p && !run.torn_down && lockfd >= 0)
		unlink(p); /* the pid file */
	if (lockfd >= 0)
		close(lockfd);
	json_decref(cj);
	json_decref(addrs);
	buf_done(&conf);
	free(mdir);
	free(bin);
	free(p);
	free(tools_dir);
	free(scree);
	free(pebble);
	free(sock);
	return run.rc;
}

/* ---- join ---- */

struct join {
	struct loop *l;
	struct proto_conn *c;
	const char *secret, *pin, *home, *address;
	char *ca_pem;
	int rc;
	bool done;
};

static void join_ready(struct proto_conn *c, void *data)
{
	struct join *j = data;
	struct proto_msg m;
	struct errbuf eb;
	char host[256] = "";
	json_t *addrs;

	if (tls_verify_pinned(proto_conn_ssl(c), j->pin, &j->ca_pem, &eb) < 0) {
		fprintf(stderr, "ERROR %s\n", eb.msg);
		j->rc = EXIT_REFUSED;
		loop_stop(j->l);
		return;
	}
	gethostname(host, sizeof(host) - 1);
	addrs = host_addresses();
	proto_msg_init(&m, PROTO_JOIN);
	m.u.join.version = PROTO_VERSION;
	m.u.join.token = j->secret;
	m.u.join.hostname = host;
	m.u.join.addresses = addrs;
	proto_conn_send(c, &m, &eb);
	json_decref(addrs);
}

static void join_message(struct proto_conn *c, struct proto_msg *m, void *data)
{
	struct join *j = data;

	(void)c;
	if (m->type == PROTO_REFUSED) {
		fprintf(stderr, "ERROR the controller refused to enlist this host: %s\n", m->u.refused.error);
		j->rc = EXIT_REFUSED;
		loop_stop(j->l);
		return;
	}
	if (m->type != PROTO_JOINED)
		return;
	char *dir = xasprintf("%s/agents/machine-%s", j->home, m->u.joined.machine);
	char *path = xasprintf("%s/agent.conf", dir);
	json_t *conf = json_pack("{s:s, s:s, s:s, s:s}", "machine", m->u.joined.machine, "password",
				 m->u.joined.password, "controller", j->address, "ca-cert", j->ca_pem);
	char *text = json_dumps(conf, JSON_INDENT(2));
	int r = fs_mkdir_p(dir, 0700);

	if (r == 0)
		r = fs_write_atomic(path, text, strlen(text), 0600);
	if (r < 0) {
		fprintf(stderr, "ERROR cannot write %s: %s\n", path, strerror(-r));
		j->rc = EXIT_START;
	} else {
		fprintf(stderr, "enlisted as machine %s\n", m->u.joined.machine);
		j->done = true;
	}
	free(text);
	json_decref(conf);
	free(path);
	free(dir);
	loop_stop(j->l);
}

static void join_closed(struct proto_conn *c, const char *why, void *data)
{
	struct join *j = data;

	(void)c;
	j->c = NULL;
	if (!j->done && !j->rc) {
		fprintf(stderr, "ERROR cannot enlist with the controller: %s\n", why);
		j->rc = EXIT_START;
	}
	loop_stop(j->l);
}

static void on_join_timeout(struct loop_timer *t, void *data)
{
	struct join *j = data;

	(void)t;
	fprintf(stderr, "ERROR the controller did not answer within %d seconds\n", JOIN_TIMEOUT_MS / 1000);
	j->rc = EXIT_START;
	loop_stop(j->l);
}

/* Resolves host:port once (before any loop runs) to a numeric address. */
static int resolve(const char *hostport, char *out, size_t n)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char ip[INET6_ADDRSTRLEN];

	if (!colon || colon == hostport || (size_t)(colon - hostport) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
	if (host[0] == '[') {
		snprintf(out, n, "%s", hostport);
		return 0;
	}
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
		return -ENOENT;
	if (res->ai_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, ip, sizeof(ip));
		snprintf(out, n, "[%s]%s", ip, colon);
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)res->ai_addr)->sin_addr, ip, sizeof(ip));
		snprintf(out, n, "%s%s", ip, colon);
	}
	freeaddrinfo(res);
	return 0;
}

static int cmd_join(const char *hostport, const char *token, const char *home)
{
	struct join j = { .home = home, .rc = 0 };
	char address[300], secret[PROTO_SECRET_MAX + 1];
	const char *dot = strchr(token, '.');
	struct sockaddr_storage sa;
	unsigned sa_len;
	struct errbuf eb;
	SSL_CTX *ctx = NULL;
	struct loop_timer *t = NULL;
	int fd = -1, r;

	if (!dot || dot == token || (size_t)(dot - token) > PROTO_SECRET_MAX || strlen(dot + 1) != 64 ||
	    strspn(token, "0123456789abcdef.") != strlen(token)) {
		fprintf(stderr, "ERROR invalid join token\n");
		return EXIT_USAGE;
	}
	snprintf(secret, sizeof(secret), "%.*s", (int)(dot - token), token);
	if (find_machine_dir(home)) {
		fprintf(stderr, "ERROR %s already holds an enlisted machine\n", home);
		return EXIT_START;
	}
	if (resolve(hostport, address, sizeof(address)) < 0 ||
	    link_parse_tcp(address, &sa, &sa_len, &eb) < 0) {
		fprintf(stderr, "ERROR invalid controller address \"%s\"\n", hostport);
		return EXIT_USAGE;
	}
	j.secret = secret;
	j.pin = dot + 1;
	j.address = address;
	if (loop_new(&j.l) < 0)
		return EXIT_START;
	ctx = tls_client_ctx(NULL, &eb);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	r = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sa, sa_len);
	if (!ctx || (r < 0 && errno != EINPROGRESS)) {
		fprintf(stderr, "ERROR cannot connect to %s: %s\n", address, strerror(errno));
		if (fd >= 0)
			close(fd);
		j.rc = EXIT_START;
		goto out;
	}
	{
		struct proto_conn_cbs cbs = { join_ready, join_message, join_closed, &j, NULL };
		struct proto_conn_opts o = { .in = PROTO_TO_AGENT, .tls = ctx, .connecting = r < 0 };

		if (proto_conn_new(j.l, fd, &o, &cbs, &j.c, &eb) < 0) {
			fprintf(stderr, "ERROR %s\n", eb.msg);
			j.rc = EXIT_START;
			goto out;
		}
	}
	t = loop_timer_new(j.l, on_join_timeout, &j);
	loop_timer_arm_in(t, JOIN_TIMEOUT_MS);
	loop_run(j.l);
out:
	proto_conn_free(j.c);
	loop_timer_free(t);
	loop_free(j.l);
	SSL_CTX_free(ctx);
	free(j.ca_pem);
	if (!j.done)
		return j.rc ? j.rc : EXIT_START;
	/* Enlisted: become the machine's agent, with the credential just written. */
	{
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		char *argv[] = { exe, "run", "--home", (char *)home, NULL };

		if (n > 0) {
			exe[n] = '\0';
			execv(exe, argv);
		}
		fprintf(stderr, "ERROR cannot start the agent: %s\n", strerror(errno));
		return EXIT_START;
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "max-parallel-hooks", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home = getenv("CAIRN_AGENT_HOME");
	unsigned max_parallel = 0;
	int opt;

	log_set_prefix("cairn-agent");
	signal(SIGPIPE, SIG_IGN);
	if (!home || !*home)
		home = DEFAULT_HOME;
	while ((opt = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt == 'v') {
			printf("%s\n", AGENT_VERSION);
			return 0;
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *verb = argv[optind];
	int nargs = 0;
	const char *args[2] = { NULL, NULL };

	optind++;
	while (optind < argc) {
		opt = getopt_long(argc, argv, "+", longopts, NULL);
		if (opt == -1) {
			if (nargs >= 2) {
				fprintf(stderr, "ERROR unrecognized args: \"%s\"\n", argv[optind]);
				return EXIT_USAGE;
			}
			args[nargs++] = argv[optind++];
			continue;
		}
		if (opt == 'H') {
			home = optarg;
		} else if (opt == 'p') {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 1 || v > 4096) {
				fprintf(stderr, "ERROR invalid --max-parallel-hooks value \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			max_parallel = (unsigned)v;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	umask(022);
	if (!strcmp(verb, "run") && nargs == 0)
		return cmd_run(home, max_parallel);
	if (!strcmp(verb, "join") && nargs == 2)
		return cmd_join(args[0], args[1], home);
	usage(stderr);
	return EXIT_USAGE;
}
