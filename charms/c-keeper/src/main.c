/* main.c - the keeper charm's dispatch: one event per run.  CHARM_TOOLS picks how model
 * calls reach the agent (default: its socket when it speaks cairn's protocol, else the hook
 * tools on PATH); tests/charms builds a variant on the hook tools only. */
#include "keeper.h"

#ifndef CHARM_TOOLS
#define CHARM_TOOLS CAIRN_TOOLS_AUTO
#endif

int main(void)
{
	struct cairn_charm_opts o = { .tools = CHARM_TOOLS };

	return cairn_main_opts(&o, keeper_setup, NULL);
}
