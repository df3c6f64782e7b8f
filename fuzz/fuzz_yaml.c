/* fuzz_yaml.c - YAML to JSON (yaml_to_json), which reads operator config files, relation
 * and state data handed to hook tools (`--file -`) and charm files. */
#include "fuzz.h"
#include "lib/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errbuf eb;
	json_t *v = NULL;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (yaml_to_json((const char *)data, size, &v, &eb) == 0)
		json_decref(v);
	return 0;
}
