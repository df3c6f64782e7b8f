/* test-format-status.c - unit tests for the status renderer: exact tabular text (column
 * alignment, natural order, leader star, Scale forms, executing prefix, truncation) and the
 * JSON/YAML forms. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/format_status.h"
#include "cli/gostr.h"
#include "cli/table.h"
#include "lib/test.h"

static json_t *load(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);

	if (!v)
		printf("bad test JSON: %s (line %d)\n", je.text, je.line);
	return v;
}

static char *render(json_t *doc)
{
	struct buf b = BUF_INIT;

	buf_init(&b);
	format_status_tabular(doc, &b);
	return buf_detach(&b);
}

#define MODEL_JSON                                                                             \
	"\"model\": {\"name\": \"default\", \"type\": \"iaas\", \"controller\": \"cairn\","        \
	" \"cloud\": \"localhost\", \"region\": \"localhost\", \"version\": \"3.6.8\","           \
	" \"model-status\": {\"current\": \"available\", \"since\": \"2024-05-01T12:00:00Z\"},"   \
	" \"sla\": \"unsupported\"},"                                                              \
	"\"controller\": {\"timestamp\": \"2024-05-01T12:34:56Z\"}"

#define MODEL_TEXT                                                                             \
	"Model    Controller  Cloud/Region         Version  SLA          Timestamp\n"             \
	"default  cairn       localhost/localhost  3.6.8    unsupported  12:34:56Z\n"

static void test_empty_model(void)
{
	json_t *doc = load("{" MODEL_JSON ", \"machines\": {}, \"applications\": {}}");
	char *out = render(doc);

	ASSERT_STREQ(out, MODEL_TEXT);
	ASSERT_TRUE(format_status_is_empty(doc));
	free(out);
	json_decref(doc);
}

/* One application with two idle units: plain Scale, leader star, ports, the machine. */
static void test_basic_layout(void)
{
	json_t *doc = load(
		"{" MODEL_JSON ","
		"\"machines\": {\"0\": {\"juju-status\": {\"current\": \"started\"},"
		"  \"dns-name\": \"127.0.0.1\", \"instance-id\": \"localhost-0\","
		"  \"base\": {\"name\": \"debian\", \"channel\": \"12\"}}},"
		"\"applications\": {\"hello\": {\"charm\": \"local:hello-3\", \"charm-name\": \"hello\","
		"  \"charm-rev\": 3, \"charm-channel\": \"\", \"exposed\": false, \"scale\": 2,"
		"  \"version\": \"1.0\","
		"  \"application-status\": {\"current\": \"active\", \"message\": \"ready\"},"
		"  \"units\": {"
		"   \"hello/1\": {\"workload-status\": {\"current\": \"active\", \"message\": \"ready\"},"
		"     \"juju-status\": {\"current\": \"idle\"}, \"machine\": \"0\","
		"     \"public-address\": \"127.0.0.1\", \"open-ports\": [\"80/tcp\", \"443/tcp\"]},"
		"   \"hello/0\": {\"workload-status\": {\"current\": \"active\", \"message\": \"ready\"},"
		"     \"juju-status\": {\"current\": \"idle\"}, \"leader\": true, \"machine\": \"0\","
		"     \"public-address\": \"127.0.0.1\"}}}}}");
	char *out = render(doc);

	ASSERT_STREQ(out,
		     MODEL_TEXT
		     "\n"
		     "App    Version  Status  Scale  Charm  Channel  Rev  Exposed  Message\n"
		     "hello  1.0      active      2  hello             3  no       ready\n"
		     "\n"
		     "Unit      Workload  Agent  Machine  Public address  Ports           Message\n"
		     "hello/0*  active    idle   0        127.0.0.1                       ready\n"
		     "hello/1   active    idle   0        127.0.0.1       80/tcp,443/tcp  ready\n"
		     "\n"
		     "Machine  State    Address    Inst id      Base       AZ  Message\n"
		     "0        started  127.0.0.1  localhost-0  debian@12      \n");
	ASSERT_TRUE(!format_status_is_empty(doc));
	free(out);
	json_decref(doc);
}

/* Natural order, current/desired Scale, executing and allocating messages, wide Rev. */
static void test_scale_sort_and_agent_messages(void)
{
	json_t *doc = load(
		"{" MODEL_JSON ","
		"\"applications\": {"
		" \"app10\": {\"charm-name\": \"app\", \"charm-rev\": 120, \"exposed\": true,"
		"  \"application-status\": {\"current\": \"active\"},"
		"  \"units\": {\"app10/0\": {\"workload-status\": {\"current\": \"active\"},"
		"     \"juju-status\": {\"current\": \"idle\"}, \"leader\": true}}},"
		" \"app9\": {\"charm-name\": \"app\", \"charm-rev\": 7, \"scale\": 12,"
		"  \"application-status\": {\"current\": \"maintenance\", \"message\": \"installing\"},"
		"  \"units\": {"
		"   \"app9/10\": {\"workload-status\": {\"current\": \"maintenance\", \"message\": \"installing charm software\"},"
		"     \"juju-status\": {\"current\": \"executing\", \"message\": \"running install hook\"}},"
		"   \"app9/2\": {\"workload-status\": {\"current\": \"waiting\", \"message\": \"\"},"
		"     \"juju-status\": {\"current\": \"allocating\", \"message\": \"waiting for machine\"}},"
		"   \"app9/1\": {\"workload-status\": {\"current\": \"active\", \"message\": \"ok\"},"
		"     \"juju-status\": {\"current\": \"executing\", \"message\": \"running action backup\"}}}}},"
		"\"machines\": {}}");
	char *out = render(doc);

	ASSERT_STREQ(out,
		     MODEL_TEXT
		     "\n"
		     "App    Version  Status       Scale  Charm  Channel  Rev  Exposed  Message\n"
		     "app9            maintenance   2/12  app               7  no       installing\n"
		     "app10           active           1  app             120  yes      \n"
		     "\n"
		     "Unit      Workload     Agent       Machine  Public address  Ports  Message\n"
		     "app9/1    active       executing                                   (backup) ok\n"
		     "app9/2    waiting      allocating                                  waiting for machine\n"
		     "app9/10   maintenance  executing                                   (install) installing charm software\n"
		     "app10/0*  active       idle                                        \n");
	free(out);
	json_decref(doc);
}

static void test_message_truncation(void)
{
	char msg[201], doc_text[2048], want[160];
	struct buf b = BUF_INIT;
	json_t *doc;
	char *out;

	memset(msg, 'x', 200);
	msg[200] = '\0';
	buf_init(&b);
	format_status_truncate(msg, FORMAT_STATUS_MAX_MESSAGE, &b);
	ASSERT_EQ(b.len, 120);
	ASSERT_TRUE(!strcmp(b.data + 117, "..."));
	buf_reset(&b);
	msg[120] = '\0';
	format_status_truncate(msg, FORMAT_STATUS_MAX_MESSAGE, &b);
	ASSERT_STREQ(buf_str(&b), msg); /* exactly 120 characters stay whole */
	buf_reset(&b);
	/* Characters, not bytes: 121 two-byte characters are cut to 117 of them. */
	for (int i = 0; i < 121; i++)
		buf_adds(&b, "\xc3\xa9");
	{
		char *wide = buf_detach(&b);

		format_status_truncate(wide, FORMAT_STATUS_MAX_MESSAGE, &b);
		ASSERT_EQ(gostr_width(buf_str(&b)), 120);
		ASSERT_EQ(b.len, 117 * 2 + 3);
		free(wide);
	}
	buf_done(&b);

	memset(msg, 'm', 200);
	msg[200] = '\0';
	snprintf(doc_text, sizeof(doc_text),
		 "{" MODEL_JSON ", \"applications\": {\"a\": {\"application-status\": {\"current\": \"blocked\","
		 " \"message\": \"%s\"}, \"units\": {\"a/0\": {\"workload-status\": {\"current\": \"blocked\","
		 " \"message\": \"%s\"}, \"juju-status\": {\"current\": \"idle\"}}}}}}",
		 msg, msg);
	doc = load(doc_text);
	out = render(doc);
	memset(want, 'm', 117);
	strcpy(want + 117, "...\n");
	ASSERT_CONTAINS(out, want);
	ASSERT_TRUE(!strstr(out, "mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm"));
	free(out);
	json_decref(doc);
}

static void test_long_version_and_notes(void)
{
	json_t *doc = load(
		"{\"model\": {\"name\": \"m\", \"controller\": \"c\", \"cloud\": \"localhost\","
		" \"version\": \"3.6.8\", \"model-status\": {\"current\": \"available\", \"message\": \"note\"}},"
		"\"applications\": {\"a\": {\"version\": \"1.2.3-very-long-version\\nsecond line\","
		" \"charm-name\": \"a\", \"charm-rev\": 1, \"units\": {}}}}");
	char *out = render(doc);

	ASSERT_STREQ(out,
		     "Model  Controller  Cloud/Region  Version  Notes\n"
		     "m      c           localhost     3.6.8    note\n"
		     "\n"
		     "App  Version          Status  Scale  Charm  Channel  Rev  Exposed  Message\n"
		     "a    1.2.3-very-l...              0  a                 1  no       \n");
	free(out);
	json_decref(doc);
}

/* Missing or mistyped fields render as empty cells rather than crashing. */
static void test_malformed_document(void)
{
	json_t *doc = load("{\"model\": 5, \"applications\": {\"x\": {\"units\": [1],"
			   " \"application-status\": \"bad\", \"charm-rev\": \"7\"},"
			   " \"y\": 3}, \"machines\": {\"0\": []}}");
	char *out = render(doc);

	ASSERT_CONTAINS(out, "Model  Controller  Cloud/Region  Version\n");
	ASSERT_CONTAINS(out, "\nx ");
	ASSERT_CONTAINS(out, "\nMachine  State  Address  Inst id  Base  AZ  Message\n0  ");
	free(out);
	json_decref(doc);
	doc = load("{}");
	out = render(doc);
	ASSERT_STREQ(out, "Model  Controller  Cloud/Region  Version\n"
			  "                                 \n");
	free(out);
	json_decref(doc);
}

static void test_json_and_yaml(void)
{
	json_t *doc = load("{\"model\": {\"name\": \"default\", \"type\": \"iaas\"},"
			   " \"applications\": {\"hello\": {\"scale\": 1, \"exposed\": false}}}");
	struct buf b = BUF_INIT;

	buf_init(&b);
	format_status(doc, FORMAT_STATUS_JSON, &b);
	ASSERT_STREQ(buf_str(&b), "{\"model\":{\"name\":\"default\",\"type\":\"iaas\"},"
				  "\"applications\":{\"hello\":{\"scale\":1,\"exposed\":false}}}\n");
	buf_reset(&b);
	format_status(doc, FORMAT_STATUS_YAML, &b);
	ASSERT_STREQ(buf_str(&b), "model:\n"
				  "  name: default\n"
				  "  type: iaas\n"
				  "applications:\n"
				  "  hello:\n"
				  "    scale: 1\n"
				  "    exposed: false\n");
	buf_done(&b);
	json_decref(doc);
}

static void test_times(void)
{
	struct buf b = BUF_INIT;
	time_t t;

	buf_init(&b);
	ASSERT_EQ(format_status_parse_time("2024-05-01T12:34:56Z", &t), 0);
	ASSERT_EQ(t, 1714566896);
	ASSERT_EQ(format_status_parse_time("2024-05-01T14:34:56.123456789+02:00", &t), 0);
	ASSERT_EQ(t, 1714566896);
	ASSERT_TRUE(format_status_parse_time("12:34:56Z", &t) < 0);
	ASSERT_TRUE(format_status_parse_time("2024-05-01T12:34:56", &t) < 0);
	ASSERT_TRUE(format_status_parse_time("2024-13-01T12:34:56Z", &t) < 0);
	format_status_time_of_day("12:34:56Z", &b);
	ASSERT_STREQ(buf_str(&b), "12:34:56Z");
	buf_reset(&b);
	format_status_long_time(1714566896, false, &b);
	ASSERT_STREQ(buf_str(&b), "01 May 2024 12:34:56Z");
	buf_done(&b);
}

static void test_natural_order(void)
{
	ASSERT_TRUE(gostr_natcmp("hello/2", "hello/10") < 0);
	ASSERT_TRUE(gostr_natcmp("hello/10", "hello/2") > 0);
	ASSERT_TRUE(gostr_natcmp("app9", "app10") < 0);
	ASSERT_TRUE(gostr_natcmp("a", "b") < 0);
	ASSERT_TRUE(gostr_natcmp("a/1", "a/1") == 0);
	ASSERT_TRUE(gostr_natcmp("a", "a/0") < 0);
	ASSERT_TRUE(gostr_natcmp("x-b", "x/0") < 0);
}

static void test_table_right_alignment(void)
{
	struct table t;
	struct buf b = BUF_INIT;

	buf_init(&b);
	table_init(&t);
	table_align_right(&t, 1);
	table_row(&t);
	table_cell(&t, "Name");
	table_cell(&t, "N");
	table_cell(&t, "End");
	table_row(&t);
	table_cell(&t, "a");
	table_cell(&t, "100");
	table_cell(&t, "x");
	table_row(&t);
	table_cell(&t, "\xc3\xa9t\xc3\xa9");
	table_cell(&t, "2");
	table_cell(&t, "");
	table_render(&t, &b);
	ASSERT_STREQ(buf_str(&b), "Name    N  End\n"
				  "a     100  x\n"
				  "\xc3\xa9t\xc3\xa9     2  \n");
	table_done(&t);
	buf_done(&b);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	RUN(test_empty_model);
	RUN(test_basic_layout);
	RUN(test_scale_sort_and_agent_messages);
	RUN(test_message_truncation);
	RUN(test_long_version_and_notes);
	RUN(test_malformed_document);
	RUN(test_json_and_yaml);
	RUN(test_times);
	RUN(test_natural_order);
	RUN(test_table_right_alignment);
	return test_summary();
}
