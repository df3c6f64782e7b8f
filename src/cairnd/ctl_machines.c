/* ctl_machines.c - machines as Juju has them: add-machine (a one-time join token for another
 * host), machines, remove-machine (refused while units are placed there, unless --force). */
#include "controller.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairnd/agents.h"
#include "lib/buf.h"
#include "lib/strnum.h"

#define CTL_MAX_MACHINES_PER_CALL 100

static void sha256_hex(const char *s, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

int ctl_op_add_machine(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		       struct errbuf *eb)
{
	json_t *n_v = json_object_get(req, "num"), *list;
	int n = json_is_integer(n_v) ? (int)json_integer_value(n_v) : 1;
	const char *why = NULL;
	const char *addr = agents_tcp_address(c->agents, &why);

	(void)conn;
	if (n < 1 || n > CTL_MAX_MACHINES_PER_CALL) {
		errbuf_set(eb, "-n must be between 1 and %d", CTL_MAX_MACHINES_PER_CALL);
		return -EINVAL;
	}
	if (!addr) {
		errbuf_set(eb, "cannot add a machine: other hosts cannot reach this controller (%s)", why);
		return -EINVAL;
	}
	list = json_array();
	for (int i = 0; i < n; i++) {
		unsigned char raw[16];
		char secret[33], hash[65], *token, *cmd;
		struct model_machine *mc;

		if (RAND_bytes(raw, sizeof(raw)) != 1) {
			errbuf_set(eb, "cannot make a join token: no randomness");
			json_decref(list);
			return -EIO;
		}
		for (size_t k = 0; k < sizeof(raw); k++)
			snprintf(secret + 2 * k, 3, "%02x", raw[k]);
		sha256_hex(secret, hash);
		if (model_add_machine(c->m, hash, loop_wall_ns() + AGENTS_JOIN_TOKEN_TTL_NS, &mc, eb) < 0) {
			json_decref(list);
			return -EIO;
		}
		/* The token carries the CA's fingerprint: the new host checks the controller
		 * before it sends the secret. */
		token = xasprintf("%s.%s", secret, agents_ca_fingerprint(c->agents));
		cmd = xasprintf("cairn-agent join %s %s", addr, token);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "machine", mc->name, "token", token,
						      "command", cmd));
		ctl_log(c, "controller", "INFO", "cairn.model", "machine %d added; waiting for its agent to join",
			mc->id);
		free(token);
		free(cmd);
	}
	*ret = json_pack("{s:o, s:s}", "machines", list, "address", addr);
	return 0;
}

int ctl_op_remove_machine(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
			  struct errbuf *eb)
{
	json_t *ids = json_object_get(req, "machines"), *v, *done;
	bool force = json_is_true(json_object_get(req, "force"));
	size_t i;

	(void)conn;
	if (!json_is_array(ids) || !json_array_size(ids)) {
		errbuf_set(eb, "no machines specified");
		return -EINVAL;
	}
	/* Check everything first: an error removes nothing. */
	json_array_foreach(ids, i, v) {
		int64_t id;
		struct model_machine *mc;

		if (!json_is_string(v) || strnum_i64(json_string_value(v), 0, INT32_MAX, &id) < 0) {
			errbuf_set(eb, "invalid machine id \"%s\"", json_is_string(v) ? json_string_value(v) : "");
			return -EINVAL;
		}
		mc = model_find_machine(c->m, (int)id);
		if (!mc) {
			errbuf_set(eb, "no machines were destroyed: machine %lld not found", (long long)id);
			return -ENOENT;
		}
		if (id == 0) {
			errbuf_set(eb, "no machines were destroyed: machine 0 is required by the model");
			return -EINVAL;
		}
		if (mc->n_units && !force) {
			for (size_t a = 0; a < c->m->n_apps; a++)
				for (size_t k = 0; k < c->m->apps[a]->n_units; k++)
					if (c->m->apps[a]->units[k]->machine == mc->id) {
						errbuf_set(eb, "no machines were destroyed: machine %d has unit \"%s\" assigned",
							   mc->id, c->m->apps[a]->units[k]->name);
						return -EBUSY;
					}
		}
	}
	done = json_array();
	json_array_foreach(ids, i, v) {
		struct model_machine *mc = model_find_machine(c->m, atoi(json_string_value(v)));
		int id;

		if (!mc)
			continue;
		id = mc->id;
		/* --force: its units go without their hooks.  Names first: removing units may
		 * remove their applications too. */
		json_t *names = json_array();

		for (size_t a = 0; a < c->m->n_apps; a++)
			for (size_t k = 0; k < c->m->apps[a]->n_units; k++)
				if (c->m->apps[a]->units[k]->machine == id)
					json_array_append_new(names, json_string(c->m->apps[a]->units[k]->name));
		for (size_t k = 0; k < json_array_size(names); k++) {
			struct model_unit *u = model_find_unit(c->m, json_string_value(json_array_get(names, k)));

			if (!u)
				continue;
			ctl_log(c, "controller", "INFO", "cairn.model", "removal of %s forced with machine %d",
				u->name, id);
			ctl_unit_gone(c, u);
		}
		json_decref(names);
		mc = model_find_machine(c->m, id);
		json_array_append_new(done, json_string(mc->name));
		if (model_delete_machine(c->m, mc, eb) < 0) {
			json_decref(done);
			return -EIO;
		}
		/* The credential is gone with the record: the agent is told to tear down. */
		agents_machine_removed(c->agents, id);
		ctl_log(c, "controller", "INFO", "cairn.model", "machine %d removed", id);
	}
	ctl_waiters_check(c);
	*ret = json_pack("{s:o}", "machines", done);
	return 0;
}

int ctl_op_machines(struct controller *c, struct msgsrv_conn *conn, json_t *req, json_t **ret,
		    struct errbuf *eb)
{
	(void)conn;
	(void)req;
	(void)eb;
	*ret = json_pack("{s:o}", "machines", status_machines(c));
	return 0;
}
