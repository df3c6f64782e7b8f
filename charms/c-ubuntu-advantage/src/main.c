/* main.c - the ubuntu-advantage-style charm's dispatch. */
#include "ua.h"

int main(void)
{
	return cairn_main(ua_setup, NULL);
}
