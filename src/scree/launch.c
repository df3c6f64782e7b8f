/* launch.c - starting services, exec commands and exec checks (on lib/spawn); see launch.h. */
#include "launch.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/loop.h"
#include "lib/spawn.h"

#define LAUNCH_MAX_PATH 4096

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int launch_look_path(const char *name, char *out, size_t n, struct errbuf *eb)
{
	const char *path = getenv("PATH");
	const char *p;

	if (strchr(name, '/')) {
		snprintf(out, n, "%s", name);
		return 0;
	}
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	for (p = path;; p++) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == 0)
			snprintf(out, n, "./%s", name);
		else
			snprintf(out, n, "%.*s/%s", (int)len, p, name);
		if (is_executable(out))
			return 0;
		if (!end)
			break;
		p = end;
	}
	errbuf_set(eb, "exec: \"%s\": executable file not found in $PATH", name);
	return -ENOENT;
}

/* The limit the daemon was started with, restored in every child (launch_raise_nofile). */
static struct rlimit nofile_orig;
static bool nofile_raised;

int launch_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	nofile_orig = rl;
	if (rl.rlim_cur >= rl.rlim_max || rl.rlim_cur >= LAUNCH_NOFILE_MAX)
		return 0;
	rl.rlim_cur = rl.rlim_max > LAUNCH_NOFILE_MAX ? LAUNCH_NOFILE_MAX : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	nofile_raised = true;
	return 0;
}

/* In the spawned child (spawn.h's rules: a system call, nothing else). */
SPAWN_CHILD_FN static void child_restore_nofile(void *data)
{
	(void)data;
	setrlimit(RLIMIT_NOFILE, &nofile_orig);
}

int launch_start(const struct launch_opts *o, pid_t *ret_pid, int *ret_pidfd, int *ret_status_fd,
		 struct errbuf *eb)
{
	char prog[LAUNCH_MAX_PATH];
	struct spawn_opts so;
	int rv;

	if (!o->argv || !o->argv[0] || !o->argv[0][0])
		return errbuf_set(eb, "empty command"), -EINVAL;
	rv = launch_look_path(o->argv[0], prog, sizeof(prog), eb);
	if (rv < 0)
		return rv;
	memset(&so, 0, sizeof(so));
	so.file = prog;
	so.argv = o->argv;
	so.envp = o->envp;
	so.cwd = o->cwd;
	so.stdin_fd = o->stdio ? o->in_fd : -1;
	so.stdout_fd = o->out_fd;
	so.stderr_fd = o->stdio ? o->err_fd : o->out_fd;
	so.setsid = o->setsid;
	so.setpgid = !o->setsid;
	so.ctty = o->ctty;
	so.set_ids = o->set_ids;
	so.uid = o->uid;
	so.gid = o->gid;
	if (nofile_raised)
		so.child_setup = child_restore_nofile;
	return spawn_start(&so, ret_pid, ret_pidfd, ret_status_fd, eb);
}

int launch_check(int fd, const char *program, const char *cwd, struct errbuf *eb)
{
	return spawn_report(fd, program, cwd, eb);
}

extern char **environ;

void launch_env_set(char ***envp, size_t *n, const char *key, const char *val)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], key, klen) == 0 && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = xasprintf("%s=%s", key, val);
			return;
		}
	}
	*envp = xrealloc(*envp, (*n + 2) * sizeof(char *));
	(*envp)[(*n)++] = xasprintf("%s=%s", key, val);
	(*envp)[*n] = NULL;
}

const char *launch_env_get(char *const *envp, size_t n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < n; i++)
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=')
			return envp[i] + klen + 1;
	return NULL;
}

void launch_env_unset(char **envp, size_t *n, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < *n; i++) {
		if (strncmp(envp[i], key, klen) == 0 && envp[i][klen] == '=') {
			free(envp[i]);
			memmove(envp + i, envp + i + 1, (*n - i) * sizeof(char *)); /* with the NULL */
			(*n)--;
			return;
		}
	}
}

char **launch_env(const struct plan_strmap *overlay, size_t *ret_n)
{
	char **envp = xcalloc(1, sizeof(char *));
	size_t n = 0;

	for (char **e = environ; e && *e; e++) {
		envp = xrealloc(envp, (n + 2) * sizeof(char *));
		envp[n++] = xstrdup(*e);
		envp[n] = NULL;
	}
	for (size_t i = 0; overlay && i < overlay->n; i++)
		launch_env_set(&envp, &n, overlay->v[i].key, overlay->v[i].val);
	*ret_n = n;
	return envp;
}

void launch_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}
