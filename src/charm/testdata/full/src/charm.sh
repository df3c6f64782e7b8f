#!/bin/sh
echo "$JUJU_DISPATCH_PATH" >> hooks.log
