/* test-plan.c - combining layers (§4), combined validation (§5), run-time layers (§6),
 * plan YAML (§7), ordering and lanes (§8), and the helpers the daemon uses. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/test.h"
#include "scree/plan.h"
#include "scree/plan_internal.h"

#define plan_strmap_set_for_test pl_strmap_set

static struct plan_layer *L(const char *label, int order, const char *yaml)
{
	struct plan_layer *l = NULL;
	struct errbuf eb;

	if (plan_layer_parse(label, order, yaml, strlen(yaml), &l, &eb) < 0) {
		printf("layer %s: %s\n", label, eb.msg);
		return NULL;
	}
	return l;
}

/* Combines the given YAML documents as layers 1..n; returns the plan or NULL with eb. */
static struct plan *combine(struct errbuf *eb, int n, ...)
{
	struct plan_layer *layers[8];
	struct plan *p = NULL;
	va_list ap;
	int i, r;

	va_start(ap, n);
	for (i = 0; i < n; i++) {
		char label[32];

		snprintf(label, sizeof(label), "layer-%d", i);
		layers[i] = L(label, (i + 1) * 1000, va_arg(ap, const char *));
	}
	va_end(ap);
	r = plan_from_layers(layers, (size_t)n, &p, eb);
	for (i = 0; i < n; i++)
		plan_layer_free(layers[i]);
	return r < 0 ? NULL : p;
}

static char *render(const struct plan *p)
{
	struct buf b = BUF_INIT;

	plan_render_yaml(p, &b);
	return buf_detach(&b);
}

#define ASSERT_RENDER(p, want)                                                                     \
	do {                                                                                       \
		char *_got = render(p);                                                            \
		if (strcmp(_got, want) != 0) {                                                     \
			printf("--- got:\n%s--- want:\n%s", _got, want);                           \
			free(_got);                                                                \
			TFAIL("render mismatch");                                                  \
		}                                                                                  \
		free(_got);                                                                        \
	} while (0)

/* ======================= Rendering ======================= */

static void test_render_empty(void)
{
	struct plan *p = plan_new();

	ASSERT_RENDER(p, "{}\n");
	plan_free(p);
}

static void test_render_static_example(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 1,
				 "services:\n  static:\n    override: replace\n    command: echo static\n");

	ASSERT_TRUE(p != NULL);
	ASSERT_RENDER(p, "services:\n    static:\n        override: replace\n        command: echo static\n");
	plan_free(p);
}

static void test_render_threshold_default(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 1,
				 "checks:\n"
				 "  chk1:\n"
				 "    override: replace\n"
				 "    level: alive\n"
				 "    period: 2s\n"
				 "    http:\n"
				 "      url: http://localhost:8080/health\n"
				 "      headers: {X-B: b, X-A: a}\n");

	ASSERT_TRUE(p != NULL);
	ASSERT_RENDER(p, "checks:\n"
			 "    chk1:\n"
			 "        override: replace\n"
			 "        level: alive\n"
			 "        period: 2s\n"
			 "        threshold: 3\n"
			 "        http:\n"
			 "            url: http://localhost:8080/health\n"
			 "            headers:\n"
			 "                X-A: a\n"
			 "                X-B: b\n");
	/* Defaults apply at run time but stay out of the output. */
	ASSERT_EQ(plan_check_timeout(p->s.checks[0]), 2000000000LL); /* capped to the period */
	ASSERT_EQ(plan_check_threshold(p->s.checks[0]), 3);
	plan_free(p);
}

static void test_render_full(void)
{
	struct errbuf eb;
	struct plan *p = combine(
		&eb, 1,
		"summary: s\n"
		"services:\n"
		"  svc10:\n"
		"    override: replace\n"
		"    summary: ten\n"
		"    description: the tenth\n"
		"    startup: enabled\n"
		"    command: \"echo: hi\"\n"
		"    after: [svc9, \"1\"]\n"
		"    before: [svc2]\n"
		"    requires: [svc9]\n"
		"    environment: {B: \"yes\", A: \"\", C: \"multi\\nline\\n\", D: \"#x\", E: \"- a\", F: \"tab\\there\", k 1: 1.0}\n"
		"    user-id: 1000\n"
		"    user: bob\n"
		"    group-id: 1000\n"
		"    group: bob\n"
		"    working-dir: /srv\n"
		"    on-success: shutdown\n"
		"    on-failure: success-shutdown\n"
		"    on-check-failure: {c2: ignore, c1: restart}\n"
		"    backoff-delay: 1500ms\n"
		"    backoff-factor: 2\n"
		"    backoff-limit: 2m\n"
		"    kill-delay: 1h\n"
		"  svc9:\n"
		"    override: merge\n"
		"    command: x\n"
		"  svc2:\n"
		"    override: merge\n"
		"    command: x\n"
		"checks:\n"
		"  c1:\n"
		"    override: replace\n"
		"    startup: disabled\n"
		"    timeout: 1s\n"
		"    threshold: 5\n"
		"    tcp: {port: 80, host: db}\n"
		"  c2:\n"
		"    override: replace\n"
		"    exec:\n"
		"      command: \"true\"\n"
		"      service-context: svc9\n"
		"      environment: {X: y}\n"
		"      user-id: 0\n"
		"      working-dir: /\n"
		"log-targets:\n"
		"  lt:\n"
		"    override: merge\n"
		"    type: loki\n"
		"    location: http://l\n"
		"    labels: {b: '2', a: '1'}\n"
		"  lt2:\n"
		"    override: replace\n"
		"    type: syslog\n"
		"    location: udp://h:1\n"
		"    services: [all, -svc2]\n"
		"workloads:\n"
		"  w:\n"
		"    override: replace\n"
		"    user-id: 5\n"
		"    environment: {W: '1'}\n"
		"pairing:\n"
		"  mode: single\n");

	if (!p)
		TFAIL("combine: %s", eb.msg);
	ASSERT_RENDER(p, "services:\n"
			 "    svc2:\n"
			 "        override: merge\n"
			 "        command: x\n"
			 "    svc9:\n"
			 "        override: merge\n"
			 "        command: x\n"
			 "    svc10:\n"
			 "        summary: ten\n"
			 "        description: the tenth\n"
			 "        startup: enabled\n"
			 "        override: replace\n"
			 "        command: 'echo: hi'\n"
			 "        after:\n"
			 "            - svc9\n"
			 "            - \"1\"\n"
			 "        before:\n"
			 "            - svc2\n"
			 "        requires:\n"
			 "            - svc9\n"
			 "        environment:\n"
			 "            A: \"\"\n"
			 "            B: \"yes\"\n"
			 "            C: |\n"
			 "                multi\n"
			 "                line\n"
			 "            D: '#x'\n"
			 "            E: '- a'\n"
			 "            F: \"tab\\there\"\n"
			 "            k 1: \"1.0\"\n"
			 "        user-id: 1000\n"
			 "        user: bob\n"
			 "        group-id: 1000\n"
			 "        group: bob\n"
			 "        working-dir: /srv\n"
			 "        on-success: shutdown\n"
			 "        on-failure: success-shutdown\n"
			 "        on-check-failure:\n"
			 "            c1: restart\n"
			 "            c2: ignore\n"
			 "        backoff-delay: 1.5s\n"
			 "        backoff-factor: 2\n"
			 "        backoff-limit: 2m0s\n"
			 "        kill-delay: 1h0m0s\n"
			 "checks:\n"
			 "    c1:\n"
			 "        override: replace\n"
			 "        startup: disabled\n"
			 "        timeout: 1s\n"
			 "        threshold: 5\n"
			 "        tcp:\n"
			 "            port: 80\n"
			 "            host: db\n"
			 "    c2:\n"
			 "        override: replace\n"
			 "        threshold: 3\n"
			 "        exec:\n"
			 "            command: \"true\"\n"
			 "            service-context: svc9\n"
			 "            environment:\n"
			 "                X: \"y\"\n"
			 "            user-id: 0\n"
			 "            working-dir: /\n"
			 "log-targets:\n"
			 "    lt:\n"
			 "        type: loki\n"
			 "        location: http://l\n"
			 "        services: []\n"
			 "        override: merge\n"
			 "        labels:\n"
			 "            a: \"1\"\n"
			 "            b: \"2\"\n"
			 "    lt2:\n"
			 "        type: syslog\n"
			 "        location: udp://h:1\n"
			 "        services:\n"
			 "            - all\n"
			 "            - -svc2\n"
			 "        override: replace\n"
			 "workloads:\n"
			 "    w:\n"
			 "        override: replace\n"
			 "        environment:\n"
			 "            W: \"1\"\n"
			 "        user-id: 5\n"
			 "pairing:\n"
			 "    mode: single\n");
	plan_free(p);
}

/* Rendering then parsing the output as a layer gives back the same values, for strings
 * that need every quoting style. */
static void test_render_roundtrip(void)
{
	static const char *const vals[] = {
		"plain", "", " lead", "trail ", "a: b", "#c", "x #y", "- d", "yes", "no", "on", "~",
		"null", "true", "1", "0x1f", "1.5", "1e3", ".inf", "1:20", "2001-12-14", "=", "<<",
		"'q'", "\"dq\"", "back\\slash", "tab\tin", "multi\nline", "\nlead break",
		"trail break\n", "two\n\n", "caf\xc3\xa9", "emoji \xf0\x9f\x98\x80", "\x01ctl",
		"line\xe2\x80\xa8sep", "[x]", "{y}", "&a", "*b", "!t", "|p", ">f", "%d", "@e", "`g",
		"---", "...", "a,b", "?", "? q", ":", "-", "0o17", "+1", "08", "1_000",
	};
	struct plan *p = plan_new();
	struct plan_layer *l = NULL;
	struct plan_service *s;
	struct errbuf eb;
	char *text;
	size_t i;

	(void)s;
	{
		struct plan_layer *src = L("src", 1000, "services:\n  s: {override: replace, command: x}\n");
		struct plan *q = NULL;

		ASSERT_EQ(plan_from_layers(&src, 1, &q, &eb), 0);
		plan_layer_free(src);
		plan_free(p);
		p = q;
	}
	s = p->s.services[0];
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char key[32];

		snprintf(key, sizeof(key), "K%zu", i);
		plan_strmap_set_for_test(&s->environment, key, vals[i]);
		plan_strmap_set_for_test(&s->environment, vals[i][0] ? vals[i] : "empty", "v");
	}
	text = render(p);
	ASSERT_EQ(plan_layer_parse("back", 0, text, strlen(text), &l, &eb), 0);
	ASSERT_TRUE(plan_service_equal(p->s.services[0], l->s.services[0]));
	free(text);
	plan_layer_free(l);
	plan_free(p);
}

/* ======================= Merge rules ======================= */

static void test_merge_services(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 2,
				 "services:\n"
				 "  srv1:\n"
				 "    override: replace\n"
				 "    summary: Service summary\n"
				 "    command: cmd1\n"
				 "    kill-delay: 10s\n"
				 "    startup: enabled\n"
				 "    after: [srv2]\n"
				 "    before: [srv3]\n"
				 "    requires: [srv2]\n"
				 "    environment: {var1: val1, var2: val2}\n"
				 "    on-check-failure: {chk1: restart}\n"
				 "    user: u1\n"
				 "    user-id: 1\n"
				 "    working-dir: /w1\n"
				 "    backoff-factor: 1.5\n"
				 "  srv2: {override: replace, command: cmd2, summary: old}\n"
				 "  srv3: {override: replace, command: cmd3}\n"
				 "  srv4: {override: replace, command: cmd4}\n"
				 "  srv5: {override: replace, command: cmd5}\n",
				 "services:\n"
				 "  srv1:\n"
				 "    override: merge\n"
				 "    command: ''\n"
				 "    after: [srv4]\n"
				 "    before: [srv5]\n"
				 "    requires: [srv4]\n"
				 "    environment: {var2: new2, var3: val3}\n"
				 "    on-check-failure: {chk2: ignore}\n"
				 "    working-dir: /w2\n"
				 "    backoff-delay: 2s\n"
				 "  srv2:\n"
				 "    override: replace\n"
				 "    command: cmd2b\n");
	const struct plan_service *s;

	if (!p)
		TFAIL("%s", eb.msg);
	s = plan_find_service(&p->s, "srv1");
	ASSERT_STREQ(s->summary, "Service summary");	/* kept: not set in layer 2 */
	ASSERT_STREQ(s->command, "cmd1");		/* "" does not replace */
	ASSERT_EQ(s->override, PLAN_OVERRIDE_REPLACE); /* of the entry that created it */
	ASSERT_EQ(s->after.n, 2);			/* lists appended */
	ASSERT_STREQ(s->after.v[1], "srv4");
	ASSERT_STREQ(s->before.v[1], "srv5");
	ASSERT_EQ(s->requires.n, 2);
	ASSERT_EQ(s->environment.n, 3); /* maps merged by key */
	ASSERT_STREQ(plan_strmap_get(&s->environment, "var1"), "val1");
	ASSERT_STREQ(plan_strmap_get(&s->environment, "var2"), "new2");
	ASSERT_EQ(s->on_check_failure.n, 2);
	ASSERT_STREQ(s->working_dir, "/w2"); /* replaced if non-empty */
	ASSERT_STREQ(s->user, "u1");
	ASSERT_TRUE(s->user_id.set);
	ASSERT_TRUE(s->kill_delay.set);
	ASSERT_TRUE(s->backoff_delay.set);
	ASSERT_EQ(plan_service_backoff_delay(s), 2000000000LL);
	ASSERT_TRUE(plan_service_backoff_factor(s) == 1.5);
	ASSERT_EQ(plan_service_backoff_limit(s), 30000000000LL);
	ASSERT_TRUE(plan_service_startup_enabled(s));
	/* replace swaps the whole entry */
	s = plan_find_service(&p->s, "srv2");
	ASSERT_STREQ(s->command, "cmd2b");
	ASSERT_TRUE(s->summary == NULL);
	ASSERT_TRUE(!plan_service_startup_enabled(s));
	ASSERT_EQ(plan_service_kill_delay(s), 5000000000LL);
	ASSERT_EQ(plan_service_on_success(s), PLAN_ACTION_RESTART);
	plan_free(p);
}

static void test_merge_checks_and_targets(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 2,
				 "services: {svc: {override: replace, command: x}, svc2: {override: replace, command: y}}\n"
				 "checks:\n"
				 "  c:\n"
				 "    override: replace\n"
				 "    level: alive\n"
				 "    period: 5s\n"
				 "    http: {url: http://a, headers: {A: '1'}}\n"
				 "  e:\n"
				 "    override: replace\n"
				 "    exec: {command: a, environment: {X: '1'}, user-id: 0}\n"
				 "log-targets:\n"
				 "  t: {override: replace, type: loki, location: http://x, services: [svc], labels: {a: '1'}}\n",
				 "checks:\n"
				 "  c:\n"
				 "    override: merge\n"
				 "    threshold: 9\n"
				 "    http: {headers: {B: '2'}}\n"
				 "  e:\n"
				 "    override: merge\n"
				 "    exec: {environment: {Y: '2'}, service-context: svc}\n"
				 "log-targets:\n"
				 "  t: {override: merge, location: http://y, services: [-svc2], labels: {b: '2'}}\n");
	const struct plan_check *c;
	const struct plan_log_target *t;

	if (!p)
		TFAIL("%s", eb.msg);
	c = plan_find_check(&p->s, "c");
	ASSERT_EQ(c->level, PLAN_LEVEL_ALIVE);
	ASSERT_EQ(c->threshold, 9);
	ASSERT_STREQ(c->http->url, "http://a");
	ASSERT_EQ(c->http->headers.n, 2);
	c = plan_find_check(&p->s, "e");
	ASSERT_STREQ(c->exec->command, "a");
	ASSERT_EQ(c->exec->environment.n, 2);
	ASSERT_STREQ(c->exec->service_context, "svc");
	ASSERT_TRUE(c->exec->user_id.set);
	t = plan_find_log_target(&p->s, "t");
	ASSERT_STREQ(t->location, "http://y");
	ASSERT_STREQ(t->type, "loki");
	ASSERT_EQ(t->services.n, 2);
	ASSERT_EQ(t->labels.n, 2);
	plan_free(p);
}

static void test_override_errors(void)
{
	struct errbuf eb;

	ASSERT_TRUE(combine(&eb, 1, "services:\n  s:\n    command: x\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" must define \"override\" for service \"s\"");
	ASSERT_TRUE(combine(&eb, 1, "services:\n  s:\n    override: foo\n    command: x\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" has invalid \"override\" value for service \"s\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c:\n    exec: {command: x}\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" must define \"override\" for check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c:\n    override: x\n    exec: {command: x}\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" has invalid \"override\" value for check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "log-targets:\n  t: {type: loki, location: x}\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" must define \"override\" for log target \"t\"");
	ASSERT_TRUE(combine(&eb, 1, "log-targets:\n  t: {override: m, type: loki}\n") == NULL);
	ASSERT_STREQ(eb.msg, "layer \"layer-0\" has invalid \"override\" value for log target \"t\"");
	ASSERT_TRUE(combine(&eb, 1, "workloads:\n  w: {user-id: 1}\n") == NULL);
	ASSERT_STREQ(eb.msg, "workload \"w\": must define an \"override\" policy");
	ASSERT_TRUE(combine(&eb, 1, "workloads:\n  w: {override: both}\n") == NULL);
	ASSERT_STREQ(eb.msg, "workload \"w\": has an invalid \"override\" policy: \"both\"");
}

static void test_combined_validation(void)
{
	struct errbuf eb;

	ASSERT_TRUE(combine(&eb, 1, "services:\n  s: {override: replace}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must define \"command\" for service \"s\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace, http: {}}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must set \"url\" for http check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace, tcp: {host: x}}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must set \"port\" for tcp check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace, exec: {working-dir: /}}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must set \"command\" for exec check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace, exec: {command: x, service-context: nope}}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan check \"c\" service context specifies non-existent service \"nope\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must specify one of \"http\", \"tcp\", or \"exec\" for check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "checks:\n  c: {override: replace, tcp: {port: 1}, exec: {command: x}}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must specify one of \"http\", \"tcp\", or \"exec\" for check \"c\"");
	ASSERT_TRUE(combine(&eb, 1, "log-targets:\n  t: {override: replace, location: x}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must define \"type\" (\"loki\", \"opentelemetry\" or \"syslog\") for log target \"t\"");
	ASSERT_TRUE(combine(&eb, 1, "log-targets:\n  t: {override: replace, type: loki, location: x, services: [-nope]}\n") == NULL);
	ASSERT_STREQ(eb.msg, "log target \"t\" specifies unknown service \"nope\"");
	ASSERT_TRUE(combine(&eb, 1, "log-targets:\n  t: {override: replace, type: loki}\n") == NULL);
	ASSERT_STREQ(eb.msg, "plan must define \"location\" for log target \"t\"");
	ASSERT_TRUE(combine(&eb, 1,
			    "services:\n"
			    "  srv1: {override: replace, command: cmd, after: [srv3]}\n"
			    "  srv2: {override: replace, command: cmd, after: [srv1], before: [srv3]}\n"
			    "  srv3: {override: replace, command: cmd}\n") == NULL);
	ASSERT_STREQ(eb.msg, "services in before/after loop: srv1, srv2, srv3");
	ASSERT_TRUE(combine(&eb, 1, "services:\n  a: {override: replace, command: x, requires: [ghost]}\n") == NULL);
	ASSERT_STREQ(eb.msg, "service \"ghost\" does not exist");
	ASSERT_TRUE(combine(&eb, 1, "services:\n  a: {override: replace, command: x, workload: w}\n") == NULL);
	ASSERT_STREQ(eb.msg, "workload \"w\": not defined for service \"a\"");
	ASSERT_TRUE(combine(&eb, 1, "workloads:\n  w: {override: replace, user: no-such-user-cairn}\n") == NULL);
	ASSERT_STREQ(eb.msg, "workload \"w\": user: unknown user no-such-user-cairn");
	/* A merge layer can complete an entry that an earlier layer left incomplete. */
	{
		struct plan *p = combine(&eb, 2, "services:\n  s: {override: replace}\n",
					 "services:\n  s: {override: merge, command: x}\n");

		ASSERT_TRUE(p != NULL);
		plan_free(p);
	}
}

/* ======================= Run-time layers (§6) ======================= */

static struct plan *add(struct plan *old, const char *label, const char *yaml, bool combine_,
			bool inner, int *r, struct errbuf *eb)
{
	struct plan_layer *l = L(label, 0, yaml);
	struct plan_add_opts o = { .combine = combine_, .inner = inner };
	struct plan *p = NULL;

	*r = plan_add_layer(old, l, &o, &p, eb);
	plan_layer_free(l);
	return p;
}

static void test_add_layers_orders(void)
{
	struct errbuf eb;
	struct plan *p0 = plan_new(), *p1, *p2, *p3, *p4, *p5;
	int r;

	p1 = add(p0, "foo", "summary: a\n", false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p1->layers[0]->order, 1000);
	p2 = add(p1, "bar/aaa", "summary: b\n", false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p2->layers[1]->order, 2001);
	p3 = add(p2, "baz", "summary: c\n", false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p3->layers[2]->order, 3000);
	/* Inserting into the existing bar/ group needs inner. */
	ASSERT_TRUE(add(p3, "bar/bbb", "summary: d\n", false, false, &r, &eb) == NULL);
	ASSERT_EQ(r, -EPERM);
	ASSERT_STREQ(eb.msg, "cannot insert sub-directory layer without 'inner' attribute set");
	p4 = add(p3, "bar/bbb", "summary: d\n", false, true, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_STREQ(p4->layers[2]->label, "bar/bbb");
	ASSERT_EQ(p4->layers[2]->order, 2002);
	ASSERT_STREQ(p4->layers[3]->label, "baz");
	/* The last group may grow without inner. */
	p5 = add(p4, "baz/x", "summary: e\n", false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p5->layers[4]->order, 3001);
	/* Existing label without combine. */
	ASSERT_TRUE(add(p5, "foo", "summary: f\n", false, false, &r, &eb) == NULL);
	ASSERT_EQ(r, -EEXIST);
	ASSERT_STREQ(eb.msg, "layer \"foo\" already exists");
	ASSERT_STREQ(p5->summary, "e");
	plan_free(p0);
	plan_free(p1);
	plan_free(p2);
	plan_free(p3);
	plan_free(p4);
	plan_free(p5);
}

static void test_add_combine(void)
{
	struct errbuf eb;
	struct plan *p0 = plan_new(), *p1, *p2, *p3;
	int r;

	p1 = add(p0, "base", "services:\n  s: {override: replace, command: a, environment: {A: '1'}}\n",
		 false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	p2 = add(p1, "base", "services:\n  s: {override: merge, environment: {B: '2'}}\n", true, false,
		 &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p2->n_layers, 1);
	ASSERT_EQ(p2->layers[0]->order, 1000);
	ASSERT_EQ(plan_find_service(&p2->s, "s")->environment.n, 2);
	/* The stored layer is the combination of both. */
	ASSERT_EQ(plan_find_service(&p2->layers[0]->s, "s")->environment.n, 2);
	/* combine with a new label appends. */
	p3 = add(p2, "other", "services:\n  t: {override: replace, command: b}\n", true, false, &r, &eb);
	ASSERT_EQ(r, 0);
	ASSERT_EQ(p3->n_layers, 2);
	ASSERT_EQ(p3->layers[1]->order, 2000);
	plan_free(p0);
	plan_free(p1);
	plan_free(p2);
	plan_free(p3);
}

static void test_bad_layer_leaves_plan(void)
{
	struct errbuf eb;
	struct plan *p0 = plan_new(), *p1, *bad;
	char *before, *after;
	int r;

	p1 = add(p0, "base", "services:\n  s: {override: replace, command: a, after: [t]}\n"
			     "  t: {override: replace, command: b}\n", false, false, &r, &eb);
	ASSERT_EQ(r, 0);
	before = render(p1);
	/* Introduces a loop: rejected, p1 unchanged. */
	bad = add(p1, "loop", "services:\n  t: {override: merge, after: [s]}\n", false, false, &r, &eb);
	ASSERT_TRUE(bad == NULL);
	ASSERT_EQ(r, -EINVAL);
	ASSERT_STREQ(eb.msg, "services in before/after loop: s, t");
	/* Combining into the existing layer with a bad override: also rejected. */
	bad = add(p1, "base", "services:\n  s: {command: c}\n", true, false, &r, &eb);
	ASSERT_TRUE(bad == NULL);
	ASSERT_STREQ(eb.msg, "layer \"base\" must define \"override\" for service \"s\"");
	after = render(p1);
	ASSERT_STREQ(before, after);
	ASSERT_EQ(p1->n_layers, 1);
	ASSERT_EQ(plan_find_service(&p1->layers[0]->s, "t")->after.n, 0);
	free(before);
	free(after);
	plan_free(p0);
	plan_free(p1);
}

static void test_service_args(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 1, "services:\n  d:\n    override: replace\n    command: /usr/bin/d --db=/x [ --port 8080 ]\n");
	struct plan *q = NULL;
	char *args[] = { "--port", "9 0" };
	struct plan_service_args sa = { "d", args, 2 };
	struct plan_service_args bad = { "nope", NULL, 0 };

	ASSERT_TRUE(p != NULL);
	ASSERT_EQ(plan_set_service_args(p, &sa, 1, &q, &eb), 0);
	ASSERT_STREQ(plan_find_service(&q->s, "d")->command, "/usr/bin/d --db=/x [ --port '9 0' ]");
	ASSERT_STREQ(q->layers[q->n_layers - 1]->label, PLAN_SERVICE_ARGS_LABEL);
	ASSERT_EQ(q->layers[q->n_layers - 1]->order, 2000);
	ASSERT_TRUE(plan_set_service_args(p, &bad, 1, &q, &eb) < 0);
	ASSERT_STREQ(eb.msg, "service \"nope\" not found in plan");
	plan_free(p);
	plan_free(q);
}

/* ======================= Ordering and lanes (§8) ======================= */

static char *lanes_str(const struct plan_lanes *l)
{
	struct buf b = BUF_INIT;
	size_t i, j;

	buf_adds(&b, "");
	for (i = 0; i < l->n; i++) {
		buf_addc(&b, '[');
		for (j = 0; j < l->v[i].n; j++)
			buf_addf(&b, "%s%s", j ? " " : "", l->v[i].v[j]);
		buf_addc(&b, ']');
	}
	return buf_detach(&b);
}

static void check_order(const struct plan *p, bool stop, const char *names, const char *want)
{
	char *v[8], *copy = strdup(names), *tok, *save = NULL, *got;
	size_t n = 0;
	struct plan_lanes l;
	struct errbuf eb;
	int r;

	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		v[n++] = tok;
	r = stop ? plan_stop_order(p, v, n, &l, &eb) : plan_start_order(p, v, n, &l, &eb);
	if (r < 0) {
		got = strdup(eb.msg);
	} else {
		got = lanes_str(&l);
		plan_lanes_done(&l);
	}
	if (strcmp(got, want) != 0) {
		printf("%s order of %s: got %s, want %s\n", stop ? "stop" : "start", names, got, want);
		test_cur_failed = 1;
	}
	free(got);
	free(copy);
}

static void test_order_pebble_example(void)
{
	struct errbuf eb;
	/* Pebble's own "relatively simple layer with override on top" test plan. */
	struct plan *p = combine(&eb, 2,
				 "services:\n"
				 "  srv1: {override: replace, command: cmd, after: [srv2], before: [srv3], requires: [srv2, srv3]}\n"
				 "  srv2: {override: replace, command: cmd, before: [srv3]}\n"
				 "  srv3: {override: replace, command: cmd}\n",
				 "services:\n"
				 "  srv1: {override: merge, after: [srv4], before: [srv5]}\n"
				 "  srv2: {override: replace, command: cmd}\n"
				 "  srv4: {override: replace, command: cmd}\n"
				 "  srv5: {override: replace, command: cmd}\n");

	if (!p)
		TFAIL("%s", eb.msg);
	check_order(p, false, "srv1", "[srv2 srv1 srv3]");
	check_order(p, false, "srv2", "[srv2]");
	check_order(p, false, "srv3", "[srv3]");
	check_order(p, true, "srv1", "[srv1]");
	check_order(p, true, "srv2", "[srv1 srv2]");
	check_order(p, true, "srv3", "[srv3 srv1]");
	check_order(p, false, "ghost", "service \"ghost\" does not exist");
	check_order(p, true, "ghost", "service \"ghost\" does not exist");
	plan_free(p);
}

static void test_order_lanes(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 1,
				 "services:\n"
				 "  db: {override: replace, command: x}\n"
				 "  web: {override: replace, command: x, requires: [db], after: [db]}\n"
				 "  cache: {override: replace, command: x}\n"
				 "  worker: {override: replace, command: x, after: [cache]}\n"
				 "  solo: {override: replace, command: x}\n");

	if (!p)
		TFAIL("%s", eb.msg);
	/* web pulls in db and runs after it in the same lane; solo runs alone. */
	check_order(p, false, "web solo", "[db web][solo]");
	/* Independent services get their own lanes; after orders without joining lanes. */
	check_order(p, false, "cache solo", "[cache][solo]");
	check_order(p, false, "worker cache", "[cache][worker]");
	/* Stopping db also stops what requires it, in reverse order, in one lane. */
	check_order(p, true, "db", "[web db]");
	check_order(p, true, "db solo", "[web db][solo]");
	plan_free(p);
}

static void test_order_loop(void)
{
	struct errbuf eb;
	struct plan_layer *l = L("x", 1000, "services:\n"
					    "  a: {override: replace, command: x, after: [b]}\n"
					    "  b: {override: replace, command: x, after: [a]}\n");
	struct plan *p = NULL;

	ASSERT_TRUE(l != NULL);
	ASSERT_TRUE(plan_from_layers(&l, 1, &p, &eb) < 0);
	ASSERT_STREQ(eb.msg, "services in before/after loop: a, b");
	plan_layer_free(l);
}

static void test_order_long_chain(void)
{
	struct buf y = BUF_INIT;
	struct errbuf eb;
	struct plan *p;
	struct plan_layer *l;
	struct plan_lanes lanes;
	char *names[1] = { "s0" };
	int i;

	buf_adds(&y, "services:\n");
	for (i = 0; i < 3000; i++)
		buf_addf(&y, "  s%d: {override: replace, command: x, requires: [s%d], after: [s%d]}\n", i,
			 i + 1, i + 1);
	buf_adds(&y, "  s3000: {override: replace, command: x}\n");
	l = L("chain", 1000, buf_str(&y));
	ASSERT_TRUE(l != NULL);
	ASSERT_EQ(plan_from_layers(&l, 1, &p, &eb), 0);
	ASSERT_EQ(plan_start_order(p, names, 1, &lanes, &eb), 0);
	ASSERT_EQ(lanes.n, 1);
	ASSERT_EQ(lanes.v[0].n, 3001);
	ASSERT_STREQ(lanes.v[0].v[0], "s3000");
	plan_lanes_done(&lanes);
	plan_free(p);
	plan_layer_free(l);
	buf_done(&y);
}

/* ======================= Helpers ======================= */

static void test_equal_and_dup(void)
{
	struct errbuf eb;
	struct plan *a = combine(&eb, 1, "services:\n  s: {override: replace, command: x, environment: {A: '1'}}\n");
	struct plan *b = combine(&eb, 1, "services:\n  s: {override: replace, command: x, environment: {A: '2'}}\n");
	struct plan *c = plan_dup(a);
	struct plan_service *sd;

	ASSERT_TRUE(plan_service_equal(a->s.services[0], c->s.services[0]));
	ASSERT_TRUE(!plan_service_equal(a->s.services[0], b->s.services[0]));
	sd = plan_service_dup(a->s.services[0]);
	ASSERT_TRUE(plan_service_equal(sd, a->s.services[0]));
	plan_service_free(sd);
	ASSERT_TRUE(plan_find_layer(c, "layer-0") != NULL);
	plan_free(a);
	plan_free(b);
	plan_free(c);
}

static void test_exec_ctx(void)
{
	struct errbuf eb;
	struct plan *p = combine(&eb, 1,
				 "workloads:\n  w: {override: replace, environment: {A: w, B: w}, user-id: 0}\n"
				 "services:\n  s: {override: replace, command: x, workload: w, environment: {B: s},"
				 " working-dir: /s}\n"
				 "checks:\n  c: {override: replace, exec: {command: y, service-context: s,"
				 " environment: {C: c}, working-dir: /c}}\n");
	struct plan_exec_ctx ctx;

	if (!p)
		TFAIL("%s", eb.msg);
	plan_service_exec_ctx(p, p->s.services[0], &ctx);
	ASSERT_STREQ(plan_strmap_get(&ctx.environment, "A"), "w");
	ASSERT_STREQ(plan_strmap_get(&ctx.environment, "B"), "s");
	ASSERT_TRUE(ctx.user_id->set);
	ASSERT_STREQ(ctx.working_dir, "/s");
	plan_strmap_done(&ctx.environment);
	plan_check_exec_ctx(p, p->s.checks[0], &ctx);
	ASSERT_EQ(ctx.environment.n, 3);
	ASSERT_STREQ(ctx.working_dir, "/c");
	ASSERT_TRUE(ctx.user_id->set);
	plan_strmap_done(&ctx.environment);
	plan_free(p);
}

int main(void)
{
	RUN(test_render_empty);
	RUN(test_render_static_example);
	RUN(test_render_threshold_default);
	RUN(test_render_full);
	RUN(test_render_roundtrip);
	RUN(test_merge_services);
	RUN(test_merge_checks_and_targets);
	RUN(test_override_errors);
	RUN(test_combined_validation);
	RUN(test_add_layers_orders);
	RUN(test_add_combine);
	RUN(test_bad_layer_leaves_plan);
	RUN(test_service_args);
	RUN(test_order_pebble_example);
	RUN(test_order_lanes);
	RUN(test_order_loop);
	RUN(test_order_long_chain);
	RUN(test_equal_and_dup);
	RUN(test_exec_ctx);
	return test_summary();
}
