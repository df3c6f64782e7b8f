/* test-sdk-process.c - running commands from a charm with real processes: shell-style
 * splitting (quotes, backslashes, errors), exit codes and deaths by signal, PATH lookup, the
 * real reason of a command that cannot start, stdin from /dev/null, and the configured
 * command + arguments form of cairn_run_command_line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn/charm.h"
#include "lib/test.h"

static void test_split(void)
{
	struct cairn_error err;
	char **v = NULL;

	ASSERT_EQ(cairn_split_command("apt-get install -y 'open ssh' \"a b\" c\\ d", &v, &err), 0);
	ASSERT_STREQ(v[0], "apt-get");
	ASSERT_STREQ(v[3], "open ssh");
	ASSERT_STREQ(v[4], "a b");
	ASSERT_STREQ(v[5], "c d");
	ASSERT_TRUE(v[6] == NULL);
	cairn_strv_free(v);
	/* No expansion: a shell's specials stay words. */
	ASSERT_EQ(cairn_split_command("echo $HOME *", &v, &err), 0);
	ASSERT_STREQ(v[1], "$HOME");
	ASSERT_STREQ(v[2], "*");
	cairn_strv_free(v);
	v = NULL;
	ASSERT_EQ(cairn_split_command("echo 'open", &v, &err), -EINVAL);
	ASSERT_EQ(err.kind, CAIRN_ERR_INVALID);
	ASSERT_CONTAINS(err.message, "cannot parse command \"echo 'open\"");
	ASSERT_TRUE(v == NULL);
	ASSERT_EQ(cairn_split_command("   ", &v, &err), -EINVAL);
	ASSERT_STREQ(err.message, "empty command");
	ASSERT_EQ(cairn_split_command(NULL, &v, &err), -EINVAL);
	cairn_strv_free(NULL);
}

static void test_run(void)
{
	struct cairn_error err;
	char path[64], marker[96];
	int st = -1, p[2];
	FILE *f;

	ASSERT_EQ(cairn_run_command((const char *[]){ "true", NULL }, &st, &err), 0);
	ASSERT_EQ(st, 0);
	ASSERT_EQ(cairn_run_command((const char *[]){ "sh", "-c", "exit 3", NULL }, &st, &err), 0);
	ASSERT_EQ(st, 3);
	ASSERT_EQ(cairn_run_command((const char *[]){ "sh", "-c", "kill -TERM $$", NULL }, &st, &err), 0);
	ASSERT_EQ(st, 128 + 15);
	st = -1;
	ASSERT_EQ(cairn_run_command((const char *[]){ "cairn-no-such-command", NULL }, &st, &err), -EINVAL);
	ASSERT_EQ(err.kind, CAIRN_ERR_INVALID);
	ASSERT_CONTAINS(err.message, "cairn-no-such-command");
	ASSERT_CONTAINS(err.message, "no such file or directory");
	ASSERT_EQ(st, -1); /* untouched on error */
	ASSERT_EQ(cairn_run_command((const char *[]){ NULL }, &st, &err), -EINVAL);
	ASSERT_EQ(cairn_run_command(NULL, &st, &err), -EINVAL);
	/* stdin is /dev/null even when ours has data waiting. */
	ASSERT_EQ(pipe(p), 0);
	ASSERT_EQ(write(p[1], "data\n", 5), 5);
	{
		int saved = dup(0);

		ASSERT_EQ(dup2(p[0], 0), 0);
		ASSERT_EQ(cairn_run_command((const char *[]){ "sh", "-c", "if read x; then exit 5; fi; exit 0", NULL },
					    &st, &err),
			  0);
		dup2(saved, 0);
		close(saved);
	}
	close(p[0]);
	close(p[1]);
	ASSERT_EQ(st, 0);
	/* The configured-command form: the words of the command line, then of each argument. */
	snprintf(path, sizeof(path), "/tmp/cairn-sdk-process-%d", (int)getpid());
	snprintf(marker, sizeof(marker), "sh -c 'printf \"%%s|\" \"$@\" > %s' sh", path);
	ASSERT_EQ(cairn_run_command_line(marker, (const char *[]){ "one two", "'three four'", NULL }, &st, &err), 0);
	ASSERT_EQ(st, 0);
	f = fopen(path, "r");
	ASSERT_TRUE(f != NULL);
	{
		char line[128] = "";

		ASSERT_TRUE(fgets(line, sizeof(line), f) != NULL);
		ASSERT_STREQ(line, "one|two|three four|");
	}
	fclose(f);
	unlink(path);
	ASSERT_EQ(cairn_run_command_line("false", NULL, &st, &err), 0);
	ASSERT_EQ(st, 1);
	ASSERT_EQ(cairn_run_command_line("", NULL, &st, &err), -EINVAL);
	ASSERT_STREQ(err.message, "empty command");
	ASSERT_EQ(cairn_run_command_line("true", (const char *[]){ "\"open", NULL }, &st, &err), -EINVAL);
	ASSERT_CONTAINS(err.message, "cannot parse \"\"open\"");
	ASSERT_EQ(cairn_run_command_line(NULL, NULL, &st, &err), -EINVAL);
}

int main(void)
{
	RUN(test_split);
	RUN(test_run);
	return test_summary();
}
