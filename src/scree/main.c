/* main.c - the `scree` binary: `scree run` starts the daemon, every other verb is a client
 * of it (as `pebble` is both).  The role is picked by the first argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "memtrim.h"
#include "lib/buf.h"

static const char usage[] =
	"Usage: scree <command> [<options>...]\n"
	"\n"
	"Commands:\n"
	"  run [--create-dirs] [--hold] [--http ADDR] [-v|--verbose] [--args SVC ARGS... ;]\n"
	"      [--identities FILE]\n"
	"  enter [run options] [--run] [SUBCOMMAND...]   run the daemon for one subcommand\n"
	"  services [SVC...]       list services\n"
	"  start|stop|restart SVC...\n"
	"  replan, autostart\n"
	"  add LABEL FILE [--combine] [--inner]\n"
	"  plan                    show the combined plan\n"
	"  changes [SVC]           list changes\n"
	"  tasks ID                list the tasks of a change\n"
	"  logs [-f] [-n N] [--format text|json] [SVC...]\n"
	"  signal SIG SVC...\n"
	"  identities [--format text|json|yaml], identity NAME\n"
	"  add-identities --from FILE, update-identities --from FILE [--replace]\n"
	"  remove-identities --from FILE\n"
	"  checks [--level=alive|ready] [CHECK...]\n"
	"  check [--refresh] CHECK\n"
	"  start-checks|stop-checks CHECK...\n"
	"  health [--level=alive|ready] [--format=text|json] [CHECK...]\n"
	"  notices [--users=all] [--uid=UID] [--type=T]... [--key=K]... [--timeout=DUR] [--abs-time]\n"
	"  notice ID | notice TYPE KEY [--uid=UID]\n"
	"  notify [--repeat-after=DUR] KEY [NAME=VALUE...]\n"
	"  warnings [--all] [--verbose] [--abs-time]\n"
	"  okay [--warnings]\n"
	"  exec [-w DIR] [--env K=V] [--uid N|--user U] [--gid N|--group G] [--timeout D]\n"
	"       [--context SVC] [-t|-T] [-i|-I] [--] COMMAND [ARGS...]\n"
	"  push [-p] [-m MODE] [--uid ID] [--user NAME] [--gid ID] [--group NAME] LOCAL REMOTE\n"
	"  pull REMOTE LOCAL\n"
	"  ls [-d] [-l] [--abs-time] PATH\n"
	"  mkdir [-p] [-m MODE] [--uid ID] [--user NAME] [--gid ID] [--group NAME] PATH\n"
	"  rm [-r] PATH\n"
	"  version\n";

/* glibc's NSS override (public since 2.2.5).  scree is linked statically (see
 * CMakeLists.txt), and a static glibc must not dlopen NSS modules such as nss_systemd (it
 * crashes).  Users and groups therefore come from /etc/passwd and /etc/group only, which
 * is also what upstream Pebble does: it is built without cgo, so Go's os/user reads those
 * files directly. */
extern int __nss_configure_lookup(const char *dbname, const char *service_line);

static void free_opts(struct scree_opts *o)
{
	for (size_t i = 0; i < o->n_args; i++) {
		free(o->args[i].service);
		for (size_t k = 0; k < o->args[i].n; k++)
			free(o->args[i].args[k]);
		free(o->args[i].args);
	}
	free(o->args);
}

/* Parses `run` options (go-flags, as upstream's cmd_run.go).  For `enter` (enter_run !=
 * NULL) --run is known too and everything from the first positional on is the subcommand
 * (*sub).  Returns 0, CLI_OPTS_HELP or -1 with eb set. */
static int parse_run(int argc, char **argv, struct scree_opts *o, bool *enter_run, struct cli_strv *sub,
		     struct errbuf *eb)
{
	const char *v = getenv("PEBBLE_VERBOSE");
	struct cli_groups args = CLI_GROUPS_INIT;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "create-dirs", &o->create_dirs),
		CLI_BOOL(0, "hold", &o->hold),
		CLI_STRING(0, "http", &o->http_addr),
		CLI_BOOL('v', "verbose", &o->verbose),
		CLI_TERMINATED(0, "args", ";", &args),
		CLI_STRING(0, "identities", &o->identities_file),
		CLI_BOOL(0, "run", enter_run),
		CLI_OPT_END,
	};
	const struct cli_arg enter_args[] = { CLI_ARGS("<subcommand>", 0, sub), CLI_ARG_END };
	struct cli_opt run_opts[sizeof(opts) / sizeof(opts[0])];
	const struct cli_spec spec = { "pebble run [run-OPTIONS]", run_opts, NULL, false };
	const struct cli_spec enter_spec = { "pebble enter [enter-OPTIONS] [<subcommand>...]", opts, enter_args,
					     true };
	int rv;

	/* `run` has every option but --run. */
	memcpy(run_opts, opts, sizeof(opts));
	run_opts[sizeof(opts) / sizeof(opts[0]) - 2] = run_opts[sizeof(opts) / sizeof(opts[0]) - 1];
	memset(o, 0, sizeof(*o));
	o->verbose = v && strcmp(v, "1") == 0;
	rv = cli_opts_parse(enter_run ? &enter_spec : &spec, argc, argv, eb);
	if (rv != 0)
		goto out;
	if (o->http_addr && !*o->http_addr)
		o->http_addr = NULL;
	if (o->identities_file && !*o->identities_file)
		o->identities_file = NULL;
	/* upstream convertArgs */
	o->args = xcalloc(args.n + 1, sizeof(*o->args));
	for (size_t i = 0; i < args.n; i++) {
		struct cli_strv *g = &args.g[i];
		struct scree_svc_args *sa;

		if (g->n < 1) {
			errbuf_set(eb, "--args requires a service name");
			rv = -1;
			goto out;
		}
		for (size_t k = 0; k < o->n_args; k++) {
			if (strcmp(o->args[k].service, g->v[0]) == 0) {
				errbuf_set(eb, "--args provided more than once for \"%s\" service", g->v[0]);
				rv = -1;
				goto out;
			}
		}
		sa = &o->args[o->n_args++];
		sa->service = xstrdup(g->v[0]);
		sa->n = g->n - 1;
		sa->args = xcalloc(sa->n + 1, sizeof(char *));
		for (size_t k = 1; k < g->n; k++)
			sa->args[k - 1] = xstrdup(g->v[k]);
	}
out:
	cli_groups_done(&args);
	return rv;
}

static int cli_start(int argc, char **argv, struct errbuf *eb)
{
	return cli_service_action("start", argc, argv, eb);
}

static int cli_stop(int argc, char **argv, struct errbuf *eb)
{
	return cli_service_action("stop", argc, argv, eb);
}

static int cli_restart(int argc, char **argv, struct errbuf *eb)
{
	return cli_service_action("restart", argc, argv, eb);
}

static int cli_replan(int argc, char **argv, struct errbuf *eb)
{
	return cli_service_action("replan", argc, argv, eb);
}

static int cli_autostart(int argc, char **argv, struct errbuf *eb)
{
	return cli_service_action("autostart", argc, argv, eb);
}

/* The client verbs: argv after the verb, 0 or -1 with eb set. */
static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct errbuf *eb);
} verbs[] = {
	{ "services", cli_services },
	{ "start", cli_start },
	{ "stop", cli_stop },
	{ "restart", cli_restart },
	{ "replan", cli_replan },
	{ "autostart", cli_autostart },
	{ "plan", cli_plan },
	{ "add", cli_add },
	{ "changes", cli_changes },
	{ "tasks", cli_tasks },
	{ "logs", cli_logs },
	{ "signal", cli_signal },
	{ "version", cli_version },
	{ "identities", cli_identities },
	{ "identity", cli_identity },
	{ "add-identities", cli_add_identities },
	{ "update-identities", cli_update_identities },
	{ "remove-identities", cli_remove_identities },
	{ "checks", cli_checks },
	{ "check", cli_check },
	{ "start-checks", cli_start_checks },
	{ "stop-checks", cli_stop_checks },
	{ "health", cli_health },
	{ "notices", cli_notices },
	{ "notice", cli_notice },
	{ "notify", cli_notify },
	{ "warnings", cli_warnings },
	{ "okay", cli_okay },
	{ "exec", cli_exec },
	{ "push", cli_push },
	{ "pull", cli_pull },
	{ "ls", cli_ls },
	{ "mkdir", cli_mkdir },
	{ "rm", cli_rm },
};

static int run_verb(const char *verb, int argc, char **argv, struct errbuf *eb);

/* `help [--all] [<command>...]`: the list of commands, or a command's own usage (what
 * `<command> --help` prints), as upstream's help command; its options are parsed like
 * every verb's. */
static int cli_help(int argc, char **argv, struct errbuf *eb)
{
	bool all = false, man = false;
	struct cli_strv cmds = CLI_STRV_INIT;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "all", &all),
		CLI_BOOL(0, "man", &man),
		CLI_OPT_END,
	};
	const struct cli_arg args[] = { CLI_ARGS("<command>", 0, &cmds), CLI_ARG_END };
	const struct cli_spec spec = { "pebble help [help-OPTIONS] [<command>...]", opts, args, false };
	char *help[] = { "--help", NULL };
	int rv = cli_opts_parse(&spec, argc, argv, eb);

	if (rv != 0) {
		cli_strv_done(&cmds);
		return rv < 0 ? -1 : 0;
	}
	if (cmds.n == 0 || all || man) {
		fputs(usage, stdout);
		rv = 0;
	} else {
		rv = run_verb(cmds.v[0], 1, help, eb);
	}
	cli_strv_done(&cmds);
	return rv;
}

int main(int argc, char **argv)
{
	char **argv0 = argv;
	struct errbuf eb;
	const char *verb;
	int rv;

	errbuf_clear(&eb);
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	__nss_configure_lookup("shadow", "files");
	__nss_configure_lookup("hosts", "files dns");
	if (argc < 2) {
		fputs(usage, stderr);
		return 1;
	}
	verb = argv[1];
	argc -= 2;
	argv += 2;
	if (strcmp(verb, "run") == 0) {
		struct scree_opts o;

		memtrim_reexec(argv0);
		rv = parse_run(argc, argv, &o, NULL, NULL, &eb);
		if (rv != 0) {
			if (rv < 0)
				fprintf(stderr, "error: %s\n", eb.msg);
			free_opts(&o);
			return rv < 0 ? 1 : 0;
		}
		rv = scree_run(&o);
		free_opts(&o);
		return rv;
	}
	if (strcmp(verb, "enter") == 0) {
		struct scree_opts o;
		struct cli_strv sub = CLI_STRV_INIT;
		bool run = false;

		rv = parse_run(argc, argv, &o, &run, &sub, &eb);
		if (rv == 0)
			rv = cli_enter(&o, run, (int)sub.n, (char **)sub.v, &eb);
		else if (rv > 0)
			rv = 0; /* --help */
		if (rv < 0)
			fprintf(stderr, "error: %s\n", eb.msg);
		cli_strv_done(&sub);
		free_opts(&o);
		return rv < 0 ? 1 : rv;
	}
	if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	rv = strcmp(verb, "help") == 0 ? cli_help(argc, argv, &eb) : run_verb(verb, argc, argv, &eb);
	if (rv < 0) {
		fprintf(stderr, "error: %s\n", eb.msg);
		return 1;
	}
	return rv; /* > 0: an exit code without an error (health: unhealthy; exec: the command's) */
}

/* A client verb of the table; 1 after printing its --help is an exit code of 0. */
static int run_verb(const char *verb, int argc, char **argv, struct errbuf *eb)
{
	int (*fn)(int argc, char **argv, struct errbuf *eb) = NULL;

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].name) == 0)
			fn = verbs[i].fn;
	if (!fn && (strcmp(verb, "run") == 0 || strcmp(verb, "enter") == 0) && argc == 1 &&
	    strcmp(argv[0], "--help") == 0) {
		/* help run / help enter: their usage, from their own option tables. */
		struct scree_opts o;
		bool run = false;
		struct cli_strv sub = CLI_STRV_INIT;
		int rv = parse_run(argc, argv, &o, strcmp(verb, "enter") == 0 ? &run : NULL,
				   strcmp(verb, "enter") == 0 ? &sub : NULL, eb);

		cli_strv_done(&sub);
		free_opts(&o);
		return rv < 0 ? rv : 0;
	}
	if (!fn) {
		errbuf_set(eb, "unknown command \"%s\", see 'pebble help'", verb);
		return -1;
	}
	return fn(argc, argv, eb);
}
