/* sanitizer_opts.c - built into every binary of the sanitizer build only (CAIRN_SANITIZE).
 *
 * The sanitizer runtimes ask these functions for their default options.  Every report -
 * from a daemon, a hook tool or a CLI run that a test never reads - goes to a file under
 * the build's sanitizer-reports folder, so tools/asan.sh can fail the run on any report.
 * Options given in the environment still take precedence. */
#ifndef CAIRN_SANITIZER_REPORTS
#error "CAIRN_SANITIZER_REPORTS must name the reports folder"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	return "log_path=" CAIRN_SANITIZER_REPORTS "/asan:detect_leaks=1:abort_on_error=0";
}

const char *__ubsan_default_options(void)
{
	return "log_path=" CAIRN_SANITIZER_REPORTS "/ubsan:print_stacktrace=1:halt_on_error=1";
}
