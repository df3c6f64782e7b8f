/* process.c - running commands from a charm (cairn_split_command, cairn_run_command); see
 * cairn/charm.h.  Splitting is scree's command syntax (Pebble's, pebble-api.md §2.3, without
 * the [ ... ] group); spawning is src/lib's spawn, which reports a failed exec's real
 * reason. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/errbuf.h"
#include "lib/spawn.h"
#include "scree/command.h"
#include "sdk/error.h"

extern char **environ;

int cairn_split_command(const char *cmdline, char ***ret, struct cairn_error *err)
{
	struct errbuf eb;
	char **argv = NULL;
	size_t n = 0;

	if (!cmdline)
		return sdk_err(err, CAIRN_ERR_INVALID, "no command");
	errbuf_clear(&eb);
	if (command_split(cmdline, &argv, &n, &eb) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse command \"%s\": %s", cmdline, eb.msg);
	if (n == 0) {
		command_argv_free(argv);
		return sdk_err(err, CAIRN_ERR_INVALID, "empty command");
	}
	*ret = argv;
	return 0;
}

int cairn_run_command(const char *const *argv, int *ret_status, struct cairn_error *err)
{
	struct spawn_opts o = {
		.stdin_fd = -1,
		.stdout_fd = STDOUT_FILENO,
		.stderr_fd = STDERR_FILENO,
		.envp = environ,
	};
	struct errbuf eb;
	pid_t pid;
	int pidfd = -1, status, r;

	if (!argv || !argv[0] || !*argv[0])
		return sdk_err(err, CAIRN_ERR_INVALID, "no command");
	o.file = argv[0];
	o.argv = (char *const *)argv;
	errbuf_clear(&eb);
	r = spawn_run(&o, &pid, &pidfd, &eb);
	if (r < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "%s", eb.msg);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			r = sdk_err(err, CAIRN_ERR_INVALID, "cannot wait for %s: %s", argv[0], strerror(errno));
			if (pidfd >= 0)
				close(pidfd);
			return r;
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	*ret_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return 0;
}

/* Appends the words of s to *v (owned copies). */
static int add_words(char ***v, size_t *n, const char *s, struct cairn_error *err)
{
	struct errbuf eb;
	char **words = NULL;
	size_t k = 0;

	errbuf_clear(&eb);
	if (command_split(s, &words, &k, &eb) < 0)
		return sdk_err(err, CAIRN_ERR_INVALID, "cannot parse \"%s\": %s", s, eb.msg);
	*v = xrealloc(*v, (*n + k + 1) * sizeof(char *));
	for (size_t i = 0; i < k; i++)
		(*v)[(*n)++] = xstrdup(words[i]);
	(*v)[*n] = NULL;
	command_argv_free(words);
	return 0;
}

int cairn_run_command_line(const char *cmdline, const char *const *args, int *ret_status, struct cairn_error *err)
{
	char **argv = xcalloc(1, sizeof(char *));
	size_t n = 0;
	int r;

	if (!cmdline)
		r = sdk_err(err, CAIRN_ERR_INVALID, "no command");
	else
		r = add_words(&argv, &n, cmdline, err);
	for (size_t i = 0; r == 0 && args && args[i]; i++)
		r = add_words(&argv, &n, args[i], err);
	if (r == 0 && n == 0)
		r = sdk_err(err, CAIRN_ERR_INVALID, "empty command");
	if (r == 0)
		r = cairn_run_command((const char *const *)argv, ret_status, err);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	return r;
}
