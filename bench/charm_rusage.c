/* charm_rusage.c - runs a program N times and prints what each run cost it, as JSON:
 *   {"runs": N, "cpu_us_p50": .., "cpu_us_min": .., "wall_us_p50": .., "maxrss_kib": ..}
 * (user + system CPU and the peak resident set from wait4(2), wall time around
 * posix_spawn + wait).  It is a small static process spawning with posix_spawn (vfork
 * semantics), so the peak RSS the kernel reports is the child's own, not inherited from a
 * big parent (the kernel carries a process's high-water mark across exec).
 *
 * usage: bench-charm-rusage RUNS PROGRAM [ARGS...]   (the environment is passed on) */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	long runs = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
	double *cpu, *wall;
	long maxrss = 0;

	if (runs <= 0) {
		fprintf(stderr, "usage: %s RUNS PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	cpu = calloc((size_t)runs, sizeof(double));
	wall = calloc((size_t)runs, sizeof(double));
	for (long i = 0; i < runs; i++) {
		struct rusage ru;
		pid_t pid;
		int status;
		double t0 = now_us();

		if (posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ) != 0) {
			perror(argv[2]);
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s failed\n", argv[2]);
			return 1;
		}
		wall[i] = now_us() - t0;
		cpu[i] = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		if (ru.ru_maxrss > maxrss)
			maxrss = ru.ru_maxrss;
	}
	qsort(cpu, (size_t)runs, sizeof(double), cmp);
	qsort(wall, (size_t)runs, sizeof(double), cmp);
	printf("{\"runs\": %ld, \"cpu_us_p50\": %.1f, \"cpu_us_min\": %.1f, \"wall_us_p50\": %.1f, \"maxrss_kib\": %ld}\n",
	       runs, cpu[runs / 2], cpu[0], wall[runs / 2], maxrss);
	free(cpu);
	free(wall);
	return 0;
}
