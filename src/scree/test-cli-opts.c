/* test-cli-opts.c - unit tests for the CLI option parser: go-flags syntax and messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/cli_opts.h"

static struct errbuf eb;
static char *lines[256]; /* command-line copies the parsed values point into */
static int nlines;

/* The logs command's table (-f/--follow, --format, -n, [<service>...]). */
static bool follow;
static const char *format, *n;
static struct cli_strv svcs;

static const struct cli_opt logs_opts[] = {
	CLI_BOOL('f', "follow", &follow),
	CLI_STRING(0, "format", &format),
	CLI_STRING('n', NULL, &n),
	CLI_OPT_END,
};
static const struct cli_arg logs_args[] = { CLI_ARGS("<service>", 0, &svcs), CLI_ARG_END };
static const struct cli_spec logs = { "pebble logs [logs-OPTIONS] [<service>...]", logs_opts, logs_args, false };

/* Splits a space-separated command line (no quoting needed in these tests). */
static int run(const struct cli_spec *spec, const char *line)
{
	char *copy = strdup(line), *argv[32], *tok, *save = NULL;
	int argc = 0, rv;

	for (tok = strtok_r(copy, " ", &save); tok && argc < 31; tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	follow = false;
	format = n = NULL;
	cli_strv_done(&svcs);
	errbuf_clear(&eb);
	rv = cli_opts_parse(spec, argc, argv, &eb);
	/* Values point into copy: it lives until the end of the tests. */
	if (nlines < 256)
		lines[nlines++] = copy;
	else
		abort();
	return rv;
}

static const char *err(const struct cli_spec *spec, const char *line)
{
	return run(spec, line) < 0 ? eb.msg : "(no error)";
}

static void test_syntax(void)
{
	ASSERT_EQ(run(&logs, "-f -n 5 svc1 svc2"), 0);
	ASSERT_TRUE(follow);
	ASSERT_STREQ(n, "5");
	ASSERT_EQ(svcs.n, 2);
	ASSERT_STREQ(svcs.v[1], "svc2");
	ASSERT_EQ(run(&logs, "--follow --format=json"), 0);
	ASSERT_TRUE(follow);
	ASSERT_STREQ(format, "json");
	ASSERT_EQ(svcs.n, 0);
	/* Options and positionals interleave; the last value of a repeated option wins. */
	ASSERT_EQ(run(&logs, "a --format json b --format=text -n=7 c"), 0);
	ASSERT_STREQ(format, "text");
	ASSERT_STREQ(n, "7");
	ASSERT_EQ(svcs.n, 3);
	/* Bundled short flags: only the last may take the next argument; -nVALUE. */
	ASSERT_EQ(run(&logs, "-fn 10"), 0);
	ASSERT_TRUE(follow);
	ASSERT_STREQ(n, "10");
	ASSERT_EQ(run(&logs, "-n10"), 0);
	ASSERT_STREQ(n, "10");
	ASSERT_EQ(run(&logs, "-nf"), 0);
	ASSERT_STREQ(n, "f");
	ASSERT_TRUE(!follow);
	/* "--" ends the options; a lone "-" is a positional; "--format=" is empty. */
	ASSERT_EQ(run(&logs, "-- -f --format x"), 0);
	ASSERT_TRUE(!follow);
	ASSERT_EQ(svcs.n, 3);
	ASSERT_STREQ(svcs.v[0], "-f");
	ASSERT_EQ(run(&logs, "- --format="), 0);
	ASSERT_STREQ(svcs.v[0], "-");
	ASSERT_STREQ(format, "");
	/* An option's value may look like anything but an option. */
	ASSERT_EQ(run(&logs, "-n - --format ---x"), 0);
	ASSERT_STREQ(n, "-");
	ASSERT_STREQ(format, "---x");
}

static void test_errors(void)
{
	ASSERT_STREQ(err(&logs, "--bogus"), "unknown flag `bogus'");
	ASSERT_STREQ(err(&logs, "--bogus=1 svc"), "unknown flag `bogus'");
	ASSERT_STREQ(err(&logs, "svc -x"), "unknown flag `x'");
	ASSERT_STREQ(err(&logs, "-fx"), "unknown flag `x'");
	ASSERT_STREQ(err(&logs, "---f"), "unknown flag `-f'");
	ASSERT_STREQ(err(&logs, "-n"), "expected argument for flag `-n'");
	ASSERT_STREQ(err(&logs, "--format"), "expected argument for flag `--format'");
	ASSERT_STREQ(err(&logs, "-n -f"), "expected argument for flag `-n', but got option `-f'");
	ASSERT_STREQ(err(&logs, "--format --follow"), "expected argument for flag `--format', but got option `--follow'");
	ASSERT_STREQ(err(&logs, "-n -1"), "expected argument for flag `-n', but got option `-1'");
	ASSERT_STREQ(err(&logs, "-n --"), "expected argument for flag `-n', but got double dash `--'");
	/* In a bundle only the first letter may have the rest attached, and only the last may
	 * take the next argument: -nf is -n f, but in -fnf the n gets nothing. */
	ASSERT_STREQ(err(&logs, "-nf"), "(no error)");
	ASSERT_STREQ(n, "f");
	ASSERT_STREQ(err(&logs, "-fnf"), "expected argument for flag `-n'");
	ASSERT_STREQ(err(&logs, "--follow=true"), "bool flag `-f, --follow' cannot have an argument");
	ASSERT_STREQ(err(&logs, "-f=1"), "bool flag `-f, --follow' cannot have an argument");
	/* Parse errors come in argument order, before anything else. */
	ASSERT_STREQ(err(&logs, "--x -y"), "unknown flag `x'");
}

static void test_positionals(void)
{
	const char *name = NULL, *sig = NULL, *label = NULL, *path = NULL;
	struct cli_strv rest = CLI_STRV_INIT;
	const struct cli_arg one[] = { CLI_ARG("<name>", 1, &name), CLI_ARG_END };
	const struct cli_spec identity = { "pebble identity <name>", NULL, one, false };
	const struct cli_arg two[] = { CLI_ARG("<SIGNAL>", 1, &sig), CLI_ARGS("<service>", 1, &rest), CLI_ARG_END };
	const struct cli_spec signal = { "pebble signal <SIGNAL> <service>...", NULL, two, false };
	const struct cli_arg add[] = { CLI_ARG("<label>", 1, &label), CLI_ARG("<layer-path>", 1, &path), CLI_ARG_END };
	const struct cli_spec addspec = { "pebble add <label> <layer-path>", NULL, add, false };
	const struct cli_arg many[] = { CLI_ARGS("<check>", 2, &rest), CLI_ARG_END };
	const struct cli_spec manyspec = { "x", NULL, many, false };
	const struct cli_spec none = { "pebble plan", NULL, NULL, false };

	ASSERT_STREQ(err(&identity, ""), "the required argument `<name>` was not provided");
	ASSERT_STREQ(err(&identity, "a b"), "too many arguments for command");
	ASSERT_EQ(run(&identity, "bob"), 0);
	ASSERT_STREQ(name, "bob");
	/* An unknown flag is reported before a missing argument. */
	ASSERT_STREQ(err(&identity, "--x"), "unknown flag `x'");
	ASSERT_STREQ(err(&signal, ""),
		     "the required arguments `<SIGNAL>` and `<service> (at least 1 argument)` were not provided");
	ASSERT_STREQ(err(&signal, "HUP"), "the required argument `<service> (at least 1 argument)` was not provided");
	cli_strv_done(&rest);
	ASSERT_EQ(run(&signal, "HUP a b"), 0);
	ASSERT_STREQ(sig, "HUP");
	ASSERT_EQ(rest.n, 2);
	cli_strv_done(&rest);
	ASSERT_STREQ(err(&addspec, ""), "the required arguments `<label>` and `<layer-path>` were not provided");
	ASSERT_STREQ(err(&addspec, "l"), "the required argument `<layer-path>` was not provided");
	ASSERT_STREQ(err(&manyspec, "a"),
		     "the required argument `<check> (at least 2 arguments, but got only 1)` was not provided");
	cli_strv_done(&rest);
	ASSERT_STREQ(err(&none, "x"), "too many arguments for command");
	ASSERT_STREQ(err(&none, "--x"), "unknown flag `x'");
	ASSERT_STREQ(err(&none, ""), "(no error)");
}

static void test_required_flags_and_lists(void)
{
	const char *from = NULL, *to = NULL;
	struct cli_strv envs = CLI_STRV_INIT;
	const struct cli_opt opts[] = {
		CLI_REQUIRED_STRING(0, "from", &from),
		CLI_REQUIRED_STRING('t', "to", &to),
		CLI_LIST(0, "env", &envs),
		CLI_OPT_END,
	};
	const struct cli_spec spec = { "x", opts, NULL, false };

	ASSERT_STREQ(err(&spec, ""), "the required flags `--from' and `-t, --to' were not specified");
	ASSERT_STREQ(err(&spec, "--to x"), "the required flag `--from' was not specified");
	/* Required flags are checked before extra arguments. */
	ASSERT_STREQ(err(&spec, "extra"), "the required flags `--from' and `-t, --to' were not specified");
	ASSERT_STREQ(err(&spec, "--from a -t b extra"), "too many arguments for command");
	cli_strv_done(&envs);
	ASSERT_EQ(run(&spec, "--env A=1 --from f --env=B=2 -tx"), 0);
	ASSERT_STREQ(from, "f");
	ASSERT_STREQ(to, "x");
	ASSERT_EQ(envs.n, 2);
	ASSERT_STREQ(envs.v[0], "A=1");
	ASSERT_STREQ(envs.v[1], "B=2");
	cli_strv_done(&envs);
}

static void test_terminated(void)
{
	bool hold = false;
	struct cli_groups args = CLI_GROUPS_INIT;
	const struct cli_opt opts[] = {
		CLI_BOOL(0, "hold", &hold),
		CLI_TERMINATED(0, "args", ";", &args),
		CLI_OPT_END,
	};
	const struct cli_spec spec = { "pebble run [run-OPTIONS]", opts, NULL, false };

	ASSERT_EQ(run(&spec, "--args svc --port 8080 ; --hold --args other -v"), 0);
	ASSERT_TRUE(hold);
	ASSERT_EQ(args.n, 2);
	ASSERT_EQ(args.g[0].n, 3);
	ASSERT_STREQ(args.g[0].v[1], "--port");
	ASSERT_STREQ(args.g[0].v[2], "8080");
	ASSERT_EQ(args.g[1].n, 2);
	ASSERT_STREQ(args.g[1].v[1], "-v");
	cli_groups_done(&args);
	ASSERT_EQ(run(&spec, "--args ;"), 0);
	ASSERT_EQ(args.n, 1);
	ASSERT_EQ(args.g[0].n, 0);
	cli_groups_done(&args);
	ASSERT_EQ(run(&spec, "--args=svc a"), 0);
	ASSERT_EQ(args.g[0].n, 2);
	ASSERT_STREQ(args.g[0].v[0], "svc");
	cli_groups_done(&args);
	ASSERT_STREQ(err(&spec, "--args"), "expected argument for flag `--args'");
	cli_groups_done(&args);
}

static void test_help_and_pass_after(void)
{
	const char *first = NULL;
	struct cli_strv rest = CLI_STRV_INIT;
	bool t = false;
	const struct cli_opt opts[] = { CLI_BOOL('t', NULL, &t), CLI_OPT_END };
	const struct cli_arg args[] = { CLI_ARG("<command>", 1, &first), CLI_ARGS("<arg>", 0, &rest), CLI_ARG_END };
	const struct cli_spec exec = { "pebble exec [exec-OPTIONS] <command>", opts, args, true };

	ASSERT_EQ(run(&logs, "--help"), CLI_OPTS_HELP);
	ASSERT_EQ(run(&logs, "svc -h --bogus"), CLI_OPTS_HELP);
	ASSERT_STREQ(err(&logs, "--bogus -h"), "unknown flag `bogus'");
	ASSERT_EQ(run(&exec, "-t ls -t -l"), 0);
	ASSERT_TRUE(t);
	ASSERT_STREQ(first, "ls");
	ASSERT_EQ(rest.n, 2);
	ASSERT_STREQ(rest.v[0], "-t");
	cli_strv_done(&rest);
}

int main(void)
{
	RUN(test_syntax);
	RUN(test_errors);
	RUN(test_positionals);
	RUN(test_required_flags_and_lists);
	RUN(test_terminated);
	RUN(test_help_and_pass_after);
	cli_strv_done(&svcs);
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	return test_summary();
}
