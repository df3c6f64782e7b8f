/* main.c - cairn_main: one dispatch in the process the unit agent started; see cairn/charm.h.
 *
 * Wires the framework to the real world: the process environment, the charm directory's
 * metadata, the hook-tool transport chosen by the options (the agent's socket when it speaks
 * cairn's protocol, the hook tools on PATH otherwise) and the store. */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "sdk/error.h"
#include "sdk/framework.h"
#include "sdk/hookenv.h"

extern char **environ;

/* The socket transport only speaks to UNIX sockets (JUJU_AGENT_SOCKET_NETWORK "unix", or
 * unset as older agents leave it). */
static struct tools *socket_tools(const struct hookenv *env, const char *cwd)
{
	const char *net = hookenv_get(env, HOOKENV_SOCKET_NETWORK);
	const char *addr = hookenv_get(env, HOOKENV_SOCKET_ADDRESS);

	if (!addr || (net && strcmp(net, "unix")))
		return NULL;
	return tools_socket_new(addr, hookenv_get(env, HOOKENV_CONTEXT_ID), cwd);
}

static struct tools *make_tools(enum cairn_tools mode, const struct hookenv *env, const char *cwd)
{
	struct tools *sock;

	switch (mode) {
	case CAIRN_TOOLS_EXEC:
		return tools_exec_new(environ);
	case CAIRN_TOOLS_SOCKET:
		sock = socket_tools(env, cwd);
		/* Without an address the socket transport fails every call with a clear error. */
		return sock ? sock : tools_socket_new("", hookenv_get(env, HOOKENV_CONTEXT_ID), cwd);
	default:
		return tools_auto_new(socket_tools(env, cwd), tools_exec_new(environ));
	}
}

int cairn_main(cairn_setup_fn setup, void *data)
{
	return cairn_main_opts(NULL, setup, data);
}

int cairn_main_opts(const struct cairn_charm_opts *opts, cairn_setup_fn setup, void *data)
{
	struct cairn_charm_opts o = { CAIRN_TOOLS_AUTO, CAIRN_STORAGE_LOCAL, NULL };
	struct hookenv env;
	struct cairn_error err;
	struct cairn_charm *ch = NULL;
	struct meta meta;
	struct tools *tools;
	char *cwd, *dir;
	int r;

	if (opts)
		o = *opts;
	/* A peer that goes away (the agent, Pebble, a hook tool) is an error we report, not a
	 * signal that kills the charm mid-dispatch. */
	signal(SIGPIPE, SIG_IGN);
	/* jansson seeds its hash function from /dev/urandom (three system calls) unless told;
	 * one getrandom() does it.  (A failure leaves jansson its own way.) */
	size_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed) && seed)
		json_object_seed(seed);
	sdk_err_clear(&err);
	hookenv_from_envp(&env, environ);
	cwd = getcwd(NULL, 0);
	dir = xstrdup(o.charm_dir ? o.charm_dir
		      : hookenv_get(&env, HOOKENV_CHARM_DIR) ? hookenv_get(&env, HOOKENV_CHARM_DIR)
		      : cwd ? cwd : ".");
	tools = make_tools(o.tools, &env, cwd);
	r = meta_load_dir(&meta, dir, false, &err);
	if (r < 0) {
		/* No framework without metadata: report straight through juju-log. */
		char *msg = xasprintf("cannot start the charm: %s", err.message);

		if (tools_run(tools, NULL, NULL, NULL, "juju-log", "--log-level", "ERROR", "--", msg, NULL) < 0)
			fprintf(stderr, "ERROR %s\n", msg);
		free(msg);
		tools_free(tools);
		goto out;
	}
	struct charm_init init = {
		.charm_dir = dir,
		.meta = &meta,
		.envp = environ,
		.tools = tools,
		.storage = o.storage,
	};
	r = charm_new(&init, &ch, &err);
	if (r < 0) {
		tools_free(init.tools);
		meta_done(&meta);
		goto out;
	}
	r = charm_dispatch(ch, setup, data, &err);
out:
	if (r < 0)
		fprintf(stderr, "cairn-charm: %s\n", err.message);
	charm_free(ch);
	hookenv_done(&env);
	free(dir);
	free(cwd);
	return r < 0 ? 1 : 0;
}
