/* hookctx.c - freeing and looking up the snapshot parts of a hook context; see hookctx.h. */
#include "agent/hookctx.h"

#include <stdlib.h>
#include <string.h>

struct hook_relation *hook_ctx_relation(struct hook_ctx *ctx, int id)
{
	for (size_t i = 0; ctx->relations && i < ctx->n_relations; i++)
		if (ctx->relations[i].id == id)
			return &ctx->relations[i];
	return NULL;
}

void hook_ctx_done_extras(struct hook_ctx *ctx)
{
	for (size_t i = 0; ctx->relations && i < ctx->n_relations; i++) {
		struct hook_relation *r = &ctx->relations[i];

		free(r->endpoint);
		free(r->remote_app);
		json_decref(r->members);
		json_decref(r->remote_units);
		json_decref(r->remote_app_bag);
		json_decref(r->unit_bag);
		json_decref(r->app_bag);
	}
	free(ctx->relations);
	ctx->relations = NULL;
	ctx->n_relations = 0;
	json_decref(ctx->network);
	json_decref(ctx->goal_state);
	json_decref(ctx->leader_settings);
	ctx->network = ctx->goal_state = ctx->leader_settings = NULL;
	if (ctx->action) {
		free(ctx->action->name);
		free(ctx->action->id);
		json_decref(ctx->action->params);
		json_decref(ctx->action->results);
		free(ctx->action->fail_message);
		free(ctx->action);
		ctx->action = NULL;
	}
}
