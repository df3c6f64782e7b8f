/* empty_dispatch.c - a charm dispatch that does nothing: the floor of one event on this
 * machine (the agent's spawn, exec and start-up of a static C program, its exit and the
 * agent's commit) beside which bench/sdk.py prints the C charm's figures. */
int main(void)
{
	return 0;
}
