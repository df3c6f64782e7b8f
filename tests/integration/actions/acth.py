"""Shared pieces of the action scenarios: a charm with actions written as plain shell."""
import cairnh

ACTIONS_YAML = """
echo:
  description: Echo a message back.
  params:
    message: {type: string, description: what to say}
    times: {type: integer, default: 1, minimum: 1}
    file:
      type: object
      properties:
        kind: {type: string, enum: [gz, xz]}
  required: [message]
  additionalProperties: false
fail:
  description: Always fails.
explode:
  description: Exits non-zero.
slow:
  description: Blocks until its gate opens.
"""

# actions/<name> runs without dispatch; hooks are recorded as in relh.
DISPATCH = r"""#!/bin/sh
d="$JUJU_CHARM_DIR/.."
case "$JUJU_DISPATCH_PATH" in
actions/echo)
  msg="$(action-get message)"
  action-log "echoing $msg"
  action-set "said=$msg" "times=$(action-get times)" "file.kind=$(action-get file.kind)"
  echo "to stdout"
  echo "to stderr" >&2
  echo "$JUJU_ACTION_NAME $JUJU_ACTION_UUID" >> "$d/actions.log"
  ;;
actions/fail)
  action-set partial=yes
  action-fail "it went wrong"
  ;;
actions/explode)
  echo "boom" >&2
  exit 3
  ;;
actions/slow)
  echo "slow started" >> "$d/actions.log"
  [ -p "$d/gate" ] && read x < "$d/gate"
  echo "slow done" >> "$d/actions.log"
  ;;
hooks/*)
  h="${JUJU_DISPATCH_PATH#hooks/}"
  echo "hook $h" >> "$d/actions.log"
  if [ -f "$d/fail-$h" ]; then rm -f "$d/fail-$h"; exit 1; fi
  if [ -p "$d/hookgate" ] && [ "$h" = config-changed ]; then read x < "$d/hookgate"; fi
  [ "$h" = start ] && status-set active ready
  ;;
esac
exit 0
"""

CONFIG = "options:\n  thing: {type: string, default: a}\n"


def make(tmp, name="act"):
    return cairnh.make_charm(tmp, name, dispatch=DISPATCH, actions=ACTIONS_YAML, config=CONFIG)


def log(ctl, unit):
    import os
    try:
        with open(os.path.join(ctl.unit_dir(unit), "actions.log")) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []
