/* relations.c - relations in memory and in SQLite; see relations.h. */
#include "cairnd/relations.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairnd/dbutil.h"
#include "lib/buf.h"

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS relations(id INTEGER PRIMARY KEY, key TEXT NOT NULL,"
	"  endpoints TEXT NOT NULL, dying INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS relation_app_bags(rel INTEGER NOT NULL, side INTEGER NOT NULL,"
	"  version INTEGER NOT NULL, bag TEXT NOT NULL, PRIMARY KEY(rel, side));"
	"CREATE TABLE IF NOT EXISTS relation_scopes(rel INTEGER NOT NULL, unit TEXT NOT NULL,"
	"  version INTEGER NOT NULL, bag TEXT NOT NULL, PRIMARY KEY(rel, unit));"
	"CREATE TABLE IF NOT EXISTS relation_seq(name TEXT PRIMARY KEY, next INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS leader_settings(app TEXT PRIMARY KEY, settings TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS subordinates(unit TEXT PRIMARY KEY, principal TEXT NOT NULL);";

static void crel_free(struct crel *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n_sides; i++) {
		free(r->side[i].app);
		free(r->side[i].endpoint);
		free(r->side[i].interface);
		json_decref(r->side[i].app_bag);
	}
	for (size_t i = 0; i < r->n_units; i++) {
		free(r->units[i].unit);
		json_decref(r->units[i].bag);
	}
	free(r->units);
	free(r->key);
	free(r);
}

static void clear(struct relstore *s)
{
	for (size_t i = 0; i < s->n; i++)
		crel_free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
	json_decref(s->leader);
	s->leader = NULL;
	json_decref(s->principals);
	s->principals = NULL;
}

void relstore_free(struct relstore *s)
{
	if (!s)
		return;
	clear(s);
	free(s);
}

struct crel *relstore_find(const struct relstore *s, int id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (s->v[mid]->id == id)
			return s->v[mid];
		if (s->v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct crel *relstore_find_key(const struct relstore *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i]->key, key))
			return s->v[i];
	return NULL;
}

int crel_side_of(const struct crel *r, const char *app)
{
	for (int i = 0; i < r->n_sides; i++)
		if (!strcmp(r->side[i].app, app))
			return i;
	return -1;
}

struct crel_unit *crel_scope_find(const struct crel *r, const char *unit)
{
	size_t lo = 0, hi = r->n_units;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(r->units[mid].unit, unit);

		if (!c)
			return &r->units[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static json_t *endpoints_json(const struct crel *r)
{
	json_t *a = json_array();

	for (int i = 0; i < r->n_sides; i++) {
		const struct crel_side *e = &r->side[i];

		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:b, s:i}", "app", e->app,
						   "endpoint", e->endpoint, "interface", e->interface,
						   "role", rel_role_name(e->role), "container",
						   e->container, "limit", e->limit));
	}
	return a;
}

static int role_from_name(const char *s)
{
	for (int i = 0; i < _REL_ROLE_MAX; i++)
		if (!strcmp(rel_role_name((enum rel_role)i), s))
			return i;
	return -1;
}

/* Inserts r keeping s->v sorted by id. */
static void insert(struct relstore *s, struct crel *r)
{
	size_t at = s->n;

	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	while (at > 0 && s->v[at - 1]->id > r->id) {
		s->v[at] = s->v[at - 1];
		at--;
	}
	s->v[at] = r;
	s->n++;
}

static void scope_insert(struct crel *r, const char *unit, int64_t version, json_t *bag)
{
	size_t at = 0;

	while (at < r->n_units && strcmp(r->units[at].unit, unit) < 0)
		at++;
	r->units = xrealloc(r->units, (r->n_units + 1) * sizeof(*r->units));
	memmove(&r->units[at + 1], &r->units[at], (r->n_units - at) * sizeof(*r->units));
	r->units[at].unit = xstrdup(unit);
	r->units[at].version = version;
	r->units[at].bag = bag;
	r->n_units++;
}

static int load(struct relstore *s, struct errbuf *eb)
{
	sqlite3_stmt *st = NULL;
	int r = -EIO;

	if (sqlite3_prepare_v2(s->db, "SELECT next FROM relation_seq WHERE name = 'relation'", -1,
			       &st, NULL) != SQLITE_OK)
		goto sqlfail;
	s->next_id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT id, key, endpoints, dying FROM relations ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct crel *c = xcalloc(1, sizeof(*c));
		json_t *eps = dbu_json(st, 2, json_array()), *e;
		size_t i;

		c->id = sqlite3_column_int(st, 0);
		c->key = xstrdup(dbu_text(st, 1) ? dbu_text(st, 1) : "");
		c->dying = sqlite3_column_int(st, 3) != 0;
		json_array_foreach(eps, i, e) {
			const char *app = "", *ep = "", *iface = "", *role = "";
			int container = 0, limit = 0, ri;

			if (i >= 2 || json_unpack(e, "{s:s, s:s, s:s, s:s, s:b, s:i}", "app", &app,
						  "endpoint", &ep, "interface", &iface, "role", &role,
						  "container", &container, "limit", &limit) < 0 ||
			    (ri = role_from_name(role)) < 0) {
				errbuf_set(eb, "relation %d: malformed endpoints in the state database",
					   c->id);
				json_decref(eps);
				crel_free(c);
				sqlite3_finalize(st);
				return -EINVAL;
			}
			c->side[i] = (struct crel_side){ .app = xstrdup(app), .endpoint = xstrdup(ep),
							 .interface = xstrdup(iface),
							 .role = (enum rel_role)ri,
							 .container = container, .limit = limit,
							 .app_bag = json_object() };
			c->container |= container;
			c->n_sides++;
		}
		json_decref(eps);
		insert(s, c);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT rel, side, version, bag FROM relation_app_bags", -1,
			       &st, NULL) != SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct crel *c = relstore_find(s, sqlite3_column_int(st, 0));
		int side = sqlite3_column_int(st, 1);

		if (!c || side < 0 || side >= c->n_sides)
			continue;
		c->side[side].app_version = sqlite3_column_int64(st, 2);
		c->side[side].app_bag = dbu_json(st, 3, c->side[side].app_bag);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, "SELECT rel, unit, version, bag FROM relation_scopes", -1,
			       &st, NULL) != SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct crel *c = relstore_find(s, sqlite3_column_int(st, 0));

		if (c && dbu_text(st, 1))
			scope_insert(c, dbu_text(st, 1), sqlite3_column_int64(st, 2),
				     dbu_json(st, 3, json_object()));
	}
	sqlite3_finalize(st);
	s->leader = json_object();
	if (sqlite3_prepare_v2(s->db, "SELECT app, settings FROM leader_settings", -1, &st, NULL) !=
	    SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (dbu_text(st, 0))
			json_object_set_new(s->leader, dbu_text(st, 0), dbu_json(st, 1, json_object()));
	sqlite3_finalize(st);
	s->principals = json_object();
	if (sqlite3_prepare_v2(s->db, "SELECT unit, principal FROM subordinates", -1, &st, NULL) !=
	    SQLITE_OK)
		goto sqlfail;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (dbu_text(st, 0) && dbu_text(st, 1))
			json_object_set_new(s->principals, dbu_text(st, 0), json_string(dbu_text(st, 1)));
	sqlite3_finalize(st);
	return 0;
sqlfail:
	errbuf_set(eb, "state database: %s", sqlite3_errmsg(s->db));
	return r;
}

int relstore_open(sqlite3 *db, struct relstore **ret, struct errbuf *eb)
{
	struct relstore *s = xcalloc(1, sizeof(*s));
	int r;

	s->db = db;
	if ((r = dbu_exec(db, schema, eb)) < 0 || (r = load(s, eb)) < 0) {
		relstore_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int relstore_reload(struct relstore *s, struct errbuf *eb)
{
	clear(s);
	return load(s, eb);
}

int relstore_add(struct relstore *s, const struct rel_endpoint *eps, size_t n, struct crel **ret,
		 struct errbuf *eb)
{
	struct crel *c;
	struct buf key = BUF_INIT;
	json_t *je;
	int r;

	if (n < 1 || n > 2) {
		errbuf_set(eb, "relation must have one or two endpoints");
		return -EINVAL;
	}
	if (s->n >= RELSTORE_MAX_RELATIONS) {
		errbuf_set(eb, "too many relations (at most %d)", RELSTORE_MAX_RELATIONS);
		return -ENOSPC;
	}
	c = xcalloc(1, sizeof(*c));
	c->id = s->next_id;
	buf_init(&key);
	rel_key(eps, n, &key);
	c->key = buf_detach(&key);
	for (size_t i = 0; i < n; i++) {
		c->side[i] = (struct crel_side){ .app = xstrdup(eps[i].app),
						 .endpoint = xstrdup(eps[i].name),
						 .interface = xstrdup(eps[i].interface),
						 .role = eps[i].role, .container = eps[i].container,
						 .limit = eps[i].limit, .app_bag = json_object() };
		c->container |= eps[i].container;
	}
	c->n_sides = (int)n;
	je = endpoints_json(c);
	r = dbu_run(s->db, eb, "INSERT INTO relations(id, key, endpoints, dying) VALUES(?, ?, ?, 0)",
		    "isj", (int64_t)c->id, c->key, je);
	if (r == 0)
		r = dbu_run(s->db, eb,
			    "INSERT INTO relation_seq(name, next) VALUES('relation', ?) "
			    "ON CONFLICT(name) DO UPDATE SET next = excluded.next",
			    "i", (int64_t)c->id + 1);
	json_decref(je);
	if (r < 0) {
		crel_free(c);
		return r;
	}
	s->next_id = c->id + 1;
	insert(s, c);
	*ret = c;
	return 0;
}

int relstore_set_dying(struct relstore *s, struct crel *r, struct errbuf *eb)
{
	int rc;

	if (r->dying)
		return 0;
	if ((rc = dbu_run(s->db, eb, "UPDATE relations SET dying = 1 WHERE id = ?", "i",
			  (int64_t)r->id)) < 0)
		return rc;
	r->dying = true;
	/* A relation nobody ever entered goes at once. */
	if (r->n_units == 0)
		return relstore_leave_scope(s, r, "", eb) < 0 ? -EIO : 0;
	return 0;
}

int relstore_enter_scope(struct relstore *s, struct crel *r, const char *unit, json_t *bag,
			 struct errbuf *eb)
{
	json_t *copy;
	int rc;

	if (crel_scope_find(r, unit))
		return 0;
	copy = bag ? json_deep_copy(bag) : json_object();
	if ((rc = dbu_run(s->db, eb,
			  "INSERT INTO relation_scopes(rel, unit, version, bag) VALUES(?, ?, 1, ?)",
			  "isj", (int64_t)r->id, unit, copy)) < 0) {
		json_decref(copy);
		return rc;
	}
	scope_insert(r, unit, 1, copy);
	return 0;
}

static void delete_mem(struct relstore *s, struct crel *r)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i] != r)
			continue;
		memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
		s->n--;
		break;
	}
	crel_free(r);
}

int relstore_leave_scope(struct relstore *s, struct crel *r, const char *unit, struct errbuf *eb)
{
	struct crel_unit *u = *unit ? crel_scope_find(r, unit) : NULL;
	int rc;

	if (u) {
		if ((rc = dbu_run(s->db, eb, "DELETE FROM relation_scopes WHERE rel = ? AND unit = ?",
				  "is", (int64_t)r->id, unit)) < 0)
			return rc;
		size_t at = (size_t)(u - r->units);

		free(u->unit);
		json_decref(u->bag);
		memmove(&r->units[at], &r->units[at + 1], (r->n_units - at - 1) * sizeof(*r->units));
		r->n_units--;
	}
	if (!r->dying || r->n_units)
		return 0;
	if ((rc = dbu_run(s->db, eb, "DELETE FROM relations WHERE id = ?", "i", (int64_t)r->id)) < 0 ||
	    (rc = dbu_run(s->db, eb, "DELETE FROM relation_app_bags WHERE rel = ?", "i",
			  (int64_t)r->id)) < 0)
		return rc;
	delete_mem(s, r);
	return 1;
}

int relstore_unit_gone(struct relstore *s, const char *unit, struct errbuf *eb)
{
	for (size_t i = 0; i < s->n;) {
		struct crel *r = s->v[i];
		int rc;

		if (!crel_scope_find(r, unit)) {
			i++;
			continue;
		}
		if ((rc = relstore_leave_scope(s, r, unit, eb)) < 0)
			return rc;
		if (rc == 0)
			i++; /* r was kept; a deleted one shifted the array */
	}
	return 0;
}

static bool bag_ok(json_t *bag, struct errbuf *eb)
{
	char *s;
	size_t n;

	if (!json_is_object(bag)) {
		errbuf_set(eb, "relation settings must be a map of strings");
		return false;
	}
	s = json_dumps(bag, JSON_COMPACT);
	n = s ? strlen(s) : 0;
	free(s);
	if (n > RELSTORE_MAX_BAG_BYTES) {
		errbuf_set(eb, "relation settings exceed %u bytes", RELSTORE_MAX_BAG_BYTES);
		return false;
	}
	return true;
}

int relstore_set_unit_bag(struct relstore *s, struct crel *r, const char *unit, json_t *bag,
			  struct errbuf *eb)
{
	struct crel_unit *u = crel_scope_find(r, unit);
	json_t *copy;
	int rc;

	if (!u) {
		errbuf_set(eb, "unit \"%s\" is not in relation %d", unit, r->id);
		return -ENOENT;
	}
	if (!bag_ok(bag, eb))
		return -EINVAL;
	if (json_equal(u->bag, bag))
		return 0;
	copy = json_deep_copy(bag);
	if ((rc = dbu_run(s->db, eb,
			  "UPDATE relation_scopes SET version = ?, bag = ? WHERE rel = ? AND unit = ?",
			  "ijis", u->version + 1, copy, (int64_t)r->id, unit)) < 0) {
		json_decref(copy);
		return rc;
	}
	json_decref(u->bag);
	u->bag = copy;
	u->version++;
	return 0;
}

int relstore_set_app_bag(struct relstore *s, struct crel *r, const char *app, json_t *bag,
			 struct errbuf *eb)
{
	int side = crel_side_of(r, app), rc;
	json_t *copy;

	if (side < 0) {
		errbuf_set(eb, "application \"%s\" is not in relation %d", app, r->id);
		return -ENOENT;
	}
	if (!bag_ok(bag, eb))
		return -EINVAL;
	if (json_equal(r->side[side].app_bag, bag))
		return 0;
	copy = json_deep_copy(bag);
	if ((rc = dbu_run(s->db, eb,
			  "INSERT INTO relation_app_bags(rel, side, version, bag) VALUES(?, ?, ?, ?) "
			  "ON CONFLICT(rel, side) DO UPDATE SET version = excluded.version, "
			  "bag = excluded.bag",
			  "iiij", (int64_t)r->id, (int64_t)side, r->side[side].app_version + 1, copy)) < 0) {
		json_decref(copy);
		return rc;
	}
	json_decref(r->side[side].app_bag);
	r->side[side].app_bag = copy;
	r->side[side].app_version++;
	return 0;
}

int relstore_endpoint_count(const struct relstore *s, const char *app, const char *ep)
{
	int n = 0;

	for (size_t i = 0; i < s->n; i++)
		for (int k = 0; k < s->v[i]->n_sides; k++)
			if (!strcmp(s->v[i]->side[k].app, app) && !strcmp(s->v[i]->side[k].endpoint, ep))
				n++;
	return n;
}

json_t *relstore_status_app(const struct relstore *s, const char *app)
{
	json_t *out = json_object();

	for (size_t i = 0; i < s->n; i++) {
		const struct crel *r = s->v[i];
		int me = crel_side_of(r, app);
		const struct crel_side *mine, *other;
		json_t *list;

		if (me < 0)
			continue;
		mine = &r->side[me];
		other = r->n_sides == 2 ? &r->side[1 - me] : mine;
		list = json_object_get(out, mine->endpoint);
		if (!list) {
			list = json_array();
			json_object_set_new(out, mine->endpoint, list);
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "related-application",
						      other->app, "interface", mine->interface,
						      "scope", r->container ? "container" : "global"));
	}
	return out;
}

json_t *relstore_status_rows(const struct relstore *s, bool (*subordinate)(void *data, const char *app),
			     void *data)
{
	json_t *rows = json_array();

	for (size_t i = 0; i < s->n; i++) {
		const struct crel *r = s->v[i];
		const struct crel_side *prov = &r->side[0], *req = &r->side[0];
		const char *type = "regular", *status;
		char pbuf[512], rbuf[512];

		if (r->n_sides == 2) {
			/* Key order puts the requirer first. */
			req = &r->side[0];
			prov = &r->side[1];
		}
		if (r->n_sides == 1)
			type = "peer";
		else if (r->container && subordinate &&
			 (subordinate(data, r->side[0].app) || subordinate(data, r->side[1].app)))
			type = "subordinate";
		status = r->dying ? "broken" : r->n_units ? "joined" : "joining";
		snprintf(pbuf, sizeof(pbuf), "%s:%s", prov->app, prov->endpoint);
		snprintf(rbuf, sizeof(rbuf), "%s:%s", req->app, req->endpoint);
		json_array_append_new(rows, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
						      r->id, "key", r->key, "provider", pbuf,
						      "requirer", rbuf, "interface", prov->interface,
						      "type", type, "status", status));
	}
	return rows;
}

/* Whether unit belongs to application app ("app/N"). */
static bool unit_of(const char *unit, const char *app)
{
	size_t n = strlen(app);

	return !strncmp(unit, app, n) && unit[n] == '/';
}

json_t *relstore_unit_goal(const struct relstore *s, const char *unit, const char *app, bool leader,
			   relstore_principal_fn principal, void *data)
{
	json_t *out = json_array();
	const char *mine_p = principal ? principal(data, unit) : unit;

	for (size_t i = 0; i < s->n; i++) {
		const struct crel *r = s->v[i];
		int me = crel_side_of(r, app);
		const struct crel_side *mine, *other;
		struct crel_unit *self;
		json_t *units, *e;

		if (me < 0)
			continue;
		mine = &r->side[me];
		other = r->n_sides == 2 ? &r->side[1 - me] : mine;
		units = json_object();
		for (size_t k = 0; k < r->n_units; k++) {
			const struct crel_unit *u = &r->units[k];

			if (!strcmp(u->unit, unit) || !unit_of(u->unit, other->app))
				continue;
			if (r->container && principal) {
				const char *up = principal(data, u->unit);

				if (!up || !mine_p || strcmp(up, mine_p))
					continue;
			}
			json_object_set_new(units, u->unit, json_pack("{s:I, s:O}", "version",
								       (json_int_t)u->version, "bag", u->bag));
		}
		e = json_pack("{s:i, s:s, s:s, s:s, s:b, s:b, s:o, s:I, s:O}", "id", r->id, "endpoint",
			      mine->endpoint, "interface", mine->interface, "remote-app", other->app,
			      "peer", r->n_sides == 1, "alive", !r->dying, "units", units,
			      "app-version", (json_int_t)other->app_version, "app-bag", other->app_bag);
		if ((self = crel_scope_find(r, unit)))
			json_object_set(e, "unit-bag", self->bag);
		if (leader || r->n_sides == 1)
			json_object_set(e, "local-app-bag", mine->app_bag);
		json_array_append_new(out, e);
	}
	return out;
}

json_t *relstore_leader_settings(const struct relstore *s, const char *app)
{
	return json_object_get(s->leader, app);
}

int relstore_set_leader_settings(struct relstore *s, const char *app, json_t *settings,
				 struct errbuf *eb)
{
	json_t *copy;
	int r;

	if (!settings) {
		if ((r = dbu_run(s->db, eb, "DELETE FROM leader_settings WHERE app = ?", "s", app)) < 0)
			return r;
		json_object_del(s->leader, app);
		return 0;
	}
	if (!bag_ok(settings, eb))
		return -EINVAL;
	copy = json_deep_copy(settings);
	if ((r = dbu_run(s->db, eb, "INSERT OR REPLACE INTO leader_settings(app, settings) VALUES(?, ?)",
			 "sj", app, copy)) < 0) {
		json_decref(copy);
		return r;
	}
	json_object_set_new(s->leader, app, copy);
	return 0;
}

const char *relstore_principal(const struct relstore *s, const char *unit)
{
	return json_string_value(json_object_get(s->principals, unit));
}

int relstore_set_principal(struct relstore *s, const char *unit, const char *principal,
			   struct errbuf *eb)
{
	int r;

	if (!principal) {
		if ((r = dbu_run(s->db, eb, "DELETE FROM subordinates WHERE unit = ?", "s", unit)) < 0)
			return r;
		json_object_del(s->principals, unit);
		return 0;
	}
	if ((r = dbu_run(s->db, eb, "INSERT OR REPLACE INTO subordinates(unit, principal) VALUES(?, ?)",
			 "ss", unit, principal)) < 0)
		return r;
	json_object_set_new(s->principals, unit, json_string(principal));
	return 0;
}
