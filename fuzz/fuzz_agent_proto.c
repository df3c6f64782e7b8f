/* fuzz_agent_proto.c - the controller <-> machine agent protocol (src/proto/agent_proto):
 * frames off the wire (proto_next_frame, fed in pieces of varying size) and every message
 * decoded in both directions (proto_decode), as both sides run them on bytes from a peer.
 * A message that decodes must encode and decode again (what one side sends, the other must
 * take).
 *
 * Input: the wire bytes (4-byte big-endian length, JSON); the whole input is also decoded
 * as one bare JSON message, so the corpus can mutate message fields directly. */
#include <stdlib.h>

#include "fuzz.h"
#include "proto/agent_proto.h"

static void decode_both(json_t *obj)
{
	for (int d = 0; d < 2; d++) {
		struct proto_msg m, again;
		struct errbuf eb;
		json_t *o;

		if (proto_decode(obj, (enum proto_dir)d, &m, &eb) < 0)
			continue;
		o = proto_encode(&m);
		if (!o || proto_decode(o, (enum proto_dir)d, &again, &eb) < 0)
			abort(); /* a decoded message re-encodes into one its peer refuses */
		proto_msg_done(&again);
		json_decref(o);
		proto_msg_done(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf in = BUF_INIT;
	struct errbuf eb;
	json_error_t je;
	size_t off = 0, step = 1;
	json_t *v;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	buf_init(&in);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		int rv;

		buf_add(&in, data + off, n);
		off += n;
		step = step * 3 + 1;
		while ((rv = proto_next_frame(&in, &v, &eb)) == 1) {
			decode_both(v);
			json_decref(v);
		}
		if (rv < 0)
			break;
	}
	buf_done(&in);
	v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	if (v) {
		if (json_is_object(v))
			decode_both(v);
		json_decref(v);
	}
	return 0;
}
