"""The C charm SDK as installed: `cmake --install` (what `make install` runs) into a staging
directory lays out the header, the static and shared libraries, the pkg-config files and the
man page; a charm compiled from those files alone with `pkg-config --cflags --libs`
(shared, and static) deploys on cairn and reaches active; a harness test compiled against
cairn-charm-harness runs."""
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import sdkh  # noqa: E402

TINY = r"""
#include <stdio.h>
#include <cairn/charm.h>

static int on_start(struct cairn_event *ev, void *data)
{
	struct cairn_charm *ch = cairn_event_charm(ev);
	const char *who;
	char msg[128];
	int r = cairn_config_string(ch, "who", "installed sdk", &who, NULL);

	(void)data;
	if (r < 0)
		return r;
	snprintf(msg, sizeof(msg), "tiny: %s", who);
	return cairn_unit_set_status(ch, CAIRN_STATUS_ACTIVE, msg, NULL);
}

int tiny_setup(struct cairn_charm *ch, void *data)
{
	return CAIRN_OBSERVE(ch, CAIRN_EVENT_START, NULL, on_start, data);
}

#ifndef TINY_TEST
int main(void)
{
	return cairn_main(tiny_setup, NULL);
}
#endif
"""

TINY_TEST = r"""
#define TINY_TEST
#include "tiny.c"

int main(void)
{
	struct cairn_harness_opts o = { .metadata_yaml = "name: tiny\n" };
	struct cairn_harness *h;
	enum cairn_status st;
	const char *msg;

	if (cairn_harness_new(&o, tiny_setup, NULL, &h, NULL) < 0 ||
	    cairn_harness_emit(h, CAIRN_EVENT_START, NULL, NULL) < 0)
		return 1;
	cairn_harness_unit_status(h, &st, &msg);
	printf("%s %s\n", cairn_status_name(st), msg);
	cairn_harness_free(h);
	return 0;
}
"""


def build_settings():
    """The build's C compiler and whether it is the sanitizer build (whose libraries need the
    sanitizer runtimes, and cannot be linked -static)."""
    cc, sanitize = "cc", False
    with open(os.path.join(sdkh.BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_C_COMPILER:"):
                cc = line.split("=", 1)[1].strip()
            elif line.startswith("CAIRN_SANITIZE:") and line.split("=", 1)[1].strip() in ("ON", "TRUE", "1"):
                sanitize = True
    return cc, (["-fsanitize=address,undefined"] if sanitize else []), sanitize


class Install(sdkh.ControllerTest):
    def run_ok(self, *args, env=None):
        p = subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=self.tmp)
        self.assertEqual(p.returncode, 0, "%s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def test_install_and_build_a_charm_from_it(self):
        stage = os.path.join(self.tmp, "stage")
        prefix = "/opt/cairn-sdk-test"
        env = dict(os.environ, DESTDIR=stage)
        self.run_ok("cmake", "--install", sdkh.BUILD, "--prefix", prefix, env=env)
        root = stage + prefix
        for f in ("include/cairn/charm.h", "lib/libcairn-charm.a", "lib/libcairn-charm.so", "lib/libcairn-charm.so.0",
                  "lib/libcairn-charm-harness.a", "lib/pkgconfig/cairn-charm.pc",
                  "lib/pkgconfig/cairn-charm-harness.pc", "share/man/man3/cairn-charm.3"):
            self.assertTrue(os.path.exists(os.path.join(root, f)), f)
        pc = dict(os.environ, PKG_CONFIG_PATH=os.path.join(root, "lib/pkgconfig"))
        # The shared and the static archive export the API only (plus, in the sanitizer
        # build, the sanitizers' option hooks every binary there carries).
        def api_only(names):
            return names and all(n.startswith("cairn_") or n.startswith(("__asan_", "__ubsan_")) for n in names)

        # Exported = global or weak (nm's upper-case types); the linker may also list local
        # symbols in the dynamic table (the coverage build's __start___sancov_* ones), which
        # nothing can bind to.
        syms = self.run_ok("nm", "-D", "--defined-only", os.path.join(root, "lib/libcairn-charm.so"))
        names = [l.split()[-1] for l in syms.splitlines() if len(l.split()) == 3 and l.split()[1].isupper()]
        self.assertTrue(api_only(names), names[:10])
        syms = self.run_ok("nm", "-g", "--defined-only", os.path.join(root, "lib/libcairn-charm.a"))
        names = [l.split()[-1] for l in syms.splitlines() if len(l.split()) == 3]
        self.assertTrue(api_only(names), names[:10])
        with open(os.path.join(self.tmp, "tiny.c"), "w") as f:
            f.write(TINY)
        with open(os.path.join(self.tmp, "tiny_test.c"), "w") as f:
            f.write(TINY_TEST)
        cc, san, sanitized = build_settings()
        flags = self.run_ok("pkg-config", "--cflags", "--libs", "cairn-charm", env=pc).split()
        static_flags = self.run_ok("pkg-config", "--static", "--cflags", "--libs", "cairn-charm", env=pc).split()
        self.assertIn("-lcairn-charm", flags)
        kinds = ("shared",) if sanitized else ("shared", "static")
        for kind in kinds:
            d = os.path.join(self.tmp, "tiny-" + kind)
            os.makedirs(d)
            with open(os.path.join(d, "metadata.yaml"), "w") as f:
                f.write("name: tiny-%s\nsummary: x\ndescription: x\n" % kind)
            with open(os.path.join(d, "config.yaml"), "w") as f:
                f.write("options:\n  who: {type: string, default: installed sdk}\n")
            if kind == "shared":
                cmd = [cc, "-Wall", "-Werror", "tiny.c", "-o", os.path.join(d, "dispatch")] + san + flags + [
                    "-Wl,-rpath," + os.path.join(root, "lib")]
            else:
                cmd = [cc, "-Wall", "-Werror", "-static", "tiny.c", "-o", os.path.join(d, "dispatch")] + static_flags
            self.run_ok(*cmd)
            self.deploy(d)
        for kind in kinds:
            self.wait("tiny-" + kind)
            self.assertEqual(sdkh.statuses(self.ctl, "tiny-" + kind)["tiny-%s/0" % kind], ("active", "tiny: installed sdk"))
        hflags = self.run_ok("pkg-config", "--cflags", "--libs", "cairn-charm-harness", env=pc).split()
        self.run_ok(cc, "-Wall", "-Werror", "tiny_test.c", "-o", "tiny_test", *san, *hflags,
                    "-Wl,-rpath," + os.path.join(root, "lib"))
        self.assertEqual(self.run_ok(os.path.join(self.tmp, "tiny_test")), "active tiny: installed sdk\n")
        shutil.rmtree(stage)


if __name__ == "__main__":
    unittest.main()
