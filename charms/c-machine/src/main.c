/* main.c - the machine charm's dispatch. */
#include "machine.h"

int main(void)
{
	return cairn_main(machine_setup, NULL);
}
