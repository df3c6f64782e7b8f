/* test-tools-resource.c - unit tests for resource-get (tools_resource.c) against a fake hook
 * context: Juju's argv handling and error texts, the path printed without a newline, and an
 * answer that comes later (a fetch) as well as one given at once. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/tools.h"
#include "lib/test.h"

struct fake {
	struct hook_ctx ctx;
	int calls;
	char name[256];
	bool defer;          /* keep the callback for later instead of answering */
	void (*pending)(void *arg, const char *path, const char *error);
	void *pending_arg;
	struct buf out, err;
};

static void fake_resource_get(struct hook_ctx *ctx, const char *name,
			      void (*done)(void *arg, const char *path, const char *error), void *arg)
{
	struct fake *f = ctx->agent;

	f->calls++;
	snprintf(f->name, sizeof(f->name), "%s", name);
	if (f->defer) {
		f->pending = done;
		f->pending_arg = arg;
		return;
	}
	if (!strcmp(name, "software"))
		done(arg, "/var/lib/cairn/agents/unit-hello-0/resources/software/software.zip", NULL);
	else {
		char msg[300];

		snprintf(msg, sizeof(msg), "resource \"%s\" not found", name);
		done(arg, NULL, msg);
	}
}

static const struct hook_ctx_ops fake_ops = {
	.resource_get = fake_resource_get,
};
static const struct hook_ctx_ops no_ops = { 0 };

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->ctx.ops = &fake_ops;
	f->ctx.agent = f;
	f->ctx.unit = "hello/0";
	f->ctx.app = "hello";
	f->ctx.hook = "install";
	buf_init(&f->out);
	buf_init(&f->err);
}

static void fake_done(struct fake *f)
{
	buf_done(&f->out);
	buf_done(&f->err);
}

/* Runs resource-get with the NULL-terminated arguments; returns its exit code. */
static int run(struct fake *f, ...)
{
	char *argv[16];
	int argc = 0;
	va_list ap;

	va_start(ap, f);
	for (const char *s; argc < 15 && (s = va_arg(ap, const char *));)
		argv[argc++] = (char *)s;
	va_end(ap);
	argv[argc] = NULL;
	buf_reset(&f->out);
	buf_reset(&f->err);
	return tools_run(&f->ctx, "resource-get", argc, argv, NULL, &f->out, &f->err);
}

#define OUT(f) buf_str(&(f)->out)
#define ERR(f) buf_str(&(f)->err)

static void test_args(void)
{
	struct fake f;

	fake_init(&f);
	/* Init: the name is required, and nothing may follow it (cmd.CheckEmpty). */
	ASSERT_EQ(run(&f, NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR missing required resource name\n");
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(run(&f, "software", "extra", "more", NULL), 2);
	ASSERT_STREQ(ERR(&f), "ERROR unrecognized args: [\"extra\" \"more\"]\n");
	/* No options at all. */
	ASSERT_EQ(run(&f, "--format=json", "software", NULL), 2);
	ASSERT_CONTAINS(ERR(&f), "ERROR option provided but not defined: --format");
	ASSERT_EQ(f.calls, 0);
	/* --help: juju/cmd's usage with the tool's args and purpose. */
	ASSERT_EQ(run(&f, "--help", NULL), 0);
	ASSERT_STREQ(OUT(&f), "Usage: resource-get <resource name>\n\nSummary:\n"
			      "Get the path to the locally cached resource file.\n");
	ASSERT_STREQ(ERR(&f), "");
	ASSERT_EQ(f.calls, 0);
	/* "--" ends the options: a name may then start with a dash. */
	ASSERT_EQ(run(&f, "--", "-odd", NULL), 1);
	ASSERT_STREQ(f.name, "-odd");
	fake_done(&f);
}

static void test_answers(void)
{
	struct fake f;

	fake_init(&f);
	/* The path, with no newline after it (Fprintf(ctx.Stdout, "%s", filePath)). */
	ASSERT_EQ(run(&f, "software", NULL), 0);
	ASSERT_STREQ(OUT(&f), "/var/lib/cairn/agents/unit-hello-0/resources/software/software.zip");
	ASSERT_STREQ(ERR(&f), "");
	ASSERT_STREQ(f.name, "software");
	/* The agent's reason, annotated as Juju's Run does. */
	ASSERT_EQ(run(&f, "nope", NULL), 1);
	ASSERT_STREQ(ERR(&f), "ERROR could not download resource: resource \"nope\" not found\n");
	ASSERT_STREQ(OUT(&f), "");
	ASSERT_EQ(f.calls, 2);
	/* A context that cannot fetch resources at all. */
	f.ctx.ops = &no_ops;
	ASSERT_EQ(run(&f, "software", NULL), 1);
	ASSERT_CONTAINS(ERR(&f), "ERROR could not download resource: ");
	fake_done(&f);
}

struct result {
	bool done;
	int code;
};

static void on_done(void *data, int code)
{
	struct result *r = data;

	r->done = true;
	r->code = code;
}

static void test_later(void)
{
	struct fake f;
	struct result r = { false, -1 };
	char a0[] = "software";
	char *argv[] = { a0, NULL };

	fake_init(&f);
	f.defer = true;
	tools_start(&f.ctx, "resource-get", NULL, 1, argv, NULL, &f.out, &f.err, on_done, &r);
	/* The tool waits for the fetch; argv may go meanwhile (the agent copied the name). */
	a0[0] = 'X';
	ASSERT_TRUE(!r.done);
	ASSERT_TRUE(f.pending != NULL);
	ASSERT_STREQ(f.name, "software");
	f.pending(f.pending_arg, "/u/resources/software/software.zip", NULL);
	ASSERT_TRUE(r.done);
	ASSERT_EQ(r.code, 0);
	ASSERT_STREQ(OUT(&f), "/u/resources/software/software.zip");

	/* A fetch that fails later. */
	r.done = false;
	buf_reset(&f.out);
	tools_start(&f.ctx, "resource-get", NULL, 1, argv, NULL, &f.out, &f.err, on_done, &r);
	ASSERT_TRUE(!r.done);
	f.pending(f.pending_arg, NULL, "fetching resource \"Xoftware\": no such resource on this machine");
	ASSERT_TRUE(r.done);
	ASSERT_EQ(r.code, 1);
	ASSERT_STREQ(ERR(&f), "ERROR could not download resource: fetching resource \"Xoftware\": "
			      "no such resource on this machine\n");
	ASSERT_STREQ(OUT(&f), "");
	fake_done(&f);
}

int main(void)
{
	RUN(test_args);
	RUN(test_answers);
	RUN(test_later);
	return test_summary();
}
