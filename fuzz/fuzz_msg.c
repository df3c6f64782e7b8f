/* fuzz_msg.c - the framed-JSON decoder (msg_reader) that every controller, agent and hook
 * tool connection runs on bytes from its peer, fed in pieces of varying size. */
#include "fuzz.h"
#include "lib/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_reader r;
	struct errbuf eb;
	size_t off = 0, step = 1;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	msg_reader_init(&r);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		json_t *m;
		int rv;

		buf_add(&r.in, data + off, n);
		off += n;
		step = step * 3 + 1;
		while ((rv = msg_reader_next(&r, &m, &eb)) == 1)
			json_decref(m);
		if (rv < 0)
			break;
	}
	msg_reader_done(&r);
	return 0;
}
