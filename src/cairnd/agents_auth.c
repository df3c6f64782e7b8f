/* agents_auth.c - authenticating machine agents: machine credentials (salted SHA-256), hello
 * with a credential, join with a one-time token (enlisting), and the welcome that syncs an
 * accepted agent; see agents.h. */
#include "cairnd/agents_internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void sha256_hex(const char *a, const char *b, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, a, strlen(a));
	if (b)
		EVP_DigestUpdate(ctx, b, strlen(b));
	EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	hex(md, 32, out);
	out[64] = '\0';
}

static bool random_hex(char *out, size_t bytes)
{
	unsigned char b[64];

	if (bytes > sizeof(b) || RAND_bytes(b, (int)bytes) != 1)
		return false;
	hex(b, bytes, out);
	out[2 * bytes] = '\0';
	return true;
}

static bool password_ok(const struct model_machine *mc, const char *password)
{
	char h[65];

	if (!mc->password_hash || !mc->salt)
		return false;
	sha256_hex(mc->salt, password, h);
	return strlen(mc->password_hash) == 64 && CRYPTO_memcmp(h, mc->password_hash, 64) == 0;
}

int agents_new_credential(struct controller *c, struct model_machine *mc, char password[65],
			  struct errbuf *eb)
{
	char salt[33], h[65];

	if (!random_hex(password, 32) || !random_hex(salt, 16)) {
		errbuf_set(eb, "cannot make a credential: no randomness");
		return -EIO;
	}
	sha256_hex(salt, password, h);
	return model_enlist_machine(c->m, mc, h, salt, eb);
}

/* Sends what the agent of k's machine must know: its units, the model config, every goal. */
static void sync_agent(struct aconn *k)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct proto_msg m;
	json_t *units = json_array(), *apis = json_array();
	const char *why;

	for (size_t i = 0; i < c->m->n_apps; i++)
		for (size_t j = 0; j < c->m->apps[i]->n_units; j++)
			if (c->m->apps[i]->units[j]->machine == k->m->id)
				json_array_append_new(units, json_string(c->m->apps[i]->units[j]->name));
	if (agents_tcp_address(s, &why))
		json_array_append_new(apis, json_string(agents_tcp_address(s, &why)));
	proto_msg_init(&m, PROTO_WELCOME);
	m.u.welcome.machine = k->m->name;
	m.u.welcome.lease_ms = c->cfg.lease_ms;
	m.u.welcome.model_name = c->m->name;
	m.u.welcome.model_uuid = c->m->uuid;
	m.u.welcome.units = units;
	m.u.welcome.api_addresses = apis;
	agents_conn_send(k, &m);
	json_decref(units);
	json_decref(apis);
	agents_send_model_config(k);
	for (size_t i = 0; i < c->m->n_apps; i++)
		for (size_t j = 0; j < c->m->apps[i]->n_units; j++)
			if (c->m->apps[i]->units[j]->machine == k->m->id)
				agents_send_unit_goal(k, c->m->apps[i]->units[j], true);
}

void agents_on_hello(struct aconn *k, const struct proto_hello *h)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct model_machine *mc = model_find_machine(c->m, atoi(h->machine));
	struct errbuf eb;
	struct mrt *mr;

	if (!mc || !password_ok(mc, h->password)) {
		ctl_log(c, "controller", "WARNING", "cairn.agents",
			"refused an agent claiming to be machine %s from %s: invalid credential", h->machine,
			k->peer);
		agents_refuse(k, "invalid entity name or password (unauthorized access)");
		return;
	}
	if (h->version < PROTO_VERSION) {
		/* It would ignore relations and tasks: it must be upgraded first. */
		char why[128];

		snprintf(why, sizeof(why), "agent protocol version %lld is too old (the controller needs %d)",
			 (long long)h->version, PROTO_VERSION);
		ctl_log(c, "controller", "WARNING", "cairn.agents", "refused machine %s: %s", h->machine, why);
		agents_refuse(k, why);
		return;
	}
	mr = agents_mrt_get(s, mc->id);
	if (mr->conn) {
		/* The agent restarted and the old connection has not noticed yet. */
		agents_conn_close(mr->conn);
	}
	k->m = mr;
	mr->conn = k;
	mr->lost = false;
	agents_machine_connected(s, mr, true);
	loop_timer_disarm(k->hello_timer);
	mr->last_seen_ms = loop_now_ms();
	mr->since_ns = loop_wall_ns();
	loop_timer_arm_in(mr->gone, (uint64_t)c->cfg.lease_ms);
	if (model_set_machine_host(c->m, mc, h->hostname, h->addresses, &eb) < 0)
		ctl_log(c, "controller", "ERROR", "cairn.model", "%s", eb.msg);
	ctl_log(c, "controller", "INFO", "cairn.agents", "machine %s agent connected (pid %lld, %s)",
		mr->name, (long long)h->pid, k->peer);
	/* A reconnected agent drops what it no longer has in the welcome's unit list. */
	agents_removing_clear_all(mr);
	sync_agent(k);
	if (c->destroying) {
		/* kill-controller is under way: this agent goes too. */
		struct proto_msg t;

		proto_msg_init(&t, PROTO_TEARDOWN);
		agents_conn_send(k, &t);
	}
	ctl_waiters_check(c);
}

void agents_on_join(struct aconn *k, const struct proto_join *j)
{
	struct agents *s = k->s;
	struct controller *c = C(s);
	struct model_machine *mc = NULL;
	struct proto_msg m;
	struct errbuf eb;
	char pw[65];
	char h[65];

	sha256_hex(j->token, NULL, h);
	for (size_t i = 0; i < c->m->n_machines; i++) {
		struct model_machine *x = c->m->machines[i];

		if (x->token_hash && strlen(x->token_hash) == 64 && CRYPTO_memcmp(x->token_hash, h, 64) == 0)
			mc = x;
	}
	if (!mc || mc->token_expiry_ns < loop_wall_ns()) {
		ctl_log(c, "controller", "WARNING", "cairn.agents", "refused a join from %s: %s", k->peer,
			mc ? "expired token" : "unknown token");
		agents_refuse(k, mc ? "the join token has expired" : "invalid join token");
		return;
	}
	if (agents_new_credential(c, mc, pw, &eb) < 0) {
		agents_refuse(k, eb.msg);
		return;
	}
	model_set_machine_host(c->m, mc, j->hostname, j->addresses, &eb);
	ctl_log(c, "controller", "INFO", "cairn.agents", "machine %d enlisted (%s, %s)", mc->id,
		j->hostname, k->peer);
	proto_msg_init(&m, PROTO_JOINED);
	m.u.joined.machine = mc->name;
	m.u.joined.password = pw;
	m.u.joined.ca_cert = s->ca_pem ? s->ca_pem : "";
	agents_conn_send(k, &m);
	proto_conn_finish(k->pc);
	k->pc = NULL;
	agents_conn_cleanup(k);
}
