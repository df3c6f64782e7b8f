/* main.c - the `scree` binary: `scree run` starts the daemon, every other verb is a client
 * of it (as `pebble` is both).  The role is picked by the first argument. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"
#include "lib/buf.h"

static const char usage[] =
	"Usage: scree <command> [<options>...]\n"
	"\n"
	"Commands:\n"
	"  run [--create-dirs] [--hold] [--http ADDR] [-v|--verbose] [--args SVC ARGS... ;]\n"
	"  services [SVC...]       list services\n"
	"  start|stop|restart SVC...\n"
	"  replan, autostart\n"
	"  add LABEL FILE [--combine] [--inner]\n"
	"  plan                    show the combined plan\n"
	"  changes [SVC]           list changes\n"
	"  tasks ID                list the tasks of a change\n"
	"  logs [-f] [-n N] [SVC...]\n"
	"  signal SIG SVC...\n"
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

/* Parses `run` options (Go flag style: --http ADDR or --http=ADDR).  Returns 0 or -1
 * with eb set. */
static int parse_run(int argc, char **argv, struct scree_opts *o, struct errbuf *eb)
{
	const char *v = getenv("PEBBLE_VERBOSE");

	memset(o, 0, sizeof(*o));
	o->verbose = v && strcmp(v, "1") == 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--create-dirs") == 0) {
			o->create_dirs = true;
		} else if (strcmp(a, "--hold") == 0) {
			o->hold = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(a, "--http") == 0) {
			if (i + 1 >= argc)
				return errbuf_set(eb, "expected argument for flag `--http'"), -1;
			o->http_addr = argv[++i];
		} else if (strncmp(a, "--http=", 7) == 0) {
			o->http_addr = a + 7;
		} else if (strcmp(a, "--args") == 0) {
			struct scree_svc_args *sa;

			if (i + 1 >= argc || strcmp(argv[i + 1], ";") == 0)
				return errbuf_set(eb, "--args requires a service name"), -1;
			o->args = xrealloc(o->args, (o->n_args + 1) * sizeof(*o->args));
			sa = &o->args[o->n_args++];
			memset(sa, 0, sizeof(*sa));
			sa->service = xstrdup(argv[++i]);
			/* Arguments run to a standalone ";" (which may be omitted at the end). */
			while (i + 1 < argc && strcmp(argv[i + 1], ";") != 0) {
				sa->args = xrealloc(sa->args, (sa->n + 1) * sizeof(char *));
				sa->args[sa->n++] = xstrdup(argv[++i]);
			}
			if (i + 1 < argc)
				i++; /* the ";" */
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else {
			return errbuf_set(eb, "unknown flag `%s'", a), -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
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

		if (parse_run(argc, argv, &o, &eb) < 0) {
			fprintf(stderr, "error: %s\n", eb.msg);
			free_opts(&o);
			return 1;
		}
		rv = scree_run(&o);
		free_opts(&o);
		return rv;
	}
	if (strcmp(verb, "services") == 0)
		rv = cli_services(argc, argv, &eb);
	else if (strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 || strcmp(verb, "restart") == 0 ||
		 strcmp(verb, "replan") == 0 || strcmp(verb, "autostart") == 0)
		rv = cli_service_action(verb, argc, argv, &eb);
	else if (strcmp(verb, "plan") == 0)
		rv = cli_plan(argc, argv, &eb);
	else if (strcmp(verb, "add") == 0)
		rv = cli_add(argc, argv, &eb);
	else if (strcmp(verb, "changes") == 0)
		rv = cli_changes(argc, argv, &eb);
	else if (strcmp(verb, "tasks") == 0)
		rv = cli_tasks(argc, argv, &eb);
	else if (strcmp(verb, "logs") == 0)
		rv = cli_logs(argc, argv, &eb);
	else if (strcmp(verb, "signal") == 0)
		rv = cli_signal(argc, argv, &eb);
	else if (strcmp(verb, "version") == 0)
		rv = cli_version(argc, argv, &eb);
	else if (strcmp(verb, "help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0) {
		fputs(usage, stdout);
		return 0;
	} else {
		fprintf(stderr, "error: unknown command \"%s\", see 'pebble help'\n", verb);
		return 1;
	}
	if (rv < 0) {
		fprintf(stderr, "error: %s\n", eb.msg);
		return 1;
	}
	return 0;
}
