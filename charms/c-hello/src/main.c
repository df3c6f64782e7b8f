/* main.c - the hello charm's dispatch: one event per run. */
#include "hello.h"

int main(void)
{
	return cairn_main(hello_setup, NULL);
}
