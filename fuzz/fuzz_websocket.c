/* fuzz_websocket.c - the websocket frame parser (http/websocket.h) that every exec
 * websocket runs on its peer's bytes: the input, after two control bytes, is fed in pieces
 * of the size the first picks to a parser in the role the second picks; every event must
 * stay inside the piece it came from, and a dead parser must stay dead. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_parser p;
	uint8_t *copy;
	size_t step, pos = 0;

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	step = 1 + data[0] % 64;
	ws_parser_init(&p, (data[1] & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER);
	p.max_frame = 1 << 16;
	p.max_text = 1 << 12;
	data += 2;
	size -= 2;
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	while (pos < size) {
		size_t n = size - pos < step ? size - pos : step, off = 0;

		while (off < n) {
			struct ws_event ev;
			size_t used = ws_parse(&p, copy + pos + off, n - off, &ev);

			if (used > n - off)
				abort();
			if (ev.type == WS_EV_DATA && ev.len &&
			    (ev.data < copy + pos + off || ev.data + ev.len > copy + pos + off + used))
				abort();
			if (ev.type == WS_EV_CONTROL && ev.len > WS_MAX_CONTROL)
				abort();
			off += used;
			if (ev.type == WS_EV_ERROR) {
				if (ws_parse(&p, copy, size, &ev) != 0 || ev.type != WS_EV_ERROR)
					abort();
				free(copy);
				return 0;
			}
		}
		pos += n;
	}
	free(copy);
	return 0;
}
