/* minihttp.c - the floor for scree's API latency: the smallest useful HTTP/1.1 server on a
 * UNIX socket (epoll, keep-alive, one fixed JSON answer per request).  bench/scree_bench.py
 * measures the same client against it and against scree's GET /v1/system-info.
 *
 *   bench-minihttp SOCKET-PATH */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char body[] =
	"{\"type\":\"sync\",\"status-code\":200,\"status\":\"OK\",\"result\":{\"boot-id\":"
	"\"2f1c6a7e-0000-4000-8000-000000000000\",\"version\":\"v1.32.1\"}}";

int main(int argc, char **argv)
{
	struct sockaddr_un a;
	char resp[512], buf[65536];
	int lfd, ep, n;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-minihttp SOCKET\n");
		return 2;
	}
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     sizeof(body) - 1, body);
	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 64) < 0) {
		perror("listen");
		return 1;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct epoll_event evs[32];
		int k = epoll_wait(ep, evs, 32, -1);

		for (int i = 0; i < k; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

				if (c >= 0) {
					struct epoll_event cev = { .events = EPOLLIN, .data.fd = c };
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
				continue;
			}
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r <= 0) {
				close(fd);
				continue;
			}
			/* One answer per request terminator seen (good enough for a GET loop). */
			for (ssize_t p = 0; p + 3 < r; p++)
				if (!memcmp(buf + p, "\r\n\r\n", 4) && write(fd, resp, (size_t)n) < 0)
					break;
		}
	}
}
