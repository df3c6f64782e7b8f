/* main.c - the pause charm's dispatch. */
#include "pause.h"

int main(void)
{
	return cairn_main(pause_setup, NULL);
}
